// redwire/client.hpp — calling procedures.
//
//   redwire::client cli{bus};
//   int s = cli.call(calc::add, 2, 3);                        // throws redwire::rpc_error
//   redwire::result<int> r = cli.try_call(calc::add, 2, 3);   // never throws
//   std::future<int> f = cli.async_call(calc::add, 2, 3);
//   cli.notify(calc::reset);                                  // no reply, no wait
//   cli.publish(order_created, o);                            // events (events/event_api.hpp)
//   cli.with({.timeout = 50ms, .instance = id, .key = "user-42"}).call(calc::add, 2, 3);
//
// One client may be shared by any number of threads, and used from inside handlers. Every
// call is checked against the procedure's declaration at compile time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "client_options.hpp"
#include "client_view.hpp"
#include "context.hpp"
#include "detail/any_transport.hpp"
#include "detail/async_calls.hpp"
#include "detail/call_api.hpp"
#include "detail/call_cancel.hpp"
#include "detail/call_outcome.hpp"
#include "detail/completion.hpp"
#include "detail/completion_batch.hpp"
#include "detail/diagnostics.hpp"
#include "detail/frame_buffer.hpp"
#include "detail/hooked_calls.hpp"
#include "detail/inbox_pool.hpp"
#include "detail/names.hpp"
#include "detail/pending_calls.hpp"
#include "detail/request_frame.hpp"
#include "detail/retry.hpp"
#include "detail/targeted_push.hpp"
#include "detail/timeout_hint.hpp"
#include "envelope.hpp"
#include "errors.hpp"
#include "events/event_api.hpp"
#include "log.hpp"
#include "procedure.hpp"
#include "stream.hpp"
#include "topic.hpp"
#include "trace.hpp"
#include "transport.hpp"

namespace redwire {

class client;
namespace detail {
template <class Owner>
class call_router;  // an orchestrator's calls: they wait a retry's backoff (pending_calls::after)
}  // namespace detail

class client : public detail::call_api<client>, public detail::event_api<client> {
 public:
  template <transport T>
  explicit client(T& bus, client_options options = {})
      : bus_(std::make_unique<detail::transport_adapter<T>>(bus)), options_(std::move(options)) {
    if (options_.id.empty()) options_.id = detail::unique_id("client");
    replies_ =
        detail::reply_gate(detail::client_keys(options_.secret, options_.secrets), options_.id);
    options_.secret.clear();  // kept as keys only
    options_.secrets.clear();
    scope_ = detail::group_prefix(bus_->prefix(), options_.group);
    hints_.emplace(*bus_, scope_, std::string(bus_->prefix()), options_.group);
    hints_->word_timeouts_of(pending_);  // async calls; sync ones through timed_out()
    reply_channel_ = detail::reply_channel(scope_, options_.id);
    inboxes_.emplace(bus_->inboxes(), reply_channel_, options_.inboxes);
    subscribe_replies();
  }

  client(const client&) = delete;
  client& operator=(const client&) = delete;

  ~client() {
    pending_.stop_timer();  // first: a retry's backoff ends here, never sends from here on
    inboxes_.reset();
    reply_subscription_.reset();  // no reply handler runs past this line
    // nor does a reader's batch still hold one of our calls (completion_batch.hpp)
    detail::completion_batch::wait_for_release(deferred_);
    pending_.fail_all(errc::cancelled, "the client was destroyed");
  }

  /// Options for the calls made through the returned view: `cli.with({.timeout = 50ms}).call(...)`.
  client_view with(call_options options) { return client_view(*this, std::move(options)); }

  const std::string& id() const noexcept { return options_.id; }
  /// Calls sent and not yet answered.
  std::size_t in_flight() const { return pending_.size(); }

 private:
  // call, try_call, async_call and notify (call_api) come here, with the options of the call.
  template <class>
  friend class detail::call_api;
  template <class>
  friend class detail::call_router;
  const client& caller() const { return *this; }
  const call_options& options() const { return default_call_; }

  void after(std::chrono::milliseconds delay, std::function<void(bool)> task) const {
    pending_.after(delay, std::move(task));
  }

  template <fixed_string N, class R, class... A, class... G>
  result<R> try_call_with(const call_options& o, const procedure<N, R(A...)>& p,
                          G&&... args) const {
    if (!detail::has_hooks(options_.hooks))
      return try_call_unhooked<N, R, A...>(o, p, std::forward<G>(args)...);
    return detail::with_hooks(options_.hooks, o, p.name, [&](const call_options& traced) {
      return try_call_unhooked<N, R, A...>(traced, p, std::forward<G>(args)...);
    });
  }

