// redwire/events/topic_subscription.hpp — a service's subscription to a topic (or a pattern
// of topics), as a component of its instance.
//
// The transport delivers on its own thread, which also carries the replies of calls: a handler
// that made a call there would wait for a reply stuck behind itself. So delivery only queues
// the bytes, and a thread of the subscription's own runs the handler, one event at a time, in
// the order they came.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../context.hpp"
#include "../detail/any_transport.hpp"
#include "../detail/component.hpp"
#include "../detail/thread_name.hpp"
#include "../log.hpp"
#include "../metrics.hpp"
#include "../topic.hpp"
#include "../trace.hpp"
#include "frame.hpp"
#include "names.hpp"

namespace redwire::detail {

/// Decodes the value of an event and runs the user's handler with it; sets `decoded` once the
/// value decoded (an exception before that is bad input, after it a failing handler).
using event_dispatch = std::function<void(const event_frame&, bool& decoded)>;

/// What running an event's handler gave: whether its value decoded, whether it threw (and
/// what), and how long it ran.
struct handler_run {
  bool decoded = false;
  bool failed = false;
  std::string error;
  std::chrono::steady_clock::duration elapsed{};
};

/// Runs the handler of `f` on instance `instance`, inside the event's call_context (its trace id
/// follows into the calls and events the handler makes). Never throws what the handler throws.
inline handler_run run_event_handler(const event_dispatch& dispatch, const event_frame& f,
                                     std::string_view instance) {
  handler_run r;
  const handler_span span(f.trace_id);  // a child of the publisher's span
  const call_context context{f.name,         span.trace_id(),       f.source,    instance, {},
                             span.span_id(), span.parent_span_id(), span.flags()};
  call_scope scope(context);
  const auto started = std::chrono::steady_clock::now();
  try {
    dispatch(f, r.decoded);
  } catch (const std::exception& e) {
    r.failed = true;
    r.error = e.what();
  } catch (...) {
    r.failed = true;
    r.error = "the handler threw something that is not a std::exception";
  }
  r.elapsed = std::chrono::steady_clock::now() - started;
  return r;
}

/// Logs "<what> ... <error>" with the component's context, at most once per second for
/// repeated failures, so a broken peer cannot flood the log.
class throttled_log {
 public:
  void operator()(log_level level, const std::string& text) {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    if (now - last_ < std::chrono::seconds(1)) {
      ++suppressed_;
      return;
    }
    last_ = now;
    std::string line = text;
    if (suppressed_ > 0) line += " (" + std::to_string(suppressed_) + " similar suppressed)";
    suppressed_ = 0;
    log(level, line);
  }

 private:
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_{};
  std::uint64_t suppressed_ = 0;
};

class topic_subscription final : public component {
 public:
  struct settings {
    std::string name;  // topic name, or the pattern
    bool pattern = false;
    std::uint64_t fingerprint = 0;  // exact topics
    std::string description;        // patterns: the value's structure, for the fingerprint
    subscribe_options options;
  };

  topic_subscription(settings s, event_dispatch dispatch, operation_metrics& metrics)
      : s_(std::move(s)), dispatch_(std::move(dispatch)), metrics_(metrics) {}

  ~topic_subscription() override { stop(); }

