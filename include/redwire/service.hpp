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

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/any_transport.hpp"
#include "detail/auth.hpp"
#include "detail/builtins.hpp"
#include "detail/component.hpp"
#include "detail/coroutine_handler.hpp"
#include "detail/diagnostics.hpp"
#include "detail/dispatch.hpp"
#include "detail/heartbeat.hpp"
#include "detail/names.hpp"
#include "detail/worker_pool.hpp"
#include "events/stream_consumer.hpp"
#include "events/topic_subscription.hpp"
#include "instance_info.hpp"
#include "introspection.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "procedure.hpp"
#include "stream.hpp"
#include "topic.hpp"
#include "trace.hpp"
#include "transport.hpp"

namespace redwire {

struct service_options {
  std::string instance_id{};  ///< empty: "<service>-<host>-<pid>-<random>"
  std::size_t workers = 4;    ///< threads running handlers
  /// Most requests taken from the transport at once; never more than the idle workers can
  /// start unless handlers are fast (then what they finish within 200 µs), so that replicas
  /// share the load, and about 4 MiB of requests at most.
  std::size_t batch_size = 128;
  /// Longest a pop waits before looking at the stop flag again (stop() wakes it earlier). An
  /// idle instance sends one pop per poll_interval: 5 s keeps its cost low (docs/performance.md).
  std::chrono::milliseconds poll_interval{5000};
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
  /// Where handlers that are coroutines run: an Asio executor (`io.get_executor()`, a strand),
  /// with #include <redwire/asio.hpp>. A handler returning boost::asio::awaitable<R> needs it
  /// (bind() throws std::logic_error otherwise); while it awaits, it holds no worker.
  handler_executor executor{};
  /// Most calls in progress at once (taken and not answered: waiting, running, or awaiting in
  /// a coroutine handler); the instance stops popping while that many are.
  std::size_t max_in_flight = 1024;
  /// Called around every handler run of a procedure, with the call's trace context, outcome
  /// and duration (trace.hpp); a hook that throws is logged, the call goes on.
  call_hooks hooks{};
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

class service {
 public:
  template <transport T>
  service(T& bus, std::string name, service_options options = {})
      : bus_(std::make_unique<detail::transport_adapter<T>>(bus)),
        name_(std::move(name)),
        options_(std::move(options)) {
    if (name_.empty()) throw std::invalid_argument("redwire: a service needs a name");
    if (options_.instance_id.empty()) options_.instance_id = detail::unique_id(name_);
    std::unique_ptr<detail::hmac_key> key;
    if (!options_.secret.empty()) {
      key = std::make_unique<detail::hmac_key>(options_.secret);
      options_.secret.clear();  // kept as a key only
    }
    dispatch_.emplace(*bus_,
                      detail::dispatch_identity{name_, options_.instance_id, options_.log_calls,
                                                options_.hooks, options_.executor},
                      std::move(key), metrics_);
    introspection_.service = name_;
    introspection_.instance = options_.instance_id;
    introspection_.workers = static_cast<std::uint32_t>(options_.workers);
    introspection_.metrics = &metrics_;
    introspection_.dispatch = &*dispatch_;
    detail::bind_builtins(*dispatch_, introspection_);  // $ping, $stats, $describe
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
      dispatch_->bind(p, std::forward<F>(handler));
    }
  }

  // ---- events (topic.hpp, stream.hpp; machinery in events/) ---------------------------------

