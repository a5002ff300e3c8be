// redwire/trace.hpp — W3C trace context (https://www.w3.org/TR/trace-context/) on calls and
// events, and hooks around every call for OpenTelemetry or any logging.
//
//   svc.bind(calc::add, [](int a, int b) {
//     std::string tp = redwire::current_call()->traceparent();   // "00-<trace>-<span>-01"
//     return a + b;
//   });
//   cli.with({.traceparent = request.header("traceparent")}).call(calc::add, 2, 3);
//
// Every request and event carries a `traceparent` ("00-" 32 hex trace id "-" 16 hex parent
// span id "-" 2 hex flags). Each handler run is a span of its own: same trace id, a new span id,
// the sender's span as its parent. A call or event sent from inside a handler carries the
// handler's span as its parent, so a chain caller -> A -> B -> stream consumer keeps one trace
// id, each hop a child of the one before. A caller outside a handler starts a new trace (or
// continues the one given in call_options::traceparent).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <string_view>

#include "context.hpp"
#include "detail/bytes.hpp"
#include "errors.hpp"
#include "log.hpp"

namespace redwire {

/// One call seen by a hook: on the service, a handler run; on the client, a call it made.
struct call_event {
  std::string_view procedure{};  ///< "calc.add"
  /// Service: the instance running the handler. Client: the instance that answered, when known
  /// (on_call_end), or the one the call was sent to (call_options::instance), or empty.
  std::string_view instance{};
  std::string_view trace_id{};           ///< 32 hex digits
  std::string_view span_id{};            ///< service: the handler's span; client: the caller's
  std::string_view parent_span_id{};     ///< service: the caller's span; client: empty
  errc outcome{};                        ///< on_call_end: errc{} when it succeeded
  std::chrono::nanoseconds duration{0};  ///< on_call_end: how long it took
};

/// Called around every call (client_options::hooks) or handler run (service_options::hooks),
/// on the thread that makes or runs it. A hook that throws is logged and the call goes on;
/// absent hooks cost one test of an empty std::function per call.
struct call_hooks {
  std::function<void(const call_event&)> on_call_start{};
  std::function<void(const call_event&)> on_call_end{};
};

namespace detail {

inline void run_hook(const std::function<void(const call_event&)>& hook, const call_event& e) {
  try {
    hook(e);
  } catch (const std::exception& error) {
    log(log_level::warning, std::string("a call hook threw: ") + error.what());
  } catch (...) {
    log(log_level::warning, "a call hook threw something that is not a std::exception");
  }
}

// Lower-case hex and not all zeros (an all-zero id is invalid). Every call and every handler
// run checks 48 characters, so no branch per character: a table, and one test at the end.
inline bool is_lower_hex(std::string_view s) {
  static constexpr std::array<bool, 256> hex = [] {
    std::array<bool, 256> t{};
    for (unsigned char c = '0'; c <= '9'; ++c) t[c] = true;
    for (unsigned char c = 'a'; c <= 'f'; ++c) t[c] = true;
    return t;
  }();
  bool all = true, nonzero = false;
  for (char c : s) {
    all &= hex[static_cast<unsigned char>(c)];
    nonzero |= c != '0';
  }
  return all && nonzero;
}

/// The parts of a traceparent, or false when `text` is not one (version ff, a wrong length, an
/// all-zero id, upper-case hex). Versions above 00 are read by their first four fields.
inline bool parse_traceparent(std::string_view text, std::string_view& trace,
                              std::string_view& parent, std::string_view& flags) {
  if (text.size() < 55 || (text.size() > 55 && text[55] != '-')) return false;
  if (text[2] != '-' || text[35] != '-' || text[52] != '-') return false;
  const std::string_view version = text.substr(0, 2);
  if (version == "ff" || !(is_lower_hex(version) || version == "00")) return false;
  if (version == "00" && text.size() != 55) return false;
  trace = text.substr(3, 32);
  parent = text.substr(36, 16);
  flags = text.substr(53, 2);
  // Flags may be "00": lower-case hex, zeros allowed (is_lower_hex("00" + "1") says just that).
  const char f[3] = {flags[0], flags[1], '1'};
  return is_lower_hex(trace) && is_lower_hex(parent) && is_lower_hex({f, 3});
}

/// "00-<trace>-<span>-<flags>" into `out` (55 characters); returns its view.
inline std::string_view write_traceparent(char* out, std::string_view trace, std::string_view span,
                                          std::string_view flags) {
  std::string_view parts[] = {"00-", trace, "-", span, "-", flags};
  std::size_t at = 0;
  for (std::string_view p : parts)
    for (char c : p) out[at++] = c;
  return {out, at};
}

/// The span of one handler run, from the traceparent its request or event carried: the same
/// trace, a new span id, the sender's span as parent. Anything that is not a traceparent
/// (an older sender's 16-hex trace id, nothing) starts a new trace; a 16-hex id is kept in it
/// (as the low half of the trace id) so logs still match.
class handler_span {
 public:
  explicit handler_span(std::string_view incoming) {
    std::string_view trace, parent, flags;
    write_hex(span_.data(), nonzero_random(), 16);
    if (parse_traceparent(incoming, trace, parent, flags)) {
      std::copy(trace.begin(), trace.end(), trace_.begin());
      std::copy(parent.begin(), parent.end(), parent_.begin());
      parent_size_ = 16;
      flags_[0] = flags[0];
      flags_[1] = flags[1];
      return;
    }
    write_hex(trace_.data(), nonzero_random(), 16);
    if (incoming.size() == 16 && is_lower_hex(incoming))
      std::copy(incoming.begin(), incoming.end(), trace_.begin() + 16);
    else
      write_hex(trace_.data() + 16, random_u64(), 16);
  }
  std::string_view trace_id() const { return {trace_.data(), 32}; }
  std::string_view span_id() const { return {span_.data(), 16}; }
  std::string_view parent_span_id() const { return {parent_.data(), parent_size_}; }
  std::string_view flags() const { return {flags_.data(), 2}; }

  static std::uint64_t nonzero_random() {
    std::uint64_t r = 0;
    while (r == 0) r = random_u64();
    return r;
  }

 private:
  std::array<char, 32> trace_{};
  std::array<char, 16> span_{}, parent_{};
  std::size_t parent_size_ = 0;
  std::array<char, 2> flags_{'0', '1'};
};

/// The traceparent a call sends: `given` when it is one (call_options::traceparent), else a
/// child of the call being handled on this thread (unless call_options::inherit is false), else
/// a new trace (written into `buffer`).
inline std::string_view outgoing_traceparent(std::string_view given, trace_id_buffer& buffer,
                                             bool inherit = true) {
  std::string_view trace, parent, flags;
  if (!given.empty() && parse_traceparent(given, trace, parent, flags)) return given;
  return inherit ? current_or_new_trace_id(buffer) : new_trace_id(buffer);
}

}  // namespace detail
}  // namespace redwire
