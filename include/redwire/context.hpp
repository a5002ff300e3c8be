// redwire/context.hpp — what a handler can learn about the call it is serving.
//
//   svc.bind(calc::add, [](int a, int b) {
//     if (auto* c = redwire::current_call()) log(c->trace_id);   // set while a handler runs
//     if (c && c->stop.stop_requested()) throw give_up{};        // the caller cancelled
//     return a + b;
//   });
//
// Calls made from inside a handler carry its trace id on, so one id follows a request across
// services.
#pragma once

#include <cstdint>
#include <stop_token>
#include <string>
#include <string_view>

#include "detail/bytes.hpp"

namespace redwire {

struct call_context {
  std::string_view procedure;  ///< "calc.add"
  /// 32 hex digits (W3C trace id): follows the request across services and events.
  std::string_view trace_id;
  std::string_view caller;             ///< id of the calling client (an event's source)
  std::string_view instance;           ///< id of the instance running the handler
  std::string_view key;                ///< ordering key, if the call carries one
  std::string_view span_id{};          ///< this handler run's span: 16 hex digits
  std::string_view parent_span_id{};   ///< the sender's span (empty: it sent none)
  std::string_view trace_flags{"01"};  ///< 2 hex digits; "01": sampled
  /// The call's deadline, ms since the Unix epoch on the deadline clock (the broker's:
  /// capabilities/broker_clock.hpp); 0: none. Calls made from the handler end by it too.
  std::int64_t deadline_ms = 0;
  /// Requested when the caller cancels the call (call_options::stop, an Asio cancellation)
  /// while the handler runs: a long handler may look at it, or register a std::stop_callback,
  /// and give up early. How the stop travels: detail/running_calls.hpp.
  std::stop_token stop{};

  /// "00-<trace id>-<span id>-<flags>": this handler run as the parent of what it sends, in
  /// the W3C traceparent format (trace.hpp). Empty when the context has no span.
  std::string traceparent() const {
    if (trace_id.size() != 32 || span_id.size() != 16 || trace_flags.size() != 2) return {};
    return "00-" + std::string(trace_id) + "-" + std::string(span_id) + "-" +
           std::string(trace_flags);
  }
};

namespace detail {
inline const call_context*& current_call_slot() noexcept {
  thread_local const call_context* slot = nullptr;
  return slot;
}

/// Sets the current call for the lifetime of the scope (nesting restores the outer one).
class call_scope {
 public:
  explicit call_scope(const call_context& c) noexcept : saved_(current_call_slot()) {
    current_call_slot() = &c;
  }
  ~call_scope() { current_call_slot() = saved_; }
  call_scope(const call_scope&) = delete;
  call_scope& operator=(const call_scope&) = delete;

 private:
  const call_context* saved_;
};
}  // namespace detail

/// The call that the current thread is serving, or nullptr outside a handler.
inline const call_context* current_call() noexcept {
  return detail::current_call_slot();
}

namespace detail {
/// The traceparent for a call or event sent now, written into `buffer`: a child of the call or
/// event this thread is handling (its trace, its span as parent), else a fresh trace.
inline std::string_view current_or_new_trace_id(trace_id_buffer& buffer) {
  const call_context* outer = current_call();
  if (!outer || outer->trace_id.size() != 32 || outer->span_id.size() != 16 ||
      outer->trace_flags.size() != 2)
    return new_trace_id(buffer);
  char* out = buffer.data();
  std::string_view parts[] = {"00-", outer->trace_id, "-", outer->span_id, "-", outer->trace_flags};
  std::size_t at = 0;
  for (std::string_view p : parts)
    for (char c : p) out[at++] = c;
  return {out, at};
}
}  // namespace detail

}  // namespace redwire
