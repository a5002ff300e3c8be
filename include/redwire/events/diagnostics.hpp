// redwire/events/diagnostics.hpp — compile-time checks of topic and stream declarations, of
// what is published or appended, and of event handlers. Same style as detail/diagnostics.hpp:
// the failing class template names the topic or stream, and its banner says what is wrong; a
// check's `value` is true when the mistake its name states is there.
#pragma once

#include <string_view>
#include <tuple>
#include <type_traits>

#include "../codec.hpp"
#include "../detail/diagnostics.hpp"
#include "../fixed_string.hpp"
#include "../type_description.hpp"

namespace redwire::detail {

// ---- declarations -----------------------------------------------------------------------

template <fixed_string Name>
struct event_name_is_empty {
  static constexpr bool value = Name.size() == 0;
  static_assert(!value, "====> redwire: a topic or stream needs a name, e.g. \"orders.created\".");
};

template <fixed_string Name>
struct topic_name_contains_a_glob_character {
  static constexpr bool value = Name.view().find_first_of("*?[]") != std::string_view::npos;
  static_assert(!value,
                "====> redwire: a topic name may not contain * ? [ ]; to subscribe to several "
                "topics at once, declare a topic_pattern<\"orders.*\", T>.");
};

template <fixed_string Name, class Value>
struct event_value_is_not_serializable {
  static constexpr bool value =
      std::is_void_v<Value> || std::is_reference_v<Value> || !serializable<Value>;
  // Unless a diagnostic naming the field or enum at fault fired first (codec/unserializable.hpp).
  static_assert(!value || report_unserializable_part<Value>(),
                "====> redwire: the value type of this topic or stream cannot be serialized. Make "
                "it an aggregate of serializable fields, or give it a cereal serialize() function "
                "(a value type, not void and not a reference).");
};

template <fixed_string Name, class T>
constexpr bool check_event_declaration() {
  return !event_name_is_empty<Name>::value && !event_value_is_not_serializable<Name, T>::value;
}

// ---- publish and append -----------------------------------------------------------------

template <fixed_string Topic, class Given, class Declared>
struct published_value_does_not_convert {
  static constexpr bool value = !std::is_convertible_v<Given, Declared>;
  static_assert(!value,
                "====> redwire: the value published does not convert to the type this topic "
                "declares.");
};

template <fixed_string Stream, class Given, class Declared>
struct appended_value_does_not_convert {
  static constexpr bool value = !std::is_convertible_v<Given, Declared>;
  static_assert(!value,
                "====> redwire: the value appended does not convert to the type this stream "
                "declares.");
};

template <fixed_string Stream>
struct publish_to_a_stream {
  static_assert(always_false<decltype(Stream)>,
                "====> redwire: this is a stream: append() to it (publish() is for topics).");
};
template <fixed_string Topic>
struct append_to_a_topic {
  static_assert(always_false<decltype(Topic)>,
                "====> redwire: this is a topic: publish() to it (append() is for streams).");
};
template <fixed_string Stream>
struct subscribe_to_a_stream {
  static_assert(always_false<decltype(Stream)>,
                "====> redwire: this is a stream: consume() it with a consumer group, "
                "svc.consume(stream, \"group\", handler) (subscribe() is for topics).");
};
template <fixed_string Topic>
struct consume_a_topic {
  static_assert(always_false<decltype(Topic)>,
                "====> redwire: this is a topic: subscribe() to it (consume() is for streams).");
};

// ---- handlers ---------------------------------------------------------------------------

template <fixed_string Name, class Value, class Handler>
struct event_handler_cannot_take_the_value {
  static_assert(always_false<Value>,
                "====> redwire: this event handler cannot be called with the value type that the "
                "topic or stream declares (it receives the decoded value as an rvalue: take it by "
                "value or const reference; a pattern handler may take (std::string_view topic, "
                "value)).");
};

template <fixed_string Name, class Returned>
struct event_handler_does_not_return_void {
  static constexpr bool value = !std::is_void_v<Returned>;
  static_assert(!value,
                "====> redwire: an event handler returns nothing: returning acknowledges the "
                "event, throwing asks for a retry.");
};

/// How a handler of events of T is called: with the value, or (pattern subscriptions) with
/// the topic's name and the value.
template <class F, class T>
inline constexpr bool takes_value_v =
    std::is_invocable_v<std::remove_cvref_t<F>&, wire_type_t<T>&&>;
template <class F, class T>
inline constexpr bool takes_name_and_value_v =
    std::is_invocable_v<std::remove_cvref_t<F>&, std::string_view, wire_type_t<T>&&>;

/// True when F can handle events of T (with the topic name too when `with_name` is allowed).
template <fixed_string Name, class T, class F, bool with_name>
constexpr bool check_event_handler() {
  using fn = std::remove_cvref_t<F>;
  if constexpr (takes_value_v<F, T>) {
    return !event_handler_does_not_return_void<Name,
                                               std::invoke_result_t<fn&, wire_type_t<T>&&>>::value;
  } else if constexpr (with_name && takes_name_and_value_v<F, T>) {
    return !event_handler_does_not_return_void<
        Name, std::invoke_result_t<fn&, std::string_view, wire_type_t<T>&&>>::value;
  } else {
    (void)event_handler_cannot_take_the_value<Name, T, F>{};
    return false;
  }
}

}  // namespace redwire::detail
