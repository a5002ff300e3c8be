// What calls do when Redis goes away — killed, paused — or answers late, against a real
// redis-server of the test's own.
#if REDWIRE_TEST_REDIS

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <vector>

#include "calls/redis_fixture.hpp"
#include "calls/test_api.hpp"
#include "support/eventually.hpp"
#include "support/fault_proxy.hpp"
#include "support/redis_stats.hpp"

using namespace std::chrono_literals;
using namespace test_api;
using redwire::errc;
using redwire::test::eventually;
using redwire::test::patience;
using redwire::test::timing_slack;
using clock_type = std::chrono::steady_clock;

namespace {

using redis_outage = over_redis;

// Killed under load: the calls in flight end as unavailable as soon as the reply subscription
// hears the connection close (within timing_slack, not at their 10 s timeout); a call made
// while Redis is down fails at once; calls work again within about 2 s of the restart.
TEST_F(redis_outage, killed_redis_ends_calls_promptly_and_calls_resume_after_restart) {
  std::vector<std::future<int>> in_flight;
  for (int i = 0; i < 4; ++i) in_flight.push_back(cli.async_call(calc::sleep_ms, 300));
  ASSERT_TRUE(eventually([&] { return started == 4; }));  // all four in the handlers
  auto killed = clock_type::now();
  server.kill();
  for (auto& f : in_flight) {
    ASSERT_EQ(f.wait_for(patience), std::future_status::ready);
    try {
      f.get();
      ADD_FAILURE() << "a reply came through a dead Redis";
    } catch (const redwire::rpc_error& e) {
      EXPECT_EQ(e.code(), errc::unavailable) << e.what();
    }
  }
  EXPECT_LT(clock_type::now() - killed, timing_slack);

  // While Redis is down a call fails at once instead of waiting for its timeout.
  auto start = clock_type::now();
  auto down = cli.try_call(calc::add, 1, 2);
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code(), errc::unavailable);
  EXPECT_LT(clock_type::now() - start, timing_slack);

  server.restart();
  auto back = clock_type::now();
  ASSERT_TRUE(eventually([&] {
    auto r = cli.with({.timeout = 300ms}).try_call(calc::add, 20, 22);
    return r && *r == 42;
  }));
  // About 2 s: the longest reconnect backoff (1 s), a first call that may time out (300 ms)
  // on a connection not yet back, the next that goes through; and the slack of a loaded machine.
  EXPECT_LT(clock_type::now() - back, 2s + timing_slack) << "calls resumed late";
  for (int i = 0; i < 100; ++i) ASSERT_EQ(cli.call(calc::add, i, i), 2 * i);
}

TEST_F(redis_outage, sync_calls_waiting_in_inboxes_and_in_the_shared_subscription_end_at_a_kill) {
  // 6 threads and 4 inboxes: some calls wait in an inbox, the others in the shared reply
  // subscription; every one ends as unavailable at the kill, long before its 10 s timeout and
  // before its handler (1.5 s) could have answered.
  const long long pushed_before = redwire::test::command_calls(bus, "rpush");
  std::vector<std::future<redwire::result<int>>> waiting;
  for (int i = 0; i < 6; ++i)
    waiting.push_back(
        std::async(std::launch::async, [this] { return cli.try_call(calc::sleep_ms, 1500); }));
  // All six sent, and the 4 workers busy with four of them.
  ASSERT_TRUE(eventually([&] {
    return started == 4 && redwire::test::command_calls(bus, "rpush") - pushed_before == 6;
  }));
  auto killed = clock_type::now();
  server.kill();
  for (auto& f : waiting) {
    ASSERT_EQ(f.wait_for(patience), std::future_status::ready);
    auto r = f.get();
    ASSERT_FALSE(r) << "a reply came through a dead Redis";
    EXPECT_EQ(r.error().code(), errc::unavailable) << r.error().what();
  }
  EXPECT_LT(clock_type::now() - killed, timing_slack) << "calls waited for the handler's time";
}

