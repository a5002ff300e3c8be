// Pushes that a node bounces (transports/redis/include/redwire/redis/pending_replies.hpp): after
// MOVED they go to the slot's new master, after ASK behind ASKING to the importing node, after
// CLUSTERDOWN again once the slot is served; each arrives exactly once. Calls go on across a
// moved slot. Every test gives the slot of `alpha` back to its master at the end: the cluster
// is shared by the binary's tests.
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "support/eventually.hpp"
#include "support/log_capture.hpp"
#include "support/redis_cluster.hpp"

using namespace std::chrono_literals;
using redwire::redis::detail::hash_slot;
using redwire::test::eventually;
using redwire::test::redis_cluster;

namespace {

inline constexpr redwire::procedure<"alpha.inc", int(int)> alpha_inc{};

// Another master than the one at `port`.
int other_master(const redis_cluster& cluster, int port) {
  for (int p : cluster.master_ports())
    if (p != port) return p;
  throw std::runtime_error("no other master");
}

std::vector<std::string> items_at(int port, const std::string& queue) {
  return redis_cluster::cli(port, "LRANGE " + queue + " 0 -1");
}

// How many commands the node at `port` has answered CLUSTERDOWN (INFO errorstats).
int clusterdown_errors(int port) {
  for (const std::string& l : redis_cluster::cli(port, "INFO errorstats"))
    if (l.starts_with("errorstat_CLUSTERDOWN:count=")) return std::stoi(l.substr(28));
  return 0;
}

}  // namespace

TEST(cluster_redirects, a_push_answered_moved_goes_to_the_new_master_once) {
  auto& cluster = redis_cluster::shared();
  const int slot = hash_slot("alpha");
  const int home = cluster.master_of_slot(slot);
  const int away = other_master(cluster, home);
  redwire::redis::transport bus{cluster.url()};
  const std::string queue = "m:{alpha}:q";
  bus.push(queue, "one");  // the transport learns where the slot is
  ASSERT_TRUE(eventually([&] { return items_at(home, queue).size() == 1; }));

  redwire::redis::transport other{cluster.url()};  // round trips: XADD, XRANGE, LREM
  const std::string stream = "m:{alpha}:log";
  other.stream_append(stream, "before");
  other.stream_append(stream, "before, replicated", 0, {.replicas = 1});

  redwire::test::log_capture log;
  cluster.move_slot(slot, away);  // the transports do not know yet
  bus.push(queue, "two");
  bus.push_behind(queue, "three");
  EXPECT_TRUE(eventually([&] { return items_at(away, queue).size() == 3; }))
      << items_at(away, queue).size();
  std::this_thread::sleep_for(100ms);  // nothing more comes: each arrived once
  // Once each; the order of pushes bounced in flight is not kept (docs/cluster.md, limits): one
  // may be bounced twice, when a node that has not heard of the move yet gave the map.
  std::vector<std::string> arrived = items_at(away, queue);
  std::sort(arrived.begin() + 1, arrived.end());
  EXPECT_EQ(arrived, (std::vector<std::string>{"one", "three", "two"}));
  EXPECT_EQ(log.count({"RPUSH", "failed"}), 0);
  EXPECT_EQ(log.count({"given up"}), 0);
  // A round trip answered MOVED is sent again where the slot is now.
  EXPECT_NO_THROW(other.stream_append(stream, "after"));
  EXPECT_NO_THROW(other.stream_append(stream, "replicated", 0, {.replicas = 1}));
  EXPECT_EQ(other.stream_range(stream, 10).size(), 4u);
  EXPECT_TRUE(other.withdraw(queue, "two"));

  redis_cluster::cli(away, "DEL " + queue + " " + stream);
  cluster.move_slot(slot, home);
}

