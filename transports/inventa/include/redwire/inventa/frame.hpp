// redwire/inventa/frame.hpp — Inventa's names and frames, byte by byte (docs/inventa.md).
//
//   full id   svc:<type>:<id>          its liveness key; its inbox channel is "ch:" + full id
//   request   req|<call id>|<from full id>|<method>|<content>
//   response  resp|<call id>|<responder full id>|<content>
//   content   item!item!...            each item escaped: '|' -> "%pipe%", '!' -> "%exc%"
//
// Parsing never throws and never reads past its input: a payload that is not a frame gives
// std::nullopt. Items are 8-bit clean; '%' itself is not escaped by the protocol, so an item
// such as the text "%pipe%" cannot round-trip (escape_is_lossless tells which).
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <redwire/detail/bytes.hpp>

namespace redwire::inventa {

/// An instance as Inventa names it: svc:<type>:<id>. Type and id hold no ':' and no '|'.
struct instance {
  std::string full_id;  ///< "svc:calc:one"
  std::string type;     ///< "calc"
  std::string id;       ///< "one" (may be empty: the examples' orchestrator is "svc:orc:")

  /// nullopt unless `full_id` is exactly three ':'-separated parts, the first "svc", and holds
  /// no '|' (which would break the frame it travels in).
  static std::optional<instance> parse(std::string_view full_id) {
    if (!full_id.starts_with("svc:") || full_id.find('|') != std::string_view::npos)
      return std::nullopt;
    const std::string_view rest = full_id.substr(4);
    const std::size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    if (rest.find(':', colon + 1) != std::string_view::npos) return std::nullopt;
    return instance{std::string(full_id), std::string(rest.substr(0, colon)),
                    std::string(rest.substr(colon + 1))};
  }
  /// "ch:svc:calc:one": the channel it reads requests and replies from.
  std::string channel() const { return "ch:" + full_id; }
  friend bool operator==(const instance&, const instance&) = default;
};

namespace detail {

inline constexpr std::string_view pipe_escape = "%pipe%";
inline constexpr std::string_view exc_escape = "%exc%";

/// Appends `item` escaped as the libraries do.
inline void append_escaped(std::string& out, std::string_view item) {
  std::size_t specials = 0;
  for (char c : item) specials += c == '|' || c == '!';
  if (specials == 0) {
    out.append(item);
    return;
  }
  std::size_t at = out.size();
  out.resize(at + item.size() + specials * (pipe_escape.size() - 1));
  char* o = out.data() + at;
  for (char c : item) {
    if (c == '|') {
      o = std::copy(pipe_escape.begin(), pipe_escape.end(), o);
    } else if (c == '!') {
      o = std::copy(exc_escape.begin(), exc_escape.end(), o);
    } else {
      *o++ = c;
    }
  }
  out.resize(static_cast<std::size_t>(o - out.data()));
}

// Replaces every `from` (which starts with '%') in `s` by the one character `to`, left to right.
inline std::string replace_all(std::string_view s, std::string_view from, char to) {
  std::string out(s.size(), '\0');
  char* o = out.data();
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == '%' && s.compare(i, from.size(), from) == 0) {
      *o++ = to;
      i += from.size();
    } else {
      *o++ = s[i++];
    }
  }
  out.resize(static_cast<std::size_t>(o - out.data()));
  return out;
}

/// Undoes append_escaped as py-inventa does: every "%pipe%" first, then every "%exc%" (go-inventa
/// takes the two in a random order; for text without '%' all three agree).
inline std::string unescape(std::string_view item) {
  if (item.find('%') == std::string_view::npos) return std::string(item);
  return replace_all(replace_all(item, pipe_escape, '|'), exc_escape, '!');
}

/// Whether `item` arrives as it was sent. The protocol does not escape '%', so an item whose
/// escaped form holds "%pipe%" or "%exc%" that the sender did not mean (the text "%exc%", or
/// "%exc" before a '!') is received changed.
inline bool escape_is_lossless(std::string_view item) {
  if (item.find('%') == std::string_view::npos) return true;
  std::string escaped;
  append_escaped(escaped, item);
  return unescape(escaped) == item;
}