  template <fixed_string N, class R, class... A, class... G>
  result<R> try_call_unhooked(const call_options& o, const procedure<N, R(A...)>& p,
                              G&&... args) const {
    if (o.stop.stop_possible()) return wait_for_async<N, R, A...>(o, p, std::forward<G>(args)...);
    // The request's deadline is the moment this caller gives up, fixed before it waits for an
    // inbox: that wait uses some of the time, and a service must not run what nobody awaits.
    const detail::call_budget budget = budget_of(o);
    const auto timeout = budget.timeout;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const std::uint64_t id = next_call_id();
    detail::inbox_pool::lease box =
        o.instance.empty() ? inboxes_->acquire(timeout) : detail::inbox_pool::lease{};
    detail::frame_buffer buffer;
    std::string& frame = buffer.bytes();
    try {
      make_frame<A...>(frame, message_kind::request, p, o, id, budget.deadline_ms,
                       box ? std::string_view(box->channel) : reply_channel_,
                       std::forward<G>(args)...);
    } catch (const std::system_error& e) {
      return rpc_error(detail::to_errc(e), e.what(), std::string(p.name));
    }
    if (box) return wait_in_inbox<R>(box, p, o, id, timeout, deadline, frame);

    detail::pending_call slot;
    slot.procedure = p.name;
    pending_.add(id, &slot);
    std::optional<std::string> failure = send(p, o, frame);
    const bool sent = !failure;  // else it never ran (detail/retry.hpp)
    if (sent && !reply_subscription_->healthy()) failure = replies_interrupted;
    if (failure) {
      if (pending_.take(id))
        return sent ? rpc_error(errc::unavailable, *failure, std::string(p.name))
                    : detail::unsent(*failure, p.name);
      slot.done.acquire();  // a reply raced the failure: it wins
    } else if (!slot.done.try_acquire_for(timeout)) {
      if (pending_.take(id)) return timed_out(p.name, o, timeout);
      slot.done.acquire();  // being completed right now
    }
    return detail::reply_result<R>(slot.error, slot.payload, slot.instance, p.name, p.signature);
  }

  template <fixed_string N, class R, class... A, class... G>
  std::future<R> async_call_with(const call_options& o, const procedure<N, R(A...)>& p,
                                 G&&... args) const {
    detail::async_call* call =
        async_calls_.start<R>(p.name, &detail::complete_async<R>, p.signature);
    auto future = call->promise<R>().get_future();
    launch_hooked<A...>(o, p, call, std::forward<G>(args)...);
    return future;
  }

  // A sync call that may be cancelled: an async call waited for (it always ends: the timer),
  // hooked as the sync call around it is.
  template <fixed_string N, class R, class... A, class... G>
  result<R> wait_for_async(const call_options& o, const procedure<N, R(A...)>& p,
                           G&&... args) const {
    std::optional<result<R>> outcome;
    detail::completion_flag done;
    auto callback = [&](result<R> r) {
      outcome.emplace(std::move(r));
      done.release();
    };
    using stored = decltype(callback);
    detail::async_call* call = async_calls_.start_with<stored>(
        p.name, &detail::complete_callback<R, stored>, p.signature, std::move(callback));
    launch<A...>(o, p, call, nullptr, std::forward<G>(args)...);
    done.acquire();
    return std::move(*outcome);
  }

  // An async call that ends in callback(result<R>) (a completion token's: call_api.hpp).
  template <fixed_string N, class R, class... A, class F, class... G>
  void async_call_then(const call_options& o, const procedure<N, R(A...)>& p, F&& callback,
                       G&&... args) const {
    using stored = std::decay_t<F>;
    detail::async_call* call = async_calls_.start_with<stored>(
        p.name, &detail::complete_callback<R, stored>, p.signature, std::forward<F>(callback));
    launch_hooked<A...>(o, p, call, std::forward<G>(args)...);
  }

  // With hooks, on_call_start runs here and on_call_end when the call completes, whoever
  // completes it (reply, timeout, cancel, failure; detail/hooked_calls.hpp).
  template <class... A, fixed_string N, class R, class... G>
  void launch_hooked(const call_options& o, const procedure<N, R(A...)>& p,
                     detail::async_call* call, G&&... args) const {
    if (!detail::has_hooks(options_.hooks))
      return launch<A...>(o, p, call, nullptr, std::forward<G>(args)...);
    call_options traced = o;
    detail::start_hooked_call(options_.hooks, traced, p.name);
    launch<A...>(traced, p, call, &options_.hooks, std::forward<G>(args)...);
  }

