// redwire/detail/reply_writer.hpp — how an instance answers a request (dispatch.hpp): the reply's
// header, MACed with the service's secret when it has one, sent to the caller's reply address
// (at once, held for a batch, or deferred to the worker pool); an error reply for a failure or
// a refusal; nothing for a notification.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "../envelope.hpp"
#include "../errors.hpp"
#include "../log.hpp"
#include "../transport.hpp"
#include "any_transport.hpp"
#include "auth.hpp"
#include "handler_outcome.hpp"

namespace redwire::detail {

class reply_writer {
 public:
  /// `key` null: no secret. `instance`: the instance's id, as replies and log lines name it.
  reply_writer(any_transport& bus, const hmac_key* key, const std::string& instance)
      : bus_(bus), key_(key), instance_(instance) {}

  /// Sends what a handler that ran gave (its reply is in `reply`, after a header of
  /// `header_size` bytes), or its failure; nothing for a notification.
  void answer(const envelope& e, std::string& reply, std::size_t header_size, const outcome& result,
              std::string* defer_to, bool hold) {
    const bool wants_reply = e.kind == message_kind::request && !e.reply_to.empty();
    if (!wants_reply) {
      if (result.failure != errc{})
        log(log_level::warning, "service " + instance_ + ": notification " +
                                    std::string(e.procedure) + " failed: " + result.message);
      return;
    }
    if (result.failure != errc{}) {
      send_error(e, reply, result.failure, result.message);
      return;
    }
    if (key_) sign_frame(reply, header_size, *key_);
    if (defer_to)
      defer_to->assign(e.reply_to);
    else if (hold)
      publish_held(e.reply_to, reply);
    else
      send(e.reply_to, reply);
  }

  /// Answers a refused request with an error, if it wants a reply.
  void refuse(const envelope& e, std::string& reply, errc code, std::string_view message) {
    if (e.kind == message_kind::request && !e.reply_to.empty()) send_error(e, reply, code, message);
  }

  // Returns the size of the header written (where the payload starts).
  std::size_t begin_reply(const envelope& request, std::string& out, message_kind kind,
                          errc code) const {
    envelope r;
    r.kind = kind;
    r.call_id = request.call_id;
    r.fingerprint = request.fingerprint;
    r.error = code;
    r.instance = instance_;  // no procedure, no trace id: the caller has both (reply_gate.hpp)
    if (key_) r.caller = request.caller;  // inside the MAC: the reply is for that client only
    encode_envelope_header(out, r);
    return out.size();
  }

  void send_error(const envelope& request, std::string& out, errc code, std::string_view message) {
    out.clear();
    const std::size_t header_size = begin_reply(request, out, message_kind::error_reply, code);
    out.append(message);
    // A refusal goes bare: a caller without the secret could not check a MAC anyway.
    if (key_ && code != errc::unauthorized) sign_frame(out, header_size, *key_);
    send(request.reply_to, out);
  }

  void publish_held(std::string_view channel, const std::string& reply) {
    try {
      bus_.publish_held(channel, reply);
    } catch (const transport_error& e) {
      log(log_level::warning, "service " + instance_ + ": a reply was lost: " + e.what());
    }
  }

  void send(std::string_view channel, const std::string& reply) {
    try {
      bus_.publish(channel, reply);
    } catch (const transport_error& e) {
      log(log_level::warning, "service " + instance_ + ": a reply was lost: " + e.what());
    }
  }

  void flush() {
    try {
      bus_.flush();
    } catch (const transport_error& e) {
      log(log_level::warning, "service " + instance_ + ": replies were lost: " + e.what());
    }
  }

 private:
  any_transport& bus_;
  const hmac_key* key_;
  const std::string& instance_;
};

}  // namespace redwire::detail
