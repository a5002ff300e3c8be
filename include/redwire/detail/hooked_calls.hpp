// redwire/detail/hooked_calls.hpp — the client's hooks (client_options::hooks) around its calls.
// A sync call and a notification run between on_call_start and on_call_end on the calling
// thread; an async call starts on the calling thread and ends on the thread that completes it,
// just before its future becomes ready. Without hooks the client takes none of these paths.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>

#include "../errors.hpp"
#include "../trace.hpp"
#include "async_calls.hpp"

namespace redwire::detail {

inline bool has_hooks(const call_hooks& hooks) noexcept {
  return hooks.on_call_start || hooks.on_call_end;
}

/// Fixes the traceparent the call will carry in `traced` (so that the hooks see the trace the
/// call carries), runs on_call_start and returns the call's event, which points into `traced`.
template <class Options>
call_event start_hooked_call(const call_hooks& hooks, Options& traced, std::string_view procedure) {
  trace_id_buffer buffer;
  traced.traceparent =
      std::string(outgoing_traceparent(traced.traceparent, buffer, traced.inherit));
  call_event e{procedure, traced.instance};
  std::string_view flags;
  parse_traceparent(traced.traceparent, e.trace_id, e.span_id, flags);
  if (hooks.on_call_start) run_hook(hooks.on_call_start, e);
  return e;
}

/// Runs `call(options)` (which returns a result<>) between the hooks: a sync call, or a
/// notification's send. Only called when a hook is set.
template <class Options, class Call>
auto with_hooks(const call_hooks& hooks, const Options& o, std::string_view procedure,
                Call&& call) {
  Options traced = o;
  call_event e = start_hooked_call(hooks, traced, procedure);
  const auto started = std::chrono::steady_clock::now();
  auto r = call(traced);
  if (hooks.on_call_end) {
    if (!r.has_value()) {
      e.outcome = r.error().error();
      if (!r.error().instance().empty()) e.instance = r.error().instance();
    }
    e.duration = std::chrono::steady_clock::now() - started;
    run_hook(hooks.on_call_end, e);
  }
  return r;
}

/// Keeps what on_call_end needs in the async call: the hooks, the traceparent the call carries
/// (as start_hooked_call fixed it) and when it started.
inline void remember_hooks(async_call& call, const call_hooks& hooks,
                           std::string_view traceparent) {
  call.hooks = &hooks;
  call.traceparent_size = std::min(traceparent.size(), sizeof(call.traceparent));
  std::copy_n(traceparent.begin(), call.traceparent_size, call.traceparent);
  call.started = std::chrono::steady_clock::now();
}

/// Runs on_call_end for an async call that remembered hooks (complete_async, before the
/// future becomes ready); nothing for one that did not.
inline void end_hooked_call(const async_call& call, errc outcome) {
  if (!call.hooks || !call.hooks->on_call_end) return;
  call_event e{call.procedure, call.instance};
  std::string_view flags;
  parse_traceparent({call.traceparent, call.traceparent_size}, e.trace_id, e.span_id, flags);
  e.outcome = outcome;
  e.duration = std::chrono::steady_clock::now() - call.started;
  run_hook(call.hooks->on_call_end, e);
}

}  // namespace redwire::detail