  // Frames and sends an async call; a failure before it is sent completes it at once.
  template <class... A, fixed_string N, class R, class... G>
  void launch(const call_options& o, const procedure<N, R(A...)>& p, detail::async_call* call,
              const call_hooks* hooks, G&&... args) const {
    if (!o.instance.empty()) call->instance = o.instance;  // named by a timeout or a failure
    if (hooks) detail::remember_hooks(*call, *hooks, o.traceparent);
    const bool cancellable = o.stop.stop_possible();
    if (cancellable && o.stop.stop_requested())
      return detail::fail_inline(*call, errc::cancelled, detail::cancelled_by_caller);
    const std::uint64_t id = next_call_id();
    const detail::call_budget budget = budget_of(o);
    const auto timeout = budget.timeout;
    detail::frame_buffer buffer;
    std::string& frame = buffer.bytes();
    try {
      make_frame<A...>(frame, message_kind::request, p, o, id, budget.deadline_ms, reply_channel_,
                       std::forward<G>(args)...);
    } catch (const std::system_error& e) {
      return detail::fail_inline(*call, detail::to_errc(e), e.what());
    }
    if (cancellable) {  // before the call is in the table: from then on, a canceller may end it
      call->queue = o.instance.empty() ? detail::service_queue(scope_, p.service)
                                       : detail::instance_queue(scope_, p.service, o.instance);
      call->frame = frame;
      call->stop.emplace(o.stop, detail::call_canceller{&cancel_call, this, id});
    }
    const std::size_t in_flight = pending_.add_with_timeout(id, call, timeout);
    // A cancellable request is pushed at once: a withdrawal must come after it.
    std::optional<std::string> failure =
        send(p, o, frame, !cancellable && in_flight > write_behind_above);
    const bool sent = !failure;  // else it never ran (detail/retry.hpp)
    if (sent && !reply_subscription_->healthy()) failure = replies_interrupted;
    if (failure) {
      if (auto* taken = pending_.take(id)) {
        taken->never_ran = !sent;
        detail::fail_inline(*taken, errc::unavailable, *failure);
      }
    } else if (cancellable && o.stop.stop_requested()) {
      cancel_call(this,
                  id);  // asked while the call was being sent: its canceller may have found nothing
    }
  }

  // What a stop request on a cancellable call runs (detail/call_cancel.hpp).
  static void cancel_call(const void* owner, std::uint64_t id) noexcept {
    const auto* self = static_cast<const client*>(owner);
    detail::cancel_call(self->pending_, *self->bus_, self->scope_, self->replies_, id);
  }

  template <fixed_string N, class R, class... A, class... G>
  void notify_with(const call_options& o, const procedure<N, R(A...)>& p, G&&... args) const {
    result<void> sent =
        !detail::has_hooks(options_.hooks)
            ? notify_unhooked<N, R, A...>(o, p, std::forward<G>(args)...)
            : detail::with_hooks(options_.hooks, o, p.name, [&](const call_options& traced) {
                return notify_unhooked<N, R, A...>(traced, p, std::forward<G>(args)...);
              });
    if (!sent) throw sent.error();
  }

  /// A notification handed to the transport, or why it could not be.
  template <fixed_string N, class R, class... A, class... G>
  result<void> notify_unhooked(const call_options& o, const procedure<N, R(A...)>& p,
                               G&&... args) const {
    detail::frame_buffer buffer;
    std::string& frame = buffer.bytes();
    try {
      make_frame<A...>(frame, message_kind::notification, p, o, 0, budget_of(o).deadline_ms, {},
                       std::forward<G>(args)...);
    } catch (const std::system_error& e) {
      return rpc_error(detail::to_errc(e), e.what(), std::string(p.name));
    }
    if (auto failure = send(p, o, frame))
      return rpc_error(errc::unavailable, *failure, std::string(p.name));
    return {};
  }

 private:
  // publish, append and dead_letters (events/event_api.hpp) come here.
  friend class detail::event_api<client>;
  detail::any_transport& event_transport() { return *bus_; }
  std::string_view event_source() const { return options_.id; }

  // "no reply within N ms", and what the registry knows (detail/timeout_hint.hpp).
  rpc_error timed_out(std::string_view procedure, const call_options& o,
                      std::chrono::milliseconds timeout) const {
    return rpc_error(errc::timeout, hints_->message(procedure, o.instance, timeout),
                     std::string(procedure), o.instance);
  }

