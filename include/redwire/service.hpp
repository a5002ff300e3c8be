// redwire/service.hpp — serving procedures.
//
//   redwire::service svc{bus, "calc"};
//   svc.bind(calc::add, [](int a, int b) { return a + b; });   // checked against calc::add
//   svc.start();   // workers in the background; svc.run() blocks instead; svc.stop() drains
//
// An instance takes requests from two queues: its own (calls targeted at it) first, then its
// service's (shared by every replica). Handlers run on `workers` threads and must be
// thread-safe. A handler that throws sends its message back as errc::remote_exception; the
// worker goes on. Calls that carry the same key run one at a time, in the order they arrived.
// With a secret (service_options::secret), only calls MACed with it run; the others get
// errc::unauthorized, and replies are MACed too (detail/auth.hpp).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "codec.hpp"
#include "context.hpp"
#include "detail/any_transport.hpp"
#include "detail/auth.hpp"
#include "detail/diagnostics.hpp"
#include "detail/names.hpp"
#include "detail/ring.hpp"
#include "envelope.hpp"
#include "errors.hpp"
#include "events/entry_points.hpp"
#include "instance_info.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "procedure.hpp"
#include "stream.hpp"
#include "topic.hpp"
#include "transport.hpp"

namespace redwire {

struct service_options {
  std::string instance_id{};  ///< empty: "<service>-<host>-<pid>-<random>"
  std::size_t workers = 4;    ///< threads running handlers
  /// Most requests taken from the transport at once; never more than the idle workers can
  /// start, so that replicas share the load.
  std::size_t batch_size = 64;
  /// Longest a pop waits before looking at the stop flag again (stop() wakes it earlier).
  std::chrono::milliseconds poll_interval{1000};
  /// Log every call and event handled (debug level, with trace id and duration) through the
  /// log sink (log.hpp). Off: nothing is built per call.
  bool log_calls = false;
  /// Names are scoped by the group: instances and clients of other groups do not see this one.
  std::string group{};
  /// Heartbeats and facts for the registry (on by default; see redwire/registry.hpp).
  registration_options registration{};
  /// Shared secret: non-empty, only calls authenticated with it (HMAC-SHA256, see
  /// client_options::secret) run; others get errc::unauthorized. Never sent, never stored.
  std::string secret{};
};

/// Counters since start; read them with service::stats().
struct service_stats {
  std::uint64_t calls = 0;         ///< requests and notifications whose handler ran
  std::uint64_t failures = 0;      ///< handlers that threw
  std::uint64_t expired = 0;       ///< requests dropped because their deadline had passed
  std::uint64_t rejected = 0;      ///< unknown procedure, signature mismatch, bad arguments
  std::uint64_t bad_messages = 0;  ///< bytes in the queue that are not a redwire request
  std::uint64_t unauthorized = 0;  ///< requests refused for want of a valid MAC (secret set)
};

class service;

namespace detail {
/// A part of an instance that runs beside its request workers and starts and stops with them:
/// heartbeats, event subscriptions, stream consumers. Components start after the workers, in
/// the order they were added, and stop before them, in reverse order.
class service_component {
 public:
  virtual ~service_component() = default;
  virtual void start(service& owner) = 0;
  /// Finishes what was taken, then returns.
  virtual void stop() = 0;
};
/// Keeps the instance registered (detail/heartbeat.hpp, included at the end of this file).
inline std::unique_ptr<service_component> make_heartbeat(const registration_options& options,
                                                         const std::string& group);
}  // namespace detail

class service {
 public:
  template <transport T>
  service(T& bus, std::string name, service_options options = {})
      : bus_(std::make_unique<detail::transport_adapter<T>>(bus)),
        name_(std::move(name)),
        options_(std::move(options)) {
    if (name_.empty()) throw std::invalid_argument("redwire: a service needs a name");
    if (options_.instance_id.empty()) options_.instance_id = detail::unique_id(name_);
    if (options_.workers == 0) options_.workers = 1;
    if (options_.batch_size == 0) options_.batch_size = 1;
    if (!options_.secret.empty()) {
      key_ = std::make_unique<detail::hmac_key>(options_.secret);
      options_.secret.clear();  // kept as a key only
    }
  }

  service(const service&) = delete;
  service& operator=(const service&) = delete;
  ~service() { stop(); }

