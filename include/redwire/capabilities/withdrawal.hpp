// redwire/capabilities/withdrawal.hpp — a request taken back out of its queue.
//
// A cancelled call (call_options::stop, an Asio cancellation) ends at once for its caller. Its
// request may still wait in the service's queue: a transport that can take one message back
// out lets the core remove it, so that it never runs (nor, for a call that is retried, runs
// twice). Without the capability the request stays; a service that takes it runs it, and its
// reply is dropped (the call has ended). The withdrawal is ordered after the push it undoes
// (Redis: LREM on the connection that pushed).
#pragma once

#include <concepts>
#include <string_view>

#include "../transport.hpp"

namespace redwire {

/// t.withdraw(queue, bytes): removes the first message of `queue` equal to `bytes`; true if
/// there was one (nobody has taken it, and nobody will). Throws transport_error when down.
template <class T>
concept withdrawing_transport = transport<T> && requires(T& t, std::string_view s) {
  { t.withdraw(s, s) } -> std::convertible_to<bool>;
};

namespace detail {

class any_withdrawal {
 public:
  virtual ~any_withdrawal() = default;
  virtual bool withdraw(std::string_view queue, std::string_view bytes) = 0;
};

/// Made only for a transport that models withdrawing_transport (detail::capability_slot).
template <class T>
class withdrawal_adapter final : public any_withdrawal {
 public:
  explicit withdrawal_adapter(T& t) : t_(t) {}
  bool withdraw(std::string_view queue, std::string_view bytes) override {
    return t_.withdraw(queue, bytes);
  }

 private:
  T& t_;
};

}  // namespace detail
}  // namespace redwire
