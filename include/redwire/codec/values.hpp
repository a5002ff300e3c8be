// redwire/codec/values.hpp — encoding and decoding one value of any serializable type.
//
// One function each way, dispatching on codec_kind (codec/traits.hpp). Decoding trusts nothing:
// every count is checked against the bytes that remain before anything is sized by it, and
// containers grow as their elements are actually decoded.
#pragma once

#include <boost/pfr/core.hpp>

#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "cereal_archive.hpp"
#include "traits.hpp"
#include "wire.hpp"

namespace redwire::detail {

template <class T>
void encode_value(output& out, const T& value);
template <class T>
void decode_value(input& in, T& value);

/// A cheap guess at the encoded size of `value` (exact for numbers, strings and bulk vectors;
/// elements of other containers counted at their minimum), used to reserve the buffer once.
template <class T>
std::size_t encoded_size_hint(const T& value) noexcept {
  using U = std::remove_cvref_t<T>;
  constexpr codec_kind kind = kind_of<U>();
  if constexpr (kind == codec_kind::string || kind == codec_kind::string_view) {
    return varint_size(value.size()) + value.size();
  } else if constexpr (kind == codec_kind::c_string) {
    return value == nullptr ? 1 : 1 + std::char_traits<char>::length(value);
  } else if constexpr (kind == codec_kind::sequence || kind == codec_kind::set ||
                       kind == codec_kind::map) {
    using element = typename U::value_type;
    std::size_t each = 1;
    if constexpr (kind == codec_kind::map) {
      each = min_encoded_size<typename U::key_type>() + min_encoded_size<typename U::mapped_type>();
    } else {
      each = min_encoded_size<element>();
    }
    return varint_size(value.size()) + value.size() * each;
  } else if constexpr (kind == codec_kind::optional) {
    return value ? 1 + encoded_size_hint(*value) : 1;
  } else if constexpr (kind == codec_kind::pair || kind == codec_kind::tuple) {
    return std::apply(
        [](const auto&... field) { return (std::size_t{0} + ... + encoded_size_hint(field)); },
        value);
  } else if constexpr (kind == codec_kind::aggregate) {
    std::size_t total = 0;
    boost::pfr::for_each_field(value,
                               [&](const auto& field) { total += encoded_size_hint(field); });
    return total;
  } else {
    return min_encoded_size<U>();
  }
}

template <class Sequence>
void encode_elements(output& out, const Sequence& elements) {
  using element = typename Sequence::value_type;
  if constexpr (is_bulk_element_v<element> &&
                (is_specialization_v<Sequence, std::vector> || is_std_array_v<Sequence>)) {
    out.write_bytes(elements.data(), elements.size() * sizeof(element));
  } else {
    for (const auto& e : elements) encode_value(out, static_cast<const element&>(e));
  }
}

/// Encodes `value` at the end of `out`.   encode_value(out, std::vector<int>{1, 2});
template <class T>
void encode_value(output& out, const T& value) {
  using U = std::remove_cvref_t<T>;
  constexpr codec_kind kind = kind_of<U>();
  static_assert(
      serializable<U>,
      "====> redwire: this type cannot be encoded. Use numbers, enums with a fixed underlying "
      "type, strings, standard containers, optional, variant, tuple, chrono, aggregates "
      "of those, or give the class a cereal serialize() function.");
  if constexpr (kind == codec_kind::number) {
    out.write_number(value);
  } else if constexpr (kind == codec_kind::enumeration) {
    out.write_number(static_cast<std::underlying_type_t<U>>(value));
  } else if constexpr (kind == codec_kind::string || kind == codec_kind::string_view) {
    out.write_varint(value.size());
    out.write_bytes(value.data(), value.size());
  } else if constexpr (kind == codec_kind::c_string) {
    const std::string_view text = value == nullptr ? std::string_view{} : std::string_view{value};
    out.write_varint(text.size());
    out.write_bytes(text.data(), text.size());
  } else if constexpr (kind == codec_kind::sequence || kind == codec_kind::set) {
    out.write_varint(value.size());
    encode_elements(out, value);
  } else if constexpr (kind == codec_kind::array) {
    encode_elements(out, value);
  } else if constexpr (kind == codec_kind::map) {
    out.write_varint(value.size());
    for (const auto& [key, mapped] : value) {
      encode_value(out, key);
      encode_value(out, mapped);
    }
  } else if constexpr (kind == codec_kind::optional) {
    out.write_number(value.has_value());
    if (value) encode_value(out, *value);
  } else if constexpr (kind == codec_kind::variant) {
    if (value.valueless_by_exception()) throw_bad_message("cannot encode a valueless variant");
    out.write_varint(value.index());
    std::visit([&](const auto& alternative) { encode_value(out, alternative); }, value);
  } else if constexpr (kind == codec_kind::pair || kind == codec_kind::tuple) {
    std::apply([&](const auto&... field) { (encode_value(out, field), ...); }, value);
  } else if constexpr (kind == codec_kind::monostate) {
    // nothing on the wire
  } else if constexpr (kind == codec_kind::duration) {
    out.write_number(value.count());
  } else if constexpr (kind == codec_kind::time_point) {
    out.write_number(value.time_since_epoch().count());
  } else if constexpr (kind == codec_kind::cereal_class) {
    cereal_output_archive archive{out};
    archive(value);
  } else if constexpr (kind == codec_kind::aggregate) {
    boost::pfr::for_each_field(value, [&](const auto& field) { encode_value(out, field); });
  }
}

template <class Sequence>
void decode_elements(input& in, Sequence& elements, std::size_t count) {
  using element = typename Sequence::value_type;
  if constexpr (is_specialization_v<Sequence, std::vector> && std::is_same_v<element, bool>) {
    elements.reserve(count);
    for (std::size_t i = 0; i < count; ++i) elements.push_back(in.read_number<bool>());
  } else {
    if constexpr (is_specialization_v<Sequence, std::vector>) elements.reserve(count);
    for (std::size_t i = 0; i < count; ++i) decode_value(in, elements.emplace_back());
  }
}

template <class Variant, std::size_t I>
void decode_alternative(input& in, Variant& value) {
  decode_value(in, value.template emplace<I>());
}

/// The containers' part of decode_value: sequences, arrays, sets and maps. Counts are checked
/// against the bytes left before anything is allocated (input::read_count).
template <codec_kind kind, class U>
void decode_container(input& in, U& value) {
  if constexpr (kind == codec_kind::sequence) {
    using element = typename U::value_type;
    const std::size_t count = in.read_count(min_encoded_size<element>());
    value.clear();
    if constexpr (is_bulk_element_v<element> && is_specialization_v<U, std::vector>) {
      value.resize(count);  // read_count checked count * sizeof(element) <= remaining
      in.read_bytes(value.data(), count * sizeof(element));
    } else {
      decode_elements(in, value, count);
    }
  } else if constexpr (kind == codec_kind::array) {
    using element = typename U::value_type;
    if constexpr (is_bulk_element_v<element>) {
      in.read_bytes(value.data(), value.size() * sizeof(element));
    } else {
      for (auto& e : value) decode_value(in, e);
    }
  } else if constexpr (kind == codec_kind::set) {
    using element = typename U::value_type;
    const std::size_t count = in.read_count(min_encoded_size<element>());
    value.clear();
    if constexpr (requires { value.reserve(count); }) value.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      element e{};
      decode_value(in, e);
      value.insert(value.end(), std::move(e));
    }
  } else if constexpr (kind == codec_kind::map) {
    using key = typename U::key_type;
    using mapped = typename U::mapped_type;
    const std::size_t count = in.read_count(min_encoded_size<key>() + min_encoded_size<mapped>());
    value.clear();
    if constexpr (requires { value.reserve(count); }) value.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      key k{};
      decode_value(in, k);
      mapped m{};
      decode_value(in, m);
      value.insert_or_assign(value.end(), std::move(k), std::move(m));
    }
  }
}

