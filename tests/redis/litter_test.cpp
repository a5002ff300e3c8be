// No litter in Redis: a request that nobody takes does not outlive its deadline. A call to a
// service that never comes, or to an instance that does not exist, leaves a queue behind; the
// queue expires once the latest deadline in it has passed (capabilities/queue_expiry.hpp).
#include <redwire/redwire.hpp>

#include <future>
#include <string>
#include <vector>

#include "common.hpp"
#include "support/redis_stats.hpp"

using namespace redis_tests;

namespace {

inline constexpr redwire::procedure<"ghost.ping", int(int)> ghost_ping{};
inline constexpr redwire::procedure<"pricing.quote", int(int)> quote{};

const std::string ghost_queue = "rw:{ghost}:q";

long long ttl_of(redwire::redis::transport& bus, const std::string& key) {
  return bus.command({"PTTL", key}).integer;
}

/// Waits until the server holds no key at all; true if it came to that.
bool becomes_empty(redwire::redis::transport& bus) {
  return eventually([&] { return key_count(bus) == 0; }, 20s);
}

TEST(redis_litter, a_call_nobody_takes_leaves_nothing_once_its_deadline_passed) {
  redwire::test::redis_server server;
  redwire::redis::transport bus{server.url()};
  redwire::client cli{bus};

  auto r = cli.with({.timeout = 200ms}).try_call(ghost_ping, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), redwire::errc::timeout);
  // The queue goes a second past the deadline at the latest (-2: gone already).
  EXPECT_LE(ttl_of(bus, ghost_queue), 1200);
  EXPECT_TRUE(becomes_empty(bus)) << "the queue of a service nobody serves stays";
}

TEST(redis_litter, a_shorter_deadline_does_not_shorten_the_queue) {
  redwire::test::redis_server server;
  redwire::redis::transport bus{server.url()};
  redwire::client cli{bus};

  std::future<int> slow = cli.with({.timeout = 4000ms}).async_call(ghost_ping, 1);
  ASSERT_TRUE(eventually([&] { return ttl_of(bus, ghost_queue) > 0; }));
  std::future<int> quick = cli.with({.timeout = 100ms}).async_call(ghost_ping, 2);
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", ghost_queue}).integer == 2; }));
  // The queue lives as long as its longest-lived request needs (4 s + 1 s), not 1.1 s.
  EXPECT_GT(ttl_of(bus, ghost_queue), 2000);
  EXPECT_THROW(quick.get(), redwire::rpc_error);
  EXPECT_THROW(slow.get(), redwire::rpc_error);
  EXPECT_TRUE(becomes_empty(bus));
}

TEST(redis_litter, requests_written_behind_expire_too) {
  redwire::test::redis_server server;
  redwire::redis::transport bus{server.url()};
  redwire::client cli{bus};

  // More than 16 async calls in flight: the later ones are written behind, in one RPUSH.
  std::vector<std::future<int>> calls;
  for (int i = 0; i < 40; ++i)
    calls.push_back(cli.with({.timeout = 300ms}).async_call(ghost_ping, i));
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", ghost_queue}).integer == 40; }));
  EXPECT_TRUE(eventually([&] { return ttl_of(bus, ghost_queue) > 0; }));  // within 10 ms
  for (auto& f : calls) EXPECT_THROW(f.get(), redwire::rpc_error);
  EXPECT_TRUE(becomes_empty(bus));
}

TEST(redis_litter, a_call_to_an_unknown_instance_leaves_nothing) {
  redwire::test::redis_server server;
  redwire::redis::transport bus{server.url()};
  redwire::client cli{bus};

  std::future<int> call =
      cli.with({.timeout = 300ms, .instance = "pricing-zzz"}).async_call(quote, 1);
  const std::string queue = "rw:{pricing}:q:pricing-zzz";
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", queue}).integer == 1; }));
  const long long ttl = ttl_of(bus, queue);
  EXPECT_GT(ttl, 0) << "the queue of an unknown instance has no TTL";
  EXPECT_LE(ttl, 1300);
  EXPECT_THROW(call.get(), redwire::rpc_error);
  EXPECT_TRUE(becomes_empty(bus));
}

TEST(redis_litter, a_push_without_a_hint_leaves_the_ttl_alone) {
  redwire::test::redis_server server;
  redwire::redis::transport bus{server.url()};
  bus.push("raw", "a");  // the user's own queue: no TTL unless asked for
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", "raw"}).integer == 1; }));
  EXPECT_EQ(ttl_of(bus, "raw"), -1);
  bus.push("raw", "b", 60s);
  ASSERT_TRUE(eventually([&] { return ttl_of(bus, "raw") > 0; }));
  bus.push("raw", "c", 1s);  // shorter: the queue keeps its minute
  bus.push("raw", "d");
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", "raw"}).integer == 4; }));
  EXPECT_GT(ttl_of(bus, "raw"), 30000);
}

TEST(redis_litter, a_burst_of_pushes_to_one_queue_costs_few_expiries) {
  redwire::test::redis_server server;
  redwire::redis::transport bus{server.url()};
  const auto start = clock_type::now();
  for (int i = 0; i < 2000; ++i) bus.push("burst", "x", 5s);
  const auto windows = (clock_type::now() - start) / 10ms + 2;  // the pairs are 10 ms apart
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", "burst"}).integer == 2000; }));
  ASSERT_TRUE(eventually([&] { return ttl_of(bus, "burst") > 0; }));
  EXPECT_LE(redwire::test::command_calls(bus, "pexpire"), 2 * windows);
  EXPECT_LT(redwire::test::command_calls(bus, "pexpire"), 2000);
}

}  // namespace