  void start(const instance_context& instance) override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = false;
    }
    bus_ = &instance.bus;
    instance_ = instance.instance_id;
    log_events_ = instance.log_every_call;
    try {
      subscribe();  // now, so that an event published after start() returns is delivered
    } catch (const transport_error& e) {
      log(log_level::warning, "topic " + s_.name + ": cannot subscribe yet (" + e.what() +
                                  "); retrying in the background");
    }
    thread_ = named_thread("rw-topic", [this] { run(); });
  }

  void stop() override {
    {
      std::lock_guard lock(sub_mutex_);
      subscription_.reset();  // waits for a delivery that is running
      subscribed_ = false;
    }
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void subscribe() {
    const std::string channel = topic_channel(bus_->prefix(), s_.name);
    auto on_message = [this](std::string_view, std::string_view bytes) { enqueue(bytes); };
    auto on_gap = [this] {
      log(log_level::info,
          "topic " + s_.name + ": the connection came back; events published meanwhile are lost");
    };
    auto sub = s_.pattern ? require(bus_->patterns(), "pattern subscriptions",
                                    "redwire::pattern_transport")
                                .psubscribe(channel, on_message, on_gap)
                          : bus_->subscribe(channel, on_message, on_gap);
    std::lock_guard lock(sub_mutex_);
    subscription_ = std::move(sub);
    subscribed_ = true;
  }

  void enqueue(std::string_view bytes) {
    {
      std::lock_guard lock(mutex_);
      if (queue_.size() < s_.options.queue_capacity) {
        queue_.emplace_back(bytes);
        changed_.notify_one();
        return;
      }
    }
    metrics_.dropped.fetch_add(1, std::memory_order_relaxed);
    complain_(log_level::warning, "topic " + s_.name + ": handler falls behind, events dropped");
  }

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (!queue_.empty()) {
        std::string bytes = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        handle(bytes);
        lock.lock();
        continue;
      }
      if (stopping_) return;
      if (subscribed_) {
        changed_.wait(lock);
        continue;
      }
      changed_.wait_for(lock, std::chrono::milliseconds(500));
      if (stopping_) continue;
      lock.unlock();
      try {
        subscribe();
        log(log_level::info, "topic " + s_.name + ": subscribed");
      } catch (const transport_error& e) {
        complain_(log_level::warning, "topic " + s_.name + ": cannot subscribe: " + e.what());
      }
      lock.lock();
    }
  }

  void handle(std::string_view bytes) {
    event_frame f;
    try {
      f = decode_event_frame(bytes);
    } catch (const std::system_error& e) {
      bad("bytes that are not a redwire event: " + std::string(e.what()));
      return;
    }
    const std::uint64_t expected =
        s_.pattern ? event_fingerprint(f.name, s_.description) : s_.fingerprint;
    if (f.kind != event_kind::topic || f.fingerprint != expected) {
      bad("an event of '" + std::string(f.name) +
          "' declared differently by its publisher (another value type)");
      return;
    }
    const auto [decoded, failed, error, elapsed] = run_event_handler(dispatch_, f, instance_);
    if (failed && !decoded) {
      bad("an event whose value does not decode: " + error);
      return;
    }
    metrics_.record(elapsed, failed);
    if (failed)
      log(log_level::warning, "topic " + std::string(f.name) + ": handler of instance " +
                                  instance_ + " failed: " + error);
    else if (log_events_)
      log(log_level::debug,
          "event " + std::string(f.name) + " trace " + std::string(f.trace_id) + " handled in " +
              std::to_string(
                  std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()) +
              " us");
  }

  void bad(const std::string& what) {
    metrics_.bad_messages.fetch_add(1, std::memory_order_relaxed);
    complain_(log_level::warning, "topic " + s_.name + ": dropped " + what);
  }

  settings s_;
  any_transport* bus_ = nullptr;  // set by start()
  std::string instance_;          // of the instance it runs in
  bool log_events_ = false;
  event_dispatch dispatch_;
  operation_metrics& metrics_;
  throttled_log complain_;

  std::mutex sub_mutex_;
  std::unique_ptr<any_subscription> subscription_;
  std::atomic<bool> subscribed_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

/// Decodes the value of a T event and calls the handler (with the topic name if it takes one).
template <class T, class F>
event_dispatch make_event_dispatch(F&& handler) {
  return [h = std::forward<F>(handler)](const event_frame& f, bool& decoded) mutable {
    wire_type_t<T> value = std::get<0>(redwire::decode_values<wire_type_t<T>>(f.payload));
    decoded = true;
    if constexpr (takes_value_v<F, T>)
      h(std::move(value));
    else
      h(f.name, std::move(value));
  };
}

/// A subscription of `handler` to a topic or a topic_pattern.
template <class Declaration, class F>
std::unique_ptr<component> make_topic_subscription(const Declaration& declaration, F&& handler,
                                                   subscribe_options options,
                                                   metrics_registry& metrics) {
  (void)declaration;
  using T = typename Declaration::value_type;
  topic_subscription::settings s;
  s.name = std::string(Declaration::name);
  if constexpr (requires { Declaration::pattern; }) {
    s.pattern = true;
    s.description = std::string(Declaration::description);
  } else {
    s.fingerprint = Declaration::fingerprint;
  }
  s.options = options;
  operation_metrics& counted = metrics.add(s.name, operation_kind::topic, Declaration::description);
  return std::make_unique<topic_subscription>(
      std::move(s), make_event_dispatch<T>(std::forward<F>(handler)), counted);
}

}  // namespace redwire::detail
