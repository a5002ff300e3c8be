// The fixture of the Redis-only call tests (redis_outage_test.cpp, redis_calls_test.cpp): a
// private redis-server of the test's own (it is killed, paused, restarted), one transport, a
// "calc" service of 4 workers and a client with a 10 s default timeout.
#pragma once

#if REDWIRE_TEST_REDIS

#include <gtest/gtest.h>

#include <redwire/redis.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "calls/test_api.hpp"
#include "support/redis_server.hpp"

namespace test_api {

struct over_redis : ::testing::Test {
  redwire::test::redis_server server;
  redwire::redis::transport bus{server.url()};
  std::atomic<int> started{0}, slept{0};  // calc.sleep calls begun, ended
  std::mutex mutex;
  std::vector<std::pair<std::string, int>> recorded;  // calc.record's arguments, in order run
  redwire::service svc{
      bus, "calc", {.workers = 4, .poll_interval = std::chrono::milliseconds(200)}};
  redwire::client cli{bus, {.default_timeout = std::chrono::seconds(10)}};

  void SetUp() override {
    svc.bind(calc::add, [](int a, int b) { return a + b; });
    svc.bind(calc::sleep_ms, [this](int ms) {
      ++started;
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      return ++slept;
    });
    svc.bind(calc::record, [this](std::string tag, int n) {
      std::lock_guard lock(mutex);
      recorded.emplace_back(std::move(tag), n);
    });
    svc.start();
    ASSERT_EQ(cli.call(calc::add, 1, 1), 2);
  }

  /// How many calc.record calls with `tag` have run.
  int recorded_with(const std::string& tag) {
    std::lock_guard lock(mutex);
    int n = 0;
    for (auto& [t, i] : recorded) n += t == tag;
    return n;
  }
};

}  // namespace test_api

#endif