  /// Serves procedure `p` with `handler`. Only before start(); the compiler checks the handler.
  template <fixed_string N, class R, class... A, class F>
  void bind(const procedure<N, R(A...)>& p, F&& handler) {
    if constexpr (detail::check_handler<N, R, F, A...>()) {
      if (p.service != name_)
        throw std::invalid_argument("redwire: procedure '" + std::string(p.name) +
                                    "' belongs to service '" + std::string(p.service) +
                                    "', not to '" + name_ + "'");
      std::lock_guard lock(mutex_);
      if (started_) throw std::logic_error("redwire: bind() after start()");
      handlers_[std::string(p.name)] = bound_procedure{
          p.fingerprint, std::string(p.signature),
          [h = std::forward<F>(handler)](std::string_view args, std::string& out) mutable {
            auto values = decode_values<wire_type_t<A>...>(args);
            if constexpr (std::is_void_v<R>) {
              std::apply([&](auto&... v) { h(std::move(v)...); }, values);
            } else {
              const R result =
                  std::apply([&](auto&... v) -> R { return h(std::move(v)...); }, values);
              redwire::encode_values(out, result);
            }
          }};
      handlers_[std::string(p.name)].metrics = &metrics_.add(p.name, operation_kind::procedure);
    }
  }

  // ---- events (topic.hpp, stream.hpp; machinery in events/) ---------------------------------

  /// Runs `handler` for each event published to topic `t` while the service runs (or to every
  /// topic matching a topic_pattern; its handler may take (std::string_view topic, T)).
  /// Only before start(); the compiler checks the handler.
  ///   svc.subscribe(order_created, [](order o) { /* ... */ });
  template <fixed_string N, class T, class F>
  void subscribe(const topic<N, T>& t, F&& handler, subscribe_options o = {}) {
    if constexpr (detail::check_event_handler<N, T, F, false>())
      detail::add_topic_subscription(*this, t, std::forward<F>(handler), std::move(o));
  }
  template <fixed_string P, class T, class F>
  void subscribe(const topic_pattern<P, T>& t, F&& handler, subscribe_options o = {}) {
    if constexpr (detail::check_event_handler<P, T, F, true>())
      detail::add_topic_subscription(*this, t, std::forward<F>(handler), std::move(o));
  }
  template <fixed_string N, class T, class F>
  void subscribe(const stream<N, T>&, F&&, subscribe_options = {}) {
    (void)detail::subscribe_to_a_stream<N>{};
  }

  /// Runs `handler` for each entry of stream `s`, as a consumer of group `group` (made on
  /// demand): acknowledged when it returns, retried when it throws (see consume_options).
  ///   svc.consume(order_log, "billing", [](order o) { /* ... */ });
  template <fixed_string N, class T, class F>
  void consume(const stream<N, T>& s, std::string group, F&& handler, consume_options o = {}) {
    if constexpr (detail::check_event_handler<N, T, F, false>())
      detail::add_stream_consumer(*this, s, std::move(group), std::forward<F>(handler),
                                  std::move(o));
  }
  template <fixed_string N, class T, class F>
  void consume(const topic<N, T>&, std::string, F&&, consume_options = {}) {
    (void)detail::consume_a_topic<N>{};
  }

  /// Adds a component (see detail::service_component). Only before start().
  void add_component(std::unique_ptr<detail::service_component> component) {
    std::lock_guard lock(mutex_);
    if (started_) throw std::logic_error("redwire: add_component() after start()");
    components_.push_back(std::move(component));
  }

  /// Starts the workers, then the components, and returns.
  void start() {
    {
      std::lock_guard lock(mutex_);
      if (started_) return;
      started_ = true;
      stopping_ = false;
      const std::string scope = detail::group_prefix(bus_->prefix(), options_.group);
      reader_ = bus_->open_reader({detail::instance_queue(scope, name_, options_.instance_id),
                                   detail::service_queue(scope, name_)});
      if (options_.registration.enabled && !registered_) {  // last: it starts after the rest
        components_.push_back(detail::make_heartbeat(options_.registration, options_.group));
        registered_ = true;
      }
      for (std::size_t i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { work(); });
    }
    for (auto& c : components_) c->start(*this);
  }

  /// The transport this service was made with (for components).
  detail::any_transport& bus() noexcept { return *bus_; }

  /// Starts if needed, then blocks until stop() is called from another thread.
  void run() {
    start();
    std::unique_lock lock(mutex_);
    state_changed_.wait(lock, [this] { return !started_ || stopping_; });
  }

