// redwire/detail/call_cancel.hpp — what a caller does with the request of a call it cancels:
// take it back out of its queue, or else tell the instance that took it to stop its handler.
//
// The withdrawal (capabilities/withdrawal.hpp) proves the request will never run. When it finds
// nothing (an instance has taken the request, or the transport cannot withdraw), a cancel frame
// goes to the service's cancel channel, where the instance running the call stops its handler
// (detail/running_calls.hpp). Both are best effort for the handler: the call itself has ended.
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "../envelope.hpp"
#include "../log.hpp"
#include "../procedure.hpp"
#include "../transport.hpp"
#include "any_transport.hpp"
#include "async_calls.hpp"
#include "auth.hpp"
#include "completion.hpp"
#include "names.hpp"
#include "pending_calls.hpp"
#include "reply_gate.hpp"

namespace redwire::detail {

/// The cancel frame of `request` (an encoded request frame), MACed with `key` if not null.
inline std::string cancel_frame(const envelope& request, const hmac_key* key) {
  envelope c;
  c.kind = message_kind::cancel;
  c.call_id = request.call_id;
  c.deadline_ms = request.deadline_ms;  // how long an instance may need to remember it
  c.procedure = request.procedure;
  c.caller = request.caller;
  std::string out;
  encode_envelope_header(out, c);
  if (key) sign_frame(out, out.size(), *key);
  return out;
}

/// Takes `frame` back out of `queue`, or else asks the instances of its service (named in
/// `scope`) to stop its handler. Logs what fails; never throws.
inline void withdraw_or_stop(any_transport& bus, std::string_view scope, const std::string& queue,
                             const std::string& frame, const hmac_key* key) noexcept {
  try {
    if (bus.withdraw(queue, frame)) return;  // it will never run
    const envelope request = decode_envelope(frame);
    bus.publish(cancel_channel(scope, service_of(request.procedure)), cancel_frame(request, key));
  } catch (const transport_error& e) {
    log(log_level::debug, std::string("redwire: a cancelled call may run to its end: ") + e.what());
  } catch (const std::exception& e) {
    log(log_level::warning, std::string("redwire: cancelling a call failed: ") + e.what());
  }
}

/// Ends the cancellable async call `id` with errc::cancelled if it is still in `pending`, then
/// takes its request back out of the queue, or else stops its handler (above). Once: whoever
/// takes it from `pending`.
inline void cancel_call(pending_calls& pending, any_transport& bus, std::string_view scope,
                        const reply_gate& replies, std::uint64_t id) noexcept {
  auto* call = static_cast<async_call*>(pending.take(id));
  if (!call) return;  // answered, timed out or cancelled already
  std::string queue = std::move(call->queue), frame = std::move(call->frame);
  const hmac_key* key = replies.key_for(service_of(call->procedure));
  // As a call that ends before async_call returns: Asio handlers are posted, not run inside
  // the cancellation signal that asked for this.
  fail_inline(*call, errc::cancelled, cancelled_by_caller);
  withdraw_or_stop(bus, scope, queue, frame, key);
}

}  // namespace redwire::detail
