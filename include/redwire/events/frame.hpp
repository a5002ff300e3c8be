// redwire/events/frame.hpp — the frame around every topic event and stream entry.
//
//   offset  size  field
//   0       2     magic "RE"
//   2       1     version (1)
//   3       1     kind: 1 topic event, 2 stream entry
//   4       1     flags (reserved, 0)
//   5       8     fingerprint of the declaration: name and structure of the value type
//   13      8     published at, ms since the Unix epoch
//   21      ...   three strings, each a LEB128 length then bytes: name, trace id, source
//   ...     rest  the value, encoded by the codec
//
// The name travels so that a pattern subscriber learns which topic an event came from; the
// fingerprint so that a subscriber built with another declaration of the value refuses it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "../codec.hpp"
#include "../context.hpp"
#include "../detail/bytes.hpp"
#include "../fixed_string.hpp"
#include "../type_description.hpp"

namespace redwire::detail {

enum class event_kind : std::uint8_t { topic = 1, stream = 2 };

struct event_frame {
  static constexpr char magic[2] = {'R', 'E'};
  static constexpr std::uint8_t version = 1;
  static constexpr std::size_t fixed_size = 21;

  event_kind kind = event_kind::topic;
  std::uint64_t fingerprint = 0;
  std::int64_t published_ms = 0;
  std::string_view name, trace_id, source;
  std::string_view payload;
};

/// fnv1a(name + ": " + description), computed without building the string: the fingerprint of
/// a topic or stream declaration, also at run time for pattern subscriptions.
constexpr std::uint64_t event_fingerprint(std::string_view name, std::string_view description) {
  return fnv1a(description, fnv1a(": ", fnv1a(name)));
}

/// Frames `value` as an event of `kind`.
template <class T>
std::string encode_event_frame(event_kind kind, std::string_view name, std::uint64_t fingerprint,
                               std::string_view source, const T& value) {
  trace_id_buffer new_trace;
  const std::string_view trace = current_or_new_trace_id(new_trace);
  std::string out;
  out.reserve(64 + name.size() + source.size());
  out.append(event_frame::magic, 2);
  out.push_back(static_cast<char>(event_frame::version));
  out.push_back(static_cast<char>(kind));
  out.push_back(0);
  append_little_endian(out, fingerprint);
  append_little_endian(
      out, static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count()));
  append_length_prefixed(out, name);
  append_length_prefixed(out, trace);
  append_length_prefixed(out, source);
  redwire::encode_values(out, value);
  return out;
}

/// Decodes a frame (not the value); throws std::system_error(errc::bad_message).
inline event_frame decode_event_frame(std::string_view bytes) {
  event_frame f;
  f.kind =
      static_cast<event_kind>(check_frame_header(bytes, event_frame::fixed_size, event_frame::magic,
                                                 event_frame::version, 2, "redwire event"));
  f.fingerprint = load_little_endian<std::uint64_t>(bytes.data() + 5);
  f.published_ms = load_little_endian<std::int64_t>(bytes.data() + 13);
  std::string_view rest = bytes.substr(event_frame::fixed_size);
  f.name = take_length_prefixed(rest);
  f.trace_id = take_length_prefixed(rest);
  f.source = take_length_prefixed(rest);
  f.payload = rest;
  return f;
}

/// What topics, topic patterns and streams declare alike: the value type, the name, the
/// structure of the value and (for exact names) the fingerprint that both sides must agree on.
template <fixed_string Name, class T>
struct event_declaration {
  using value_type = T;
  static constexpr std::string_view name = Name.view();

 private:
  static constexpr auto description_storage = type_description_v<T>;

 public:
  /// The structure of T: "{str, i32}".
  static constexpr std::string_view description = description_storage.view();
  /// Changes whenever the name or the structure of T changes.
  static constexpr std::uint64_t fingerprint = event_fingerprint(name, description);
};

}  // namespace redwire::detail
