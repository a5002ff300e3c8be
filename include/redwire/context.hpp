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
#include <string_view>

#include "detail/bytes.hpp"

namespace redwire {

struct call_context {
  std::string_view procedure;  ///< "calc.add"
  std::string_view trace_id;   ///< follows the request across services and events
  std::string_view caller;     ///< id of the calling client
  std::string_view instance;   ///< id of the instance running the handler
  std::string_view key;        ///< ordering key, if the call carries one
  /// The call's deadline, ms since the Unix epoch on the deadline clock (the broker's:
  /// capabilities/broker_clock.hpp); 0: none. Calls made from the handler end by it too.
  std::int64_t deadline_ms = 0;
  /// Requested when the caller cancels the call (call_options::stop, an Asio cancellation)
  /// while the handler runs: a long handler may look at it, or register a std::stop_callback,
  /// and give up early. How the stop travels: detail/running_calls.hpp.
  std::stop_token stop{};
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
/// The trace id for a call or event sent now: the one of the call or event this thread is
/// handling, else a fresh one written into `buffer`.
inline std::string_view current_or_new_trace_id(trace_id_buffer& buffer) {
  if (const call_context* outer = current_call(); outer && !outer->trace_id.empty())
    return outer->trace_id;
  return new_trace_id(buffer);
}
}  // namespace detail

}  // namespace redwire
