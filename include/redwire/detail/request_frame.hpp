// redwire/detail/request_frame.hpp — the frame of a request or notification as a client sends
// it: the envelope header (envelope.hpp), the arguments as the procedure declares them, and
// with a secret the MAC (auth.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "../call_options.hpp"
#include "../codec.hpp"
#include "../context.hpp"
#include "../envelope.hpp"
#include "../procedure.hpp"
#include "auth.hpp"
#include "call_api.hpp"

namespace redwire::detail {

/// Writes the frame into `frame` (cleared first). `key`: the service's secret as a key, or null.
template <class... A, fixed_string N, class R, class... G>
void make_request_frame(std::string& frame, message_kind kind, const procedure<N, R(A...)>& p,
                        const call_options& o, std::uint64_t id, std::chrono::milliseconds timeout,
                        std::string_view reply_to, std::string_view caller, const hmac_key* key,
                        G&&... args) {
  envelope e;
  e.kind = kind;
  e.call_id = id;
  e.fingerprint = p.fingerprint;
  e.deadline_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      (std::chrono::system_clock::now() + timeout).time_since_epoch())
                      .count();
  e.procedure = p.name;
  if (kind == message_kind::request) e.reply_to = reply_to;
  e.caller = caller;
  trace_id_buffer new_trace;
  e.trace_id = current_or_new_trace_id(new_trace);
  e.key = o.key;
  frame.clear();
  encode_envelope_header(frame, e);
  const std::size_t header_size = frame.size();
  redwire::encode_values(frame, as_declared<A>(std::forward<G>(args))...);
  if (key) sign_frame(frame, header_size, *key);
}

}  // namespace redwire::detail
