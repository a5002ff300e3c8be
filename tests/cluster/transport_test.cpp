// The Redis transport on a cluster (redis-cluster://, tests/support/redis_cluster.hpp): the
// slot map asked of the seeds, keys routed to the master of their slot, clear errors for what
// is not a cluster, and calls between services whose slots sit on different masters, through
// the same client and service API as on one server.
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/construction_error.hpp"
#include "support/redis_cluster.hpp"

using namespace std::chrono_literals;
using redwire::redis::transport;
using redwire::redis::detail::hash_slot;
using redwire::test::construction_error;
using redwire::test::mentions;
using redwire::test::redis_cluster;

namespace {

// Three services whose hash tags sit in the three thirds of the slots that redis-cli gives
// the three masters: alpha 865, delta 9053, echo 14438.
inline constexpr redwire::procedure<"alpha.add", int(int, int)> alpha_add{};
inline constexpr redwire::procedure<"delta.twice", int(int)> delta_twice{};
inline constexpr redwire::procedure<"echo.say", std::string(std::string)> echo_say{};

}  // namespace

TEST(cluster_transport, construction_says_what_is_wrong) {
  redis_cluster::shared();
  const int a = redwire::test::redis_server::unused_port();
  const int b = redwire::test::redis_server::unused_port();
  const std::string none =
      construction_error<transport>("redis-cluster://:pw1@127.0.0.1:" + std::to_string(a) +
                                    ",127.0.0.1:" + std::to_string(b) + "?connect_timeout=300ms");
  EXPECT_TRUE(mentions(none, "no cluster node reachable")) << none;
  EXPECT_TRUE(mentions(none, "127.0.0.1:" + std::to_string(b))) << none;
  EXPECT_FALSE(mentions(none, "pw1")) << none;

  redwire::test::redis_server plain;
  const std::string not_cluster =
      construction_error<transport>("redis-cluster://127.0.0.1:" + std::to_string(plain.port()));
  EXPECT_TRUE(mentions(not_cluster, "not a Redis Cluster")) << not_cluster;
  EXPECT_TRUE(mentions(not_cluster, "not in cluster mode")) << not_cluster;
}

TEST(cluster_transport, keys_go_to_the_master_of_their_slot) {
  auto& cluster = redis_cluster::shared();
  // The first seed listed is down: the next one gives the map.
  std::string url = cluster.url();
  url.insert(std::string("redis-cluster://").size(),
             "127.0.0.1:" + std::to_string(redwire::test::redis_server::unused_port()) + ",");
  transport bus{url};
  std::set<int> owners;
  for (std::string tag : {"alpha", "delta", "echo"}) {
    owners.insert(cluster.master_of_slot(hash_slot(tag)));
    const std::string queue = "t:{" + tag + "}:q";
    bus.push(queue, "to " + tag);
    auto reader = bus.open_reader({queue});
    std::vector<std::string> out;
    reader.pop(out, 4, 2000ms);
    EXPECT_EQ(out, std::vector<std::string>{"to " + tag});
    // command() follows MOVED to whichever master serves the key.
    bus.command({"SET", "k:{" + tag + "}", tag});
    EXPECT_EQ(bus.command({"GET", "k:{" + tag + "}"}).str, tag);
    const std::string port = std::to_string(cluster.master_of_slot(hash_slot(tag)));
    EXPECT_EQ(redis_cluster::cli(std::stoi(port), "GET k:{" + tag + "}"),
              std::vector<std::string>{tag});
  }
  EXPECT_EQ(owners.size(), 3u);  // the three keys are on three masters
}

TEST(cluster_transport, calls_reach_services_on_every_master) {
  auto& cluster = redis_cluster::shared();
  transport service_bus{cluster.url()}, client_bus{cluster.url()};
  redwire::service alpha{service_bus, "alpha"}, delta{service_bus, "delta"},
      echo{service_bus, "echo"};
  alpha.bind(alpha_add, [](int a, int b) { return a + b; });
  delta.bind(delta_twice, [](int a) { return 2 * a; });
  echo.bind(echo_say, [](std::string s) { return "echo: " + s; });
  alpha.start();
  delta.start();
  echo.start();

  redwire::client cli{client_bus};
  EXPECT_EQ(cli.call(alpha_add, 2, 3), 5);
  EXPECT_EQ(cli.call(delta_twice, 21), 42);
  EXPECT_EQ(cli.call(echo_say, std::string("hi")), "echo: hi");
  std::vector<std::future<int>> sums;
  for (int i = 0; i < 100; ++i) sums.push_back(cli.async_call(alpha_add, i, 1));
  std::vector<std::future<int>> twices;
  for (int i = 0; i < 100; ++i) twices.push_back(cli.async_call(delta_twice, i));
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(sums[i].get(), i + 1);
    EXPECT_EQ(twices[i].get(), 2 * i);
  }
}

