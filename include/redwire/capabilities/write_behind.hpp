// redwire/capabilities/write_behind.hpp — pushes kept for a moment so that many leave together.
//
// A client with many async calls in flight trades up to the transport's window of latency
// (Redis: 100 µs) for throughput: the requests written meanwhile leave in one write, and those
// to one queue as one command. Without the capability every request is pushed at once.
#pragma once

#include <chrono>
#include <string_view>

#include "../transport.hpp"
#include "queue_expiry.hpp"

namespace redwire {

/// t.push_behind(queue, bytes) pushes within a short window instead of now (with an expiry
/// hint where the transport takes one: capabilities/queue_expiry.hpp). Throws
/// transport_error as push does when the transport is down; pushes kept when it goes down are
/// lost (their calls end as unavailable or at their timeout, never on a restarted broker).
template <class T>
concept write_behind_transport = transport<T> && requires(T& t, std::string_view s) {
  t.push_behind(s, s);
};

namespace detail {

class any_write_behind {
 public:
  virtual ~any_write_behind() = default;
  virtual void push_behind(std::string_view queue, std::string_view bytes,
                           std::chrono::milliseconds keep) = 0;
};

/// Made only for a transport that models write_behind_transport (detail::capability_slot).
template <class T>
class write_behind_adapter final : public any_write_behind {
 public:
  explicit write_behind_adapter(T& t) : t_(t) {}
  void push_behind(std::string_view queue, std::string_view bytes,
                   std::chrono::milliseconds keep) override {
    push_behind_expiring(t_, queue, bytes, keep);
  }

 private:
  T& t_;
};

}  // namespace detail
}  // namespace redwire
