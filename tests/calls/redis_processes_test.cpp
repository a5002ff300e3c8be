// Calls through a real Redis between real processes, and what happens when Redis goes away.
#if REDWIRE_TEST_REDIS

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <thread>

#include "calls/buses.hpp"
#include "calls/test_api.hpp"
#include "support/child_process.hpp"
#include "support/redis_stats.hpp"
#include "support/tcp_proxy.hpp"

using namespace std::chrono_literals;
using namespace test_api;
using redwire::errc;
using clock_type = std::chrono::steady_clock;

namespace {

template <class F>
bool eventually(F&& cond, std::chrono::milliseconds limit) {
  auto deadline = clock_type::now() + limit;
  while (clock_type::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return cond();
}

TEST(redis_processes, replicas_share_calls_and_targeted_calls_reach_their_instance) {
  redwire::test::redis_server server;
  redwire::test::child_process a({REDWIRE_TEST_REPLICA, server.url(), "replica-a"});
  redwire::test::child_process b({REDWIRE_TEST_REPLICA, server.url(), "replica-b"});
  redwire::redis::transport bus{server.url()};
  redwire::client cli{bus};
  // Both replicas are up once each has answered a call targeted at it.
  for (std::string id : {"replica-a", "replica-b"})
    ASSERT_EQ(cli.with({.timeout = 10s, .instance = id}).call(calc::whoami), id);

  std::map<std::string, int> answered;
  std::vector<std::future<int>> slow;
  for (int i = 0; i < 40; ++i) slow.push_back(cli.async_call(calc::sleep_ms, 10));
  for (auto& f : slow) EXPECT_EQ(f.get(), 10);
  for (int i = 0; i < 40; ++i) ++answered[cli.call(calc::whoami)];
  EXPECT_GT(answered["replica-a"], 0);
  EXPECT_GT(answered["replica-b"], 0);
  EXPECT_EQ(answered["replica-a"] + answered["replica-b"], 40);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(cli.with({.instance = "replica-b"}).call(calc::whoami), "replica-b");

  a.signal(SIGTERM);
  b.signal(SIGTERM);
  EXPECT_EQ(a.wait(), 0);
  EXPECT_EQ(b.wait(), 0);
}

TEST(redis_processes, a_killed_replica_leaves_the_survivor_serving) {
  redwire::test::redis_server server;
  redwire::test::child_process a({REDWIRE_TEST_REPLICA, server.url(), "replica-a"});
  redwire::test::child_process b({REDWIRE_TEST_REPLICA, server.url(), "replica-b"});
  redwire::redis::transport bus{server.url()};
  redwire::client cli{bus};
  for (std::string id : {"replica-a", "replica-b"})
    ASSERT_EQ(cli.with({.timeout = 10s, .instance = id}).call(calc::whoami), id);
  // Under load: 16 calls of 400 ms over 2 replicas of 4 workers, so each replica is running some
  // when replica-a is killed.
  std::vector<std::future<int>> in_flight;
  for (int i = 0; i < 16; ++i)
    in_flight.push_back(cli.with({.timeout = 1500ms}).async_call(calc::sleep_ms, 400));
  std::this_thread::sleep_for(150ms);
  a.signal(SIGKILL);
  a.wait();
  int answered = 0, failed = 0;
  for (auto& f : in_flight) {
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready) << "a call hung";
    try {
      f.get();
      ++answered;
    } catch (const redwire::rpc_error& e) {
      // The calls replica-a had taken end at their timeout, saying which procedure and why.
      ++failed;
      EXPECT_TRUE(e.code() == errc::timeout || e.code() == errc::unavailable) << e.what();
      EXPECT_NE(std::string(e.what()).find("calc.sleep"), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(answered, 0) << "replica-b answered nothing";
  EXPECT_GT(failed, 0) << "replica-a had taken none of the calls";
  for (int i = 0; i < 20; ++i) EXPECT_EQ(cli.with({.timeout = 2s}).call(calc::whoami), "replica-b");
}

// What a starved machine did to calls.large_payload_round_trips/redis: the service's reader gave
// up on a pop whose reply was on its way, and the request in it never ran. Here the proxy holds
// every reply to the service's blocking pops for 1 s, three times what the reader waits before
// it calls a reply late (its poll interval of 100 ms + command_timeout of 200 ms). Every call
// is answered; a lost request would end as a timeout after 20 s.
TEST(redis_starved_service, requests_in_a_pop_reply_that_comes_late_all_run) {
  redwire::test::redis_server server;
  redwire::test::tcp_proxy proxy{server.port()};
  redwire::redis::transport service_bus{
      redwire::redis::options{.url = proxy.url(), .command_timeout = 200ms}};
  redwire::redis::transport caller_bus{server.url()};
  redwire::service svc{service_bus, "calc", {.workers = 2, .poll_interval = 100ms}};
  svc.bind(calc::add, [](int a, int b) { return a + b; });
  svc.start();
  redwire::client cli{caller_bus, {.default_timeout = 20s}};
  ASSERT_EQ(cli.call(calc::add, 1, 1), 2);
  proxy.delay_replies_after("BLMPOP", 1000ms);
  std::vector<std::future<int>> calls;
  for (int i = 0; i < 10; ++i) calls.push_back(cli.async_call(calc::add, i, 100));
  for (int i = 0; i < 10; ++i) {
    try {
      EXPECT_EQ(calls[i].get(), i + 100);
    } catch (const redwire::rpc_error& e) {
      ADD_FAILURE() << "call " << i << ": " << e.what();
    }
  }
  EXPECT_EQ(svc.stats().calls, 11u);
}

struct redis_outage : ::testing::Test {
  redwire::test::redis_server server;
  redwire::redis::transport bus{server.url()};
  std::atomic<int> slept{0};
  redwire::service svc{bus, "calc", {.workers = 4, .poll_interval = 200ms}};
  redwire::client cli{bus, {.default_timeout = 10s}};
  void SetUp() override {
    svc.bind(calc::add, [](int a, int b) { return a + b; });
    svc.bind(calc::sleep_ms, [this](int ms) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      return ++slept;
    });
    svc.start();
    ASSERT_EQ(cli.call(calc::add, 1, 1), 2);
  }
};

TEST_F(redis_outage, killed_redis_ends_calls_promptly_and_calls_resume_after_restart) {
  std::vector<std::future<int>> in_flight;
  for (int i = 0; i < 4; ++i) in_flight.push_back(cli.async_call(calc::sleep_ms, 300));
  std::this_thread::sleep_for(50ms);
  auto killed = clock_type::now();
  server.kill();
  for (auto& f : in_flight) {
    // Well before the 10 s timeout: the reply channel's loss fails them as unavailable.
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
    try {
      f.get();
      ADD_FAILURE() << "a reply came through a dead Redis";
    } catch (const redwire::rpc_error& e) {
      EXPECT_TRUE(e.code() == errc::unavailable || e.code() == errc::timeout) << e.what();
    }
  }
  EXPECT_LT(clock_type::now() - killed, 5s);

  // While Redis is down a call fails fast instead of waiting for its timeout.
  auto start = clock_type::now();
  auto down = cli.try_call(calc::add, 1, 2);
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code(), errc::unavailable);
  EXPECT_LT(clock_type::now() - start, 3s);

  server.restart();
  auto back = clock_type::now();
  bool ok = eventually(
      [&] {
        auto r = cli.with({.timeout = 300ms}).try_call(calc::add, 20, 22);
        return r && *r == 42;
      },
      5s);
  ASSERT_TRUE(ok);
  EXPECT_LT(clock_type::now() - back, 2500ms) << "calls resumed late";
  for (int i = 0; i < 100; ++i) ASSERT_EQ(cli.call(calc::add, i, i), 2 * i);
}

TEST_F(redis_outage, sync_calls_waiting_in_inboxes_and_in_the_shared_subscription_end_at_a_kill) {
  // 6 threads and 4 inboxes: some calls wait in an inbox, the others in the shared reply
  // subscription; every one ends as unavailable long before its 10 s timeout.
  std::vector<std::future<redwire::result<int>>> waiting;
  for (int i = 0; i < 6; ++i)
    waiting.push_back(
        std::async(std::launch::async, [this] { return cli.try_call(calc::sleep_ms, 1500); }));
  std::this_thread::sleep_for(200ms);
  auto killed = clock_type::now();
  server.kill();
  for (auto& f : waiting) {
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
    auto r = f.get();
    ASSERT_FALSE(r) << "a reply came through a dead Redis";
    EXPECT_EQ(r.error().code(), errc::unavailable) << r.error().what();
  }
  EXPECT_LT(clock_type::now() - killed, 1200ms) << "calls waited for the handler's time";
}

TEST_F(redis_outage, inboxes_are_bounded_and_closed_with_their_client) {
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
    std::vector<std::thread> threads;
    std::atomic<int> wrong{0};
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 200; ++i)
          if (two.call(calc::add, t, i) != t + i) ++wrong;
      });
    for (auto& th : threads) th.join();
    EXPECT_EQ(wrong, 0);
    const std::size_t open = inbox_connections();
    EXPECT_GE(open, 1u);
    EXPECT_LE(open, 2u + 1u);  // + the fixture's client, which made one call
  }
  EXPECT_TRUE(eventually([&] { return inbox_connections() <= 1; }, 2s));
  redwire::client none{bus, {.inboxes = 0}};
  const std::size_t before = inbox_connections();
  for (int i = 0; i < 20; ++i) ASSERT_EQ(none.call(calc::add, i, 1), i + 1);
  EXPECT_EQ(inbox_connections(), before);
}

