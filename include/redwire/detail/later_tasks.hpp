// redwire/detail/later_tasks.hpp — tasks run at a given time on a timer thread of their own:
// the memory transport's delayed messages (memory/faults.hpp), the Redis transport's commands
// sent again after a cluster said TRYAGAIN or CLUSTERDOWN (redis/command_router.hpp).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "thread_name.hpp"

namespace redwire::detail {

/// Runs tasks at their time on a thread of its own, started at the first. stop() (or the
/// destructor) drops what has not run yet.
class later_tasks {
 public:
  later_tasks() = default;
  later_tasks(const later_tasks&) = delete;
  later_tasks& operator=(const later_tasks&) = delete;
  ~later_tasks() { stop(); }

  void at(std::chrono::steady_clock::time_point when, std::function<void()> task) {
    std::lock_guard lk(m_);
    if (stop_) return;
    tasks_.emplace(when, std::move(task));
    if (!thread_.joinable()) thread_ = named_thread("rw-later", [this] { run(); });
    cv_.notify_one();
  }

  void stop() noexcept {
    {
      std::lock_guard lk(m_);
      stop_ = true;
      tasks_.clear();
      cv_.notify_one();
    }
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  void run() {
    std::unique_lock lk(m_);
    while (!stop_) {
      if (tasks_.empty()) {
        cv_.wait(lk);
        continue;
      }
      auto first = tasks_.begin();
      if (std::chrono::steady_clock::now() < first->first) {
        cv_.wait_until(lk, first->first);
        continue;
      }
      std::function<void()> task = std::move(first->second);
      tasks_.erase(first);
      lk.unlock();
      task();
      lk.lock();
    }
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> tasks_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace redwire::detail
