// tests/support/call_load.hpp — load that runs while a test fails a master over or moves a
// slot: sync calls, async calls and stream appends, each recording when it last succeeded and
// how far past its timeout any of them ended.
//
//   redwire::test::call_load l{cli, calc_add, audit_log, 500ms};   // add(int, int), stream<int>
//   ... kill a master ...
//   EXPECT_LT(l.longest_overrun(), 500ms);
//   for (const std::string& id : l.confirmed()) ...                // appends a replica holds
#pragma once

#include <redwire/redwire.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace redwire::test {

/// Sync calls, async calls (16 in flight) and stream appends (every other one waiting for a
/// replica) running until stop(), each recording what it saw.
template <class Add, class Entries>
class call_load {
 public:
  using clock_type = std::chrono::steady_clock;

  call_load(redwire::client& cli, Add add, Entries entries, std::chrono::milliseconds timeout)
      : cli_(cli), add_(add), entries_(entries), timeout_(timeout) {
    threads_.emplace_back([this] { sync_calls(); });
    threads_.emplace_back([this] { async_calls(); });
    threads_.emplace_back([this] { appends(); });
  }
  ~call_load() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

  clock_type::time_point last_sync_ok() const {
    return clock_type::time_point(clock_type::duration(sync_ok_.load()));
  }
  clock_type::time_point last_async_ok() const {
    return clock_type::time_point(clock_type::duration(async_ok_.load()));
  }
  std::chrono::milliseconds longest_overrun() const {
    return std::chrono::milliseconds(overrun_ms_.load());
  }
  std::vector<std::string> confirmed() {
    std::lock_guard lk(m_);
    return confirmed_;
  }
  long appends_refused() const { return refused_.load(); }

 private:
  // How far past its timeout a call (or an append past its two timeouts) ended.
  void note(clock_type::time_point started, std::chrono::milliseconds allowed) {
    auto over = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started -
                                                                      allowed);
    long long was = overrun_ms_.load();
    while (over.count() > was && !overrun_ms_.compare_exchange_weak(was, over.count())) {
    }
  }
  void sync_calls() {
    while (!stop_) {
      auto t0 = clock_type::now();
      auto r = cli_.with({.timeout = timeout_}).try_call(add_, 1, 2);
      note(t0, timeout_);
      if (r)
        sync_ok_ = clock_type::now().time_since_epoch().count();
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  void async_calls() {
    std::deque<std::pair<clock_type::time_point, std::future<int>>> window;
    while (!stop_ || !window.empty()) {
      while (!stop_ && window.size() < 16)
        window.emplace_back(clock_type::now(),
                            cli_.with({.timeout = timeout_}).async_call(add_, 2, 2));
      auto& [t0, f] = window.front();
      if (f.wait_until(t0 + timeout_ + std::chrono::seconds(5)) != std::future_status::ready) {
        overrun_ms_ = 99999;  // hung
        window.pop_front();
        continue;
      }
      note(t0, timeout_);
      try {
        f.get();
        async_ok_ = clock_type::now().time_since_epoch().count();
      } catch (const redwire::rpc_error&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      window.pop_front();
    }
  }
  void appends() {
    for (int i = 0; !stop_; ++i) {
      auto t0 = clock_type::now();
      try {
        if (i % 2 == 0) {
          std::string id = cli_.append(
              entries_, i, {.replicas = 1, .replica_timeout = std::chrono::milliseconds(100)});
          std::lock_guard lk(m_);
          confirmed_.push_back(id);
        } else {
          cli_.append(entries_, i);
        }
      } catch (const redwire::rpc_error&) {
        ++refused_;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      note(t0, std::chrono::milliseconds(1000) +
                   std::chrono::milliseconds(100));  // the command timeout and the replica timeout
    }
  }

  redwire::client& cli_;
  Add add_;
  Entries entries_;
  std::chrono::milliseconds timeout_;
  std::atomic<bool> stop_{false};
  std::atomic<clock_type::rep> sync_ok_{0}, async_ok_{0};
  std::atomic<long long> overrun_ms_{0};
  std::atomic<long> refused_{0};
  std::mutex m_;
  std::vector<std::string> confirmed_;
  std::vector<std::thread> threads_;
};

}  // namespace redwire::test