// Paused (SIGSTOP) past the call's timeout: the call ends at its timeout, not later (and never
// before it, if it says timeout); calls work again after SIGCONT.
TEST_F(redis_outage, paused_redis_past_the_timeout_then_resumed) {
  server.pause();
  const auto start = clock_type::now();
  auto r = cli.with({.timeout = 300ms}).try_call(calc::add, 1, 2);
  const auto elapsed = clock_type::now() - start;
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().code() == errc::timeout || r.error().code() == errc::unavailable)
      << r.error().what();
  if (r.error().code() == errc::timeout) {
    EXPECT_GE(elapsed, 300ms);
  }
  EXPECT_LT(elapsed, 300ms + timing_slack);
  server.resume();
  ASSERT_TRUE(eventually([&] {
    auto again = cli.with({.timeout = 500ms}).try_call(calc::add, 2, 2);
    return again && *again == 4;
  }));
}

// Requests held for write-behind (more than 16 async calls in flight) when Redis dies never
// reach the restarted server. Redis is stopped before the calls are made, so none of the 300
// can have been taken: all are held (in the client's buffer or the dead connection's) when it
// is killed. Every call ends, none with an answer; after the restart no request of theirs runs
// — not even once the service has drained everything sent after them.
TEST_F(redis_outage, async_calls_written_behind_end_when_redis_is_killed) {
  server.pause();
  std::vector<std::future<void>> calls;
  for (int i = 0; i < 300; ++i)
    calls.push_back(cli.with({.timeout = 1500ms}).async_call(calc::record, "held", i));
  EXPECT_EQ(cli.in_flight(), 300u);  // all held: none answered, none failed yet
  server.kill();
  int answered = 0;
  for (auto& f : calls) {
    ASSERT_EQ(f.wait_for(patience), std::future_status::ready);
    try {
      f.get();
      ++answered;
    } catch (const redwire::rpc_error& e) {
      EXPECT_TRUE(e.code() == errc::unavailable || e.code() == errc::timeout) << e.what();
    }
  }
  EXPECT_EQ(answered, 0);
  server.restart();
  // Until the client's shared reply subscription is back (a sync call, in its own inbox, may
  // get through before), an async call fails at once as unavailable.
  ASSERT_TRUE(eventually([&] {
    try {
      return cli.with({.timeout = 300ms}).async_call(calc::add, 20, 22).get() == 42;
    } catch (const redwire::rpc_error& e) {
      EXPECT_TRUE(e.code() == errc::unavailable || e.code() == errc::timeout) << e.what();
      return false;
    }
  }));
  std::vector<std::future<void>> again;
  for (int i = 0; i < 100; ++i)
    again.push_back(cli.with({.timeout = 5s}).async_call(calc::record, "after", i));
  for (auto& f : again) f.get();
  svc.stop();  // finishes whatever it took: one connection keeps one order, so anything of
               // the first 300 still on its way would have come before these
  EXPECT_EQ(recorded_with("after"), 100);
  EXPECT_EQ(recorded_with("held"), 0) << "a request held when Redis died ran after its restart";
  EXPECT_EQ(bus.command({"LLEN", "rw:{calc}:q"}).integer, 0);
}

// What a starved machine did to calls.large_payload_round_trips/redis: the service's reader gave
// up on a pop whose reply was on its way, and the request in it never ran. Here the proxy holds
// every reply to the service's blocking pops for 1 s, three times what the reader waits before
// it calls a reply late (its poll interval of 100 ms + command_timeout of 200 ms). Every call
// is answered; a lost request would end as a timeout after 20 s.
TEST(redis_starved_service, requests_in_a_pop_reply_that_comes_late_all_run) {
  redwire::test::redis_server server;
  redwire::test::fault_proxy proxy{server.port()};
  redwire::redis::transport service_bus{
      redwire::redis::options{.url = proxy.url(), .command_timeout = 200ms}};
  redwire::redis::transport caller_bus{server.url()};
  redwire::service svc{service_bus, "calc", {.workers = 2, .poll_interval = 100ms}};
  svc.bind(calc::add, [](int a, int b) { return a + b; });
  svc.start();
  redwire::client cli{caller_bus, {.default_timeout = 20s}};
  ASSERT_EQ(cli.call(calc::add, 1, 1), 2);
  proxy.set(redwire::test::fault::replies_late_after("BLMPOP", 1000ms));
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

}  // namespace

#endif
