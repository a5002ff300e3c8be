// redwire/topic.hpp — a topic: events for whoever listens right now (Redis pub/sub).
//
//   inline constexpr redwire::topic<"orders.created", order> order_created{};   // shared header
//   cli.publish(order_created, o);                                 // checked against `order`
//   svc.subscribe(order_created, [](order o) { /* ... */ });       // runs on the service's side
//
//   inline constexpr redwire::topic_pattern<"orders.*", order> any_order{};
//   svc.subscribe(any_order, [](std::string_view topic, order o) { /* ... */ });
//
// Delivery is at most once: a subscriber that is not connected when an event is published
// never sees it (use a redwire::stream for events that must not be lost). Subscriptions come
// back by themselves after a reconnect.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "events/diagnostics.hpp"
#include "events/frame.hpp"
#include "fixed_string.hpp"
#include "type_description.hpp"

namespace redwire {

/// A topic named `Name` whose events carry a T.
template <fixed_string Name, class T>
struct topic : detail::event_declaration<Name, T> {
  static_assert(detail::check_event_declaration<Name, T>() &&
                !detail::topic_name_contains_a_glob_character<Name>::value);
};

/// Every topic whose name matches a glob pattern (* ? [abc]) and whose events carry a T.
/// Events of a matching topic declared with another type are refused (counted, logged).
template <fixed_string Pattern, class T>
struct topic_pattern : detail::event_declaration<Pattern, T> {
  static_assert(detail::check_event_declaration<Pattern, T>());
  /// "orders.*"; the fingerprint is checked per matching topic, from its name and `description`.
  static constexpr std::string_view pattern = Pattern.view();
};

/// How a service receives the events of one subscription.
struct subscribe_options {
  /// Events waiting for the handler, at most; more are dropped (counted and logged): a slow
  /// handler must not make the transport buffer without bound.
  std::size_t queue_capacity = 10000;
};

}  // namespace redwire
