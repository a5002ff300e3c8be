// redwire/memory/faults.hpp — the memory transport's test hooks for tampering with messages:
// drop, delay or duplicate those whose queue or channel name matches a rule.
//
//   bus.inject({.action = redwire::memory::fault::delay, .match = "{calc}", .delay_by = 50ms});
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <redwire/detail/later_tasks.hpp>

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
  void stop() { later_.stop(); }

 private:
  // Called with the lock held.
  void hold(std::chrono::milliseconds delay, std::string_view name, std::string_view bytes,
            bool is_channel) {
    later_.at(std::chrono::steady_clock::now() + delay,
              [this, name = std::string(name), bytes = std::string(bytes), is_channel] {
                deliver_(name, bytes, is_channel);
              });
  }

  deliver_function deliver_;
  std::mutex mutex_;
  std::vector<fault> rules_;
  redwire::detail::later_tasks later_;  // the delayed messages
};

}  // namespace detail
}  // namespace redwire::memory
