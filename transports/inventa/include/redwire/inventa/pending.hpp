// redwire/inventa/pending.hpp — the calls of one node waiting for their responses.
//
// Every response reaches the node on its one channel; its call id finds the waiting call here.
// Whoever takes an entry out of the table completes it (the response, the timer, a stop), so a
// call completes exactly once and a response never goes to another call: what go-inventa and
// py-inventa get wrong with several calls in flight (docs/inventa.md).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <redwire/detail/thread_name.hpp>
#include <redwire/errors.hpp>

namespace redwire::inventa::detail {

using clock = std::chrono::steady_clock;
using raw_result = redwire::result<std::vector<std::string>>;
using completion = std::function<void(raw_result)>;

class pending_calls {
 public:
  pending_calls() = default;
  pending_calls(const pending_calls&) = delete;
  pending_calls& operator=(const pending_calls&) = delete;
  ~pending_calls() { stop(); }

  /// Enters a call. With `timed`, the table's timer completes it with errc::timeout at
  /// `deadline` (async calls); otherwise its waiter does (sync calls: see take()).
  void add(const std::string& id, clock::time_point deadline, completion done, bool timed) {
    std::unique_lock lk(m_);
    auto [it, fresh] = calls_.try_emplace(id, entry{std::move(done), deadlines_.end()});
    if (!fresh || !timed) return;
    it->second.timer = deadlines_.emplace(deadline, id);
    if (!timer_.joinable() && !stopping_)
      timer_ = redwire::detail::named_thread("rw-inv-timer", [this] { run_timer(); });
    if (deadlines_.begin()->first == deadline) cv_.notify_all();
  }

  /// Takes the call out: its completion, or nothing if someone else took it first.
  std::optional<completion> take(const std::string& id) {
    std::lock_guard lk(m_);
    auto it = calls_.find(id);
    if (it == calls_.end()) return std::nullopt;
    completion done = std::move(it->second.done);
    if (it->second.timer != deadlines_.end()) deadlines_.erase(it->second.timer);
    calls_.erase(it);
    return done;
  }

  /// Completes the call `id` with `r`; false when no call waits for it (late or foreign).
  bool complete(const std::string& id, raw_result r) {
    std::optional<completion> done = take(id);
    if (!done) return false;
    (*done)(std::move(r));
    return true;
  }

  std::size_t size() const {
    std::lock_guard lk(m_);
    return calls_.size();
  }
  /// Deadlines the timer watches (those of async calls still in flight).
  std::size_t timers() const {
    std::lock_guard lk(m_);
    return deadlines_.size();
  }

  /// Completes every call in flight with `code` (a lost connection, a stop).
  void fail_all(errc code, const std::string& why) {
    std::unordered_map<std::string, entry> all;
    {
      std::lock_guard lk(m_);
      all.swap(calls_);
      deadlines_.clear();
    }
    for (auto& [id, e] : all) e.done(rpc_error(code, why));
  }

  void stop() {
    {
      std::lock_guard lk(m_);
      stopping_ = true;
      cv_.notify_all();
    }
    if (timer_.joinable()) timer_.join();
    fail_all(errc::cancelled, "the node stopped");
  }

 private:
  void run_timer() {
    std::unique_lock lk(m_);
    while (!stopping_) {
      if (deadlines_.empty()) {
        cv_.wait(lk);
        continue;
      }
      const auto first = deadlines_.begin()->first;
      if (clock::now() < first) {
        cv_.wait_until(lk, first);
        continue;
      }
      std::vector<std::pair<std::string, completion>> expired;
      while (!deadlines_.empty() && deadlines_.begin()->first <= clock::now()) {
        auto it = calls_.find(deadlines_.begin()->second);
        if (it != calls_.end()) {
          expired.emplace_back(it->first, std::move(it->second.done));
          calls_.erase(it);
        }
        deadlines_.erase(deadlines_.begin());
      }
      lk.unlock();
      for (auto& [id, done] : expired) done(rpc_error(errc::timeout, "no response in time"));
      lk.lock();
    }
  }

  using deadline_map = std::multimap<clock::time_point, std::string>;
  struct entry {
    completion done;
    deadline_map::iterator timer;  // deadlines_.end() for calls whose waiter keeps the time
  };

  mutable std::mutex m_;
  std::condition_variable cv_;
  std::unordered_map<std::string, entry> calls_;
  deadline_map deadlines_;  // async calls only; an entry leaves with its call
  bool stopping_ = false;
  std::thread timer_;
};

/// What a sync call waits on: filled once by its completion.
struct sync_slot {
  std::mutex m;
  std::condition_variable cv;
  std::optional<raw_result> outcome;

  completion completer(const std::shared_ptr<sync_slot>& self) {
    return [self](raw_result r) {
      std::lock_guard lk(self->m);
      self->outcome.emplace(std::move(r));
      self->cv.notify_all();
    };
  }
  /// Waits until filled or `deadline`; false on timeout.
  bool wait_until(clock::time_point deadline) {
    std::unique_lock lk(m);
    return cv.wait_until(lk, deadline, [&] { return outcome.has_value(); });
  }
  raw_result get() {
    std::unique_lock lk(m);
    cv.wait(lk, [&] { return outcome.has_value(); });
    return std::move(*outcome);
  }
};

}  // namespace redwire::inventa::detail
