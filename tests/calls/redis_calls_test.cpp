// How calls use Redis: inboxes, write-behind, the user's own commands, keys left behind.
#if REDWIRE_TEST_REDIS

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <vector>

#include "calls/redis_fixture.hpp"
#include "calls/test_api.hpp"
#include "support/eventually.hpp"
#include "support/redis_stats.hpp"
#include "support/test_thread.hpp"

using namespace std::chrono_literals;
using namespace test_api;
using redwire::test::eventually;

namespace {

using redis_calls = over_redis;

TEST_F(redis_calls, inboxes_are_bounded_and_closed_with_their_client) {
  auto inbox_connections = [this] {
    auto list = bus.command({"CLIENT", "LIST"}).str;
    std::size_t n = 0;
    for (auto at = list.find("name=redwire:inbox"); at != std::string::npos;
         at = list.find("name=redwire:inbox", at + 1))
      ++n;
    return n;
  };
  {
    redwire::client two{bus, {.inboxes = 2}};
    std::atomic<int> wrong{0};
    {
      std::vector<redwire::test::test_thread> threads;
      for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
          for (int i = 0; i < 200; ++i)
            if (two.call(calc::add, t, i) != t + i) ++wrong;
        });
    }
    EXPECT_EQ(wrong, 0);
    const std::size_t open = inbox_connections();
    EXPECT_GE(open, 1u);
    EXPECT_LE(open, 2u + 1u);  // + the fixture's client, which made one call
  }
  EXPECT_TRUE(eventually([&] { return inbox_connections() <= 1; }));
  redwire::client none{bus, {.inboxes = 0}};
  const std::size_t before = inbox_connections();
  for (int i = 0; i < 20; ++i) ASSERT_EQ(none.call(calc::add, i, 1), i + 1);
  EXPECT_EQ(inbox_connections(), before);
}

TEST_F(redis_calls, user_commands_and_lua_share_the_transport) {
  bus.command({"SET", "app:counter", "41"});
  auto incremented = bus.eval("return redis.call('INCR', KEYS[1])", {"app:counter"});
  EXPECT_EQ(incremented.integer, 42);
  EXPECT_EQ(bus.command({"GET", "app:counter"}).str, "42");
  EXPECT_EQ(cli.call(calc::add, 40, 2), 42);  // calls still flow alongside
  EXPECT_THROW(bus.command({"INCR", "no-such-command-args", "x"}), redwire::redis::command_error);
}

// With more than 16 async calls in flight, requests are written behind: many per write, one
// RPUSH for many calls (redis/command_connection.hpp). The write-behind thread writes what it
// holds 100 µs after the first push it is given, so two of its RPUSHes are at least 100 µs
// apart and only the last comes after the calls end. With the service stopped, no call ends
// while 2000 are made: the first 16 are written at once (one RPUSH each), the others behind,
// in at most T / 100 µs + 2 RPUSHes if making them took T, however fast the machine and the
// build are (one per call without write-behind: 2000).
TEST_F(redis_calls, many_async_calls_in_flight_share_their_rpushes) {
  svc.stop();  // the requests wait in the queue: every call stays in flight
  const long long before = redwire::test::command_calls(bus, "rpush");
  std::vector<std::future<int>> calls;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000; ++i) calls.push_back(cli.async_call(calc::add, i, 1));
  const auto making = std::chrono::steady_clock::now() - start;
  svc.start();
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(calls[i].get(), i + 1);
  const long long used = redwire::test::command_calls(bus, "rpush") - before;
  const long long most = 16 + making / redwire::redis::detail::command_connection::write_behind + 2;
  std::printf(
      "[ measured ] 2000 async calls made in %lld us: %lld RPUSH commands (at most %lld)\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(making).count()),
      used, most);
  EXPECT_LE(used, most);
}

TEST_F(redis_calls, no_keys_left_after_10000_calls) {
  std::vector<std::future<int>> window;
  for (int i = 0; i < 10000; ++i) {
    window.push_back(cli.async_call(calc::add, i, 1));
    if (window.size() == 256) {
      for (auto& f : window) f.get();
      window.clear();
    }
  }
  for (auto& f : window) f.get();
  svc.stop();
  auto keys = bus.command({"KEYS", "*"});
  for (auto& k : keys.elements) {
    // Only the registry's keys may remain, and each of them expires.
    auto ttl = bus.command({"PTTL", k.str});
    EXPECT_GT(ttl.integer, 0) << "key left behind without expiry: " << k.str;
  }
}

}  // namespace

#endif