// What main brought: a cancelled call's request is taken back (LREM) on the master of its
// queue's slot, the connection that pushed it; the broker clock asks TIME of a master.
TEST(cluster_transport, withdrawal_and_the_broker_clock_follow_the_slot) {
  auto& cluster = redis_cluster::shared();
  transport bus{cluster.url()};
  for (std::string tag : {"alpha", "delta", "echo"}) {
    const std::string queue = "w:{" + tag + "}:q";
    bus.command({"DEL", queue});  // from an earlier run (--gtest_repeat)
    bus.push(queue, "first");
    bus.push(queue, "second");
    EXPECT_TRUE(bus.withdraw(queue, "first")) << tag;
    EXPECT_FALSE(bus.withdraw(queue, "first")) << tag;  // taken already
    EXPECT_EQ(
        redis_cluster::cli(cluster.master_of_slot(hash_slot(tag)), "LRANGE " + queue + " 0 -1"),
        std::vector<std::string>{"second"});
  }
  const auto skew = bus.broker_time() - std::chrono::system_clock::now();
  EXPECT_LT(std::chrono::abs(skew), 1s);  // the nodes run on this host's clock
}

// A slot that no master serves (CLUSTER DELSLOTS on every node): the transport is made (the
// other slots are served) and logs it; a call to the service of that slot fails at once as
// unavailable, naming the slot. (With cluster-require-full-coverage, the default, the other
// slots answer CLUSTERDOWN meanwhile.) The slot is given back.
TEST(cluster_transport, a_slot_served_by_no_master_is_named_per_call) {
  auto& cluster = redis_cluster::shared();
  const int slot = hash_slot("alpha");
  const int home = cluster.master_of_slot(slot);
  ASSERT_NE(home, 0);
  for (int port : cluster.ports())
    redis_cluster::cli(port, "CLUSTER DELSLOTS " + std::to_string(slot));
  {
    transport client_bus{cluster.url("?command_timeout=300ms")};
    redwire::client cli{client_bus};
    redwire::result<int> r = cli.with({.timeout = 2s}).try_call(alpha_add, 1, 2);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().error(), redwire::errc::unavailable) << r.error().what();
    EXPECT_TRUE(
        mentions(r.error().what(), "slot " + std::to_string(slot) + " is served by no master"))
        << r.error().what();
  }
  redis_cluster::expect_ok(home, "CLUSTER ADDSLOTS " + std::to_string(slot));
  ASSERT_TRUE(cluster.wait_until_ok(30s)) << cluster.why();
}

// Appends that wait for a replica (XADD + WAIT, on connections of their own: one per master)
// go to the master of each stream's slot, and WAIT counts that master's replica.
TEST(cluster_transport, replicated_appends_go_to_the_master_of_each_stream) {
  auto& cluster = redis_cluster::shared();
  // Every master with its replica in sync (cluster_failover, when it ran first, restarted one).
  ASSERT_TRUE(cluster.wait_until_ok(60s)) << cluster.why();
  transport bus{cluster.url()};
  for (std::string tag : {"alpha", "delta", "echo"}) {
    const std::string stream = "s:{" + tag + "}";
    bus.command({"DEL", stream});  // from an earlier run (--gtest_repeat)
    for (int i = 0; i < 3; ++i)
      EXPECT_FALSE(
          bus.stream_append(stream, "entry", 0, {.replicas = 1, .timeout = 2000ms}).empty())
          << tag;
    EXPECT_EQ(redis_cluster::cli(cluster.master_of_slot(hash_slot(tag)), "XLEN " + stream),
              std::vector<std::string>{"3"})
        << tag;
  }
}

// The idle-consumer script touches the stream and its "seen" hash: they share the stream's slot
// when the stream's key has no hash tag too (redwire's own keys have one).
TEST(cluster_transport, idle_consumers_are_removed_from_a_stream_without_a_hash_tag) {
  auto& cluster = redis_cluster::shared();
  transport bus{cluster.url()};
  for (std::string stream : {"untagged-stream", "rw:stream:{alpha}"}) {
    bus.command({"DEL", stream});  // from an earlier run (--gtest_repeat)
    bus.stream_append(stream, "entry");
    auto idle = bus.open_stream_reader(stream, "g", "idle");
    idle.create_group(true);
    auto live = bus.open_stream_reader(stream, "g", "live");
    std::vector<redwire::stream_entry> got;
    idle.read(got, 1, 0ms);
    idle.ack(std::vector<std::string>{got.at(0).id});
    std::this_thread::sleep_for(30ms);
    EXPECT_EQ(live.remove_idle_consumers(20ms), std::vector<std::string>{"idle"}) << stream;
  }
}
