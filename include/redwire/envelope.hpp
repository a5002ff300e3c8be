// redwire/envelope.hpp — the frame around every request and reply on the wire.
//
//   offset  size  field
//   0       2     magic "RW"
//   2       1     version (1)
//   3       1     kind: request, notification, reply, error reply
//   4       1     flags (reserved, 0)
//   5       8     call id            (little endian)
//   13      8     signature fingerprint
//   21      8     deadline, ms since the Unix epoch (0: none)
//   29      2     error code (error replies; else 0)
//   31      ...   seven strings, each a LEB128 length then bytes: procedure, reply address,
//                 caller, trace id, ordering key, instance (who answered), token
//   ...     rest  payload: the encoded arguments, the encoded result, or the error message
//
// The token authenticates the frame when the service has a secret (detail/auth.hpp): it holds
// one scheme byte (1: HMAC-SHA256) and HMAC-SHA256(secret, the whole frame as encoded with an
// empty token — header fields and payload, the deadline included). The sender encodes with an
// empty token, MACs, then puts the 33 bytes in its place; the receiver recomputes over the frame
// with the token emptied again and compares in constant time (CRYPTO_memcmp). Replies of such a
// service are MACed the same way and carry the caller's id, so a client can reject forgeries.
//
// A reader refuses anything it does not understand with errc::bad_message: an unknown magic or
// version, a kind out of range, a length past the end. Later versions append fields after the
// token (older readers skip nothing, so they bump the version) — the magic stays.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>

#include "errors.hpp"

namespace redwire {

enum class message_kind : std::uint8_t {
  request = 1,       ///< a call that wants a reply
  notification = 2,  ///< a call that wants none
  reply = 3,         ///< the result of a request
  error_reply = 4,   ///< a request that failed: error code, message as payload
};

/// One decoded frame. The string_views point into the bytes it was decoded from.
struct envelope {
  static constexpr char magic[2] = {'R', 'W'};
  static constexpr std::uint8_t version = 1;
  static constexpr std::size_t fixed_size = 31;

  message_kind kind = message_kind::request;
  std::uint64_t call_id = 0;
  std::uint64_t fingerprint = 0;
  std::int64_t deadline_ms = 0;
  errc error = errc{};
  std::string_view procedure, reply_to, caller, trace_id, key, instance, token;
  std::string_view payload;

  /// True when a deadline is set and `now` is past it.
  bool expired(std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const {
    return deadline_ms != 0 &&
           std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() >
               deadline_ms;
  }
};

namespace detail {

inline void put_fixed(std::string& out, std::uint64_t v, int bytes) {
  char b[8];
  for (int i = 0; i < bytes; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out.append(b, bytes);
}

inline void put_length_prefixed(std::string& out, std::string_view s) {
  std::uint64_t n = s.size();
  do {
    char byte = static_cast<char>(n & 0x7f);
    n >>= 7;
    if (n) byte = static_cast<char>(byte | 0x80);
    out.push_back(byte);
  } while (n);
  out.append(s);
}

[[noreturn]] inline void bad_envelope(const char* what) {
  throw std::system_error(make_error_code(errc::bad_message), what);
}

inline std::uint64_t get_fixed(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

inline std::string_view get_length_prefixed(std::string_view& in) {
  std::uint64_t n = 0;
  for (int shift = 0;; shift += 7) {
    if (in.empty()) bad_envelope("redwire envelope: truncated length");
    if (shift > 63) bad_envelope("redwire envelope: length does not fit 64 bits");
    auto byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    n |= std::uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80)) break;
  }
  if (n > in.size()) bad_envelope("redwire envelope: a field runs past the end of the message");
  std::string_view field = in.substr(0, n);
  in.remove_prefix(n);
  return field;
}

}  // namespace detail

/// Appends the frame of `e` (without its payload) to `out`; the caller appends the payload.
inline void encode_envelope_header(std::string& out, const envelope& e) {
  out.append(envelope::magic, 2);
  out.push_back(static_cast<char>(envelope::version));
  out.push_back(static_cast<char>(e.kind));
  out.push_back(0);
  detail::put_fixed(out, e.call_id, 8);
  detail::put_fixed(out, e.fingerprint, 8);
  detail::put_fixed(out, static_cast<std::uint64_t>(e.deadline_ms), 8);
  detail::put_fixed(out, static_cast<std::uint16_t>(e.error), 2);
  for (std::string_view s :
       {e.procedure, e.reply_to, e.caller, e.trace_id, e.key, e.instance, e.token})
    detail::put_length_prefixed(out, s);
}

/// Decodes a frame; throws std::system_error(errc::bad_message) on anything malformed.
inline envelope decode_envelope(std::string_view bytes) {
  if (bytes.size() < envelope::fixed_size) detail::bad_envelope("redwire envelope: too short");
  if (bytes[0] != envelope::magic[0] || bytes[1] != envelope::magic[1])
    detail::bad_envelope("redwire envelope: not a redwire message (bad magic)");
  if (static_cast<std::uint8_t>(bytes[2]) != envelope::version)
    detail::bad_envelope("redwire envelope: unsupported version");
  envelope e;
  auto kind = static_cast<std::uint8_t>(bytes[3]);
  if (kind < 1 || kind > 4) detail::bad_envelope("redwire envelope: unknown message kind");
  e.kind = static_cast<message_kind>(kind);
  e.call_id = detail::get_fixed(bytes.data() + 5, 8);
  e.fingerprint = detail::get_fixed(bytes.data() + 13, 8);
  e.deadline_ms = static_cast<std::int64_t>(detail::get_fixed(bytes.data() + 21, 8));
  e.error = static_cast<errc>(detail::get_fixed(bytes.data() + 29, 2));
  std::string_view rest = bytes.substr(envelope::fixed_size);
  for (std::string_view* field :
       {&e.procedure, &e.reply_to, &e.caller, &e.trace_id, &e.key, &e.instance, &e.token})
    *field = detail::get_length_prefixed(rest);
  e.payload = rest;
  return e;
}

}  // namespace redwire
