// rediss-cluster://: a cluster whose nodes, bus and replication speak TLS (a second private
// cluster, started for this test and stopped after it). The slot map, the redirections and
// the calls between services on the three masters go over TLS with the test CA; plaintext to a
// TLS port is refused with a clear error.
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

#include "support/construction_error.hpp"
#include "support/redis_cluster.hpp"

using redwire::test::redis_cluster;

namespace {
inline constexpr redwire::procedure<"alpha.neg", int(int)> alpha_neg{};
inline constexpr redwire::procedure<"delta.neg", int(int)> delta_neg{};
inline constexpr redwire::procedure<"echo.neg", int(int)> echo_neg{};
}  // namespace

TEST(cluster_tls, calls_reach_services_on_every_master_over_tls) {
  redis_cluster cluster{redis_cluster::with_tls};
  redwire::redis::transport service_bus{cluster.tls_url()}, client_bus{cluster.tls_url()};
  redwire::service alpha{service_bus, "alpha"}, delta{service_bus, "delta"},
      echo{service_bus, "echo"};
  alpha.bind(alpha_neg, [](int x) { return -x; });
  delta.bind(delta_neg, [](int x) { return -x; });
  echo.bind(echo_neg, [](int x) { return -x; });
  alpha.start();
  delta.start();
  echo.start();
  redwire::client cli{client_bus};
  EXPECT_EQ(cli.call(alpha_neg, 1), -1);
  EXPECT_EQ(cli.call(delta_neg, 2), -2);
  EXPECT_EQ(cli.call(echo_neg, 3), -3);
  std::vector<std::future<int>> later;
  for (int i = 0; i < 30; ++i)
    later.push_back(i % 2 ? cli.async_call(delta_neg, i) : cli.async_call(echo_neg, i));
  for (int i = 0; i < 30; ++i) EXPECT_EQ(later[i].get(), -i);

  // The map the TLS connections were given names the TLS ports: a key of each master's slot,
  // read back through the user's connection (which follows MOVED over TLS).
  client_bus.command({"SET", "k:{delta}", "over tls"});
  EXPECT_EQ(client_bus.command({"GET", "k:{delta}"}).str, "over tls");

  std::string plain = cluster.tls_url();
  plain.replace(0, std::string("rediss-cluster").size(), "redis-cluster");
  plain = plain.substr(0, plain.find('?')) + "?connect_timeout=500ms";
  const std::string what = redwire::test::construction_error<redwire::redis::transport>(plain);
  EXPECT_TRUE(redwire::test::mentions(what, "no cluster node reachable")) << what;
}
