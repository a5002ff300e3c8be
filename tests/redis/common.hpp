// Helpers shared by the redis_tests files (the transport on its own, without calls).
#pragma once

#include <redwire/redis.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/eventually.hpp"
#include "support/redis_server.hpp"
#include "support/test_thread.hpp"

namespace redis_tests {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

using redwire::test::eventually;
using redwire::test::patience;
using redwire::test::timing_slack;

/// Collects messages delivered on the subscriber thread.
struct inbox {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::pair<std::string, std::string>> got;
  int gaps = 0;

  redwire::message_handler handler() {
    return [this](std::string_view channel, std::string_view payload) {
      std::lock_guard lk(m);
      got.emplace_back(channel, payload);
      cv.notify_all();
    };
  }
  redwire::gap_handler gap() {
    return [this] {
      std::lock_guard lk(m);
      ++gaps;
      cv.notify_all();
    };
  }
  bool wait_count(std::size_t n, std::chrono::milliseconds limit = patience) {
    std::unique_lock lk(m);
    return cv.wait_for(lk, limit, [&] { return got.size() >= n; });
  }
  std::size_t size() {
    std::lock_guard lk(m);
    return got.size();
  }
};

/// Keys in the server's current db (to check the transport leaves none behind).
inline long long key_count(redwire::redis::transport& bus) {
  return bus.command({"DBSIZE"}).integer;
}

}  // namespace redis_tests
