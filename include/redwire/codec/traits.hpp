// redwire/codec/traits.hpp — which types the codec supports, and how it sees each of them.
//
// Every type falls into one `codec_kind`; the encoder, the decoder and the type descriptions all
// dispatch on it, so they cannot disagree about a type. Standard types come first, then classes
// with their own cereal serialization, then aggregates by reflection (Boost.PFR).
#pragma once

#include <boost/pfr/core.hpp>
#include <boost/pfr/tuple_size.hpp>

#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "cereal_archive.hpp"
#include "wire.hpp"

namespace redwire::detail {

/// How the codec sees a type (after remove_cvref).
enum class codec_kind {
  unsupported,
  number,        ///< bool, char, integers, float, double
  enumeration,   ///< as its underlying type, which must be fixed (see below)
  string,        ///< std::string
  string_view,   ///< std::string_view: encoded like std::string, decoded as std::string
  c_string,      ///< const char*: encoded like std::string (null as empty), decoded as std::string
  sequence,      ///< std::vector, std::deque, std::list
  array,         ///< std::array
  set,           ///< std::set, std::unordered_set
  map,           ///< std::map, std::unordered_map
  optional,      ///< std::optional
  variant,       ///< std::variant
  pair,          ///< std::pair
  tuple,         ///< std::tuple
  monostate,     ///< std::monostate
  duration,      ///< std::chrono::duration
  time_point,    ///< std::chrono::time_point
  cereal_class,  ///< a class with its own cereal serialize / save / load
  aggregate,     ///< any other aggregate, field by field through Boost.PFR
};

template <class T, template <class...> class Template>
inline constexpr bool is_specialization_v = false;
template <template <class...> class Template, class... A>
inline constexpr bool is_specialization_v<Template<A...>, Template> = true;

template <class T>
inline constexpr bool is_std_array_v = false;
template <class T, std::size_t N>
inline constexpr bool is_std_array_v<std::array<T, N>> = true;

template <class T>
inline constexpr bool is_char_string_v = false;
template <class Allocator>
inline constexpr bool is_char_string_v<std::basic_string<char, std::char_traits<char>, Allocator>> =
    true;

/// Does T have any cereal serialization of its own (one or more, member or free, for our archives)?
template <class T>
inline constexpr bool has_cereal_serialization_v =
    cereal::traits::detail::count_output_serializers<T, cereal_output_archive>::value != 0 ||
    cereal::traits::detail::count_input_serializers<T, cereal_input_archive>::value != 0;

/// An enum with a fixed underlying type (every enum class, and `enum e : int {...}`) may hold
/// any value of that type, so decoding one from hostile bytes is safe. Without a fixed type,
/// a value outside the enumerators' range is undefined behaviour: such enums are not supported.
template <class T>
concept enum_with_fixed_underlying_type = std::is_enum_v<T> && requires {
  T{std::underlying_type_t<T>{}};
};

template <class T>
consteval codec_kind kind_of() {
  using std::is_same_v;
  if constexpr (is_wire_number_v<T>)
    return codec_kind::number;
  else if constexpr (enum_with_fixed_underlying_type<T>)
    return codec_kind::enumeration;
  else if constexpr (is_same_v<T, const char*>)
    return codec_kind::c_string;
  else if constexpr (!std::is_class_v<T>)
    return codec_kind::unsupported;
  else if constexpr (is_char_string_v<T>)
    return codec_kind::string;
  else if constexpr (is_same_v<T, std::string_view>)
    return codec_kind::string_view;
  else if constexpr (is_specialization_v<T, std::vector> || is_specialization_v<T, std::deque> ||
                     is_specialization_v<T, std::list>)
    return codec_kind::sequence;
  else if constexpr (is_std_array_v<T>)
    return codec_kind::array;
  else if constexpr (is_specialization_v<T, std::set> || is_specialization_v<T, std::unordered_set>)
    return codec_kind::set;
  else if constexpr (is_specialization_v<T, std::map> || is_specialization_v<T, std::unordered_map>)
    return codec_kind::map;
  else if constexpr (is_specialization_v<T, std::optional>)
    return codec_kind::optional;
  else if constexpr (is_specialization_v<T, std::variant>)
    return codec_kind::variant;
  else if constexpr (is_specialization_v<T, std::pair>)
    return codec_kind::pair;
  else if constexpr (is_specialization_v<T, std::tuple>)
    return codec_kind::tuple;
  else if constexpr (is_same_v<T, std::monostate>)
    return codec_kind::monostate;
  else if constexpr (is_specialization_v<T, std::chrono::duration>)
    return codec_kind::duration;
  else if constexpr (is_specialization_v<T, std::chrono::time_point>)
    return codec_kind::time_point;
  else if constexpr (has_cereal_serialization_v<T>)
    return codec_kind::cereal_class;
  else if constexpr (std::is_aggregate_v<T> && !std::is_union_v<T> && !std::is_polymorphic_v<T>)
    return codec_kind::aggregate;
  else
    return codec_kind::unsupported;
}

template <class T>
inline constexpr codec_kind kind_of_v = kind_of<std::remove_cvref_t<T>>();

/// Vectors and arrays of these travel as one memcpy (the host must be little-endian).
template <class T>
inline constexpr bool is_bulk_element_v = std::endian::native == std::endian::little &&
                                          ((is_wire_number_v<T> && !std::is_same_v<T, bool>) ||
                                           std::is_same_v<T, std::byte>);

template <class T>
consteval bool check_serializable();

template <class T>
inline constexpr bool is_serializable_v = check_serializable<std::remove_cvref_t<T>>();

/// Decoding fills default-constructed values, so decoded element types must have one.
template <class T>
inline constexpr bool is_decodable_element_v = is_serializable_v<T>&& std::default_initializable<T>;

template <class T, std::size_t... I>
consteval bool check_fields(std::index_sequence<I...>) {
  return (is_decodable_element_v<boost::pfr::tuple_element_t<I, T>> && ...);
}

template <class T>
consteval bool check_serializable() {
  constexpr codec_kind kind = kind_of<T>();
  if constexpr (kind == codec_kind::unsupported) {
    return false;
  } else if constexpr (kind == codec_kind::sequence || kind == codec_kind::array ||
                       kind == codec_kind::set || kind == codec_kind::optional) {
    return is_decodable_element_v<typename T::value_type>;
  } else if constexpr (kind == codec_kind::map) {
    return is_decodable_element_v<typename T::key_type> &&
           is_decodable_element_v<typename T::mapped_type>;
  } else if constexpr (kind == codec_kind::variant || kind == codec_kind::pair ||
                       kind == codec_kind::tuple) {
    return []<template <class...> class Template, class... A>(std::type_identity<Template<A...>>) {
      return (is_decodable_element_v<A> && ...);
    }(std::type_identity<T>{});
  } else if constexpr (kind == codec_kind::duration) {
    return is_wire_number_v<typename T::rep>;
  } else if constexpr (kind == codec_kind::time_point) {
    return is_serializable_v<typename T::duration>;
  } else if constexpr (kind == codec_kind::cereal_class) {
    return std::default_initializable<T> &&
           cereal::traits::is_output_serializable<T, cereal_output_archive>::value &&
           cereal::traits::is_input_serializable<T, cereal_input_archive>::value;
  } else if constexpr (kind == codec_kind::aggregate) {
    return std::default_initializable<T> &&
           check_fields<T>(std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
  } else {
    return true;
  }
}

/// The fewest bytes a value of T can take on the wire: bounds element counts before decoding.
template <class T>
consteval std::size_t min_encoded_size() {
  constexpr codec_kind kind = kind_of<T>();
  if constexpr (kind == codec_kind::number) {
    return sizeof(T);
  } else if constexpr (kind == codec_kind::enumeration) {
    return sizeof(std::underlying_type_t<T>);
  } else if constexpr (kind == codec_kind::array) {
    return std::tuple_size_v<T> * min_encoded_size<typename T::value_type>();
  } else if constexpr (kind == codec_kind::pair || kind == codec_kind::tuple) {
    return []<std::size_t... I>(std::index_sequence<I...>) {
      return (std::size_t{0} + ... + min_encoded_size<std::tuple_element_t<I, T>>());
    }
    (std::make_index_sequence<std::tuple_size_v<T>>{});
  } else if constexpr (kind == codec_kind::aggregate) {
    return []<std::size_t... I>(std::index_sequence<I...>) {
      return (std::size_t{0} + ... + min_encoded_size<boost::pfr::tuple_element_t<I, T>>());
    }
    (std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
  } else if constexpr (kind == codec_kind::duration) {
    return sizeof(typename T::rep);
  } else if constexpr (kind == codec_kind::time_point) {
    return sizeof(typename T::rep);
  } else if constexpr (kind == codec_kind::monostate || kind == codec_kind::cereal_class) {
    return 0;  // a cereal class may write nothing at all
  } else {
    return 1;  // a length, a count, a flag or an index
  }
}

}  // namespace redwire::detail

namespace redwire {

/// Types the codec can encode and decode: numbers, enums, strings, the standard containers,
/// optional, variant, pair, tuple, chrono, aggregates of those (by reflection) and classes with
/// their own cereal serialization.   static_assert(redwire::serializable<std::vector<point>>);
template <class T>
concept serializable = detail::is_serializable_v<T>;

}  // namespace redwire
