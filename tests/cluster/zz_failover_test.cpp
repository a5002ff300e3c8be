// A master of the cluster SIGKILLed (tests/support/redis_cluster.hpp): once the cluster has
// promoted its replica, calls to the service whose slot it served resume, through the same
// transports. Last in this program (zz_): it restarts the node, which comes back a replica.
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "support/eventually.hpp"
#include "support/redis_cluster.hpp"

using namespace std::chrono_literals;
using redwire::redis::transport;
using redwire::redis::detail::hash_slot;
using redwire::test::eventually;
using redwire::test::redis_cluster;

namespace {
inline constexpr redwire::procedure<"delta.thrice", int(int)> delta_thrice{};

std::string nodes_said(redis_cluster& cluster, int dead) {
  std::string text;
  for (int port : cluster.ports())
    if (port != dead)
      for (const std::string& line : redis_cluster::cli(port, "CLUSTER NODES"))
        text += std::to_string(port) + ": " + line + "\n";
  return text;
}
}  // namespace

TEST(cluster_failover, calls_resume_on_the_promoted_replica) {
  auto& cluster = redis_cluster::shared();
  transport service_bus{cluster.url("?connect_timeout=300ms")};
  transport client_bus{cluster.url("?connect_timeout=300ms")};
  redwire::service delta{service_bus, "delta"};
  delta.bind(delta_thrice, [](int a) { return 3 * a; });
  delta.start();
  redwire::client cli{client_bus, {.default_timeout = 1s}};
  EXPECT_EQ(cli.call(delta_thrice, 1), 3);

  const int slot = hash_slot("delta");
  const int old = cluster.master_of_slot(slot);
  ASSERT_NE(old, 0);
  cluster.node(old).kill();
  ASSERT_TRUE(eventually(
      [&] {
        const int now = cluster.master_of_slot(slot);
        return now != 0 && now != old;
      },
      30s))
      << "no replica promoted: " << nodes_said(cluster, old);
  // Within the patience of a loaded machine: the promotion is known to the cluster by now.
  EXPECT_TRUE(eventually(
      [&] {
        redwire::result<int> r = cli.try_call(delta_thrice, 5);
        return r && *r == 15;
      },
      redwire::test::patience));
  cluster.node(old).restart();  // back as a replica of the promoted one
}