/// content = the items, escaped, joined by '!'. No item at all gives "" (as does one empty item).
inline void append_content(std::string& out, std::span<const std::string> items) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += '!';
    append_escaped(out, items[i]);
  }
}

/// Splits content on '!' and unescapes each item: always at least one item.
inline std::vector<std::string> split_content(std::string_view content) {
  std::vector<std::string> items;
  for (;;) {
    const std::size_t bang = content.find('!');
    items.push_back(unescape(content.substr(0, bang)));
    if (bang == std::string_view::npos) return items;
    content.remove_prefix(bang + 1);
  }
}

/// Whether a header field (call id, full id, method) can travel: it must not hold a '|'.
inline bool header_safe(std::string_view field) {
  return field.find('|') == std::string_view::npos;
}

inline std::string encode_request(std::string_view call_id, std::string_view from,
                                  std::string_view method, std::span<const std::string> items) {
  std::string out;
  out.reserve(8 + call_id.size() + from.size() + method.size() + 16 * items.size());
  out.append("req|").append(call_id).append("|").append(from).append("|").append(method);
  out += '|';
  append_content(out, items);
  return out;
}

inline std::string encode_response(std::string_view call_id, std::string_view responder,
                                   std::span<const std::string> items) {
  std::string out;
  out.reserve(8 + call_id.size() + responder.size() + 16 * items.size());
  out.append("resp|").append(call_id).append("|").append(responder).append("|");
  append_content(out, items);
  return out;
}

/// A frame as received. For a response, `method` is empty.
struct frame {
  enum kind_t { request, response } kind = request;
  std::string call_id;
  std::string from;  ///< the caller's full id (request) or the responder's (response)
  std::string method;
  std::vector<std::string> items;
};

/// The `n`-th '|'-separated field of `s` (fields past the last are empty and not present).
inline std::optional<std::string_view> field(std::string_view s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t bar = s.find('|');
    if (bar == std::string_view::npos) return std::nullopt;
    s.remove_prefix(bar + 1);
  }
  return s.substr(0, s.find('|'));
}

/// Parses a PUBLISH payload. nullopt: not a frame (unknown kind, too few fields, a sender that
/// is not a full id). Fields past the last expected one are ignored, as the libraries do.
inline std::optional<frame> parse(std::string_view payload) {
  const std::optional<std::string_view> kind = field(payload, 0);
  if (!kind) return std::nullopt;
  frame f;
  std::size_t content_at = 0;
  if (*kind == "req") {
    f.kind = frame::request;
    content_at = 4;
  } else if (*kind == "resp") {
    f.kind = frame::response;
    content_at = 3;
  } else {
    return std::nullopt;
  }
  const std::optional<std::string_view> id = field(payload, 1), from = field(payload, 2),
                                        content = field(payload, content_at);
  if (!id || !from || !content) return std::nullopt;
  if (!instance::parse(*from)) return std::nullopt;
  f.call_id = *id;
  f.from = *from;
  if (f.kind == frame::request) f.method = *field(payload, 3);
  f.items = split_content(*content);
  return f;
}

/// Call ids: five letters, '-', then Unix time in nanoseconds (go-inventa's form), strictly
/// increasing within a process so that two calls in flight never share one.
class call_ids {
 public:
  std::string next() {
    static constexpr std::string_view letters =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const auto now =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
    std::uint64_t last = last_.load(std::memory_order_relaxed), stamp;
    do {
      stamp = now > last ? now : last + 1;
    } while (!last_.compare_exchange_weak(last, stamp, std::memory_order_relaxed));
    std::uint64_t r = redwire::detail::random_u64();
    std::string id(5, 'a');
    for (char& c : id) {
      c = letters[r % letters.size()];
      r /= letters.size();
    }
    return id + "-" + std::to_string(stamp);
  }

 private:
  inline static std::atomic<std::uint64_t> last_{0};
};

}  // namespace detail
}  // namespace redwire::inventa
