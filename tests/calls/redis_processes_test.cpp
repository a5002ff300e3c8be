// Calls through a real Redis between real processes: replicas that share a service's calls, and
// one of them killed under load.
#if REDWIRE_TEST_REDIS

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
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
using redwire::test::eventually;
using redwire::test::patience;
using redwire::test::timing_slack;
using clock_type = std::chrono::steady_clock;

namespace {

// Two replica processes serve one queue. 40 calls one after the other go to them by turns:
// each replica sends its reply and its next pop in one write, so it is blocked again, behind
// the other, before the caller makes the next call, and Redis serves blocked pops in the order
// they came. Each gets 20 by design; 10 allows a replica late to block again to lose every
// other turn. Calls targeted at one replica reach it.
TEST(redis_processes, replicas_share_calls_and_targeted_calls_reach_their_instance) {
  redwire::test::redis_server server;
  redwire::test::child_process a({REDWIRE_TEST_REPLICA, server.url(), "replica-a"});
  redwire::test::child_process b({REDWIRE_TEST_REPLICA, server.url(), "replica-b"});
  redwire::redis::transport bus{server.url()};
  redwire::client cli{bus};
  // Both replicas are up once each has answered a call targeted at it.
  for (std::string id : {"replica-a", "replica-b"})
    ASSERT_EQ(cli.with({.timeout = patience, .instance = id}).call(calc::whoami), id);

  std::map<std::string, int> answered;
  for (int i = 0; i < 40; ++i) ++answered[cli.call(calc::whoami)];
  EXPECT_GE(answered["replica-a"], 10);
  EXPECT_GE(answered["replica-b"], 10);
  EXPECT_EQ(answered["replica-a"] + answered["replica-b"], 40);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(cli.with({.instance = "replica-b"}).call(calc::whoami), "replica-b");

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
  redwire::test::child_process a({REDWIRE_TEST_REPLICA, server.url(), "replica-a"});
  redwire::test::child_process b({REDWIRE_TEST_REPLICA, server.url(), "replica-b"});
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