  /// Runs `handler` for each event published to topic `t` while the service runs (or to every
  /// topic matching a topic_pattern; its handler may take (std::string_view topic, T)).
  /// Only before start(); the compiler checks the handler. A pattern on a transport without
  /// pattern subscriptions throws redwire::unsupported.
  ///   svc.subscribe(order_created, [](order o) { /* ... */ });
  template <fixed_string N, class T, class F>
  void subscribe(const topic<N, T>& t, F&& handler, subscribe_options o = {}) {
    if constexpr (detail::check_event_handler<N, T, F, false>())
      add(detail::make_topic_subscription(t, std::forward<F>(handler), std::move(o), metrics_));
  }
  template <fixed_string P, class T, class F>
  void subscribe(const topic_pattern<P, T>& t, F&& handler, subscribe_options o = {}) {
    if constexpr (detail::check_event_handler<P, T, F, true>()) {
      detail::require(bus_->patterns(), "pattern subscriptions", "redwire::pattern_transport");
      add(detail::make_topic_subscription(t, std::forward<F>(handler), std::move(o), metrics_));
    }
  }
  template <fixed_string N, class T, class F>
  void subscribe(const stream<N, T>&, F&&, subscribe_options = {}) {
    (void)detail::subscribe_to_a_stream<N>{};
  }

  /// Runs `handler` for each entry of stream `s`, as a consumer of group `group` (made on
  /// demand): acknowledged when it returns, retried when it throws (see consume_options).
  /// Throws redwire::unsupported on a transport without durable streams.
  ///   svc.consume(order_log, "billing", [](order o) { /* ... */ });
  template <fixed_string N, class T, class F>
  void consume(const stream<N, T>& s, std::string group, F&& handler, consume_options o = {}) {
    if constexpr (detail::check_event_handler<N, T, F, false>()) {
      detail::require(bus_->streams(), "durable streams", "redwire::stream_transport");
      add(detail::make_stream_consumer(s, std::move(group), std::forward<F>(handler), std::move(o),
                                       name_, metrics_));
    }
  }
  template <fixed_string N, class T, class F>
  void consume(const topic<N, T>&, std::string, F&&, consume_options = {}) {
    (void)detail::consume_a_topic<N>{};
  }

  /// Starts the workers, then the components (heartbeat, subscriptions, consumers), and
  /// returns. Throws std::logic_error when the service runs already (a second start() is a
  /// mistake: two parts of a program each think they own the service); after stop() it may
  /// start again.
  void start() {
    if (!start_once()) throw std::logic_error("redwire: service '" + name_ + "' already started");
  }

  /// Starts if needed, then blocks until stop() is called from another thread.
  void run() {
    start_once();
    std::unique_lock lock(mutex_);
    state_changed_.wait(lock, [this] { return !started_ || stopping_; });
  }

  /// Stops taking requests, finishes every request already taken, then returns. From inside a
  /// handler it returns at once; the workers drain, and a later stop() or the destructor joins
  /// them.
  void stop() {
    bool first = false;
    {
      std::lock_guard lock(mutex_);
      if (!started_) return;
      first = !stopping_;
      stopping_ = true;
    }
    state_changed_.notify_all();
    if (first)  // components stop before the workers, in reverse order
      for (auto it = components_.rbegin(); it != components_.rend(); ++it) (*it)->stop();
    std::unique_lock lock(mutex_);
    if (!workers_) return;
    workers_->stop();
    if (workers_->on_worker_thread()) return;
    if (joining_) {  // another thread joins them: wait for it
      state_changed_.wait(lock, [this] { return !started_; });
      return;
    }
    joining_ = true;
    lock.unlock();
    workers_->join();
    lock.lock();
    joining_ = false;
    workers_.reset();
    reader_.reset();
    cancels_.reset();
    started_ = false;
    state_changed_.notify_all();
  }

  const std::string& name() const noexcept { return name_; }
  const std::string& instance_id() const noexcept { return options_.instance_id; }
  const std::string& group() const noexcept { return options_.group; }

  std::vector<procedure_info> procedures() const {
    std::lock_guard lock(mutex_);
    return dispatch_->procedures();
  }

  /// Counters and durations per procedure, topic and stream/group (metrics.hpp).
  std::vector<operation_stats> metrics() const { return metrics_.snapshot(); }
  /// One operation's: "calc.add", "orders.created", "orders.log/billing"; nothing when the
  /// service has no such procedure, subscription or consumer.
  std::optional<operation_stats> metrics(std::string_view name) const {
    return metrics_.snapshot(name);
  }

