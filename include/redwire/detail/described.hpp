// redwire/detail/described.hpp — what Boost.Describe tells of an aggregate: its name and the
// names of its fields, in the order the fields are declared (the order they travel in).
//
//   struct point { double x; double y; };
//   BOOST_DESCRIBE_STRUCT(point, (), (x, y))
//
// The codec still sees `point` through Boost.PFR, field by field by position; the names only
// go into its description ("point{x: f64, y: f64}"), so into the fingerprints of the procedures
// and events that use it. Names are matched to fields by address, not by their place in the
// BOOST_DESCRIBE_STRUCT list: the list may name the fields in any order, but must name all of
// them (a field left out is a compile error, `described_struct_leaves_out_a_field`).
#pragma once

#include <boost/describe/members.hpp>
#include <boost/describe/modifiers.hpp>
#include <boost/pfr/core.hpp>
#include <boost/pfr/tuple_size.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>
#include <utility>

#include "../codec/traits.hpp"
#include "../fixed_string.hpp"

namespace redwire::detail {

/// An aggregate that the codec reflects (not a cereal class) and that BOOST_DESCRIBE_STRUCT
/// describes.
template <class T>
concept described_aggregate = boost::describe::has_describe_members<T>::value &&
    (kind_of<T>() == codec_kind::aggregate);

/// Which field a diagnostic is about: its position counting from 1, and its name when the
/// struct is described — field<2> or field<2, "worker">.
template <std::size_t Position, fixed_string... Name>
struct field {};

template <class Struct, class Field>
struct described_struct_leaves_out_a_field {
  static_assert(always_false<Struct>,
                "====> redwire: the BOOST_DESCRIBE_STRUCT of this struct does not name the field "
                "at this position (counting from 1). Name every field: the names go into the "
                "fingerprint (their order in the list does not matter).");
};

// A T that is never defined: only the addresses of its fields are taken, in constant
// expressions. (A static member rather than a variable template, so that clang accepts it for
// types without linkage, such as those in an anonymous namespace.)
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wundefined-var-template"
#pragma clang diagnostic ignored "-Wundefined-internal"
#endif
template <class T>
struct address_probe {
  const T value;
  static const address_probe never_defined;
};

/// The position (from 0) of the field that descriptor D points to, by address; the number of
/// fields if D points to none of them.
template <class T, class D>
constexpr std::size_t position_of_described() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    const T& probe = address_probe<T>::never_defined.value;
    const void* const target = &(probe.*D::pointer);
    std::size_t found = sizeof...(I);
    ((target == static_cast<const void*>(&boost::pfr::get<I>(probe)) ? found = I : 0), ...);
    return found;
  }
  (std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
}
#if defined(__clang__)
#pragma clang diagnostic pop
#endif

/// The described names of T's fields in declaration order; nullptr where the list names none.
template <class T>
constexpr auto described_names() {
  constexpr std::size_t n = boost::pfr::tuple_size_v<T>;
  using members = boost::describe::describe_members<T, boost::describe::mod_public>;
  return []<template <class...> class List, class... D>(List<D...>) {
    std::array<const char*, n + 1> names{};  // the last one takes what is not a field
    ((names[position_of_described<T, D>()] = D::name), ...);
    return names;
  }(members{});
}

template <class T, std::size_t I>
constexpr auto field_name() {
  constexpr const char* name = described_names<T>()[I];
  if constexpr (name == nullptr) {
    (void)described_struct_leaves_out_a_field<T, field<I + 1>>{};
    return fixed_string{"?"};
  } else {
    constexpr std::size_t size = std::string_view(name).size();
    fixed_string<size> text;
    std::copy_n(name, size, text.chars);
    return text;
  }
}

/// The unqualified name of the class in a __PRETTY_FUNCTION__ text "...[with T = ns::point]"
/// (g++) or "...[T = ns::point]" (clang): "point". Template arguments are left out (the fields
/// spell out what they change), and so is whatever encloses the class, which the compilers
/// spell differently ("{anonymous}::" and "(anonymous namespace)::").
constexpr std::string_view unqualified_class_name(std::string_view text) {
  const std::size_t start = text.find("T = ") + 4;
  std::size_t name_start = start, name_end = text.size();
  int depth = 0;
  for (std::size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    if (depth == 0 && (c == ']' || c == ';')) {
      name_end = std::min(name_end, i);
      break;
    }
    if (c == '<' || c == '(' || c == '{' || c == '[') {
      if (depth++ == 0 && c == '<') name_end = std::min(name_end, i);
    } else if (c == '>' || c == ')' || c == '}' || c == ']') {
      --depth;
    } else if (depth == 0 && c == ':' && i + 1 < text.size() && text[i + 1] == ':') {
      name_start = i + 2;
      name_end = text.size();
    }
  }
  return text.substr(name_start, name_end - name_start);
}

template <class T>
constexpr std::string_view pretty_name_of() {
  return __PRETTY_FUNCTION__;
}

template <class T>
constexpr std::string_view name_of_described() {
  if constexpr (requires { std::string_view(T::redwire_name); })
    return T::redwire_name;
  else
    return unqualified_class_name(pretty_name_of<T>());
}

/// What a described struct is called in descriptions: its `redwire_name` if it has one, else
/// its unqualified C++ name.
template <class T>
constexpr auto described_name() {
  constexpr std::size_t size = name_of_described<T>().size();
  fixed_string<size> text;
  std::copy_n(name_of_described<T>().data(), size, text.chars);
  return text;
}

}  // namespace redwire::detail
