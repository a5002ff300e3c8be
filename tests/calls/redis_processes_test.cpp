// Calls through a real Redis between real processes: replicas that share a service's calls, and
// one of them killed under load.
#if REDWIRE_TEST_REDIS

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <redwire/redis.hpp>

#include "calls/test_api.hpp"
#include "support/child_process.hpp"
#include "support/eventually.hpp"
#include "support/redis_server.hpp"
#include "support/test_thread.hpp"

using namespace std::chrono_literals;
using namespace test_api;
using redwire::errc;
using redwire::test::child_process;
using redwire::test::eventually;
using redwire::test::patience;
using redwire::test::timing_slack;
using clock_type = std::chrono::steady_clock;

namespace {

// Two replica processes of 4 workers serve one queue. 8 calls held in their handlers (until
// the test sets the key "gate") are run 4 by each: a fresh replica takes no more requests than
// it has idle workers, so one that took a fifth would keep it behind its busy workers and the
// 8th call would never start. Each replica records in Redis the calls it begins. Calls
// targeted at one replica reach it.
TEST(redis_processes, replicas_share_calls_and_targeted_calls_reach_their_instance) {
  redwire::test::redis_server server;
  child_process a({REDWIRE_TEST_REPLICA, server.url(), "replica-a"}, child_process::read_output);
  child_process b({REDWIRE_TEST_REPLICA, server.url(), "replica-b"}, child_process::read_output);
  ASSERT_TRUE(a.wait_for_line("ready", patience));
  ASSERT_TRUE(b.wait_for_line("ready", patience));
  redwire::redis::transport bus{server.url()};
  redwire::client cli{bus, {.default_timeout = 3 * patience}};
  auto begun_by = [&](const std::string& id) {
    return bus.command({"LLEN", "started:" + id}).integer;
  };
  std::vector<std::future<int>> held;
  for (int i = 0; i < 8; ++i) held.push_back(cli.async_call(calc::hold, i));
  EXPECT_TRUE(eventually([&] { return begun_by("replica-a") + begun_by("replica-b") == 8; }))
      << "begun by replica-a: " << begun_by("replica-a")
      << ", by replica-b: " << begun_by("replica-b");
  EXPECT_EQ(begun_by("replica-a"), 4);
  EXPECT_EQ(begun_by("replica-b"), 4);
  bus.command({"SET", "gate", "open"});
  for (int i = 0; i < 8; ++i) EXPECT_EQ(held[i].get(), i);
  for (std::string id : {"replica-a", "replica-b"})
    for (int i = 0; i < 10; ++i) EXPECT_EQ(cli.with({.instance = id}).call(calc::whoami), id);

  a.signal(SIGTERM);
  b.signal(SIGTERM);
  EXPECT_EQ(a.wait(), 0);
  EXPECT_EQ(b.wait(), 0);
}

// A replica SIGKILLed under load: 16 sync calls of 400 ms (each on a thread of its own, timing
// itself) over 2 replicas of 4 workers. Once each replica has begun some (they record it in
// Redis), replica-a is killed. The calls it had in hand cannot be answered: each ends at its
// timeout (1.5 s, and not later than timing_slack past it) as errc::timeout naming calc.sleep;
// the others are answered by replica-b; new calls go to replica-b.
TEST(redis_processes, a_killed_replica_leaves_the_survivor_serving) {
  redwire::test::redis_server server;
  child_process a({REDWIRE_TEST_REPLICA, server.url(), "replica-a"});
  child_process b({REDWIRE_TEST_REPLICA, server.url(), "replica-b"});
  redwire::redis::transport bus{server.url()};
  redwire::client cli{bus};
  for (std::string id : {"replica-a", "replica-b"})
    ASSERT_EQ(cli.with({.timeout = patience, .instance = id}).call(calc::whoami), id);
  auto count = [&](const std::string& list) { return bus.command({"LLEN", list}).integer; };
  constexpr auto timeout = 1500ms;
  struct outcome {
    redwire::result<int> result = redwire::rpc_error(errc::cancelled, "not run", "calc.sleep");
    clock_type::duration took{};
  };
  std::vector<outcome> outcomes(16);
  long long in_hand_of_a = 0;
  {
    std::vector<redwire::test::test_thread> callers;
    for (auto& o : outcomes)
      callers.emplace_back([&cli, &o, timeout] {
        const auto start = clock_type::now();
        o.result = cli.with({.timeout = timeout}).try_call(calc::sleep_ms, 400);
        o.took = clock_type::now() - start;
      });
    EXPECT_TRUE(eventually([&] {
      return count("started:replica-a") > 0 && count("started:replica-b") > 0;
    })) << "the replicas did not both take calls";
    a.stop(SIGKILL);
    in_hand_of_a = count("started:replica-a") - count("finished:replica-a");
  }
  int answered = 0, failed = 0;
  for (auto& o : outcomes) {
    if (o.result) {
      ++answered;
      EXPECT_EQ(*o.result, 400);
      continue;
    }
    ++failed;
    const redwire::rpc_error& e = o.result.error();
    EXPECT_EQ(e.code(), errc::timeout) << e.what();
    EXPECT_NE(std::string(e.what()).find("calc.sleep"), std::string::npos) << e.what();
    EXPECT_GE(o.took, timeout);
    EXPECT_LT(o.took, timeout + timing_slack) << "a call outlived its timeout";
  }
  EXPECT_GT(answered, 0) << "replica-b answered nothing";
  EXPECT_GE(in_hand_of_a, 1);
  EXPECT_GE(failed, in_hand_of_a) << "a call that replica-a had in hand was answered";
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(cli.with({.timeout = patience}).call(calc::whoami), "replica-b");
}

}  // namespace

#endif