/// Decodes into `value`, replacing what it held. Throws std::system_error with errc::bad_message
/// (or errc::too_large) on bytes that do not decode as a T.
template <class T>
void decode_value(input& in, T& value) {
  using U = std::remove_cvref_t<T>;
  constexpr codec_kind kind = kind_of<U>();
  static_assert(!std::is_const_v<T>, "====> redwire: cannot decode into a const value.");
  static_assert(kind != codec_kind::string_view && kind != codec_kind::c_string,
                "====> redwire: std::string_view and const char* are encoded only; decode them as "
                "std::string (see redwire::wire_type_t).");
  static_assert(
      serializable<U>,
      "====> redwire: this type cannot be decoded. Use numbers, enums with a fixed underlying "
      "type, strings, standard containers, optional, variant, tuple, chrono, aggregates "
      "of those, or give the class a cereal serialize() function.");
  if constexpr (kind == codec_kind::number) {
    value = in.read_number<U>();
  } else if constexpr (kind == codec_kind::enumeration) {
    value = static_cast<U>(in.read_number<std::underlying_type_t<U>>());
  } else if constexpr (kind == codec_kind::string) {
    const std::size_t size = in.read_count(1);
    value.assign(in.take(size), size);
  } else if constexpr (kind == codec_kind::sequence || kind == codec_kind::array ||
                       kind == codec_kind::set || kind == codec_kind::map) {
    decode_container<kind>(in, value);
  } else if constexpr (kind == codec_kind::optional) {
    const auto flag = static_cast<unsigned char>(*in.take(1));
    if (flag > 1) throw_bad_message("optional flag is neither 0 nor 1");
    if (flag == 0) {
      value.reset();
    } else {
      decode_value(in, value.emplace());
    }
  } else if constexpr (kind == codec_kind::variant) {
    const std::uint64_t index = in.read_varint();
    constexpr std::size_t alternatives = std::variant_size_v<U>;
    if (index >= alternatives) throw_bad_message("variant index out of range");
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      using decoder = void (*)(input&, U&);
      static constexpr decoder decoders[] = {&decode_alternative<U, I>...};
      decoders[index](in, value);
    }
    (std::make_index_sequence<alternatives>{});
  } else if constexpr (kind == codec_kind::pair || kind == codec_kind::tuple) {
    std::apply([&](auto&... field) { (decode_value(in, field), ...); }, value);
  } else if constexpr (kind == codec_kind::monostate) {
    // nothing on the wire
  } else if constexpr (kind == codec_kind::duration) {
    value = U{in.read_number<typename U::rep>()};
  } else if constexpr (kind == codec_kind::time_point) {
    value = U{typename U::duration{in.read_number<typename U::rep>()}};
  } else if constexpr (kind == codec_kind::cereal_class) {
    cereal_input_archive archive{in};
    archive(value);
  } else if constexpr (kind == codec_kind::aggregate) {
    boost::pfr::for_each_field(value, [&](auto& field) { decode_value(in, field); });
  }
}

}  // namespace redwire::detail
