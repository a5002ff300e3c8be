// redwire/type_description.hpp — a structural, compiler-independent description of a type.
//
// Signatures (`calc.add(i32, i32) -> i32`) and their fingerprints are built from these strings,
// so a caller built with clang and a service built with g++ agree, and a change to the shape of a
// type (a field added to a struct) changes the fingerprint.
//
// Vocabulary (types in a list are separated by ", "):
//   bool  char  i8 i16 i32 i64  u8 u16 u32 u64  f32 f64  byte (std::byte)  void
//   str                 std::string, std::string_view, const char*
//   bytes               std::vector<std::byte>
//   vec<T>              std::vector, std::deque, std::list (one wire format)
//   arr<T, N>           std::array
//   set<T>  map<K, V>   std::set / std::unordered_set, std::map / std::unordered_map
//   opt<T>  var<A|B>    std::optional, std::variant
//   pair<A, B>  tup<A, B, ...>  none (std::monostate)
//   dur<R, N/D>         std::chrono::duration<R, std::ratio<N, D>>: dur<i64, 1/1000> for
//   milliseconds time<dur<...>>      std::chrono::time_point, by its duration (not its clock)
//   enum<U>             an enum with a fixed underlying type U (enum class, or enum e : U)
//   enum<U>{a=0, b=1}   one described with BOOST_DESCRIBE_ENUM: its enumerators too
//   {A, B}              an aggregate, by its fields (Boost.PFR), nested ones spelled out
//   name{a: A, b: B}    an aggregate described with BOOST_DESCRIBE_STRUCT: its name (its
//                       `redwire_name` if it has one, else its unqualified C++ name) and its
//                       fields' names, in declaration order (detail/described.hpp)
//   obj<name> / obj     a class with its own cereal serialization. Such a class should declare
//                       `static constexpr std::string_view redwire_name = "shop.order/2";` and
//                       change the name whenever its serialized form changes: redwire cannot see
//                       inside a serialize() function, so that name is all a fingerprint has.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ratio>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/describe/enumerators.hpp>

#include "codec/traits.hpp"
#include "detail/described.hpp"
#include "fixed_string.hpp"

