// The cluster fixture itself (tests/support/redis_cluster.hpp): six nodes on loopback, three of
// them masters that share the 16384 slots, each with a replica.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "support/redis_cluster.hpp"

using redwire::test::redis_cluster;

TEST(cluster_fixture, three_masters_share_every_slot) {
  auto& cluster = redis_cluster::shared();
  EXPECT_EQ(cluster.ports().size(), 6u);
  const std::vector<int> masters = cluster.master_ports();
  ASSERT_EQ(masters.size(), 3u);
  std::set<int> owners;
  for (int slot : {0, 5000, 10000, 16383}) {
    const int owner = cluster.master_of_slot(slot);
    EXPECT_NE(std::find(masters.begin(), masters.end(), owner), masters.end()) << slot;
    owners.insert(owner);
  }
  EXPECT_EQ(owners.size(), 3u);  // redis-cli gives each master a third, in order
  EXPECT_TRUE(cluster.url().starts_with("redis-cluster://127.0.0.1:"));
}
