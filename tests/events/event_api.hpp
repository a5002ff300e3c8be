// Declarations shared by the event suite (as a real system shares them in a header).
#pragma once

#include <redwire/redwire.hpp>

#include <string>
#include <vector>

namespace events_test {

struct order {
  std::string id;
  int quantity = 0;
};

struct note {
  std::string text;
};

inline constexpr redwire::topic<"shop.orders", order> orders_topic{};
inline constexpr redwire::topic<"shop.refunds", order> refunds_topic{};
inline constexpr redwire::topic<"shop.notes", note> notes_topic{};  // same pattern, other type
inline constexpr redwire::topic_pattern<"shop.*", order> any_shop_topic{};

inline constexpr redwire::stream<"shop.log", order> order_log{};
inline constexpr redwire::stream<"shop.numbers", int> numbers{};

// The stream of the consumer helper process (helper/event_consumer.cpp).
inline constexpr redwire::stream<"kill.log", int> kill_log{};

inline constexpr redwire::procedure<"front.place", std::string(order)> place{};
inline constexpr redwire::procedure<"front.trace", std::string()> trace{};
inline constexpr redwire::procedure<"front.slow", int(int)> slow{};

}  // namespace events_test
