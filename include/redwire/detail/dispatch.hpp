// redwire/detail/dispatch.hpp — what an instance does with one request: the handler table,
// the checks a request passes before its handler runs, and the reply (or the error reply).
//
// In order: the bytes must decode as a request; with a secret, its MAC must hold (before
// anything else reads it: it may be forged); its deadline must not have passed (the caller has
// given up: running it now would break "at most once, in time"); the procedure must be served,
// with the caller's signature. Then the handler runs inside the call's context, and what it
// returns or throws goes back to the reply address. A handler that is a coroutine
// (coroutine_handler.hpp) is spawned on the service's executor instead: the worker goes back to
// the queue, and the reply leaves when the coroutine ends (coroutine_request).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
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
#include "../log.hpp"
#include "../metrics.hpp"
#include "../procedure.hpp"
#include "../transport.hpp"
#include "any_transport.hpp"
#include "auth.hpp"
#include "coroutine_handler.hpp"
#include "handler_outcome.hpp"
#include "running_calls.hpp"
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
  handler_executor executor{};  ///< where coroutine handlers run (service_options::executor)
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
    using returned = std::invoke_result_t<std::remove_cvref_t<F>&, wire_type_t<A>&&...>;
    if constexpr (awaitable_result<returned>) {
      bind_coroutine<R, A...>(
          p, std::forward<F>(handler),
          &awaitable_traits<std::remove_cvref_t<returned>>::template spawn<std::remove_cvref_t<F>,
                                                                           R, A...>);
    } else {
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
          {}};
    }
  }

  /// A handler that is a coroutine: `spawn` starts it on the executor (coroutine_handler.hpp).
  template <class R, class... A, fixed_string N, class F, class Spawn>
  void bind_coroutine(const procedure<N, R(A...)>& p, F&& handler, Spawn spawn) {
    if (id_.executor.empty())
      throw std::logic_error("redwire: the handler of '" + std::string(p.name) +
                             "' is a coroutine: set service_options::executor (redwire/asio.hpp)");
    handlers_[std::string(p.name)] = bound_procedure{
        p.fingerprint,
        std::string(p.signature),
        {},
        &metrics_.add(p.name, operation_kind::procedure),
        [h = std::forward<F>(handler), spawn, executor = id_.executor.held()](
            std::shared_ptr<coroutine_call> call) mutable { spawn(h, executor, std::move(call)); }};
  }

  std::vector<procedure_info> procedures() const {
    std::vector<procedure_info> out;
    for (const auto& [name, b] : handlers_) out.push_back({name, b.signature, b.fingerprint});
    return out;
  }

  const dispatch_counters& counters() const noexcept { return counters_; }

  /// A cancel frame from the service's cancel channel (running_calls.hpp): stops the handler
  /// of that call if it runs here. Anything else, or a forgery where there is a secret, is
  /// ignored.
  void cancel(std::string_view bytes) {
    envelope e;
    try {
      e = decode_envelope(bytes);
    } catch (const std::system_error&) {
      return;
    }
    if (e.kind != message_kind::cancel || (key_ && check_frame(bytes, e, *key_))) return;
    const auto now = bus_.deadline_clock().time_since_epoch();
    running_.cancel(e.caller, e.call_id, e.deadline_ms,
                    std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  }

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

  bool run(const std::string& bytes, std::string& reply, std::string* defer_to, bool hold,
           async_ends& ends) override {
    envelope e;
    try {
      e = decode_envelope(bytes);
    } catch (const std::system_error&) {
      return false;  // admit() refused it already
    }
    const bound_procedure* target = check(bytes, e, reply);
    if (!target) return false;
    if (target->spawn) {
      target->spawn(std::make_shared<coroutine_request>(*this, *target, bytes, ends));
      return true;
    }
    reply.clear();
    const std::size_t header_size = begin_reply(e, reply, message_kind::reply, errc{});
    const auto started = std::chrono::steady_clock::now();
    const outcome result = invoke(*target, e, reply);
    account(*target, e, result, std::chrono::steady_clock::now() - started);
    answer(e, reply, header_size, result, defer_to, hold);
    return false;
  }

 private:
  struct bound_procedure {
    std::uint64_t fingerprint = 0;
    std::string signature;
    std::function<void(std::string_view, std::string&)> invoke;
    operation_metrics* metrics = nullptr;
    std::function<void(std::shared_ptr<coroutine_call>)> spawn;  ///< set: a coroutine handler
  };

  /// A request whose handler is a coroutine, from its spawn to its reply (on the executor).
  class coroutine_request final : public coroutine_call {
   public:
    coroutine_request(dispatcher& owner, const bound_procedure& target, const std::string& bytes,
                      async_ends& ends)
        : owner_(owner),
          target_(target),
          ends_(ends),
          bytes_(bytes),
          request_(decode_envelope(bytes_)),
          running_(std::in_place, owner.running_, request_.caller, request_.call_id),
          context_{request_.procedure,    request_.trace_id, request_.caller,
                   owner.id_.instance_id, request_.key,      request_.deadline_ms,
                   running_->token()},
          header_size_(owner.begin_reply(request_, reply_, message_kind::reply, errc{})) {}

    std::string_view arguments() const noexcept override { return request_.payload; }
    const call_context& context() const noexcept override { return context_; }
    std::string& result() noexcept override { return reply_; }
    void finish(std::exception_ptr failure) noexcept override {
      running_.reset();
      owner_.finished(*this, failure);
      ends_.ended(std::string(request_.key));  // last: the service may stop once it returns
    }

   private:
    friend class dispatcher;
    dispatcher& owner_;
    const bound_procedure& target_;
    async_ends& ends_;
    std::string bytes_;
    envelope request_;  // views into bytes_
    std::optional<running_calls::entry> running_;
    call_context context_;
    std::string reply_;
    std::size_t header_size_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  };

  void finished(coroutine_request& r, std::exception_ptr failure) noexcept {
    try {
      const outcome result = failure ? failure_of(failure) : outcome{};
      account(r.target_, r.request_, result, std::chrono::steady_clock::now() - r.started_);
      answer(r.request_, r.reply_, r.header_size_, result, nullptr, false);
    } catch (const std::exception& e) {
      log(log_level::warning, "service " + id_.instance_id + ": a reply was lost: " + e.what());
    }
  }

  /// Sends what a handler that ran gave (its reply is in `reply`, after a header of
  /// `header_size` bytes), or its failure; nothing for a notification.
  void answer(const envelope& e, std::string& reply, std::size_t header_size, const outcome& result,
              std::string* defer_to, bool hold) {
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

 public:
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
    auto found = handlers_.find(std::string(e.procedure));  // immutable once requests run
    if (e.expired(bus_.deadline_clock())) {
      counters_.expired.fetch_add(1, std::memory_order_relaxed);
      if (found != handlers_.end())
        found->second.metrics->timeouts.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    if (found == handlers_.end()) {
      counters_.rejected.fetch_add(1, std::memory_order_relaxed);
      refuse(e, reply, errc::unknown_procedure,
             "instance " + id_.instance_id + " of service " + id_.service +
                 " serves no procedure '" + std::string(e.procedure) + "'");
      return nullptr;
    }
    if (e.fingerprint != found->second.fingerprint) {
      counters_.rejected.fetch_add(1, std::memory_order_relaxed);
      // The service's signature alone: the caller puts its own beside it (call_outcome.hpp).
      refuse(e, reply, errc::signature_mismatch, found->second.signature);
      return nullptr;
    }
    return &found->second;
  }

  /// Runs the handler in the call's context; the result is appended to `reply`.
  outcome invoke(const bound_procedure& target, const envelope& e, std::string& reply) {
    running_calls::entry running(running_, e.caller, e.call_id);
    const call_context context{e.procedure, e.trace_id,    e.caller,       id_.instance_id,
                               e.key,       e.deadline_ms, running.token()};
    call_scope scope(context);
    try {
      target.invoke(e.payload, reply);
      return {};
    } catch (...) {
      return failure_of(std::current_exception());
    }
  }

  /// Counts a handler's outcome; metrics for those that ran (arguments decoded).
  void account(const bound_procedure& target, const envelope& e, const outcome& r,
               std::chrono::steady_clock::duration elapsed) {
    const bool ran = r.failure == errc{} || r.failure == errc::remote_exception;
    if (ran) counters_.calls.fetch_add(1, std::memory_order_relaxed);
    if (r.failure == errc::remote_exception)
      counters_.failures.fetch_add(1, std::memory_order_relaxed);
    else if (!ran)
      counters_.rejected.fetch_add(1, std::memory_order_relaxed);
    if (ran) record(target, e, elapsed, r.failure != errc{});
  }

  /// Metrics and, with log_calls, a debug line: for every handler that ran.
  void record(const bound_procedure& target, const envelope& e,
              std::chrono::steady_clock::duration elapsed, bool failed) {
    target.metrics->record(elapsed, failed);
    const bool late = e.expired(bus_.deadline_clock());
    if (late) target.metrics->timeouts.fetch_add(1, std::memory_order_relaxed);
    if (!id_.log_calls) return;
    log(log_level::debug,
        "call " + std::string(e.procedure) + " trace " + std::string(e.trace_id) + " from " +
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
  dispatch_counters counters_;
  running_calls running_;
};

}  // namespace redwire::detail
