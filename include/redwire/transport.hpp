// redwire/transport.hpp — what the core needs from whatever carries its bytes.
//
// A transport moves opaque byte strings. It knows nothing of procedures, envelopes or
// registries: the core names the queues and channels, the transport delivers. Two transports
// ship with redwire (redwire::memory::transport and redwire::redis::transport); another one
// (NATS, TCP, shared memory) is a type that models `redwire::transport` below.
//
// Two delivery styles are all a call needs:
//  - queues: push appends to a named FIFO; each message is taken by exactly one reader
//    (competing consumers: replicas of a service share one queue and so share the load);
//  - channels: publish hands a message to every current subscriber of the channel, or to
//    nobody if there is none (replies, events).
//
// Capabilities. Beyond these, a transport may offer more, each a concept of its own with its
// interface and adapter in one file of capabilities/: corking and write-behind (fewer writes),
// queue expiry (no stale request left in the broker), fusing readers and inboxes (fewer hops),
// patterns, durable streams and a registry store (features). The core sees each one through an
// accessor of detail::any_transport that returns nullptr when the transport lacks it (queue
// expiry, a hint added to pushes, is passed on by the adapters instead), and treats a missing
// capability by one rule:
//  - a capability that only makes things faster or tidier is used when present, and replaced
//    by the operations above when absent (the same results, more writes or hops);
//  - a feature that needs a capability fails at the earliest point it can: at compile time where
//    the transport's type is known (redwire::registry, redwire::orchestrator), otherwise by
//    throwing redwire::unsupported from the call that asks for it (svc.consume(), a pattern
//    subscribe(), cli.append()), never later while running. Registration, on by default, is
//    the one feature that is skipped instead (a debug line says so): a service still serves.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace redwire {

/// Thrown by a transport that cannot reach its broker (connection refused, lost, timed out).
/// The core reports it as errc::unavailable; transports reconnect by themselves.
class transport_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown where a feature needs a capability that the transport lacks (see above); the message
/// names the capability.
class unsupported : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Called for each message of a subscription, on the transport's delivery thread: keep it short
/// and never unsubscribe from inside it.
using message_handler = std::function<void(std::string_view channel, std::string_view payload)>;

/// Called when messages of a subscription may have been lost: when the connection drops, and
/// again once the subscription is restored (for what was published meanwhile). Delivery goes
/// on afterwards; the subscriber decides what a gap means to it.
using gap_handler = std::function<void()>;

/// Takes messages from one or more queues for one consumer (one service instance).
///   r.pop(out, max, timeout): waits up to `timeout` for a message, then appends up to `max`
///     messages to `out` in queue order (the first queue of the list is served first).
///     Returns with nothing on timeout or after wake(). Throws transport_error when down.
///   r.wake(): from any thread, makes a pop that is waiting return now.
template <class R>
concept queue_reader = requires(R& r, std::vector<std::string>& out, std::size_t max,
                                std::chrono::milliseconds timeout) {
  r.pop(out, max, timeout);
  r.wake();
};

/// The contract between the core and a transport.
///   t.prefix(): namespace of every queue and channel name ("rw" by default), so one broker can
///     hold several deployments.
///   t.push(queue, bytes): appends to a queue; the bytes are copied before it returns.
///     Throws transport_error when the message cannot be handed to the broker. A transport
///     whose queues outlive processes may also take t.push(queue, bytes, keep), so that a queue
///     nobody reads goes once what it holds is stale (capabilities/queue_expiry.hpp).
///   t.open_reader(queues): a queue_reader over those queues (returned by value, movable).
///   t.publish(channel, bytes): to every current subscriber; throws transport_error when down.
///   t.subscribe(channel, on_message, on_gap): a subscription object; destroying it
///     unsubscribes and waits for a handler that is running. Re-subscribes after reconnects.
/// Every operation may be called from any thread.
template <class T>
concept transport = requires(T& t, const T& ct, std::string_view name, std::string_view bytes,
                             std::vector<std::string> queues, message_handler on_message,
                             gap_handler on_gap) {
  { ct.prefix() } -> std::convertible_to<std::string_view>;
  t.push(name, bytes);
  { t.open_reader(std::move(queues)) } -> queue_reader;
  t.publish(name, bytes);
  { t.subscribe(name, std::move(on_message), std::move(on_gap)) } -> std::movable;
};

/// Optional on subscription objects: s.healthy() is false from the moment the connection that
/// carries it is lost until it is subscribed again (messages published meanwhile are lost).
template <class S>
concept health_reporting = requires(const S& s) {
  { s.healthy() } -> std::same_as<bool>;
};

}  // namespace redwire
