// tools/redwire/json_codec.cpp — JSON to redwire's codec and back, by type description.
#include "json_codec.hpp"

#include <redwire/codec/wire.hpp>
#include <redwire/detail/bytes.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>

namespace redwire::tool {
namespace {

using redwire::detail::input;

[[noreturn]] void mismatch(const std::string& path, const std::string& what) {
  throw json_mismatch(path, what);
}

std::string kind_of(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

[[noreturn]] void expected(const std::string& path, const std::string& what, const json& got) {
  mismatch(path, "expected " + what + ", not " + kind_of(got));
}

void append_le(std::string& out, std::uint64_t bits, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

/// The smallest and largest value of an integer type of `bits` bits.
std::int64_t min_of(const type_node& t) {
  return t.is_signed ? (t.bits == 64 ? INT64_MIN : -(std::int64_t{1} << (t.bits - 1))) : 0;
}
std::uint64_t max_of(const type_node& t) {
  if (t.bits == 64) return t.is_signed ? std::uint64_t{INT64_MAX} : UINT64_MAX;
  return t.is_signed ? (std::uint64_t{1} << (t.bits - 1)) - 1 : (std::uint64_t{1} << t.bits) - 1;
}

void encode_integer(const type_node& t, const json& v, std::string& out, const std::string& path) {
  if (!v.is_number_integer()) {
    if (v.is_number_float() && std::trunc(v.get<double>()) == v.get<double>())
      mismatch(path, "expected an integer, not " + to_text(v) + " (" + t.text + ")");
    expected(path, "an integer (" + t.text + ")", v);
  }
  const bool negative = !v.is_number_unsigned() && v.get<std::int64_t>() < 0;
  const bool fits =
      negative ? v.get<std::int64_t>() >= min_of(t) : v.get<std::uint64_t>() <= max_of(t);
  if (!fits)
    mismatch(path, to_text(v) + " is out of range for " + t.text + " (" +
                       std::to_string(min_of(t)) + " to " + std::to_string(max_of(t)) + ")");
  const std::uint64_t bits =
      negative ? static_cast<std::uint64_t>(v.get<std::int64_t>()) : v.get<std::uint64_t>();
  append_le(out, bits, t.bits / 8);
}

void encode_float(const type_node& t, const json& v, std::string& out, const std::string& path) {
  if (!v.is_number()) expected(path, "a number (" + t.text + ")", v);
  const double d = v.get<double>();
  if (t.bits == 32) {
    if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max())
      mismatch(path, to_text(v) + " is out of range for f32");
    redwire::detail::append_little_endian(out, static_cast<float>(d));
  } else {
    redwire::detail::append_little_endian(out, d);
  }
}

void encode_at(const type_node& t, const json& v, std::string& out, const std::string& path);

void encode_string(const type_node& t, const json& v, std::string& out, const std::string& path) {
  if (t.kind == node_kind::bytes) {
    if (!v.is_string()) expected(path, "a string of hex digits (bytes)", v);
    const auto& hex = v.get_ref<const std::string&>();
    if (hex.size() % 2 != 0) mismatch(path, "expected an even number of hex digits (bytes)");
    std::string raw;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      unsigned byte = 0;
      for (char c : hex.substr(i, 2)) {
        const auto digit =
            std::string_view("0123456789abcdef").find(static_cast<char>(std::tolower(c)));
        if (digit == std::string_view::npos)
          mismatch(path, "'" + std::string(1, c) + "' is not a hex digit (bytes)");
        byte = byte * 16 + static_cast<unsigned>(digit);
      }
      raw.push_back(static_cast<char>(byte));
    }
    redwire::detail::append_varint(out, raw.size());
    out.append(raw);
    return;
  }
  if (!v.is_string()) expected(path, "a string", v);
  const auto& s = v.get_ref<const std::string&>();
  redwire::detail::append_varint(out, s.size());
  out.append(s);
}

void encode_elements(const type_node& t, const json& v, std::string& out, const std::string& path) {
  if (!v.is_array()) expected(path, "an array (" + t.text + ")", v);
  if (t.kind == node_kind::array && v.size() != t.length)
    mismatch(path, "expected " + std::to_string(t.length) + " elements (" + t.text + "), not " +
                       std::to_string(v.size()));
  if (t.kind == node_kind::sequence) redwire::detail::append_varint(out, v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    encode_at(t.children[0], v[i], out, path + "[" + std::to_string(i) + "]");
}

void encode_map(const type_node& t, const json& v, std::string& out, const std::string& path) {
  if (v.is_object() && t.children[0].kind == node_kind::string) {
    redwire::detail::append_varint(out, v.size());
    for (const auto& [k, value] : v.items()) {
      encode_at(t.children[0], k, out, path);
      encode_at(t.children[1], value, out, path + "[\"" + k + "\"]");
    }
    return;
  }
  if (!v.is_array()) expected(path, "an array of [key, value] pairs (" + t.text + ")", v);
  redwire::detail::append_varint(out, v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    if (!v[i].is_array() || v[i].size() != 2) expected(at, "a [key, value] pair", v[i]);
    encode_at(t.children[0], v[i][0], out, at + "[0]");
    encode_at(t.children[1], v[i][1], out, at + "[1]");
  }
}

void encode_variant(const type_node& t, const json& v, std::string& out, const std::string& path) {
  if (v.is_object() && v.size() == 2 && v.contains("index") && v.contains("value")) {
    if (!v["index"].is_number_unsigned() || v["index"].get<std::uint64_t>() >= t.children.size())
      mismatch(path + ".index",
               "expected an alternative's index, 0 to " + std::to_string(t.children.size() - 1));
    const auto index = v["index"].get<std::size_t>();
    redwire::detail::append_varint(out, index);
    encode_at(t.children[index], v["value"], out, path + ".value");
    return;
  }
  for (std::size_t i = 0; i < t.children.size(); ++i) {
    std::string attempt;
    try {
      encode_at(t.children[i], v, attempt, path);
    } catch (const json_mismatch&) {
      continue;
    }
    redwire::detail::append_varint(out, i);
    out.append(attempt);
    return;
  }
  mismatch(path, to_text(v) + " matches no alternative of " + t.text +
                     " (or give {\"index\": i, \"value\": v})");
}

void encode_enum(const type_node& t, const json& v, std::string& out, const std::string& path) {
  if (v.is_string()) {
    for (std::size_t i = 0; i < t.names.size(); ++i)
      if (t.names[i] == v.get_ref<const std::string&>())
        return encode_integer(t.children[0], t.values[i], out, path);
    std::string known;
    for (const auto& n : t.names) known += (known.empty() ? "" : ", ") + n;
    mismatch(path, to_text(v) + " is not an enumerator of " + t.text +
                       (known.empty() ? " (it has no names: give a number)" : " (" + known + ")"));
  }
  encode_integer(t.children[0], v, out, path);
}

void encode_aggregate(const type_node& t, const json& v, std::string& out,
                      const std::string& path) {
  const std::string what = t.name.empty() ? "a struct " + t.text : t.name;
  if (v.is_object() && !t.names.empty()) {
    for (const auto& [k, value] : v.items())
      if (std::find(t.names.begin(), t.names.end(), k) == t.names.end())
        mismatch(path, "no field '" + k + "' in " + what);
    for (std::size_t i = 0; i < t.children.size(); ++i) {
      if (!v.contains(t.names[i])) mismatch(path, "missing field '" + t.names[i] + "' of " + what);
      encode_at(t.children[i], v[t.names[i]], out, path + "." + t.names[i]);
    }
    return;
  }
  if (!v.is_array())
    expected(path,
             t.names.empty() ? "an array of the fields of " + what : "an object (" + what + ")", v);
  if (v.size() != t.children.size())
    mismatch(path, "expected " + std::to_string(t.children.size()) + " fields (" + what +
                       "), not " + std::to_string(v.size()));
  for (std::size_t i = 0; i < v.size(); ++i)
    encode_at(t.children[i], v[i], out,
              path + (t.names.empty() ? "[" + std::to_string(i) + "]" : "." + t.names[i]));
}

type_node unsigned_byte(const char* text) {
  type_node n;
  n.kind = node_kind::integer;
  n.text = text;
  n.bits = 8;
  return n;
}

void encode_at(const type_node& t, const json& v, std::string& out, const std::string& path) {
  switch (t.kind) {
    case node_kind::boolean:
      if (!v.is_boolean()) expected(path, "true or false", v);
      out.push_back(v.get<bool>() ? 1 : 0);
      return;
    case node_kind::character:
      if (v.is_string() && v.get_ref<const std::string&>().size() == 1) {
        out.append(v.get_ref<const std::string&>());
        return;
      }
      return encode_integer(unsigned_byte("char"), v, out, path);
    case node_kind::byte:
      return encode_integer(unsigned_byte("byte"), v, out, path);
    case node_kind::integer:
      return encode_integer(t, v, out, path);
    case node_kind::floating:
      return encode_float(t, v, out, path);
    case node_kind::none:
      if (!v.is_null()) expected(path, "null (none)", v);
      return;
    case node_kind::nothing:
      mismatch(path, "void takes no value");
    case node_kind::string:
    case node_kind::bytes:
      return encode_string(t, v, out, path);
    case node_kind::sequence:
    case node_kind::array:
      return encode_elements(t, v, out, path);
    case node_kind::map:
      return encode_map(t, v, out, path);
    case node_kind::optional:
      out.push_back(v.is_null() ? 0 : 1);
      if (!v.is_null()) encode_at(t.children[0], v, out, path);
      return;
    case node_kind::variant:
      return encode_variant(t, v, out, path);
    case node_kind::tuple:
      if (!v.is_array() || v.size() != t.children.size())
        expected(path, "an array of " + std::to_string(t.children.size()) + " (" + t.text + ")", v);
      for (std::size_t i = 0; i < v.size(); ++i)
        encode_at(t.children[i], v[i], out, path + "[" + std::to_string(i) + "]");
      return;
    case node_kind::duration:
    case node_kind::time:
      return encode_at(t.children[0], v, out, path);
    case node_kind::enumeration:
      return encode_enum(t, v, out, path);
    case node_kind::aggregate:
      return encode_aggregate(t, v, out, path);
    case node_kind::opaque:
      mismatch(path, "type " + t.text +
                         " is a class with its own cereal serialize(): it does not describe "
                         "itself, so it cannot be written as JSON");
  }
}

std::size_t min_size(const type_node& t) {
  switch (t.kind) {
    case node_kind::integer:
    case node_kind::floating:
      return t.bits / 8;
    case node_kind::none:
    case node_kind::nothing:
    case node_kind::opaque:
      return 0;
    case node_kind::array:
      return t.length * min_size(t.children[0]);
    case node_kind::tuple:
    case node_kind::aggregate: {
      std::size_t sum = 0;
      for (const auto& c : t.children) sum += min_size(c);
      return sum;
    }
    case node_kind::duration:
    case node_kind::time:
    case node_kind::enumeration:
      return min_size(t.children[0]);
    default:
      return 1;
  }
}

json decode_at(const type_node& t, input& in);

json decode_integer(const type_node& t, input& in) {
  switch (t.bits) {
    case 8:
      return t.is_signed ? json(in.read_number<std::int8_t>())
                         : json(in.read_number<std::uint8_t>());
    case 16:
      return t.is_signed ? json(in.read_number<std::int16_t>())
                         : json(in.read_number<std::uint16_t>());
    case 32:
      return t.is_signed ? json(in.read_number<std::int32_t>())
                         : json(in.read_number<std::uint32_t>());
    default:
      return t.is_signed ? json(in.read_number<std::int64_t>())
                         : json(in.read_number<std::uint64_t>());
  }
}

json decode_elements(const type_node& t, input& in) {
  json out = json::array();
  const std::size_t count =
      t.kind == node_kind::array ? t.length : in.read_count(min_size(t.children[0]));
  for (std::size_t i = 0; i < count; ++i) out.push_back(decode_at(t.children[0], in));
  return out;
}

json decode_map(const type_node& t, input& in) {
  const std::size_t count = in.read_count(min_size(t.children[0]) + min_size(t.children[1]));
  json pairs = json::array();
  bool by_name = t.children[0].kind == node_kind::string;
  json object = json::object();
  for (std::size_t i = 0; i < count; ++i) {
    json k = decode_at(t.children[0], in);
    json v = decode_at(t.children[1], in);
    if (by_name) object[k.get<std::string>()] = v;
    pairs.push_back(json::array({std::move(k), std::move(v)}));
  }
  return by_name && object.size() == count ? object : pairs;
}

json decode_enum(const type_node& t, input& in) {
  json value = decode_integer(t.children[0], in);
  const std::int64_t n = value.is_number_unsigned() && value.get<std::uint64_t>() > INT64_MAX
                             ? -1
                             : value.get<std::int64_t>();
  for (std::size_t i = 0; i < t.names.size(); ++i)
    if (t.values[i] == n) return t.names[i];
  return value;
}

json decode_at(const type_node& t, input& in) {
  switch (t.kind) {
    case node_kind::boolean:
      return in.read_number<bool>();
    case node_kind::character: {
      const auto c = in.read_number<std::uint8_t>();
      return c < 0x80 ? json(std::string(1, static_cast<char>(c))) : json(c);
    }
    case node_kind::byte:
      return in.read_number<std::uint8_t>();
    case node_kind::integer:
      return decode_integer(t, in);
    case node_kind::floating:
      return t.bits == 32 ? json(in.read_number<float>()) : json(in.read_number<double>());
    case node_kind::none:
    case node_kind::nothing:
      return nullptr;
    case node_kind::string: {
      const std::size_t size = in.read_count(1);
      return std::string(in.take(size), size);
    }
    case node_kind::bytes: {
      const std::size_t size = in.read_count(1);
      const char* raw = in.take(size);
      std::string hex;
      for (std::size_t i = 0; i < size; ++i) {
        const auto b = static_cast<unsigned char>(raw[i]);
        hex += "0123456789abcdef"[b >> 4];
        hex += "0123456789abcdef"[b & 15];
      }
      return hex;
    }
    case node_kind::sequence:
    case node_kind::array:
      return decode_elements(t, in);
    case node_kind::map:
      return decode_map(t, in);
    case node_kind::optional: {
      const auto flag = in.read_number<std::uint8_t>();
      if (flag > 1) redwire::detail::throw_bad_message("optional flag is neither 0 nor 1");
      return flag == 0 ? json(nullptr) : decode_at(t.children[0], in);
    }
    case node_kind::variant: {
      const std::uint64_t index = in.read_varint();
      if (index >= t.children.size())
        redwire::detail::throw_bad_message("variant index out of range");
      return json{{"index", index}, {"value", decode_at(t.children[index], in)}};
    }
    case node_kind::tuple: {
      json out = json::array();
      for (const auto& c : t.children) out.push_back(decode_at(c, in));
      return out;
    }
    case node_kind::duration:
    case node_kind::time:
      return decode_at(t.children[0], in);
    case node_kind::enumeration:
      return decode_enum(t, in);
    case node_kind::aggregate: {
      json out = t.names.empty() ? json::array() : json::object();
      for (std::size_t i = 0; i < t.children.size(); ++i) {
        if (t.names.empty())
          out.push_back(decode_at(t.children[i], in));
        else
          out[t.names[i]] = decode_at(t.children[i], in);
      }
      return out;
    }
    case node_kind::opaque:
      mismatch("", "type " + t.text +
                       " is a class with its own cereal serialize(): it does not describe itself, "
                       "so it cannot be shown as JSON");
  }
  return nullptr;
}

}  // namespace

std::string to_text(const json& value, int indent) {
  return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

void encode_json(const type_node& type, const json& value, std::string& out) {
  encode_at(type, value, out, "");
}

}  // namespace redwire::tool

namespace redwire::tool {

json decode_json(const type_node& type, std::string_view& bytes) {
  input in{bytes};
  json value = decode_at(type, in);
  bytes.remove_prefix(bytes.size() - in.remaining());
  return value;
}

}  // namespace redwire::tool