TEST_F(redis_outage, paused_redis_past_the_timeout_then_resumed) {
  server.pause();
  auto r = cli.with({.timeout = 300ms}).try_call(calc::add, 1, 2);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().code() == errc::timeout || r.error().code() == errc::unavailable);
  server.resume();
  ASSERT_TRUE(eventually(
      [&] {
        auto again = cli.with({.timeout = 500ms}).try_call(calc::add, 2, 2);
        return again && *again == 4;
      },
      10s));
}

TEST_F(redis_outage, user_commands_and_lua_share_the_transport) {
  bus.command({"SET", "app:counter", "41"});
  auto incremented = bus.eval("return redis.call('INCR', KEYS[1])", {"app:counter"});
  EXPECT_EQ(incremented.integer, 42);
  EXPECT_EQ(bus.command({"GET", "app:counter"}).str, "42");
  EXPECT_EQ(cli.call(calc::add, 40, 2), 42);  // calls still flow alongside
  EXPECT_THROW(bus.command({"INCR", "no-such-command-args", "x"}), redwire::redis::command_error);
}

// With more than 16 async calls in flight, requests are written behind: many per write, one
// RPUSH for many calls (redis/command_connection.hpp).
TEST_F(redis_outage, many_async_calls_in_flight_share_their_rpushes) {
  const long long before = redwire::test::command_calls(bus, "rpush");
  std::vector<std::future<int>> window;
  for (int i = 0; i < 2000; ++i) {
    window.push_back(cli.async_call(calc::add, i, 1));
    if (window.size() == 256) {
      for (std::size_t k = 0; k < window.size(); ++k)
        ASSERT_EQ(window[k].get(), i - 255 + int(k) + 1);
      window.clear();
    }
  }
  for (auto& f : window) f.get();
  const long long used = redwire::test::command_calls(bus, "rpush") - before;
  std::printf("[ measured ] 2000 async calls, 256 in flight: %lld RPUSH commands\n", used);
  EXPECT_LE(used, 1000);
}

