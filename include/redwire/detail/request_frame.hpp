// redwire/detail/request_frame.hpp — the frame of a request or notification as a client sends
// it: the envelope header (envelope.hpp), the arguments as the procedure declares them, and
// with a secret the MAC (auth.hpp).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "../client_options.hpp"
#include "../codec.hpp"
#include "../context.hpp"
#include "../envelope.hpp"
#include "../procedure.hpp"
#include "../trace.hpp"
#include "auth.hpp"
#include "call_api.hpp"

namespace redwire::detail {

/// How long a call may take: its timeout, and its deadline on the deadline clock
/// (capabilities/broker_clock.hpp). Made inside a handler (and call_options::inherit), the
/// smaller of its own and the handled call's.
struct call_budget {
  std::chrono::milliseconds timeout;
  std::int64_t deadline_ms;
};

inline call_budget budget_of(const call_options& o, std::chrono::milliseconds timeout,
                             std::chrono::system_clock::time_point now) {
  const std::int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  call_budget b{timeout, now_ms + timeout.count()};
  const call_context* outer = o.inherit ? current_call() : nullptr;
  if (outer && outer->deadline_ms > 0 && outer->deadline_ms < b.deadline_ms) {
    b.deadline_ms = outer->deadline_ms;
    b.timeout = std::chrono::milliseconds(std::max<std::int64_t>(0, b.deadline_ms - now_ms));
  }
  return b;
}

/// Writes the frame into `frame` (cleared first). `key`: the service's secret as a key, or null.
template <class... A, fixed_string N, class R, class... G>
void make_request_frame(std::string& frame, message_kind kind, const procedure<N, R(A...)>& p,
                        const call_options& o, std::uint64_t id, std::int64_t deadline_ms,
                        std::string_view reply_to, std::string_view caller, const hmac_key* key,
                        G&&... args) {
  envelope e;
  e.kind = kind;
  if (o.stop.stop_possible()) e.flags = envelope::cancellable;
  e.call_id = id;
  e.fingerprint = p.fingerprint;
  e.deadline_ms = deadline_ms;
  e.procedure = p.name;
  if (kind == message_kind::request) e.reply_to = reply_to;
  e.caller = caller;
  trace_id_buffer new_trace;
  e.trace_id = outgoing_traceparent(o.traceparent, new_trace, o.inherit);
  e.key = o.key;
  frame.clear();
  encode_envelope_header(frame, e);
  const std::size_t header_size = frame.size();
  redwire::encode_values(frame, as_declared<A>(std::forward<G>(args))...);
  if (key) sign_frame(frame, header_size, *key);
}

}  // namespace redwire::detail