  /// Stops taking requests, finishes every request already taken, then returns.
  void stop() {
    bool components_running;
    {
      std::lock_guard lock(mutex_);
      components_running = started_ && !stopping_;
    }
    if (components_running)
      for (auto it = components_.rbegin(); it != components_.rend(); ++it) (*it)->stop();
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(mutex_);
      if (!started_) return;
      stopping_ = true;
      if (reader_) reader_->wake();
      for (auto& w : workers_) {
        if (w.get_id() == std::this_thread::get_id()) {
          // stop() from inside a handler: the workers drain; a later stop() or the
          // destructor joins them.
          state_changed_.notify_all();
          return;
        }
      }
      workers.swap(workers_);
    }
    state_changed_.notify_all();
    for (auto& w : workers) w.join();
    std::lock_guard lock(mutex_);
    if (workers_.empty()) {
      reader_.reset();
      started_ = false;
    }
    state_changed_.notify_all();
  }

  const std::string& name() const noexcept { return name_; }
  const std::string& instance_id() const noexcept { return options_.instance_id; }
  const std::string& group() const noexcept { return options_.group; }

  std::vector<procedure_info> procedures() const {
    std::lock_guard lock(mutex_);
    std::vector<procedure_info> out;
    for (const auto& [n, b] : handlers_) out.push_back({n, b.signature, b.fingerprint});
    return out;
  }

  /// Counters and durations per procedure, topic and stream/group (metrics.hpp).
  std::vector<operation_stats> metrics() const { return metrics_.snapshot(); }
  /// One operation's: "calc.add", "orders.created", "orders.log/billing".
  std::optional<operation_stats> metrics(std::string_view name) const {
    return metrics_.snapshot(name);
  }
  /// For components: where they count what they do.
  detail::metrics_registry& metrics_registry() noexcept { return metrics_; }
  bool logs_every_call() const noexcept { return options_.log_calls; }

  service_stats stats() const {
    service_stats s;
    s.calls = calls_.load();
    s.failures = failures_.load();
    s.expired = expired_.load();
    s.rejected = rejected_.load();
    s.bad_messages = bad_messages_.load();
    s.unauthorized = unauthorized_.load();
    return s;
  }

 private:
  struct bound_procedure {
    std::uint64_t fingerprint = 0;
    std::string signature;
    std::function<void(std::string_view, std::string&)> invoke;
    detail::operation_metrics* metrics = nullptr;
  };

  struct work_item {
    std::string bytes;
    std::string key;  // empty: unordered
  };

