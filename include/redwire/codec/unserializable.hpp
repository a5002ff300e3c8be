// redwire/codec/unserializable.hpp — why a type cannot be serialized, said by the first error.
//
// "This argument cannot be serialized" is true but leaves the search to the user when the type
// is a struct of twenty fields. So before a declaration's own diagnostic fires, the type is
// searched for the part at fault, and a diagnostic naming that part fires first:
//   struct_field_is_not_serializable<order, field<3, "worker">, std::thread>
//       (the struct, the field's position counting from 1 and — for a described struct — its
//        name, and the field's type), searched into nested structs and containers;
//   struct_field_cannot_be_decoded_into<order, field<2>, const int>
//       (serializable, but not default-constructible: decoding fills a default-constructed
//        struct field by field);
//   enum_without_fixed_underlying_type<color>
//       (an enum whose underlying type is not fixed: said first, as it is the whole story).
#pragma once

#include <boost/pfr/core.hpp>
#include <boost/pfr/tuple_size.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../detail/described.hpp"
#include "../fixed_string.hpp"
#include "traits.hpp"

namespace redwire::detail {

template <class T>
constexpr bool report_unserializable_part();

template <class Enum>
struct enum_without_fixed_underlying_type {
  static_assert(always_false<Enum>,
                "====> redwire: this enum has no fixed underlying type, so it cannot be "
                "serialized (decoding a value outside its enumerators' range would be undefined "
                "behaviour). Fix the type: `enum class E : std::uint8_t {...}`, or `enum E : int "
                "{...}`.");
};

template <class Struct, class Field, class Type>
struct struct_field_is_not_serializable {
  /// False when a diagnostic about a part of the field's type (a field of a nested struct, say)
  /// fired instead: that one is more precise.
  static constexpr bool value = !report_unserializable_part<Type>();
  static_assert(!value,
                "====> redwire: this field of this struct cannot be serialized (the field's "
                "position counts from 1; a described struct's field is named too). Give the "
                "field a serializable type, or the struct a cereal serialize() function.");
};

template <class Struct, class Field, class Type>
struct struct_field_cannot_be_decoded_into {
  static_assert(always_false<Type>,
                "====> redwire: this field of this struct cannot be decoded into: decoding fills "
                "a default-constructed struct field by field, so a field's type needs a default "
                "constructor (and cannot be const or a reference).");
};

/// field<2> for the second field of T, or field<2, "worker"> when T is described.
template <class T, std::size_t I>
constexpr auto field_tag() {
  if constexpr (described_aggregate<T>)
    return field<I + 1, field_name<T, I>()>{};
  else
    return field<I + 1>{};
}

/// The position (from 0) of T's first field that cannot be decoded; the number of fields if none.
template <class T>
constexpr std::size_t first_bad_field() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    std::size_t first = sizeof...(I);
    ((first == sizeof...(I) && !is_decodable_element_v<boost::pfr::tuple_element_t<I, T>>
          ? first = I
          : 0),
     ...);
    return first;
  }
  (std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
}

template <class T>
constexpr bool report_bad_field() {
  constexpr std::size_t i = first_bad_field<T>();
  if constexpr (i == boost::pfr::tuple_size_v<T>) {
    return false;
  } else {
    using type = boost::pfr::tuple_element_t<i, T>;
    using tag = decltype(field_tag<T, i>());
    if constexpr (serializable<type>)
      (void)struct_field_cannot_be_decoded_into<T, tag, type>{};
    else
      (void)struct_field_is_not_serializable<T, tag, type>::value;
    return true;
  }
}

/// Searches the first of A... that cannot be serialized (false: none, or nothing to name in it).
template <class... A>
constexpr bool report_first_of() {
  constexpr std::array<bool, sizeof...(A)> bad{!serializable<A>...};
  constexpr std::size_t i = std::find(bad.begin(), bad.end(), true) - bad.begin();
  if constexpr (i == sizeof...(A))
    return false;
  else
    return report_unserializable_part<std::tuple_element_t<i, std::tuple<A...>>>();
}

/// Fires the diagnostic that names what in T cannot be serialized and returns true; returns
/// false when nothing in T is more to blame than T itself (std::thread, say), or T is fine.
template <class T>
constexpr bool report_unserializable_part() {
  using U = std::remove_cvref_t<T>;
  constexpr codec_kind kind = kind_of<U>();
  if constexpr (serializable<U>) {
    return false;
  } else if constexpr (std::is_enum_v<U>) {
    (void)enum_without_fixed_underlying_type<U>{};
    return true;
  } else if constexpr (kind == codec_kind::aggregate) {
    return report_bad_field<U>();
  } else if constexpr (kind == codec_kind::sequence || kind == codec_kind::array ||
                       kind == codec_kind::set || kind == codec_kind::optional) {
    return report_first_of<typename U::value_type>();
  } else if constexpr (kind == codec_kind::map) {
    return report_first_of<typename U::key_type, typename U::mapped_type>();
  } else if constexpr (kind == codec_kind::variant || kind == codec_kind::pair ||
                       kind == codec_kind::tuple) {
    return []<template <class...> class Template, class... A>(std::type_identity<Template<A...>>) {
      return report_first_of<A...>();
    }(std::type_identity<U>{});
  } else {
    return false;
  }
}

}  // namespace redwire::detail
