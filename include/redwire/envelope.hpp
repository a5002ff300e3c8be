// redwire/envelope.hpp — the frame around every request and reply on the wire.
//
//   offset  size  field
//   0       2     magic "RW"
//   2       1     version (1)
//   3       1     kind: request, notification, reply, error reply
//   4       1     flags: bit 0, the caller can cancel this request (running_calls.hpp); the
//                 other bits are reserved (0) and ignored
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
// A reply names the instance that answered but no procedure and no trace id: its caller knows
// both by the call id, and checks a reply with the secret of the service it called, whatever a
// reply might claim (detail/reply_gate.hpp).
//
// A reader refuses anything it does not understand with errc::bad_message: an unknown magic or
// version, a kind out of range, a length past the end. Later versions append fields after the
// token (older readers skip nothing, so they bump the version) — the magic stays.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "detail/bytes.hpp"
#include "errors.hpp"

namespace redwire {

enum class message_kind : std::uint8_t {
  request = 1,       ///< a call that wants a reply
  notification = 2,  ///< a call that wants none
  reply = 3,         ///< the result of a request
  error_reply = 4,   ///< a request that failed: error code, message as payload
  cancel = 5,  ///< its caller gave up on a request: call id and caller name it (running_calls.hpp)
};

/// One decoded frame. The string_views point into the bytes it was decoded from.
struct envelope {
  static constexpr char magic[2] = {'R', 'W'};
  static constexpr std::uint8_t version = 1;
  static constexpr std::size_t fixed_size = 31;
  static constexpr std::uint8_t cancellable = 1;  ///< a flag: the caller may cancel it

  message_kind kind = message_kind::request;
  std::uint8_t flags = 0;
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

/// Appends the frame of `e` (without its payload) to `out`; the caller appends the payload. The
/// header is sized first and written in place (every call encodes two: the request's and the
/// reply's).
inline void encode_envelope_header(std::string& out, const envelope& e) {
  const std::string_view fields[] = {e.procedure, e.reply_to, e.caller, e.trace_id,
                                     e.key,       e.instance, e.token};
  std::size_t size = envelope::fixed_size;
  for (std::string_view f : fields) size += detail::length_prefixed_size(f);
  const std::size_t at = out.size();
  out.resize(at + size);
  char* p = out.data() + at;
  p[0] = envelope::magic[0];
  p[1] = envelope::magic[1];
  p[2] = static_cast<char>(envelope::version);
  p[3] = static_cast<char>(e.kind);
  p[4] = static_cast<char>(e.flags);
  detail::store_little_endian(p + 5, e.call_id);
  detail::store_little_endian(p + 13, e.fingerprint);
  detail::store_little_endian(p + 21, e.deadline_ms);
  detail::store_little_endian(p + 29, static_cast<std::uint16_t>(e.error));
  p += envelope::fixed_size;
  for (std::string_view f : fields) p = detail::store_length_prefixed(p, f);
}

/// Decodes a frame; throws std::system_error(errc::bad_message) on anything malformed.
inline envelope decode_envelope(std::string_view bytes) {
  using detail::load_little_endian;
  using detail::throw_bad_message;
  envelope e;
  e.kind = static_cast<message_kind>(detail::check_frame_header(
      bytes, envelope::fixed_size, envelope::magic, envelope::version, 5, "redwire envelope"));
  e.flags = static_cast<std::uint8_t>(bytes[4]);
  e.call_id = load_little_endian<std::uint64_t>(bytes.data() + 5);
  e.fingerprint = load_little_endian<std::uint64_t>(bytes.data() + 13);
  e.deadline_ms = load_little_endian<std::int64_t>(bytes.data() + 21);
  e.error = static_cast<errc>(load_little_endian<std::uint16_t>(bytes.data() + 29));
  std::string_view rest = bytes.substr(envelope::fixed_size);
  for (std::string_view* field :
       {&e.procedure, &e.reply_to, &e.caller, &e.trace_id, &e.key, &e.instance, &e.token})
    *field = detail::take_length_prefixed(rest);
  e.payload = rest;
  return e;
}

}  // namespace redwire