  static constexpr const char* replies_interrupted =
      "the connection carrying replies was interrupted; the call may or may not have run";

  /// A sync call whose reply comes to an inbox that this thread reads itself (no thread hop).
  template <class R, class P>
  result<R> wait_in_inbox(detail::inbox_pool::lease& box, const P& p, const call_options& o,
                          std::uint64_t id, std::chrono::milliseconds timeout,
                          std::chrono::steady_clock::time_point deadline,
                          const std::string& frame) const {
    if (auto failure = send(p, o, frame)) return detail::unsent(*failure, p.name);
    envelope e;
    switch (detail::reply_in_inbox(box, replies_, id, p.name, deadline, e)) {
      case inbox_status::timeout:
        return timed_out(p.name, o, timeout);
      case inbox_status::lost:
        box.discard();
        return rpc_error(errc::unavailable, replies_interrupted, std::string(p.name));
      case inbox_status::message:
        break;
    }
    const errc error = e.kind == message_kind::error_reply
                           ? (e.error == errc{} ? errc::bad_message : e.error)
                           : errc{};
    return detail::reply_result<R>(error, e.payload, e.instance, p.name, p.signature);
  }

  std::chrono::milliseconds effective_timeout(const call_options& o) const {
    return o.timeout.count() > 0 ? o.timeout : options_.default_timeout;
  }

  // The call's timeout and deadline, bounded by those of the call handled on this thread.
  detail::call_budget budget_of(const call_options& o) const {
    return detail::budget_of(o, effective_timeout(o), bus_->deadline_clock());
  }

  std::uint64_t next_call_id() const { return next_id_.fetch_add(1, std::memory_order_relaxed); }

  template <class... A, fixed_string N, class R, class... G>
  void make_frame(std::string& frame, message_kind kind, const procedure<N, R(A...)>& p,
                  const call_options& o, std::uint64_t id, std::int64_t deadline_ms,
                  std::string_view reply_to, G&&... args) const {
    detail::make_request_frame<A...>(frame, kind, p, o, id, deadline_ms, reply_to, options_.id,
                                     replies_.key_for(p.service), std::forward<G>(args)...);
  }

  /// Above this many async calls in flight, requests are written behind (write_behind_transport):
  /// up to 100 µs later, many in one write and RPUSH. Such a caller wants throughput, not latency.
  static constexpr std::size_t write_behind_above = 16;

  /// Hands the frame to the transport; returns why it could not, or nothing. An unread queue goes
  /// once past its deadline (queue_expiry.hpp); a dead named instance refuses (errc::unavailable).
  template <class P>
  std::optional<std::string> send(const P& p, const call_options& o, const std::string& frame,
                                  bool behind = false) const {
    return detail::push_request(*bus_, scope_, p.service, o.instance, frame,
                                effective_timeout(o) + detail::queue_expiry_margin, behind);
  }

  void subscribe_replies() {
    reply_subscription_ = bus_->subscribe(
        reply_channel_, [this](std::string_view, std::string_view bytes) { on_reply(bytes); },
        [this] { pending_.fail_all(errc::unavailable, replies_interrupted); });
  }

  void on_reply(std::string_view bytes) {
    envelope e;
    detail::pending_call* call = replies_.take_answered(pending_, bytes, e);
    if (!call) return;  // not a reply, forged, or late: the call timed out already
    if (e.kind == message_kind::error_reply) {
      call->error = e.error == errc{} ? errc::bad_message : e.error;
      call->instance.assign(e.instance);  // errors name who answered; results need not
    }
    call->payload.assign(e.payload);
    detail::completion_batch::complete(*call, deferred_);
  }

  std::unique_ptr<detail::any_transport> bus_;
  mutable std::optional<detail::timeout_hint> hints_;  // reads the registry on timeouts only
  client_options options_;
  detail::reply_gate replies_;  // holds the secrets, as keys
  call_options default_call_;
  std::string scope_;  // the transport's prefix and the group
  std::string reply_channel_;
  // The bookkeeping of calls in flight is mutable: making a call changes nothing of what the
  // client is, so calls may be made through a const client (from any number of threads).
  mutable detail::async_call_pool async_calls_;  // before pending_: outlives the calls it holds
  mutable detail::pending_calls pending_;
  std::atomic<std::size_t> deferred_{0};  // calls a reader's completion_batch holds
  mutable std::atomic<std::uint64_t> next_id_{1};
  std::unique_ptr<detail::any_subscription> reply_subscription_;
  mutable std::optional<detail::inbox_pool> inboxes_;  // after bus_: closed before it
};

}  // namespace redwire
