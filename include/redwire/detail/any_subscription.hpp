// redwire/detail/any_subscription.hpp — a subscription object of any transport, behind one
// virtual interface (for detail::any_transport and the pattern capability).
#pragma once

#include <memory>
#include <utility>

#include "../transport.hpp"

namespace redwire::detail {

class any_subscription {
 public:
  virtual ~any_subscription() = default;
  /// False while messages to it would be lost (see redwire::health_reporting).
  virtual bool healthy() const = 0;
};

/// Holds a transport's subscription object; destroying it unsubscribes (the object's own rule).
template <class S>
class subscription_holder final : public any_subscription {
 public:
  explicit subscription_holder(S s) : s_(std::move(s)) {}
  bool healthy() const override {
    if constexpr (health_reporting<S>)
      return s_.healthy();
    else
      return true;  // a transport that cannot tell is taken at its word
  }

 private:
  S s_;
};

template <class S>
std::unique_ptr<any_subscription> hold_subscription(S s) {
  return std::make_unique<subscription_holder<S>>(std::move(s));
}

}  // namespace redwire::detail