  // Leader/follower: one worker at a time pops a batch; it keeps the first runnable request
  // for itself (no hand-off for a lone call) and leaves the rest to the others. Requests whose
  // key is busy wait behind it, so same-key calls run one at a time, in arrival order.
  //
  // A lone request: the worker that popped it runs it, replies, and pops again — waking no
  // other worker, whose pop would otherwise reach Redis (and compete for a core) while the
  // reply is on its way. So that a handler that blocks (a nested call, a slow request) does not
  // stop the instance from taking requests, one idle worker watches: if the leader has not come
  // back to pop within `lone_takeover`, that worker pops instead.
  void work() {
    std::vector<std::string> batch;
    std::string reply;
    std::string reply_to;  // set: `reply` waits to go out with this worker's next pop
    const bool fuse = reader_->fuses_publish() && options_.workers > 1;
    const bool cork = bus_->corks();
    std::unique_lock lock(mutex_);
    for (;;) {
      if (!ready_.empty()) {
        work_item item = std::move(ready_.front());
        ready_.pop_front();
        ++busy_;
        const bool lone = fuse && pop_owed_ && owed_by_ == std::this_thread::get_id();
        // Part of a batch of fast requests: the reply waits for the batch's others (below).
        const bool hold = cork && !lone && !ready_.empty() && average_run_ns_ > 0 &&
                          average_run_ns_ < hold_below_ns;
        const bool flush_first = held_replies_ && ready_.empty();  // the batch is all taken
        if (flush_first) held_replies_ = false;
        lock.unlock();
        if (flush_first) flush_replies();
        const auto began = std::chrono::steady_clock::now();
        execute(item.bytes, reply, lone ? &reply_to : nullptr, hold);
        const auto ran = std::chrono::steady_clock::now() - began;
        lock.lock();
        --busy_;
        note_run_time(ran);
        if (!item.key.empty()) release_key(item.key);
        held_replies_ = held_replies_ || hold;
        if (held_replies_ && ready_.empty()) {  // the batch is taken: its replies go out now
          held_replies_ = false;
          lock.unlock();
          flush_replies();
          lock.lock();
        }
        if (!reply_to.empty() && !(ready_.empty() && !stopping_ && !popping_ && pop_owed_ &&
                                   owed_by_ == std::this_thread::get_id())) {
          lock.unlock();  // someone else pops meanwhile, or there is work: send it now
          publish(reply_to, reply);
          reply_to.clear();
          lock.lock();
        }
        continue;
      }
      if (stopping_) {
        if (!popping_ && ready_.empty() && waiting_by_key_.empty()) break;
        state_changed_.wait(lock);
        continue;
      }
      const bool owed_elsewhere = pop_owed_ && owed_by_ != std::this_thread::get_id();
      if (popping_ || (owed_elsewhere && watching_)) {
        state_changed_.wait(lock);
        continue;
      }
      if (owed_elsewhere) {
        // Watch: while lone requests keep coming, stay armed (waking once per lone_takeover)
        // rather than sleep and be notified at every one; leave after lone_linger without any.
        watching_ = true;
        bool take_over = false;
        while (ready_.empty() && !stopping_) {
          const auto now = std::chrono::steady_clock::now();
          if (pop_owed_ && !popping_ && owed_by_ != std::this_thread::get_id()) {
            if (now >= owed_since_ + lone_takeover) {
              take_over = true;  // the leader is still in its handler
              break;
            }
            state_changed_.wait_until(lock, owed_since_ + lone_takeover);
          } else if (now - owed_since_ < lone_linger) {
            state_changed_.wait_for(lock, lone_takeover);
          } else {
            break;
          }
        }
        watching_ = false;
        if (!take_over) continue;
      }
      popping_ = true;
      pop_owed_ = false;
      const std::size_t take = batch_limit();
      lock.unlock();
      batch.clear();
      bool failed = false;
      try {
        if (!reply_to.empty()) {
          reader_->publish_then_pop(reply_to, reply, batch, take, options_.poll_interval);
        } else {
          reader_->pop(batch, take, options_.poll_interval);
        }
      } catch (const transport_error& e) {
        failed = true;
        log(log_level::warning,
            "service " + options_.instance_id + ": cannot take requests: " + e.what());
      }
      reply_to.clear();
      lock.lock();
      popping_ = false;
      for (auto& bytes : batch) admit(std::move(bytes));
      if (ready_.size() > 1) {
        state_changed_.notify_all();
      } else if (ready_.size() == 1 && options_.workers > 1) {
        pop_owed_ = true;  // this worker runs it, then pops again (see above)
        owed_since_ = std::chrono::steady_clock::now();
        owed_by_ = std::this_thread::get_id();
        if (!watching_) state_changed_.notify_one();  // a watcher, unless one is there
      } else {
        state_changed_.notify_one();  // someone else takes over popping
      }
      if (failed && !stopping_)  // the transport reconnects by itself: do not spin meanwhile
        state_changed_.wait_for(lock, std::chrono::milliseconds(100));
    }
    state_changed_.notify_all();
  }

  // Called with mutex_ held. Take no more than the idle workers can start: what this instance
  // takes, replicas cannot, so an instance that over-takes leaves its replicas idle while
  // requests wait. Except when handlers are fast: then a batch that the workers finish within
  // `batch_window` waits less than a replica's pop round trip would, and one pop instead of
  // one per request is what lets an instance serve 100k calls/s (docs/performance.md).
  std::size_t batch_limit() const {
    constexpr std::int64_t batch_window_ns = 200'000;
    const std::size_t idle = options_.workers - busy_;
    std::size_t room = idle > ready_.size() ? idle - ready_.size() : 1;
    if (average_run_ns_ > 0) {
      const auto by_time = static_cast<std::size_t>(static_cast<std::int64_t>(options_.workers) *
                                                    batch_window_ns / average_run_ns_);
      if (by_time > ready_.size()) room = std::max(room, by_time - ready_.size());
    }
    return std::max<std::size_t>(1, std::min(options_.batch_size, room));
  }

  // Called with mutex_ held: a moving average of handler run time (0 until the first call).
  void note_run_time(std::chrono::steady_clock::duration ran) {
    const auto ns = std::max<std::int64_t>(
        1, std::chrono::duration_cast<std::chrono::nanoseconds>(ran).count());
    average_run_ns_ = average_run_ns_ == 0 ? ns : average_run_ns_ + (ns - average_run_ns_) / 8;
  }

