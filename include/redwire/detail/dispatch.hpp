// redwire/detail/dispatch.hpp — what an instance does with one request: the handler table,
// the checks a request passes before its handler runs, and the reply (or the error reply).
//
// In order: the bytes must decode as a request; with a secret, its MAC must hold (before
// anything else reads it: it may be forged); its deadline must not have passed (the caller has
// given up: running it now would break "at most once, in time"); the procedure must be served,
// with the caller's signature. Then the handler runs inside the call's context, and what it
// returns or throws goes back to the reply address.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../codec.hpp"
#include "../context.hpp"
#include "../envelope.hpp"
#include "../errors.hpp"
#include "../instance_info.hpp"
#include "../introspection.hpp"
#include "../log.hpp"
#include "../metrics.hpp"
#include "../procedure.hpp"
#include "../trace.hpp"
#include "../transport.hpp"
#include "any_transport.hpp"
#include "auth.hpp"
#include "worker_pool.hpp"

namespace redwire::detail {

/// What dispatch counted since the instance was made (service_stats is their snapshot).
struct dispatch_counters {
  std::atomic<std::uint64_t> calls{0}, failures{0}, expired{0}, rejected{0}, bad_messages{0},
      unauthorized{0};
};

/// Who answers: the instance's names, as replies and log lines give them.
struct dispatch_identity {
  std::string service;
  std::string instance_id;
  bool log_calls = false;
  call_hooks hooks{};  ///< service_options::hooks
};

class dispatcher final : public request_runner {
 public:
  /// `key` set: only requests MACed with it run, and replies are MACed too (auth.hpp).
  dispatcher(any_transport& bus, dispatch_identity identity, std::unique_ptr<hmac_key> key,
             metrics_registry& metrics)
      : bus_(bus), id_(std::move(identity)), key_(std::move(key)), metrics_(metrics) {}

  /// Serves `p` with `handler`, whose signature the caller has checked. Not once requests run.
  template <fixed_string N, class R, class... A, class F>
  void bind(const procedure<N, R(A...)>& p, F&& handler) {
    handlers_[std::string(p.name)] = bound_procedure{
        p.fingerprint,
        std::string(p.signature),
        [h = std::forward<F>(handler)](std::string_view args, std::string& out) mutable {
          auto values = redwire::decode_values<wire_type_t<A>...>(args);
          if constexpr (std::is_void_v<R>) {
            std::apply([&](auto&... v) { h(std::move(v)...); }, values);
          } else {
            const R result =
                std::apply([&](auto&... v) -> R { return h(std::move(v)...); }, values);
            redwire::encode_values(out, result);
          }
        },
        &metrics_.add(p.name, operation_kind::procedure),
        {std::string(description_or_placeholder<A>().view())...},
        std::string(description_or_placeholder<R>().view())};
  }

  /// Serves "<service>.<name>" (a builtin_procedure of introspection.hpp: "$ping") with
  /// `invoke`, which takes no argument and appends its result. Not counted, not registered.
  void bind_builtin(std::string_view name, std::uint64_t fingerprint,
                    std::function<void(std::string&)> invoke) {
    builtins_[std::string(name)] =
        bound_procedure{fingerprint,
                        std::string(name),
                        [f = std::move(invoke)](std::string_view args, std::string& out) {
                          if (!args.empty())
                            throw_bad_message("a built-in procedure takes no argument");
                          f(out);
                        },
                        nullptr,
                        {},
                        {}};
  }

  /// Every procedure bound, with its types' descriptions (what "$describe" answers).
  std::vector<procedure_description> descriptions() const {
    std::vector<procedure_description> out;
    for (const auto& [name, b] : handlers_)
      out.push_back({name, b.signature, b.fingerprint, b.arguments, b.result});
    return out;
  }

  std::vector<procedure_info> procedures() const {
    std::vector<procedure_info> out;
    for (const auto& [name, b] : handlers_) out.push_back({name, b.signature, b.fingerprint});
    return out;
  }

  const dispatch_counters& counters() const noexcept { return counters_; }

