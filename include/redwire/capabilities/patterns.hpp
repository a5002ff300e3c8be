// redwire/capabilities/patterns.hpp — subscriptions to every channel that matches a pattern.
//
// What svc.subscribe(topic_pattern) needs; a transport without it refuses such a subscription
// with redwire::unsupported when it is made (transport.hpp states the policy).
#pragma once

#include <memory>
#include <string_view>
#include <utility>

#include "../detail/any_subscription.hpp"
#include "../transport.hpp"

namespace redwire {

/// t.psubscribe(pattern, on_message, on_gap): as subscribe(), for every channel matching the glob
/// `pattern` (* ? [abc]), as Redis PSUBSCRIBE; on_message gets the channel of each message.
template <class T>
concept pattern_transport = requires(T& t, std::string_view pattern, message_handler on_message,
                                     gap_handler on_gap) {
  { t.psubscribe(pattern, std::move(on_message), std::move(on_gap)) } -> std::movable;
};

namespace detail {

class any_patterns {
 public:
  virtual ~any_patterns() = default;
  virtual std::unique_ptr<any_subscription> psubscribe(std::string_view pattern,
                                                       message_handler on_message,
                                                       gap_handler on_gap) = 0;
};

/// Made only for a transport that models pattern_transport (detail::capability_slot).
template <class T>
class patterns_adapter final : public any_patterns {
 public:
  explicit patterns_adapter(T& t) : t_(t) {}
  std::unique_ptr<any_subscription> psubscribe(std::string_view pattern, message_handler on_message,
                                               gap_handler on_gap) override {
    return hold_subscription(t_.psubscribe(pattern, std::move(on_message), std::move(on_gap)));
  }

 private:
  T& t_;
};

}  // namespace detail
}  // namespace redwire
