// Redis ACL users on a cluster: the namespace-limited user of docs/reliability.md, set on every
// node, plus the one command a cluster client needs besides (the slot map: CLUSTER SLOTS;
// ASKING is in @connection already), runs services on the three masters and calls them; no
// node's ACL LOG shows a refusal. Without +cluster|slots, construction fails naming NOPERM.
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

#include "support/redis_cluster.hpp"

using redwire::test::redis_cluster;

namespace {
inline constexpr redwire::procedure<"alpha.twice", int(int)> alpha_twice{};
inline constexpr redwire::procedure<"echo.twice", int(int)> echo_twice{};

// Quoted for the shell that redis_cluster::cli() runs.
const std::string acl_rules =
    "on '>cl-pw-1' '~rw:*' '&rw:*' -@all +@connection +@list +@pubsub +@hash +@sortedset "
    "+@string +@stream +@scripting +@keyspace +@transaction -@dangerous '+client|unblock' +time "
    "'+cluster|slots'";

std::string refusals(const redis_cluster& cluster) {
  std::string out;
  for (int port : cluster.ports())
    for (const std::string& line : redis_cluster::cli(port, "ACL LOG"))
      if (!line.empty()) out += std::to_string(port) + ": " + line + "\n";
  return out;
}
}  // namespace

TEST(cluster_acl, a_namespace_limited_user_runs_services_and_calls_on_every_master) {
  auto& cluster = redis_cluster::shared();
  for (int port : cluster.ports()) {
    redis_cluster::expect_ok(port, "ACL SETUSER rwcluster " + acl_rules);
    redis_cluster::expect_ok(port, "ACL LOG RESET");
  }
  {
    std::string url = cluster.url();
    url.insert(std::string("redis-cluster://").size(), "rwcluster:cl-pw-1@");
    redwire::redis::transport service_bus{url}, client_bus{url};
    redwire::service alpha{service_bus, "alpha"}, echo{service_bus, "echo"};
    alpha.bind(alpha_twice, [](int x) { return 2 * x; });
    echo.bind(echo_twice, [](int x) { return 2 * x; });
    alpha.start();
    echo.start();
    redwire::client cli{client_bus};
    auto first = cli.with({.timeout = std::chrono::seconds(2)}).try_call(alpha_twice, 4);
    ASSERT_TRUE(first) << first.error().what() << "\n" << refusals(cluster);
    EXPECT_EQ(*first, 8);
    std::vector<std::future<int>> later;
    for (int i = 0; i < 40; ++i)
      later.push_back(i % 2 ? cli.async_call(alpha_twice, i) : cli.async_call(echo_twice, i));
    for (int i = 0; i < 40; ++i) EXPECT_EQ(later[i].get(), 2 * i);
  }
  EXPECT_EQ(refusals(cluster), "") << "redwire ran commands its ACL user may not run";
  for (int port : cluster.ports()) redis_cluster::cli(port, "ACL DELUSER rwcluster");
}