  // ---- request_runner ------------------------------------------------------------------------

  bool admit(std::string_view bytes, std::string& key) override {
    try {
      key.assign(decode_envelope(bytes).key);
      return true;
    } catch (const std::system_error& e) {
      counters_.bad_messages.fetch_add(1, std::memory_order_relaxed);
      log(log_level::warning, "service " + id_.instance_id +
                                  ": dropped bytes that are not a redwire request: " + e.what());
      return false;
    }
  }

  void run(const std::string& bytes, std::string& reply, std::string* defer_to,
           bool hold) override {
    envelope e;
    try {
      e = decode_envelope(bytes);
    } catch (const std::system_error&) {
      return;  // admit() refused it already
    }
    const bound_procedure* target = check(bytes, e, reply);
    if (!target) return;
    reply.clear();
    const std::size_t header_size = begin_reply(e, reply, message_kind::reply, errc{});
    const outcome result = invoke(*target, e, reply);
    const bool wants_reply = e.kind == message_kind::request && !e.reply_to.empty();
    if (!wants_reply) {
      if (result.failure != errc{})
        log(log_level::warning, "service " + id_.instance_id + ": notification " +
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

  void send(std::string_view channel, const std::string& reply) override {
    try {
      bus_.publish(channel, reply);
    } catch (const transport_error& e) {
      log(log_level::warning, "service " + id_.instance_id + ": a reply was lost: " + e.what());
    }
  }

  void flush() override {
    try {
      bus_.flush();
    } catch (const transport_error& e) {
      log(log_level::warning, "service " + id_.instance_id + ": replies were lost: " + e.what());
    }
  }

 private:
  struct bound_procedure {
    std::uint64_t fingerprint = 0;
    std::string signature;
    std::function<void(std::string_view, std::string&)> invoke;
    operation_metrics* metrics = nullptr;  ///< null for built-ins
    std::vector<std::string> arguments;    ///< their type descriptions
    std::string result;
  };

  /// The handler table that serves `procedure`: built-ins for "<service>.$name".
  const bound_procedure* find(std::string_view procedure) const {
    const std::size_t dollar = procedure.find(".$");
    const auto& table = dollar == std::string_view::npos ? handlers_ : builtins_;
    auto found = table.find(
        std::string(dollar == std::string_view::npos ? procedure : procedure.substr(dollar + 1)));
    return found == table.end() ? nullptr : &found->second;
  }

  struct outcome {
    errc failure{};  ///< errc{}: the handler returned
    std::string message;
  };

  /// The handler that may run `e`, or nullptr after counting (and answering) the refusal.
  const bound_procedure* check(std::string_view bytes, const envelope& e, std::string& reply) {
    if (e.kind != message_kind::request && e.kind != message_kind::notification) {
      counters_.bad_messages.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    if (key_) {
      if (const char* why = check_request(bytes, e, *key_)) {
        counters_.unauthorized.fetch_add(1, std::memory_order_relaxed);
        refuse(e, reply, errc::unauthorized,
               "service " + id_.service + " runs only calls authenticated with its secret: " + why);
        return nullptr;
      }
    }
    const bound_procedure* found = find(e.procedure);  // immutable once requests run
    if (e.expired()) {
      counters_.expired.fetch_add(1, std::memory_order_relaxed);
      if (found && found->metrics) found->metrics->timeouts.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    if (!found) {
      counters_.rejected.fetch_add(1, std::memory_order_relaxed);
      refuse(e, reply, errc::unknown_procedure,
             "instance " + id_.instance_id + " of service " + id_.service +
                 " serves no procedure '" + std::string(e.procedure) + "'");
      return nullptr;
    }
    if (e.fingerprint != found->fingerprint) {
      counters_.rejected.fetch_add(1, std::memory_order_relaxed);
      // The service's signature alone: the caller puts its own beside it (call_outcome.hpp).
      refuse(e, reply, errc::signature_mismatch, found->signature);
      return nullptr;
    }
    return found;
  }

  /// Runs the handler in the call's context; the result is appended to `reply`.
  outcome invoke(const bound_procedure& target, const envelope& e, std::string& reply) {
    operation_metrics* counted = target.metrics;
    if (!counted) return invoke_builtin(target, e, reply);
    const handler_span span(e.trace_id);  // this run: a child of the caller's span
    const call_context context{e.procedure,           span.trace_id(), e.caller,
                               id_.instance_id,       e.key,           span.span_id(),
                               span.parent_span_id(), span.flags()};
    call_scope scope(context);
    outcome r;
    if (id_.hooks.on_call_start) run_hook(id_.hooks.on_call_start, hook_event(context));
    const auto started = std::chrono::steady_clock::now();
    counted->in_flight.fetch_add(1, std::memory_order_relaxed);
    try {
      target.invoke(e.payload, reply);
      counters_.calls.fetch_add(1, std::memory_order_relaxed);
    } catch (const rpc_error& error) {
      r = {errc::remote_exception, error.what()};
    } catch (const std::system_error& error) {
      if (error.code().category() == error_category()) {
        r = {static_cast<errc>(error.code().value()),
             std::string("arguments do not decode: ") + error.what()};
        counters_.rejected.fetch_add(1, std::memory_order_relaxed);
        counted->bad_messages.fetch_add(1, std::memory_order_relaxed);
      } else {
        r = {errc::remote_exception, error.what()};
      }
    } catch (const std::exception& error) {
      r = {errc::remote_exception, error.what()};
    } catch (...) {
      r = {errc::remote_exception, "the handler threw something that is not a std::exception"};
    }
    if (r.failure == errc::remote_exception) {
      counters_.calls.fetch_add(1, std::memory_order_relaxed);
      counters_.failures.fetch_add(1, std::memory_order_relaxed);
    }
    counted->in_flight.fetch_sub(1, std::memory_order_relaxed);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    if (r.failure == errc{} || r.failure == errc::remote_exception)
      record(target, e, context.trace_id, elapsed, r.failure != errc{});
    if (id_.hooks.on_call_end) {
      call_event ended = hook_event(context);
      ended.outcome = r.failure;
      ended.duration = elapsed;
      run_hook(id_.hooks.on_call_end, ended);
    }
    return r;
  }

  static call_event hook_event(const call_context& c) {
    return {c.procedure, c.instance, c.trace_id, c.span_id, c.parent_span_id};
  }

  /// A built-in ($ping, $stats, $describe): not counted among the calls of user procedures.
  static outcome invoke_builtin(const bound_procedure& target, const envelope& e,
                                std::string& reply) {
    try {
      target.invoke(e.payload, reply);
      return {};
    } catch (const std::system_error& error) {
      return {errc::bad_message, error.what()};
    } catch (const std::exception& error) {
      return {errc::remote_exception, error.what()};
    }
  }

  /// Metrics and, with log_calls, a debug line: for every handler that ran.
  void record(const bound_procedure& target, const envelope& e, std::string_view trace_id,
              std::chrono::steady_clock::duration elapsed, bool failed) {
    target.metrics->record(elapsed, failed);
    const bool late = e.expired();
    if (late) target.metrics->timeouts.fetch_add(1, std::memory_order_relaxed);
    if (!id_.log_calls) return;
    log(log_level::debug,
        "call " + std::string(e.procedure) + " trace " + std::string(trace_id) + " from " +
            std::string(e.caller) + (failed ? " failed" : " ok") +
            (late ? " past its deadline" : "") + " in " +
            std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()) +
            " us");
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
    r.procedure = request.procedure;
    r.trace_id = request.trace_id;
    r.instance = id_.instance_id;
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
      log(log_level::warning, "service " + id_.instance_id + ": a reply was lost: " + e.what());
    }
  }

  any_transport& bus_;
  dispatch_identity id_;
  std::unique_ptr<hmac_key> key_;
  metrics_registry& metrics_;
  std::unordered_map<std::string, bound_procedure> handlers_;
  std::unordered_map<std::string, bound_procedure> builtins_;  // "$ping": bind_builtin
  dispatch_counters counters_;
};

}  // namespace redwire::detail
