// redwire/detail/targeted_push.hpp — sending a call to one instance, refused at once if the
// instance is not alive.
//
// A targeted request goes into the instance's own queue unless the instance is known dead (it
// stopped or expired within the last minutes: its service's set of dead instances holds it),
// checked atomically with the push (a Lua script on Redis). If it is, the caller gets an error
// reply (errc::unavailable) straight away, instead of waiting for its timeout in front of a
// queue nobody reads. An instance not known at all (not started yet) still gets the call. The same
// refusal is sent for requests found in the queue of an instance that died or stopped (see
// membership.hpp).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "../envelope.hpp"
#include "../errors.hpp"
#include "../transport.hpp"
#include "any_transport.hpp"
#include "names.hpp"
#include "registry_keys.hpp"

namespace redwire::detail {

struct refusal {
  std::string channel;  ///< the caller's reply address
  std::string bytes;    ///< an error reply with errc::unavailable
};

/// The error reply to `request` saying that `instance` cannot take it; nothing for a
/// notification or for bytes that are not a request.
inline std::optional<refusal> refuse(std::string_view request, std::string_view instance,
                                     std::string_view why) {
  envelope e;
  try {
    e = decode_envelope(request);
  } catch (const std::system_error&) {
    return std::nullopt;
  }
  if (e.kind != message_kind::request || e.reply_to.empty()) return std::nullopt;
  envelope r;
  r.kind = message_kind::error_reply;
  r.call_id = e.call_id;
  r.fingerprint = e.fingerprint;
  r.error = errc::unavailable;
  r.procedure = e.procedure;
  r.trace_id = e.trace_id;
  r.instance = instance;
  refusal out{std::string(e.reply_to), {}};
  encode_envelope_header(out.bytes, r);
  out.bytes.append(why);
  return out;
}

/// Pushes `frame` to the queue of `instance` of `service`, or refuses it if that instance is
/// known dead (see above). On a transport without registry storage, a plain push. `keep`: how
/// long the queue must outlive the push (capabilities/queue_expiry.hpp).
inline void push_to_instance(any_transport& bus, std::string_view scope, std::string_view service,
                             std::string_view instance, std::string_view frame,
                             std::chrono::milliseconds keep) {
  const std::string queue = instance_queue(scope, service, instance);
  any_registry_store* store = bus.registry_store();
  if (!store) {
    bus.push(queue, frame, keep);
    return;
  }
  auto refused =
      refuse(frame, instance,
             "instance " + std::string(instance) + " of service " + std::string(service) +
                 " is dead (it stopped or expired); the call was not sent");
  store->push_unless_member(dead_instances(scope, service), instance, queue, frame,
                            refused ? std::string_view(refused->channel) : std::string_view(),
                            refused ? std::string_view(refused->bytes) : std::string_view(), keep);
}

/// Pushes a request or notification to its service's queue, or to `instance`'s (see
/// push_to_instance) when one is named; `behind`: written behind (write_behind_transport).
/// Returns why the transport could not take it, or nothing.
inline std::optional<std::string> push_request(any_transport& bus, std::string_view scope,
                                               std::string_view service, std::string_view instance,
                                               std::string_view frame,
                                               std::chrono::milliseconds keep, bool behind) {
  thread_local std::string queue;  // built in place: no allocation per call
  try {
    if (!instance.empty()) {
      push_to_instance(bus, scope, service, instance, frame, keep);
      return std::nullopt;
    }
    service_queue(queue, scope, service);
    if (behind)
      bus.push_behind(queue, frame, keep);
    else
      bus.push(queue, frame, keep);
    return std::nullopt;
  } catch (const transport_error& e) {
    return std::string("transport: ") + e.what();
  }
}

}  // namespace redwire::detail