  // Called with mutex_ held.
  void admit(std::string bytes) {
    std::string key;
    try {
      key = std::string(decode_envelope(bytes).key);
    } catch (const std::system_error& e) {
      ++bad_messages_;
      log(log_level::warning, "service " + options_.instance_id +
                                  ": dropped bytes that are not a redwire request: " + e.what());
      return;
    }
    if (!key.empty()) {
      auto [it, fresh] = waiting_by_key_.try_emplace(key);
      if (!fresh) {
        it->second.push_back(std::move(bytes));
        return;
      }
    }
    ready_.push_back({std::move(bytes), std::move(key)});
  }

  // Called with mutex_ held, when a request with `key` has finished.
  void release_key(const std::string& key) {
    auto it = waiting_by_key_.find(key);
    if (it == waiting_by_key_.end()) return;
    if (it->second.empty()) {
      waiting_by_key_.erase(it);
      return;
    }
    ready_.push_front({std::move(it->second.front()), key});
    it->second.pop_front();
  }

  // With `defer_to`, a successful reply is left in `reply` and its channel in *defer_to, for the
  // caller to send (with its next pop); errors go out at once.
  // With `hold`, the reply waits in the transport's buffer for flush_replies().
  void execute(const std::string& bytes, std::string& reply, std::string* defer_to, bool hold) {
    envelope e;
    try {
      e = decode_envelope(bytes);
    } catch (const std::system_error&) {
      return;  // admit() checked it already
    }
    if (e.kind != message_kind::request && e.kind != message_kind::notification) {
      ++bad_messages_;
      return;
    }
    if (key_) {  // before anything else reads the request: it may be forged
      if (const char* why = detail::check_request(bytes, e, *key_)) {
        ++unauthorized_;
        if (e.kind == message_kind::request && !e.reply_to.empty())
          send_error(e, reply, errc::unauthorized,
                     "service " + name_ + " runs only calls authenticated with its secret: " + why);
        return;
      }
    }
    if (e.expired()) {
      ++expired_;
      if (auto found = handlers_.find(std::string(e.procedure)); found != handlers_.end())
        found->second.metrics->timeouts.fetch_add(1, std::memory_order_relaxed);
      return;  // the caller has given up: running it now would break "at most once, in time"
    }
    const bool wants_reply = e.kind == message_kind::request && !e.reply_to.empty();
    auto found = handlers_.find(std::string(e.procedure));  // immutable once started
    if (found == handlers_.end()) {
      ++rejected_;
      if (wants_reply)
        send_error(e, reply, errc::unknown_procedure,
                   "instance " + options_.instance_id + " of service " + name_ +
                       " serves no procedure '" + std::string(e.procedure) + "'");
      return;
    }
    const bound_procedure& target = found->second;
    if (e.fingerprint != target.fingerprint) {
      ++rejected_;
      if (wants_reply)
        send_error(e, reply, errc::signature_mismatch,
                   "the caller's declaration of '" + std::string(e.procedure) +
                       "' differs from this service's: " + target.signature);
      return;
    }
    const call_context context{e.procedure, e.trace_id, e.caller, options_.instance_id, e.key};
    detail::call_scope scope(context);
    reply.clear();
    const std::size_t header_size = begin_reply(e, reply, message_kind::reply, errc{});
    errc failure{};
    std::string message;
    const auto started = std::chrono::steady_clock::now();
    try {
      target.invoke(e.payload, reply);
      ++calls_;
    } catch (const rpc_error& error) {
      failure = errc::remote_exception;
      message = error.what();
    } catch (const std::system_error& error) {
      if (error.code().category() == error_category()) {
        failure = static_cast<errc>(error.code().value());
        message = std::string("arguments do not decode: ") + error.what();
        ++rejected_;
      } else {
        failure = errc::remote_exception;
        message = error.what();
      }
    } catch (const std::exception& error) {
      failure = errc::remote_exception;
      message = error.what();
    } catch (...) {
      failure = errc::remote_exception;
      message = "the handler threw something that is not a std::exception";
    }
    if (failure == errc::remote_exception) {
      ++calls_;
      ++failures_;
    }
    if (failure == errc{} || failure == errc::remote_exception) {
      const auto elapsed = std::chrono::steady_clock::now() - started;
      target.metrics->record(elapsed, failure != errc{});
      const bool late = e.expired();
      if (late) target.metrics->timeouts.fetch_add(1, std::memory_order_relaxed);
      if (options_.log_calls)
        log(log_level::debug,
            "call " + std::string(e.procedure) + " trace " + std::string(e.trace_id) + " from " +
                std::string(e.caller) + (failure != errc{} ? " failed" : " ok") +
                (late ? " past its deadline" : "") + " in " +
                std::to_string(
                    std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()) +
                " us");
    }
    if (!wants_reply) {
      if (failure != errc{})
        log(log_level::warning, "service " + options_.instance_id + ": notification " +
                                    std::string(e.procedure) + " failed: " + message);
      return;
    }
    if (failure != errc{}) {
      send_error(e, reply, failure, message);
      return;
    }
    if (key_) detail::sign_frame(reply, header_size, *key_);
    if (defer_to)
      defer_to->assign(e.reply_to);
    else
      publish(e.reply_to, reply, hold);
  }

