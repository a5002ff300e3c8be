// redwire/detail/dispatch.hpp — what an instance does with one request: the handler table,
// the checks a request passes before its handler runs, and the reply (or the error reply).
//
// In order: the bytes must decode as a request; with a secret, its MAC must hold (before
// anything else reads it: it may be forged); its deadline must not have passed (the caller has
// given up: running it now would break "at most once, in time"); the procedure must be served,
// with the caller's signature. Then the handler runs inside the call's context, and what it
// returns or throws goes back to the reply address. A handler that is a coroutine
// (coroutine_handler.hpp) is spawned on the service's executor instead: the worker goes back to
// the queue, and the reply leaves when the coroutine ends (coroutine_request). Each handler run
// is a span of its own (trace.hpp), between the service's on_call_start and on_call_end hooks;
// the built-ins ($ping, $stats, $describe: builtins.hpp) are neither counted nor hooked.
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
#include "../trace.hpp"
#include "../transport.hpp"
#include "any_transport.hpp"
#include "auth.hpp"
#include "coroutine_handler.hpp"
#include "handler_outcome.hpp"
#include "handler_table.hpp"
#include "reply_writer.hpp"
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
  call_hooks hooks{};           ///< service_options::hooks
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
      bound_procedure b = described<R, A...>(p);
      b.invoke = [h = std::forward<F>(handler)](std::string_view args, std::string& out) mutable {
        auto values = redwire::decode_values<wire_type_t<A>...>(args);
        if constexpr (std::is_void_v<R>) {
          std::apply([&](auto&... v) { h(std::move(v)...); }, values);
        } else {
          const R result = std::apply([&](auto&... v) -> R { return h(std::move(v)...); }, values);
          redwire::encode_values(out, result);
        }
      };
      table_.bind(p.name, std::move(b));
    }
  }

  /// A handler that is a coroutine: `spawn` starts it on the executor (coroutine_handler.hpp).
  template <class R, class... A, fixed_string N, class F, class Spawn>
  void bind_coroutine(const procedure<N, R(A...)>& p, F&& handler, Spawn spawn) {
    if (id_.executor.empty())
      throw std::logic_error("redwire: the handler of '" + std::string(p.name) +
                             "' is a coroutine: set service_options::executor (redwire/asio.hpp)");
    bound_procedure b = described<R, A...>(p);
    b.spawn = [h = std::forward<F>(handler), spawn,
               executor = id_.executor.held()](std::shared_ptr<coroutine_call> call) mutable {
      spawn(h, executor, std::move(call));
    };
    table_.bind(p.name, std::move(b));
  }

  /// Serves a built-in (builtins.hpp, handler_table::bind_builtin).
  void bind_builtin(std::string_view name, std::uint64_t fingerprint,
                    std::function<void(std::string&)> invoke) {
    table_.bind_builtin(name, fingerprint, std::move(invoke));
  }

  /// Every procedure bound, with its types' descriptions (what "$describe" answers).
  std::vector<procedure_description> descriptions() const { return table_.descriptions(); }
  std::vector<procedure_info> procedures() const { return table_.procedures(); }

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
           async_ends& ends, std::chrono::steady_clock::duration& ran) override {
    envelope e;
    try {
      e = decode_envelope(bytes);
    } catch (const std::system_error&) {
      return false;  // admit() refused it already
    }
    // The broker's clock, read once: a run reads the clock three times in all
    // (docs/performance.md).
    const auto checked_at = bus_.deadline_clock();
    const bound_procedure* target = check(bytes, e, reply, checked_at);
    if (!target) return false;
    if (target->spawn) {
      auto call = std::make_shared<coroutine_request>(*this, *target, bytes, ends, checked_at);
      {
        call_scope scope(call->context_);
        call->started_ = begin_run(*target, call->context_);
      }
      target->spawn(std::move(call));
      return true;
    }
    reply.clear();
    const std::size_t header_size = replies_.begin_reply(e, reply, message_kind::reply, errc{});
    if (!target->metrics) {  // a built-in
      replies_.answer(e, reply, header_size, invoke(*target, e.payload, reply), defer_to, hold);
      return false;
    }
    running_calls::entry running(running_, e.caller, e.call_id,
                                 (e.flags & envelope::cancellable) != 0);
    const handler_span span(e.trace_id);  // this run: a child of the caller's span
    const call_context context = context_of(e, span, running.token());
    call_scope scope(context);
    const auto started = begin_run(*target, context);
    const outcome result = invoke(*target, e.payload, reply);
    ran = end_run(*target, e, context, result, started, checked_at);
    replies_.answer(e, reply, header_size, result, defer_to, hold);
    return false;
  }

 private:
  template <class R, class... A, fixed_string N>
  bound_procedure described(const procedure<N, R(A...)>& p) {
    return {p.fingerprint,
            std::string(p.signature),
            {},
            &metrics_.add(p.name, operation_kind::procedure),
            {std::string(description_or_placeholder<A>().view())...},
            std::string(description_or_placeholder<R>().view()),
            {}};
  }

  /// The context a handler runs in: the call's, with this run's span.
  call_context context_of(const envelope& e, const handler_span& span, std::stop_token stop) const {
    return {e.procedure,    span.trace_id(),       e.caller,     id_.instance_id, e.key,
            span.span_id(), span.parent_span_id(), span.flags(), e.deadline_ms,   std::move(stop)};
  }

  /// A request whose handler is a coroutine, from its spawn to its reply (on the executor).
  class coroutine_request final : public coroutine_call {
   public:
    coroutine_request(dispatcher& owner, const bound_procedure& target, const std::string& bytes,
                      async_ends& ends, std::chrono::system_clock::time_point checked_at)
        : owner_(owner),
          target_(target),
          ends_(ends),
          bytes_(bytes),
          request_(decode_envelope(bytes_)),
          running_(std::in_place, owner.running_, request_.caller, request_.call_id,
                   (request_.flags & envelope::cancellable) != 0),
          span_(request_.trace_id),
          context_(owner.context_of(request_, span_, running_->token())),
          header_size_(owner.replies_.begin_reply(request_, reply_, message_kind::reply, errc{})),
          checked_at_(checked_at) {}

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
    handler_span span_;  // this run: a child of the caller's span
    call_context context_;
    std::string reply_;
    std::size_t header_size_;
    std::chrono::system_clock::time_point checked_at_;  // the broker's clock at its check
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  };

  void finished(coroutine_request& r, std::exception_ptr failure) noexcept {
    try {
      const outcome result = failure ? failure_of(failure) : outcome{};
      call_scope scope(r.context_);
      end_run(r.target_, r.request_, r.context_, result, r.started_, r.checked_at_);
      replies_.answer(r.request_, r.reply_, r.header_size_, result, nullptr, false);
    } catch (const std::exception& e) {
      log(log_level::warning, "service " + id_.instance_id + ": a reply was lost: " + e.what());
    }
  }

 private:
  // ---- request_runner: replies ---------------------------------------------------------------

 public:
  void send(std::string_view channel, const std::string& reply) override {
    replies_.send(channel, reply);
  }
  void flush() override { replies_.flush(); }

 private:
  /// The handler that may run `e`, or nullptr after counting (and answering) the refusal.
  const bound_procedure* check(std::string_view bytes, const envelope& e, std::string& reply,
                               std::chrono::system_clock::time_point now) {
    if (e.kind != message_kind::request && e.kind != message_kind::notification) {
      counters_.bad_messages.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    if (key_) {
      if (const char* why = check_request(bytes, e, *key_)) {
        counters_.unauthorized.fetch_add(1, std::memory_order_relaxed);
        replies_.refuse(
            e, reply, errc::unauthorized,
            "service " + id_.service + " runs only calls authenticated with its secret: " + why);
        return nullptr;
      }
    }
    const bound_procedure* found = table_.find(e.procedure);  // immutable once requests run
    if (e.expired(now)) {
      counters_.expired.fetch_add(1, std::memory_order_relaxed);
      if (found && found->metrics) found->metrics->timeouts.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    if (!found) {
      counters_.rejected.fetch_add(1, std::memory_order_relaxed);
      replies_.refuse(e, reply, errc::unknown_procedure,
                      "instance " + id_.instance_id + " of service " + id_.service +
                          " serves no procedure '" + std::string(e.procedure) + "'");
      return nullptr;
    }
    if (e.fingerprint != found->fingerprint) {
      counters_.rejected.fetch_add(1, std::memory_order_relaxed);
      // The service's signature alone: the caller puts its own beside it (call_outcome.hpp).
      replies_.refuse(e, reply, errc::signature_mismatch, found->signature);
      return nullptr;
    }
    return found;
  }

  /// Runs the handler (in the call's context, set by the caller); the result is appended to
  /// `reply`.
  static outcome invoke(const bound_procedure& target, std::string_view arguments,
                        std::string& reply) {
    try {
      target.invoke(arguments, reply);
      return {};
    } catch (...) {
      return failure_of(std::current_exception());
    }
  }

  /// A handler run starts: counted in flight, then on_call_start. Returns when it started.
  std::chrono::steady_clock::time_point begin_run(const bound_procedure& target,
                                                  const call_context& c) {
    if (id_.hooks.on_call_start) run_hook(id_.hooks.on_call_start, hook_event(c));
    target.metrics->in_flight.fetch_add(1, std::memory_order_relaxed);
    return std::chrono::steady_clock::now();
  }

  /// A handler run ends: its outcome counted (metrics for those that ran: arguments decoded),
  /// then on_call_end. Returns how long it ran. Whether it ended past its deadline is told by
  /// the broker's clock at its check plus that time: the clock is not read again.
  std::chrono::steady_clock::duration end_run(const bound_procedure& target, const envelope& e,
                                              const call_context& c, const outcome& r,
                                              std::chrono::steady_clock::time_point started,
                                              std::chrono::system_clock::time_point checked_at) {
    target.metrics->in_flight.fetch_sub(1, std::memory_order_relaxed);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    const bool ran = r.failure == errc{} || r.failure == errc::remote_exception;
    if (ran) counters_.calls.fetch_add(1, std::memory_order_relaxed);
    if (r.failure == errc::remote_exception) {
      counters_.failures.fetch_add(1, std::memory_order_relaxed);
    } else if (!ran) {
      counters_.rejected.fetch_add(1, std::memory_order_relaxed);
      target.metrics->bad_messages.fetch_add(1, std::memory_order_relaxed);
    }
    if (ran) {
      const auto ended_at =
          checked_at + std::chrono::duration_cast<std::chrono::system_clock::duration>(elapsed);
      record(target, e, c.trace_id, elapsed, r.failure != errc{}, e.expired(ended_at));
    }
    if (id_.hooks.on_call_end) {
      call_event ended = hook_event(c);
      ended.outcome = r.failure;
      ended.duration = elapsed;
      run_hook(id_.hooks.on_call_end, ended);
    }
    return elapsed;
  }

  static call_event hook_event(const call_context& c) {
    return {c.procedure, c.instance, c.trace_id, c.span_id, c.parent_span_id};
  }

  /// Metrics and, with log_calls, a debug line: for every handler that ran.
  void record(const bound_procedure& target, const envelope& e, std::string_view trace_id,
              std::chrono::steady_clock::duration elapsed, bool failed, bool late) {
    target.metrics->record(elapsed, failed);
    if (late) target.metrics->timeouts.fetch_add(1, std::memory_order_relaxed);
    if (!id_.log_calls) return;
    log(log_level::debug,
        "call " + std::string(e.procedure) + " trace " + std::string(trace_id) + " from " +
            std::string(e.caller) + (failed ? " failed" : " ok") +
            (late ? " past its deadline" : "") + " in " +
            std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()) +
            " us");
  }

  any_transport& bus_;
  dispatch_identity id_;
  std::unique_ptr<hmac_key> key_;
  reply_writer replies_{bus_, key_.get(), id_.instance_id};
  metrics_registry& metrics_;
  handler_table table_;
  dispatch_counters counters_;
  running_calls running_;
};

}  // namespace redwire::detail
