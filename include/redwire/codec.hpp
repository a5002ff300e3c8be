// redwire/codec.hpp — the value codec: arguments and results to bytes and back.
//
// A compact binary format (see codec/wire.hpp): fixed-width little-endian numbers, varint
// lengths, no names and no type tags — both ends know the types from the procedure declaration.
// Decoding is safe against hostile bytes: errors throw std::system_error with errc::bad_message
// (or errc::too_large), never allocate by an unchecked length, and never read out of bounds.
//
// redwire::encode_values, redwire::decode_values and redwire::wire_type_t are the entry points;
// codec/ holds the machinery.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "codec/cereal_archive.hpp"
#include "codec/traits.hpp"
#include "codec/unserializable.hpp"
#include "codec/values.hpp"
#include "codec/wire.hpp"

namespace redwire::detail {

template <class T>
struct wire_type {
  using type = std::remove_cvref_t<T>;
};
template <class T>
requires(kind_of_v<T> == codec_kind::string_view ||
         kind_of_v<T> == codec_kind::c_string) struct wire_type<T> {
  using type = std::string;
};

}  // namespace redwire::detail

namespace redwire {

/// The type a value of T is decoded into, so what a handler receives for an argument of T:
/// std::string for std::string_view and const char*, else T without const and reference.
///   static_assert(std::is_same_v<redwire::wire_type_t<const char*>, std::string>);
template <class T>
using wire_type_t = typename detail::wire_type<T>::type;

/// Appends the encoding of each value, in order, to `out`: arguments or a result as they travel
/// (no names, no type tags: whoever decodes must know the types).
///   std::string bytes; redwire::encode_values(bytes, 2, std::string{"three"});
template <class... T>
void encode_values(std::string& out, const T&... values) {
  static_assert((serializable<T> && ...) || (detail::report_unserializable_part<T>() || ...),
                "====> redwire: encode_values was given a type that cannot be encoded.");
  detail::output sink{out};
  sink.reserve_more((std::size_t{0} + ... + detail::encoded_size_hint(values)));
  (detail::encode_value(sink, values), ...);
}

/// Decodes one value of each type from `bytes`, which must hold exactly those: std::system_error
/// with errc::bad_message if not, errc::too_large when a size in them exceeds `max_message_size`.
///   auto [n, s] = redwire::decode_values<int, std::string>(bytes);
template <class... T>
std::tuple<T...> decode_values(std::string_view bytes,
                               std::size_t max_message_size = detail::default_max_message_size) {
  static_assert(
      ((std::is_object_v<T> && !std::is_const_v<T>)&&...),
      "====> redwire: decode_values needs plain value types (decode into wire_type_t<T>).");
  detail::input source{bytes, max_message_size};
  std::tuple<T...> values;
  std::apply([&](auto&... value) { (detail::decode_value(source, value), ...); }, values);
  if (!source.empty()) detail::throw_bad_message("trailing bytes after the last value");
  return values;
}

}  // namespace redwire