  // Returns the size of the header written (where the payload starts).
  std::size_t begin_reply(const envelope& request, std::string& out, message_kind kind, errc code) {
    envelope r;
    r.kind = kind;
    r.call_id = request.call_id;
    r.fingerprint = request.fingerprint;
    r.error = code;
    r.procedure = request.procedure;
    r.trace_id = request.trace_id;
    r.instance = options_.instance_id;
    if (key_) r.caller = request.caller;  // inside the MAC: the reply is for that client only
    encode_envelope_header(out, r);
    return out.size();
  }

  void send_error(const envelope& request, std::string& out, errc code, std::string_view message) {
    out.clear();
    const std::size_t header_size = begin_reply(request, out, message_kind::error_reply, code);
    out.append(message);
    // A refusal goes bare: a caller without the secret could not check a MAC anyway.
    if (key_ && code != errc::unauthorized) detail::sign_frame(out, header_size, *key_);
    publish(request.reply_to, out);
  }

  void publish(std::string_view channel, const std::string& bytes, bool hold = false) {
    try {
      if (hold)
        bus_->publish_held(channel, bytes);
      else
        bus_->publish(channel, bytes);
    } catch (const transport_error& e) {
      log(log_level::warning,
          "service " + options_.instance_id + ": a reply was lost: " + e.what());
    }
  }

  void flush_replies() {
    try {
      bus_->flush();
    } catch (const transport_error& e) {
      log(log_level::warning,
          "service " + options_.instance_id + ": replies were lost: " + e.what());
    }
  }

  std::unique_ptr<detail::any_transport> bus_;
  std::unique_ptr<detail::hmac_key> key_;  // set: only authenticated calls run
  detail::metrics_registry metrics_;       // before components_: they count into it
  std::string name_;
  service_options options_;
  std::unordered_map<std::string, bound_procedure> handlers_;
  std::vector<std::unique_ptr<detail::service_component>> components_;

  mutable std::mutex mutex_;
  std::condition_variable state_changed_;
  bool started_ = false, stopping_ = false, popping_ = false;
  // A worker runs a lone request it popped and pops again afterwards (work()); one idle worker
  // watches and takes over popping if that takes longer than lone_takeover.
  static constexpr std::chrono::microseconds lone_takeover{1000};
  static constexpr std::chrono::milliseconds lone_linger{20};
  bool pop_owed_ = false, watching_ = false;
  // Replies to a batch wait in the transport (corking_transport) while more of the batch is
  // ready to run, if handlers take under hold_below_ns on average; as soon as the batch is all
  // taken (a worker takes its last request, or finishes one and finds none left) they are
  // written, in one write instead of one per reply. A held reply thus waits only until the rest
  // of its batch has been taken by free workers, never for the handlers it does not run itself.
  static constexpr std::int64_t hold_below_ns = 50'000;
  bool held_replies_ = false;
  std::chrono::steady_clock::time_point owed_since_{};
  std::thread::id owed_by_{};
  bool registered_ = false;          // the heartbeat component was added
  std::size_t busy_ = 0;             // workers running a handler
  std::int64_t average_run_ns_ = 0;  // see batch_limit()
  std::unique_ptr<detail::any_reader> reader_;
  std::vector<std::thread> workers_;
  detail::ring<work_item> ready_;
  std::unordered_map<std::string, std::deque<std::string>> waiting_by_key_;

  std::atomic<std::uint64_t> calls_{0}, failures_{0}, expired_{0}, rejected_{0}, bad_messages_{0};
  std::atomic<std::uint64_t> unauthorized_{0};
};

}  // namespace redwire

#include "detail/heartbeat.hpp"

#include "events/service_events.hpp"  // what subscribe() and consume() add
