// redwire/memory/faults.hpp — the memory transport's test hooks for tampering with messages:
// drop, delay or duplicate those whose queue or channel name matches a rule.
//
//   bus.inject({.action = redwire::memory::fault::delay, .match = "{calc}", .delay_by = 50ms});
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace redwire::memory {

/// A rule for tampering with messages whose queue or channel name contains `match`.
struct fault {
  enum kind { drop, delay, duplicate };
  kind action = drop;
  std::string match{};                    ///< substring of the name; empty: every message
  int count = 1;                          ///< messages it applies to; negative: all of them
  std::chrono::milliseconds delay_by{0};  ///< for `delay`
};

namespace detail {

/// Applies the fault rules to each message, and hands the delayed ones back when their time
/// comes, on a timer thread of its own (started at the first delay).
class fault_injector {
 public:
  /// Delivers a message for good: to a queue, or to a channel's subscribers.
  using deliver_function =
      std::function<void(std::string_view name, std::string_view bytes, bool is_channel)>;

  explicit fault_injector(deliver_function deliver) : deliver_(std::move(deliver)) {}
  fault_injector(const fault_injector&) = delete;
  fault_injector& operator=(const fault_injector&) = delete;
  ~fault_injector() { stop(); }

  /// Rules are tried in the order they were added; the first that matches applies.
  void add(fault f) {
    std::lock_guard lock(mutex_);
    rules_.push_back(std::move(f));
  }
  void clear() {
    std::lock_guard lock(mutex_);
    rules_.clear();
  }

  /// How many copies of the message to deliver now: 1 untouched, 2 duplicated, 0 dropped or
  /// held back (delivered later by the timer).
  int copies_now(std::string_view name, std::string_view bytes, bool is_channel) {
    std::lock_guard lock(mutex_);
    for (auto it = rules_.begin(); it != rules_.end(); ++it) {
      if (!it->match.empty() && name.find(it->match) == std::string_view::npos) continue;
      const fault f = *it;
      if (it->count > 0 && --it->count == 0) rules_.erase(it);
      switch (f.action) {
        case fault::drop:
          return 0;
        case fault::duplicate:
          return 2;
        case fault::delay:
          hold(f.delay_by, name, bytes, is_channel);
          return 0;
      }
    }
    return 1;
  }

  /// Ends the timer; messages still held back are lost. Before the deliverer goes away.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    wake_.notify_all();
    if (timer_.joinable() && timer_.get_id() != std::this_thread::get_id()) timer_.join();
  }

 private:
  struct held {
    std::string name, bytes;
    bool is_channel;
  };

  // Called with the lock held.
  void hold(std::chrono::milliseconds delay, std::string_view name, std::string_view bytes,
            bool is_channel) {
    held_.emplace(std::chrono::steady_clock::now() + delay,
                  held{std::string(name), std::string(bytes), is_channel});
    if (!timer_.joinable()) timer_ = std::thread([this] { timer_loop(); });
    wake_.notify_all();
  }

  void timer_loop() {
    std::unique_lock lock(mutex_);
    while (!closing_) {
      if (held_.empty()) {
        wake_.wait(lock);
        continue;
      }
      auto first = held_.begin();
      if (first->first > std::chrono::steady_clock::now()) {
        wake_.wait_until(lock, first->first);
        continue;
      }
      held h = std::move(first->second);
      held_.erase(first);
      lock.unlock();
      deliver_(h.name, h.bytes, h.is_channel);
      lock.lock();
    }
  }

  deliver_function deliver_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<fault> rules_;
  std::multimap<std::chrono::steady_clock::time_point, held> held_;
  bool closing_ = false;
  std::thread timer_;
};

}  // namespace detail
}  // namespace redwire::memory
