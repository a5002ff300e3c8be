// redwire/capabilities/broker_clock.hpp — one clock for every deadline: the broker's.
//
// A request carries its deadline as a time (envelope.hpp: ms since the Unix epoch), set by the
// caller and checked by the service that takes it. Read on two hosts' clocks, a service whose
// clock is 30 s ahead would drop every call and one 30 s behind would run calls long expired.
// A transport with a broker clock tells the time as the broker sees it: each process learns its
// offset from the broker (Redis: TIME, the offset taken at the middle of the round trip, asked
// again every few seconds), and callers and services read deadlines on that one clock. The
// error is that of one round trip's asymmetry, under a millisecond on a LAN. Without the
// capability (the memory transport: one process, one clock), the local system clock is used.
#pragma once

#include <chrono>
#include <concepts>

#include "../transport.hpp"

namespace redwire {

/// t.broker_time(): now, as the broker's clock says (the local clock plus the learnt offset).
template <class T>
concept broker_clock_transport = transport<T> && requires(T& t) {
  { t.broker_time() } -> std::convertible_to<std::chrono::system_clock::time_point>;
};

namespace detail {

class any_broker_clock {
 public:
  virtual ~any_broker_clock() = default;
  virtual std::chrono::system_clock::time_point broker_time() = 0;
};

/// Made only for a transport that models broker_clock_transport (detail::capability_slot).
template <class T>
class broker_clock_adapter final : public any_broker_clock {
 public:
  explicit broker_clock_adapter(T& t) : t_(t) {}
  std::chrono::system_clock::time_point broker_time() override { return t_.broker_time(); }

 private:
  T& t_;
};

}  // namespace detail
}  // namespace redwire
