// redwire/detail/bytes.hpp — the byte and text encodings that frames, names and ids are made of,
// each written once: FNV-1a, varints, little-endian numbers, length-prefixed strings, hex, ids.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "../errors.hpp"

namespace redwire::detail {

/// Throws std::system_error(errc::bad_message, what): how every reader here refuses bytes (none
/// reads past the end of what it is given).
[[noreturn]] inline void throw_bad_message(const char* what) {
  throw std::system_error(make_error_code(errc::bad_message), what);
}

// ---------------------------------------------------------------------------------------------
// FNV-1a (64 bits): the fingerprints of procedures and events, and the keys of rendezvous hashing.
// Stable across compilers and platforms, so fingerprints computed at compile time on one machine
// match those of another.

/// The published FNV-1a 64-bit starting value: the hash of no bytes.
inline constexpr std::uint64_t fnv1a_offset_basis = 0xcbf29ce484222325ull;
/// The published FNV-1a 64-bit prime.
inline constexpr std::uint64_t fnv1a_prime = 0x100000001b3ull;

/// FNV-1a of `text`, continued from `hash`: fnv1a(b, fnv1a(a)) == fnv1a(a + b), so the hash of
/// a concatenation needs no concatenated string. Never fails.
constexpr std::uint64_t fnv1a(std::string_view text,
                              std::uint64_t hash = fnv1a_offset_basis) noexcept {
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= fnv1a_prime;
  }
  return hash;
}

// ---------------------------------------------------------------------------------------------
// Varints: unsigned LEB128, 7 bits a byte, least significant first, high bit set when more follow.
// Lengths and counts in every frame and in the codec are varints.

/// The most bytes a varint of 64 bits takes.
inline constexpr std::size_t max_varint_size = 10;

/// Bytes the varint of `value` takes (1..10).
constexpr std::size_t varint_size(std::uint64_t value) noexcept {
  std::size_t size = 1;
  for (; value >= 0x80; value >>= 7) ++size;
  return size;
}

/// Writes the varint of `value` (its shortest form) at `out`, which must have room for
/// varint_size(value) bytes; returns the end of what it wrote. Never fails.
inline char* store_varint(char* out, std::uint64_t value) noexcept {
  for (; value >= 0x80; value >>= 7) *out++ = static_cast<char>((value & 0x7f) | 0x80);
  *out++ = static_cast<char>(value);
  return out;
}

/// Appends the varint of `value` (its shortest form) to `out`. Never fails: any 64-bit value fits.
inline void append_varint(std::string& out, std::uint64_t value) {
  char bytes[max_varint_size];
  out.append(bytes, static_cast<std::size_t>(store_varint(bytes, value) - bytes));
}

/// Reads a varint from [position, end) and moves `position` past it. A longer form than needed
/// (0x80 0x00 for 0) is accepted, as every decoder always has. Throws bad_message when the bytes
/// end inside the varint, when it would take more than 10 bytes, or when its tenth byte holds
/// more than bit 63 (a value over 64 bits); `position` is then somewhere inside the varint.
inline std::uint64_t take_varint(const char*& position, const char* end) {
  if (position != end && static_cast<unsigned char>(*position) < 0x80) {
    return static_cast<unsigned char>(*position++);  // the common case: one byte
  }
  std::uint64_t value = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (position == end) throw_bad_message("bytes end inside a varint");
    const auto byte = static_cast<unsigned char>(*position++);
    if (shift == 63) {
      if (byte > 1) throw_bad_message("varint longer than 10 bytes or over 64 bits");
      return value | (std::uint64_t{byte} << 63);
    }
    value |= std::uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) return value;
  }
}

// ---------------------------------------------------------------------------------------------
// Fixed-width little-endian numbers: the header fields of frames and the numbers of the codec.
// Written through memcpy so that a little-endian host (nearly all) copies without shuffling.

/// What store_little_endian and load_little_endian move: integers, floating point and bool.
template <class T>
concept fixed_width_number = std::is_arithmetic_v<T>;