namespace redwire::detail {

template <class T>
constexpr auto describe();

/// "A, B, C" (or "A|B|C" with Separator "|").
template <fixed_string Separator, class First, class... Rest>
constexpr auto describe_list() {
  return (describe<First>() + ... + (Separator + describe<Rest>()));
}

template <class T>
constexpr auto describe_number() {
  if constexpr (std::is_same_v<T, bool>) {
    return fixed_string{"bool"};
  } else if constexpr (std::is_same_v<T, char>) {
    return fixed_string{"char"};  // signed on x86, unsigned on ARM: the byte is what travels
  } else if constexpr (std::is_floating_point_v<T>) {
    return "f" + to_fixed_string<sizeof(T) * 8>();
  } else if constexpr (std::is_signed_v<T>) {
    return "i" + to_fixed_string<sizeof(T) * 8>();
  } else {
    return "u" + to_fixed_string<sizeof(T) * 8>();
  }
}

template <class Duration>
constexpr auto describe_duration() {
  using period = typename Duration::period;  // std::chrono requires it positive
  return "dur<" + describe<typename Duration::rep>() + ", " +
         to_fixed_string<static_cast<std::uint64_t>(period::num)>() + "/" +
         to_fixed_string<static_cast<std::uint64_t>(period::den)>() + ">";
}

template <class T>
constexpr auto class_name() {
  if constexpr (requires { T::redwire_name; }) {
    constexpr std::string_view name = T::redwire_name;
    fixed_string<name.size()> text;
    std::copy_n(name.data(), name.size(), text.chars);
    return "obj<" + text + ">";
  } else {
    return fixed_string{"obj"};
  }
}

template <auto V>
constexpr auto signed_fixed_string() {
  if constexpr (V < 0)
    return "-" + to_fixed_string<static_cast<std::uint64_t>(-(V + 1)) + 1>();
  else
    return to_fixed_string<static_cast<std::uint64_t>(V)>();
}

template <class D>
constexpr auto enumerator_text() {
  constexpr std::size_t size = std::string_view(D::name).size();
  fixed_string<size> name;
  std::copy_n(D::name, size, name.chars);
  return name + "=" +
         signed_fixed_string<static_cast<std::underlying_type_t<decltype(D::value)>>(D::value)>();
}

/// "enum<u8>", or "enum<u8>{red=0, green=1}" for an enum described with BOOST_DESCRIBE_ENUM.
template <class E>
constexpr auto describe_enum() {
  if constexpr (!boost::describe::has_describe_enumerators<E>::value) {
    return "enum<" + describe_number<std::underlying_type_t<E>>() + ">";
  } else {
    return []<template <class...> class L, class... D>(L<D...>) {
      if constexpr (sizeof...(D) == 0) {
        return "enum<" + describe_number<std::underlying_type_t<E>>() + ">{}";
      } else {
        return [](auto first, auto... rest) {
          return "enum<" + describe_number<std::underlying_type_t<E>>() + ">{" +
                 (first + ... + (", " + rest)) + "}";
        }(enumerator_text<D>()...);
      }
    }(boost::describe::describe_enumerators<E>{});
  }
}

template <class T, std::size_t... I>
constexpr auto describe_fields(std::index_sequence<I...>) {
  if constexpr (sizeof...(I) == 0) {
    return fixed_string{"{}"};
  } else {
    return "{" + describe_list<", ", boost::pfr::tuple_element_t<I, T>...>() + "}";
  }
}

/// "x: f64, y: f64" for a described struct.
template <class T, std::size_t First, std::size_t... Rest>
constexpr auto describe_named_fields() {
  return ((field_name<T, First>() + ": " + describe<boost::pfr::tuple_element_t<First, T>>()) +
          ... +
          (", " + field_name<T, Rest>() + ": " + describe<boost::pfr::tuple_element_t<Rest, T>>()));
}

template <class T, std::size_t... I>
constexpr auto describe_described_fields(std::index_sequence<I...>) {
  if constexpr (sizeof...(I) == 0) {
    return described_name<T>() + "{}";
  } else {
    return described_name<T>() + "{" + describe_named_fields<T, I...>() + "}";
  }
}

template <class T>
constexpr auto describe() {
  using U = std::remove_cvref_t<T>;
  constexpr codec_kind kind = kind_of<U>();
  if constexpr (std::is_void_v<U>) {
    return fixed_string{"void"};
  } else if constexpr (std::is_same_v<U, std::byte>) {
    return fixed_string{"byte"};
  } else if constexpr (kind == codec_kind::number) {
    return describe_number<U>();
  } else if constexpr (kind == codec_kind::enumeration) {
    return describe_enum<U>();
  } else if constexpr (kind == codec_kind::string || kind == codec_kind::string_view ||
                       kind == codec_kind::c_string) {
    return fixed_string{"str"};
  } else if constexpr (kind == codec_kind::sequence) {
    if constexpr (std::is_same_v<U, std::vector<std::byte, typename U::allocator_type>>) {
      return fixed_string{"bytes"};
    } else {
      return "vec<" + describe<typename U::value_type>() + ">";
    }
  } else if constexpr (kind == codec_kind::array) {
    return "arr<" + describe<typename U::value_type>() + ", " +
           to_fixed_string<std::tuple_size_v<U>>() + ">";
  } else if constexpr (kind == codec_kind::set) {
    return "set<" + describe<typename U::key_type>() + ">";
  } else if constexpr (kind == codec_kind::map) {
    return "map<" + describe_list<", ", typename U::key_type, typename U::mapped_type>() + ">";
  } else if constexpr (kind == codec_kind::optional) {
    return "opt<" + describe<typename U::value_type>() + ">";
  } else if constexpr (kind == codec_kind::variant || kind == codec_kind::pair ||
                       kind == codec_kind::tuple) {
    return []<template <class...> class Template, class... A>(std::type_identity<Template<A...>>) {
      if constexpr (kind == codec_kind::variant) {
        return "var<" + describe_list<"|", A...>() + ">";
      } else if constexpr (kind == codec_kind::pair) {
        return "pair<" + describe_list<", ", A...>() + ">";
      } else if constexpr (sizeof...(A) == 0) {
        return fixed_string{"tup<>"};
      } else {
        return "tup<" + describe_list<", ", A...>() + ">";
      }
    }(std::type_identity<U>{});
  } else if constexpr (kind == codec_kind::monostate) {
    return fixed_string{"none"};
  } else if constexpr (kind == codec_kind::duration) {
    return describe_duration<U>();
  } else if constexpr (kind == codec_kind::time_point) {
    return "time<" + describe_duration<typename U::duration>() + ">";
  } else if constexpr (kind == codec_kind::cereal_class) {
    return class_name<U>();
  } else if constexpr (described_aggregate<U>) {
    return describe_described_fields<U>(std::make_index_sequence<boost::pfr::tuple_size_v<U>>{});
  } else if constexpr (kind == codec_kind::aggregate) {
    return describe_fields<U>(std::make_index_sequence<boost::pfr::tuple_size_v<U>>{});
  } else {
    static_assert(kind != codec_kind::unsupported,
                  "====> redwire: no type description for a type the codec does not support "
                  "(check redwire::serializable<T> first).");
    return fixed_string{"?"};
  }
}

/// The structural description of T, e.g. type_description_v<std::map<std::string, point>> ==
/// "map<str, {f64, f64}>". cv and references are ignored.
template <class T>
inline constexpr auto type_description_v = describe<std::remove_cvref_t<T>>();

}  // namespace redwire::detail
