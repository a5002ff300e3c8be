// A master of the cluster SIGKILLed under load (tests/support/redis_cluster.hpp,
// tests/support/call_load.hpp): once the cluster has promoted its replica, sync and async calls
// to the service whose slot it served resume within 2 s, no call waits past its timeout, and
// every stream entry appended with a replica's confirmation is still there. The node is then
// restarted, comes back a replica, and the test waits until the cluster is whole again (the
// other tests of this program find the masters by asking, and may run after this one: the
// unity build decides the order).
#include <redwire/events/names.hpp>
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "support/call_load.hpp"
#include "support/eventually.hpp"
#include "support/redis_cluster.hpp"

using namespace std::chrono_literals;
using redwire::redis::transport;
using redwire::redis::detail::hash_slot;
using redwire::test::eventually;
using redwire::test::redis_cluster;

namespace {
inline constexpr redwire::procedure<"delta.add", int(int, int)> delta_add{};
// Its key, rw:stream:{failover.log}, is in slot 9597: on the master of `delta` (9053).
inline constexpr redwire::stream<"failover.log", int> failover_log{};

std::string nodes_said(redis_cluster& cluster, int dead) {
  std::string text;
  for (int port : cluster.ports())
    if (port != dead)
      for (const std::string& line : redis_cluster::cli(port, "CLUSTER NODES"))
        text += std::to_string(port) + ": " + line + "\n";
  return text;
}

long long ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}
}  // namespace

TEST(cluster_failover, calls_resume_within_2s_of_the_promotion_and_no_confirmed_entry_is_lost) {
  auto& cluster = redis_cluster::shared();
  const std::string tail = "?connect_timeout=300ms";
  transport service_bus{cluster.url(tail)}, client_bus{cluster.url(tail)};
  const int slot = hash_slot("delta");
  const int old = cluster.master_of_slot(slot);
  ASSERT_NE(old, 0);
  ASSERT_EQ(cluster.master_of_slot(hash_slot("failover.log")), old);
  redwire::service delta{service_bus, "delta"};
  delta.bind(delta_add, [](int a, int b) { return a + b; });
  delta.start();
  redwire::client cli{client_bus};
  redwire::test::call_load load{cli, delta_add, failover_log, 500ms};
  // A command router of the test's own, with a connection to delta's master (to be retired).
  redwire::redis::settings st =
      redwire::redis::resolve(redwire::redis::options{.url = cluster.url(tail)});
  st.topology = redwire::redis::detail::make_transport_topology(st);
  redwire::redis::detail::command_router router{st};
  router.at("{delta}");
  ASSERT_TRUE(eventually([&] {
    return load.last_sync_ok().time_since_epoch().count() > 0 &&
           load.last_async_ok().time_since_epoch().count() > 0;
  }));
  std::this_thread::sleep_for(300ms);  // under load

  cluster.node(old).kill();
  ASSERT_TRUE(eventually(
      [&] {
        const int now = cluster.master_of_slot(slot);
        return now != 0 && now != old;
      },
      30s))
      << "no replica promoted: " << nodes_said(cluster, old);
  // Seen by polling the nodes (about 30 ms a round): the promotion happened a little earlier.
  const auto promoted = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually(
      [&] { return load.last_sync_ok() > promoted && load.last_async_ok() > promoted; }, 10s));
  const auto back = std::max(load.last_sync_ok(), load.last_async_ok()) - promoted;
  std::this_thread::sleep_for(300ms);
  load.stop();
  std::printf(
      "cluster failover: calls back %lld ms after the promotion was seen, longest overrun "
      "%lld ms, %zu appends confirmed, %ld refused\n",
      ms(back), static_cast<long long>(load.longest_overrun().count()), load.confirmed().size(),
      load.appends_refused());
  // Stated slack: 2 s as the issue asks, plus 500 ms for a loaded 2-core machine.
  EXPECT_LT(back, 2500ms) << "calls came back " << ms(back) << " ms after the promotion";
  EXPECT_LT(load.longest_overrun(), 500ms);  // no call waited past its timeout (+ slack)
  const std::string key = redwire::detail::stream_key(client_bus.prefix(), failover_log.name);
  const auto confirmed = load.confirmed();
  EXPECT_GT(confirmed.size(), 0u);
  std::size_t missing = 0;
  for (const std::string& id : confirmed)
    missing += client_bus.command({"XRANGE", key, id, id}).elements.size() != 1;
  EXPECT_EQ(missing, 0u) << "of " << confirmed.size() << " confirmed entries";
  // The router's connection to the dead master is retired once the map no longer names it.
  EXPECT_TRUE(eventually([&] {
    router.at("{delta}");
    return router.retired() == 1;
  }));
  cluster.node(old).restart();  // back as a replica of the promoted one
  EXPECT_TRUE(cluster.wait_until_ok(60s)) << cluster.why();
}
