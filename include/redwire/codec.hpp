// redwire/codec.hpp — the value codec: arguments and results to bytes and back.
//
// A compact binary format (see codec/wire.hpp): fixed-width little-endian numbers, varint
// lengths, no names and no type tags — both ends know the types from the procedure declaration.
// Decoding is safe against hostile bytes: errors throw std::system_error with errc::bad_message
// (or errc::too_large), never allocate by an unchecked length, and never read out of bounds.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "codec/cereal_archive.hpp"
#include "codec/traits.hpp"
#include "codec/values.hpp"
#include "codec/wire.hpp"

namespace redwire::detail {

/// Appends the encoding of each value, in order, to `out`.
///   std::string frame; encode_values(frame, 2, std::string{"three"});
template <class... T>
void encode_values(std::string& out, const T&... values) {
  static_assert((serializable<T> && ...),
                "====> redwire: encode_values was given a type that cannot be encoded.");
  output sink{out};
  sink.reserve_more((std::size_t{0} + ... + encoded_size_hint(values)));
  (encode_value(sink, values), ...);
}

/// Decodes one value of each type, in order, from `bytes`, which must be consumed entirely.
///   auto [a, b] = decode_values<int, std::string>(frame);
/// Throws std::system_error: errc::bad_message for truncated, corrupt or trailing bytes;
/// errc::too_large when the message, or a length or count in it, exceeds `max_message_size`.
template <class... T>
std::tuple<T...> decode_values(std::string_view bytes,
                               std::size_t max_message_size = default_max_message_size) {
  static_assert(
      ((std::is_object_v<T> && !std::is_const_v<T>)&&...),
      "====> redwire: decode_values needs plain value types (decode into wire_type_t<T>).");
  input source{bytes, max_message_size};
  std::tuple<T...> values;
  std::apply([&](auto&... value) { (decode_value(source, value), ...); }, values);
  if (!source.empty()) throw_bad_message("trailing bytes after the last value");
  return values;
}

}  // namespace redwire::detail