// Calls written behind when Redis dies: each ends (unavailable or timeout), none hangs.
TEST_F(redis_outage, async_calls_written_behind_end_when_redis_is_killed) {
  std::vector<std::future<int>> calls;
  for (int i = 0; i < 300; ++i)
    calls.push_back(cli.with({.timeout = 1500ms}).async_call(calc::sleep_ms, 1));
  server.kill();
  int answered = 0, failed = 0;
  for (auto& f : calls) {
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
    try {
      f.get();
      ++answered;
    } catch (const redwire::rpc_error& e) {
      EXPECT_TRUE(e.code() == errc::unavailable || e.code() == errc::timeout) << e.what();
      ++failed;
    }
  }
  EXPECT_EQ(answered + failed, 300);
  server.restart();
  // Until the client's shared reply subscription is back (a sync call, in its own inbox, may
  // get through before), an async call fails at once as unavailable.
  ASSERT_TRUE(eventually(
      [&] {
        try {
          return cli.with({.timeout = 300ms}).async_call(calc::add, 20, 22).get() == 42;
        } catch (const redwire::rpc_error& e) {
          EXPECT_TRUE(e.code() == errc::unavailable || e.code() == errc::timeout) << e.what();
          return false;
        }
      },
      10s));
  std::vector<std::future<int>> again;
  for (int i = 0; i < 100; ++i)
    again.push_back(cli.with({.timeout = 5s}).async_call(calc::add, i, 1));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(again[i].get(), i + 1);
}

TEST_F(redis_outage, no_keys_left_after_10000_calls) {
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
    if (k.str.rfind("app:", 0) == 0) continue;
    // Only the registry's keys may remain, and each of them expires.
    auto ttl = bus.command({"PTTL", k.str});
    EXPECT_GT(ttl.integer, 0) << "key left behind without expiry: " << k.str;
  }
}

}  // namespace

#endif