/// Writes `value` to out[0, sizeof(T)) least significant byte first. Never fails; `out` must
/// have room.
template <fixed_width_number T>
void store_little_endian(char* out, T value) noexcept {
  std::memcpy(out, &value, sizeof(T));
  if constexpr (std::endian::native == std::endian::big) std::reverse(out, out + sizeof(T));
}

/// Appends `value` to `out` as sizeof(T) little-endian bytes. Never fails.
template <fixed_width_number T>
void append_little_endian(std::string& out, T value) {
  char bytes[sizeof(T)];
  store_little_endian(bytes, value);
  out.append(bytes, sizeof(T));
}

/// The T written by store_little_endian at `in`. Never fails; `in` must hold sizeof(T) bytes
/// (callers check the length first).
template <fixed_width_number T>
T load_little_endian(const char* in) noexcept {
  char bytes[sizeof(T)];
  std::memcpy(bytes, in, sizeof(T));
  if constexpr (std::endian::native == std::endian::big) std::reverse(bytes, bytes + sizeof(T));
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

// ---------------------------------------------------------------------------------------------
// Length-prefixed strings: a varint length, then that many bytes. The string fields of frames.

/// Appends `text` to `out` as a varint length, then its bytes. Never fails.
inline void append_length_prefixed(std::string& out, std::string_view text) {
  append_varint(out, text.size());
  out.append(text);
}

/// Bytes that `text` takes length-prefixed.
constexpr std::size_t length_prefixed_size(std::string_view text) noexcept {
  return varint_size(text.size()) + text.size();
}

/// Writes `text` length-prefixed at `out`, which must have room for length_prefixed_size(text);
/// returns the end of what it wrote. Never fails.
inline char* store_length_prefixed(char* out, std::string_view text) noexcept {
  out = store_varint(out, text.size());
  if (!text.empty()) std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

/// Takes a length-prefixed string from the front of `in` and returns it (a view into `in`'s
/// bytes). Throws bad_message, leaving `in` as it was, when the length is a bad varint (see
/// take_varint) or when the string would run past the end of `in`.
inline std::string_view take_length_prefixed(std::string_view& in) {
  const char* position = in.data();
  const char* const end = in.data() + in.size();
  const std::uint64_t size = take_varint(position, end);
  const auto remaining = static_cast<std::size_t>(end - position);
  if (size > remaining) throw_bad_message("a length-prefixed field runs past the end");
  const std::string_view field(position, static_cast<std::size_t>(size));
  in = std::string_view(position + field.size(), remaining - field.size());
  return field;
}

// ---------------------------------------------------------------------------------------------
// Hex: lower-case, most significant digit first, as in trace ids, instance ids and the
// fingerprints of registry records.

/// Writes the low `digits` nibbles of `value` to out[0, digits) as lower-case hex, zero-padded.
/// Never fails; more than 16 digits pad with zeros, `out` must have room.
constexpr void write_hex(char* out, std::uint64_t value, std::size_t digits) noexcept {
  for (std::size_t i = digits; i-- > 0; value >>= 4) out[i] = "0123456789abcdef"[value & 0xf];
}

/// The low `digits` nibbles of `value` as a string of lower-case hex (see write_hex).
inline std::string to_hex(std::uint64_t value, std::size_t digits = 16) {
  std::string text(digits, '0');
  write_hex(text.data(), value, digits);
  return text;
}

/// The value 0..15 of a hex digit of either case, or -1 for any other character.
constexpr int hex_digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Ids: random numbers for unique names and trace ids, and the entry ids of streams.

/// xoshiro256** (Blackman and Vigna, 2018): 64 random bits in a few ns. Every call and every
/// handler run draws two or three (trace and span ids), where std::mt19937_64 cost 5 % of a
/// worker's time. Not for secrets.
class fast_random {
 public:
  explicit fast_random(std::uint64_t seed) noexcept {
    for (std::uint64_t& word : s_) word = split_mix(seed);  // never all zero
  }

  std::uint64_t operator()() noexcept {
    const std::uint64_t result = rotate_left(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotate_left(s_[3], 45);
    return result;
  }

 private:
  static std::uint64_t rotate_left(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }
  // SplitMix64: spreads one seed over the four words of the state.
  static std::uint64_t split_mix(std::uint64_t& x) noexcept {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::uint64_t s_[4];
};

/// A random 64-bit number, from an engine seeded once per thread from the OS. Not for secrets.
inline std::uint64_t random_u64() {
  thread_local fast_random engine{[] {
    std::random_device device;
    return (std::uint64_t(device()) << 32) ^ device() ^
           std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
  }()};
  return engine();
}

/// What a request or event carries as its trace: a W3C traceparent, "00-" 32 hex trace id "-"
/// 16 hex parent span id "-" 2 hex flags (trace.hpp). Of fixed size, so that the caller can keep
/// it on its stack, without an allocation per call.
inline constexpr std::size_t trace_id_size = 55;
using trace_id_buffer = std::array<char, trace_id_size>;

/// Writes the traceparent of a fresh trace (new trace id, new span id, sampled) into `buffer`
/// and returns it (a view of `buffer`).
inline std::string_view new_trace_id(trace_id_buffer& buffer) {
  const auto nonzero = [] {
    std::uint64_t r = 0;
    while (r == 0) r = random_u64();
    return r;
  };
  char* out = buffer.data();
  out[0] = '0', out[1] = '0', out[2] = '-';
  write_hex(out + 3, nonzero(), 16);
  write_hex(out + 19, random_u64(), 16);
  out[35] = '-';
  write_hex(out + 36, nonzero(), 16);
  out[52] = '-', out[53] = '0', out[54] = '1';
  return {buffer.data(), buffer.size()};
}

/// The id of a stream entry, "<milliseconds>-<sequence>" as Redis writes it, as the two numbers
/// entries are ordered by.
struct stream_id {
  std::uint64_t milliseconds = 0;
  std::uint64_t sequence = 0;

  friend constexpr auto operator<=>(const stream_id&, const stream_id&) = default;
};

/// Parses "<milliseconds>-<sequence>". Never fails, because the ids it gets come from a stream or
/// are "0-0": a character that is not a digit is skipped, a missing part counts as 0, and a part
/// over 64 bits wraps around.
constexpr stream_id parse_stream_id(std::string_view text) noexcept {
  stream_id id;
  std::size_t i = 0;
  for (; i < text.size() && text[i] != '-'; ++i)
    if (text[i] >= '0' && text[i] <= '9')
      id.milliseconds = id.milliseconds * 10 + static_cast<std::uint64_t>(text[i] - '0');
  for (++i; i < text.size(); ++i)
    if (text[i] >= '0' && text[i] <= '9')
      id.sequence = id.sequence * 10 + static_cast<std::uint64_t>(text[i] - '0');
  return id;
}

/// The text of `id`, as Redis writes it: "1700000000000-3".
inline std::string stream_id_text(stream_id id) {
  return std::to_string(id.milliseconds) + "-" + std::to_string(id.sequence);
}

/// The four bytes every redwire frame opens with: a two-letter magic, a version, a kind in
/// [1, kinds]. Returns the kind. Throws bad_message, naming `what` ("redwire envelope"), when
/// `bytes` is shorter than `fixed_size` or any of the four is not what it must be.
inline std::uint8_t check_frame_header(std::string_view bytes, std::size_t fixed_size,
                                       const char (&magic)[2], std::uint8_t version,
                                       std::uint8_t kinds, std::string_view what) {
  auto fail = [&](const char* why) { throw_bad_message((std::string(what) + ": " + why).c_str()); };
  if (bytes.size() < fixed_size) fail("too short");
  if (bytes[0] != magic[0] || bytes[1] != magic[1]) fail("not a redwire frame (bad magic)");
  if (static_cast<std::uint8_t>(bytes[2]) != version) fail("unsupported version");
  const auto kind = static_cast<std::uint8_t>(bytes[3]);
  if (kind < 1 || kind > kinds) fail("unknown kind");
  return kind;
}

}  // namespace redwire::detail