TEST(cluster_redirects, a_push_asked_to_the_importing_node_goes_there_once) {
  auto& cluster = redis_cluster::shared();
  const int slot = hash_slot("alpha");
  const int home = cluster.master_of_slot(slot);
  const int away = other_master(cluster, home);
  redwire::redis::transport bus{cluster.url()};
  const std::string queue = "a:{alpha}:q";
  bus.push("warm:{alpha}", "x");  // the transport's connection to the slot's master is made
  redis_cluster::cli(home, "DEL warm:{alpha}");

  const auto keys_in_slot = [&](int port) {
    return redis_cluster::cli(port, "CLUSTER COUNTKEYSINSLOT " + std::to_string(slot));
  };
  const auto before = keys_in_slot(home);
  redwire::test::log_capture log;
  cluster.begin_slot_move(slot, away);
  bus.push(queue, "asked");  // not on `home`: it answers ASK, `away` takes it behind ASKING
  EXPECT_TRUE(eventually([&] { return keys_in_slot(away) == std::vector<std::string>{"1"}; }));
  EXPECT_EQ(keys_in_slot(home), before);  // other tests' keys of the slot stay there meanwhile
  cluster.finish_slot_move(slot, home, away);
  EXPECT_EQ(items_at(away, queue), std::vector<std::string>{"asked"});
  EXPECT_EQ(log.count({"RPUSH", "failed"}), 0);

  redis_cluster::cli(away, "DEL " + queue);
  cluster.move_slot(slot, home);
}

TEST(cluster_redirects, a_push_answered_clusterdown_is_sent_again_once_the_slot_is_served) {
  auto& cluster = redis_cluster::shared();
  const int slot = hash_slot("alpha");
  const int home = cluster.master_of_slot(slot);
  redwire::redis::transport bus{cluster.url("?command_timeout=5s")};
  const std::string queue = "d:{alpha}:q";
  bus.push("warm:{alpha}", "x");
  redis_cluster::cli(home, "DEL warm:{alpha}");

  const int refused = clusterdown_errors(home);
  redis_cluster::expect_ok(home, "CLUSTER DELSLOTS " + std::to_string(slot));
  bus.push(queue, "late", 6s);  // CLUSTERDOWN: sent again after a backoff, until 6 s from now
  EXPECT_TRUE(eventually([&] { return clusterdown_errors(home) > refused; }));
  redis_cluster::cli(home, "CLUSTER ADDSLOTS " + std::to_string(slot));  // unless gossip did
  EXPECT_TRUE(eventually([&] { return items_at(home, queue).size() == 1; }, 6s));
  std::this_thread::sleep_for(100ms);  // nothing more comes: it arrived once
  EXPECT_EQ(items_at(home, queue), std::vector<std::string>{"late"});

  redis_cluster::cli(home, "DEL " + queue);
  ASSERT_TRUE(cluster.wait_until_ok(30s)) << cluster.why();
}

TEST(cluster_redirects, calls_go_on_when_their_service_slot_moves) {
  auto& cluster = redis_cluster::shared();
  const int slot = hash_slot("alpha");
  const int home = cluster.master_of_slot(slot);
  const int away = other_master(cluster, home);
  redwire::redis::transport service_bus{cluster.url()}, client_bus{cluster.url()};
  redwire::service alpha{service_bus, "alpha"};
  alpha.bind(alpha_inc, [](int x) { return x + 1; });
  alpha.start();
  redwire::client cli{client_bus};
  EXPECT_EQ(cli.call(alpha_inc, 1), 2);

  cluster.move_slot(slot, away);  // the reader blocked on `home` is told MOVED and follows
  EXPECT_EQ(cli.with({.timeout = 5s}).call(alpha_inc, 2), 3);
  std::vector<std::future<int>> later;
  for (int i = 0; i < 50; ++i) later.push_back(cli.async_call(alpha_inc, i));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(later[i].get(), i + 1);

  cluster.move_slot(slot, home);
  EXPECT_EQ(cli.with({.timeout = 5s}).call(alpha_inc, 3), 4);
}
