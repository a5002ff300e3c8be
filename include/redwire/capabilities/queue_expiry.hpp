// redwire/capabilities/queue_expiry.hpp — queues that go away once what they hold is stale.
//
// A request is worth nothing past its deadline: its caller has given up, and a service that
// takes it drops it. In a broker whose queues outlive every process (Redis), a request to a
// service nobody serves, or to an instance that never existed, would stay forever. A transport
// that takes an expiry hint with its pushes lets such a queue go: the core passes `keep`, the
// request's time left plus a margin, and the queue may vanish `keep` after the push whose hint
// reaches furthest. A hint never shortens a queue's life (on Redis: PEXPIRE NX, then GT).
//
// Each operation that pushes has a form with the hint:
//   t.push(queue, bytes, keep)                                         (redwire::transport)
//   t.push_behind(queue, bytes, keep)                      (redwire::write_behind_transport)
//   t.push_unless_member(set, member, queue, bytes, channel, refusal, keep)
//                                                                  (redwire::registry_store)
// A transport without them gets the push without the hint: nothing is lost but the cleanup.
// The memory transport needs none: its queues live in the process and end with it.
#pragma once

#include <chrono>
#include <string_view>

namespace redwire {

/// Whether `t.push(queue, bytes, keep)` exists (see above).
template <class T>
concept expiring_queues = requires(T& t, std::string_view s, std::chrono::milliseconds keep) {
  t.push(s, s, keep);
};

namespace detail {

/// How long a queue is kept past the deadline of the latest request pushed to it: time for a
/// late pop to find what is still due, never long enough to matter.
inline constexpr std::chrono::milliseconds queue_expiry_margin{1000};

/// t.push with the hint where the transport takes it, without it otherwise.
template <class T>
void push_expiring(T& t, std::string_view queue, std::string_view bytes,
                   std::chrono::milliseconds keep) {
  if constexpr (expiring_queues<T>)
    t.push(queue, bytes, keep);
  else
    t.push(queue, bytes);
}

/// t.push_behind with the hint where the transport takes it, without it otherwise.
template <class T>
void push_behind_expiring(T& t, std::string_view queue, std::string_view bytes,
                          std::chrono::milliseconds keep) {
  if constexpr (requires { t.push_behind(queue, bytes, keep); })
    t.push_behind(queue, bytes, keep);
  else
    t.push_behind(queue, bytes);
}

/// t.push_unless_member with the hint where the transport takes it, without it otherwise.
template <class T>
void push_unless_member_expiring(T& t, std::string_view set, std::string_view member,
                                 std::string_view queue, std::string_view bytes,
                                 std::string_view channel, std::string_view refusal,
                                 std::chrono::milliseconds keep) {
  if constexpr (requires {
                  t.push_unless_member(set, member, queue, bytes, channel, refusal, keep);
                })
    t.push_unless_member(set, member, queue, bytes, channel, refusal, keep);
  else
    t.push_unless_member(set, member, queue, bytes, channel, refusal);
}

}  // namespace detail
}  // namespace redwire
