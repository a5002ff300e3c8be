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
///     Throws transport_error when the message cannot be handed to the broker.
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

/// Optional on queue readers: r.publish_then_pop(channel, bytes, out, max, timeout) publishes
/// and then pops as pop() does, as one exchange with the broker where it can (a service that has
/// just answered a request sends the reply along with its next pop).
template <class R>
concept fusing_reader = queue_reader<R> &&
    requires(R& r, std::string_view s, std::vector<std::string>& out, std::size_t max,
             std::chrono::milliseconds timeout) {
  r.publish_then_pop(s, s, out, max, timeout);
};

/// Optional: t.publish_held(channel, bytes) publishes later — at t.flush() or with the next
/// publish that is not held — so that many messages leave in one write. Both throw
/// transport_error as publish does.
template <class T>
concept corking_transport = transport<T> && requires(T& t, std::string_view s) {
  t.publish_held(s, s);
  t.flush();
};

/// Optional: t.push_behind(queue, bytes) pushes within a short window (Redis: 100 µs) instead
/// of now, so that the pushes made meanwhile leave in one write — for a caller with many
/// requests in flight, who trades that much latency for throughput. Throws transport_error as
/// push does when the transport is down; pushes kept when it goes down are lost.
template <class T>
concept write_behind_transport = transport<T> && requires(T& t, std::string_view s) {
  t.push_behind(s, s);
};

/// What inbox::receive found.
enum class inbox_status {
  message,  ///< a message of the channel is in `out`
  timeout,  ///< nothing came before the deadline; the inbox stays usable
  lost,     ///< the connection is gone: drop the inbox and open another one
};

/// Optional: a channel subscription that the waiting thread reads itself, on a connection of its
/// own, so that a message wakes the thread that waits for it and no other (no delivery thread
/// in between). redwire's client lends one to each sync call when the transport offers them.
///   i.usable(): without waiting, whether the connection is still there.
///   i.receive(out, deadline): the next message into `out`, or timeout, or lost.
template <class I>
concept inbox = std::movable<I> &&
    requires(I& i, std::string& out, std::chrono::steady_clock::time_point deadline) {
  { i.usable() } -> std::same_as<bool>;
  { i.receive(out, deadline) } -> std::same_as<inbox_status>;
};

/// A transport that opens inboxes: t.open_inbox(channel, budget) subscribes (confirmed when it
/// returns), or throws transport_error — at the latest after about `budget`.
template <class T>
concept inbox_transport = transport<T> &&
    requires(T& t, std::string channel, std::chrono::milliseconds budget) {
  { t.open_inbox(std::move(channel), budget) } -> inbox;
};

/// Optional on subscription objects: s.healthy() is false from the moment the connection that
/// carries it is lost until it is subscribed again (messages published meanwhile are lost).
template <class S>
concept health_reporting = requires(const S& s) {
  { s.healthy() } -> std::same_as<bool>;
};

}  // namespace redwire