  /// What the built-in "$stats" answers (introspection.hpp): counters, and per operation its
  /// calls, failures by cause, handlers in flight and durations. prometheus.hpp renders it.
  stats_reply stats_report() const { return detail::make_stats_reply(introspection_); }

  service_stats stats() const {
    const detail::dispatch_counters& c = dispatch_->counters();
    return {c.calls.load(),    c.failures.load(),     c.expired.load(),
            c.rejected.load(), c.bad_messages.load(), c.unauthorized.load()};
  }

 private:
  /// Starts the service unless it runs already; false if it did.
  bool start_once() {
    std::vector<detail::component*> components;
    {
      std::lock_guard lock(mutex_);
      if (started_) return false;
      started_ = true;
      stopping_ = false;
      introspection_.started_ms.store(detail::introspection_sources::now_ms());
      instance_.emplace(detail::instance_context{
          *bus_, metrics_, name_, options_.instance_id, options_.group,
          detail::group_prefix(bus_->prefix(), options_.group), options_.log_calls,
          dispatch_->procedures(), [this] { stop(); }});
      reader_ =
          bus_->open_reader({detail::instance_queue(instance_->scope, name_, options_.instance_id),
                             detail::service_queue(instance_->scope, name_)});
      cancels_ = listen_for_cancels();
      if (options_.registration.enabled && !registered_) {  // last: it starts after the rest
        components_.push_back(std::make_unique<detail::heartbeat>(options_.registration));
        registered_ = true;
      }
      workers_.emplace(*dispatch_, *reader_,
                       detail::pool_settings{.workers = options_.workers,
                                             .batch_size = options_.batch_size,
                                             .poll_interval = options_.poll_interval,
                                             .cork = bus_->corking() != nullptr,
                                             .max_in_flight = options_.max_in_flight,
                                             .name = "service " + options_.instance_id});
      workers_->start();
      for (auto& c : components_) components.push_back(c.get());
    }
    for (detail::component* c : components) c->start(*instance_);
    return true;
  }

  // Callers that give up on a call this instance has taken say so on the service's cancel
  // channel (detail/running_calls.hpp). Without it handlers are not stopped; calls still work.
  std::unique_ptr<detail::any_subscription> listen_for_cancels() {
    try {
      return bus_->subscribe(
          detail::cancel_channel(instance_->scope, name_),
          [this](std::string_view, std::string_view bytes) { dispatch_->cancel(bytes); }, [] {});
    } catch (const transport_error& e) {
      log(log_level::warning, "service " + options_.instance_id +
                                  ": cancelled calls will run to their end: " + e.what());
      return nullptr;
    }
  }

  void add(std::unique_ptr<detail::component> component) {
    std::lock_guard lock(mutex_);
    if (started_) throw std::logic_error("redwire: subscribe() or consume() after start()");
    components_.push_back(std::move(component));
  }

  std::unique_ptr<detail::any_transport> bus_;
  detail::metrics_registry metrics_;  // before dispatch_ and components_: they count into it
  std::string name_;
  service_options options_;
  detail::introspection_sources introspection_;  // before dispatch_: its built-ins read it
  std::optional<detail::dispatcher> dispatch_;
  std::vector<std::unique_ptr<detail::component>> components_;
  std::optional<detail::instance_context> instance_;  // set by start(): what components see

  mutable std::mutex mutex_;
  std::condition_variable state_changed_;
  bool started_ = false, stopping_ = false;
  bool joining_ = false;     // a stop() is joining the workers
  bool registered_ = false;  // the heartbeat component was added
  std::unique_ptr<detail::any_reader> reader_;
  std::unique_ptr<detail::any_subscription> cancels_;  // cancel frames for dispatch_
  std::optional<detail::worker_pool> workers_;         // after reader_: it reads from it
};

}  // namespace redwire
