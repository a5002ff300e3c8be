// redwire/detail/reply_gate.hpp — what a client lets through of the bytes on its reply
// channels: replies that decode, and, for calls to services it holds a secret of, only those
// MACed with it and addressed to this client. The secret is chosen by the call a reply would
// answer, never by the reply (which names no procedure: reply_writer.hpp), so a forgery cannot
// pass as the reply of a service without a secret. A forged reply is dropped and the call goes
// on waiting for the real one (and times out if none comes).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "../envelope.hpp"
#include "../errors.hpp"
#include "../log.hpp"
#include "../procedure.hpp"
#include "auth.hpp"
#include "pending_calls.hpp"

namespace redwire::detail {

class reply_gate {
 public:
  reply_gate() = default;
  reply_gate(client_keys keys, std::string client_id)
      : keys_(std::move(keys)), client_id_(std::move(client_id)) {}

  /// Decodes `bytes` into `e`; true when it is a reply or an error reply. Logs what does not
  /// decode.
  bool decode(std::string_view bytes, envelope& e) const {
    try {
      e = decode_envelope(bytes);
    } catch (const std::system_error& error) {
      log(log_level::warning,
          "client " + client_id_ + ": dropped a reply that does not decode: " + error.what());
      return false;
    }
    return e.kind == message_kind::reply || e.kind == message_kind::error_reply;
  }

  /// Whether this client holds a secret, so that trusts() has anything to check.
  bool checks() const noexcept { return !keys_.empty(); }

  /// Whether the reply `e`, decoded from `bytes`, may answer a call to `procedure`: always, unless
  /// this client holds the secret of its service; then only if MACed with it and addressed to
  /// this client. Logs what it refuses.
  bool trusts(std::string_view bytes, const envelope& e, std::string_view procedure) const {
    const hmac_key* key = keys_.for_service(service_of(procedure));
    if (!key) return true;
    // A bare `unauthorized` refusal is believed: the service cannot MAC it with a secret we lack.
    if (e.token.empty() && e.kind == message_kind::error_reply && e.error == errc::unauthorized)
      return true;
    const char* why = check_frame(bytes, e, *key);
    if (!why && e.caller != client_id_) why = "it answers another client";
    if (!why) return true;
    log(log_level::warning, "client " + client_id_ + ": dropped a reply to " +
                                std::string(procedure) + " that is not authentic: " + why);
    return false;
  }

  /// Decodes `bytes` into `e` and takes from `pending` the call it answers, if trusts() lets it;
  /// nullptr otherwise: not a reply, a forgery, or late (the call timed out already).
  pending_call* take_answered(pending_calls& pending, std::string_view bytes, envelope& e) const {
    if (!decode(bytes, e)) return nullptr;
    if (checks()) {  // by the procedure the call went to, which the reply does not name
      const std::optional<std::string_view> procedure = pending.procedure_of(e.call_id);
      if (!procedure || !trusts(bytes, e, *procedure)) return nullptr;
    }
    return pending.take(e.call_id);
  }

  /// The key that signs calls to `service`, or nullptr.
  const hmac_key* key_for(std::string_view service) const { return keys_.for_service(service); }

 private:
  client_keys keys_;
  std::string client_id_;
};

}  // namespace redwire::detail
