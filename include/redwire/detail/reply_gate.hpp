// redwire/detail/reply_gate.hpp — what a client lets through of the bytes on its reply
// channels: replies that decode, and, for services it holds a secret of, only those MACed with
// it and addressed to this client. A forged reply is dropped and the call goes on waiting for
// the real one (and times out if none comes).
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "../envelope.hpp"
#include "../errors.hpp"
#include "../log.hpp"
#include "../procedure.hpp"
#include "auth.hpp"

namespace redwire::detail {

class reply_gate {
 public:
  reply_gate() = default;
  reply_gate(client_keys keys, std::string client_id)
      : keys_(std::move(keys)), client_id_(std::move(client_id)) {}

  /// Decodes `bytes` into `e`; true when it is a reply or an error reply this client may trust.
  /// Logs what it drops for being undecodable or forged.
  bool accept(std::string_view bytes, envelope& e) const {
    try {
      e = decode_envelope(bytes);
    } catch (const std::system_error& error) {
      log(log_level::warning,
          "client " + client_id_ + ": dropped a reply that does not decode: " + error.what());
      return false;
    }
    if (e.kind != message_kind::reply && e.kind != message_kind::error_reply) return false;
    return keys_.empty() || authentic(bytes, e);
  }

  /// The key that signs calls to `service`, or nullptr.
  const hmac_key* key_for(std::string_view service) const { return keys_.for_service(service); }

 private:
  // A bare `unauthorized` refusal is believed: the service cannot MAC it with a secret we lack.
  bool authentic(std::string_view bytes, const envelope& e) const {
    const hmac_key* key = keys_.for_service(service_of(e.procedure));
    if (!key) return true;
    if (e.token.empty() && e.kind == message_kind::error_reply && e.error == errc::unauthorized)
      return true;
    const char* why = check_frame(bytes, e, *key);
    if (!why && e.caller != client_id_) why = "it answers another client";
    if (!why) return true;
    log(log_level::warning, "client " + client_id_ + ": dropped a reply to " +
                                std::string(e.procedure) + " that is not authentic: " + why);
    return false;
  }

  client_keys keys_;
  std::string client_id_;
};

}  // namespace redwire::detail
