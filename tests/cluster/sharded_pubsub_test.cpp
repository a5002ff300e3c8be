// Sharded pub/sub on the cluster (tests/support/redis_cluster.hpp): channels are SSUBSCRIBEd
// and SPUBLISHed on the master of their slot, so a reply reaches the master that owns the
// caller's slot and no other node; patterns keep classic pub/sub.
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "support/eventually.hpp"
#include "support/redis_cluster.hpp"

using namespace std::chrono_literals;
using redwire::redis::transport;
using redwire::redis::detail::hash_slot;
using redwire::test::eventually;
using redwire::test::redis_cluster;

namespace {

// What a subscription received, and how many gaps it was told of.
struct sharded_inbox {
  std::mutex m;
  std::vector<std::string> got;
  std::atomic<int> gaps{0};
  redwire::message_handler handler() {
    return [this](std::string_view channel, std::string_view bytes) {
      std::lock_guard lk(m);
      got.push_back(std::string(channel) + "=" + std::string(bytes));
    };
  }
  redwire::gap_handler gap() {
    return [this] { ++gaps; };
  }
  bool has(const std::string& what) {
    std::lock_guard lk(m);
    return std::find(got.begin(), got.end(), what) != got.end();
  }
};

}  // namespace

TEST(cluster_sharded_pubsub, a_channel_is_heard_on_the_master_of_its_slot) {
  auto& cluster = redis_cluster::shared();
  transport sub_bus{cluster.url()}, pub_bus{cluster.url()};
  std::vector<sharded_inbox> inboxes(3);
  std::vector<redwire::redis::subscription> subs;
  const std::vector<std::string> tags{"alpha", "delta", "echo"};
  for (std::size_t i = 0; i < tags.size(); ++i)
    subs.push_back(
        sub_bus.subscribe("t:{" + tags[i] + "}:news", inboxes[i].handler(), inboxes[i].gap()));
  for (std::size_t i = 0; i < tags.size(); ++i) pub_bus.publish("t:{" + tags[i] + "}:news", "hi");
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const std::string channel = "t:{" + tags[i] + "}:news";
    EXPECT_TRUE(eventually([&] { return inboxes[i].has(channel + "=hi"); })) << channel;
    const int owner = cluster.master_of_slot(hash_slot(tags[i]));
    EXPECT_EQ(redis_cluster::cli(owner, "PUBSUB SHARDNUMSUB " + channel),
              (std::vector<std::string>{channel, "1"}));
    for (int port : cluster.ports())
      EXPECT_EQ(redis_cluster::cli(port, "PUBSUB NUMSUB " + channel),
                (std::vector<std::string>{channel, "0"}))
          << port;
  }
  EXPECT_EQ(inboxes[0].gaps.load(), 0);
}

namespace {
inline constexpr redwire::procedure<"alpha.inc", int(int)> sharded_alpha_inc{};
inline constexpr redwire::procedure<"delta.inc", int(int)> sharded_delta_inc{};
inline constexpr redwire::procedure<"echo.inc", int(int)> sharded_echo_inc{};

// SPUBLISH and PUBLISH calls each node has run so far (INFO commandstats).
long long calls_of(int port, const std::string& command) {
  for (const std::string& line : redis_cluster::cli(port, "INFO commandstats")) {
    const std::string head = "cmdstat_" + command + ":calls=";
    if (line.starts_with(head)) return std::stoll(line.substr(head.size()));
  }
  return 0;
}
}  // namespace

TEST(cluster_sharded_pubsub, replies_go_only_to_the_master_of_the_callers_slot) {
  auto& cluster = redis_cluster::shared();
  transport service_bus{cluster.url()};
  redwire::service alpha{service_bus, "alpha"}, delta{service_bus, "delta"},
      echo{service_bus, "echo"};
  alpha.bind(sharded_alpha_inc, [](int a) { return a + 1; });
  delta.bind(sharded_delta_inc, [](int a) { return a + 2; });
  echo.bind(sharded_echo_inc, [](int a) { return a + 3; });
  alpha.start();
  delta.start();
  echo.start();
  const std::vector<int> masters = cluster.master_ports();
  for (std::size_t inboxes : {std::size_t{4}, std::size_t{0}}) {
    transport client_bus{cluster.url()};
    redwire::client cli{client_bus, {.inboxes = inboxes}};
    const std::string channel = "rw:reply:{" + cli.id() + "}";
    const int owner = cluster.master_of_slot(hash_slot(channel));
    std::vector<long long> spublished, published;
    for (int port : cluster.ports()) {
      spublished.push_back(calls_of(port, "spublish"));
      published.push_back(calls_of(port, "publish"));
    }
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(cli.call(sharded_alpha_inc, i), i + 1) << inboxes;
      EXPECT_EQ(cli.call(sharded_delta_inc, i), i + 2) << inboxes;
      EXPECT_EQ(cli.call(sharded_echo_inc, i), i + 3) << inboxes;
      EXPECT_EQ(cli.async_call(sharded_delta_inc, i).get(), i + 2) << inboxes;
    }
    // 20 replies, each SPUBLISHed to the owner of the client's slot; no classic PUBLISH, which
    // the cluster bus would carry to every node.
    for (std::size_t n = 0; n < cluster.ports().size(); ++n) {
      const int port = cluster.ports()[n];
      const bool is_master = std::find(masters.begin(), masters.end(), port) != masters.end();
      EXPECT_EQ(calls_of(port, "publish"), published[n]) << port;
      if (port == owner) {
        EXPECT_GE(calls_of(port, "spublish") - spublished[n], 20) << port;
      } else if (is_master) {
        EXPECT_LT(calls_of(port, "spublish") - spublished[n], 20) << port;  // events only
      }
      if (is_master) {
        EXPECT_EQ(redis_cluster::cli(port, "PUBSUB SHARDNUMSUB " + channel),
                  (std::vector<std::string>{channel, port == owner ? "1" : "0"}))
            << port;
      }
      EXPECT_EQ(redis_cluster::cli(port, "PUBSUB NUMSUB " + channel),
                (std::vector<std::string>{channel, "0"}))
          << port;
    }
  }
}

TEST(cluster_sharded_pubsub, a_subscription_follows_its_slot_to_another_master) {
  auto& cluster = redis_cluster::shared();
  transport sub_bus{cluster.url()}, pub_bus{cluster.url()};
  const std::string channel = "t:{mover}:news";
  const int slot = hash_slot(channel);
  const int from = cluster.master_of_slot(slot);
  int to = 0;
  for (int port : cluster.master_ports())
    if (port != from) to = port;
  ASSERT_NE(from, 0);
  ASSERT_NE(to, 0);

  sharded_inbox in;
  auto sub = sub_bus.subscribe(channel, in.handler(), in.gap());
  pub_bus.publish(channel, "before");
  ASSERT_TRUE(eventually([&] { return in.has(channel + "=before"); }));

  cluster.move_slot(slot, to);
  // Redis ends the subscription on `from`; the subscriber subscribes again on `to`.
  EXPECT_TRUE(eventually([&] {
    return redis_cluster::cli(to, "PUBSUB SHARDNUMSUB " + channel) ==
               std::vector<std::string>{channel, "1"} &&
           sub.healthy();
  })) << in.gaps.load();
  EXPECT_GE(in.gaps.load(), 2);  // when it ended, and once it was confirmed again
  EXPECT_EQ(redis_cluster::cli(from, "PUBSUB SHARDNUMSUB " + channel),
            (std::vector<std::string>{channel, "0"}));
  // The publisher does not know of the move yet: its SPUBLISH is answered MOVED and sent again
  // to the new owner (redis/pending_replies.hpp), so not even this first message is lost.
  pub_bus.publish(channel, "after");
  EXPECT_TRUE(eventually([&] { return in.has(channel + "=after"); }));
  pub_bus.publish(channel, "last");
  EXPECT_TRUE(eventually([&] { return in.has(channel + "=last"); }));

  cluster.move_slot(slot, from);  // the fixture is shared: as it was
  EXPECT_TRUE(eventually([&] {
    return redis_cluster::cli(from, "PUBSUB SHARDNUMSUB " + channel) ==
               std::vector<std::string>{channel, "1"} &&
           sub.healthy();
  }));
  EXPECT_TRUE(eventually([&] { return cluster.master_of_slot(slot) == from; }));
}

// A pattern has no sharded form: the subscriber records it (rw:{patterns}), and a publisher that
// has read it (within a second) also sends matching channels by classic PUBLISH.
TEST(cluster_sharded_pubsub, a_pattern_subscriber_hears_through_classic_pubsub) {
  auto& cluster = redis_cluster::shared();
  transport sub_bus{cluster.url()}, pub_bus{cluster.url()};
  sharded_inbox in, exact;
  auto psub = sub_bus.psubscribe("t:orders.*", in.handler(), in.gap());
  auto sub = sub_bus.subscribe("t:orders.{delta}", exact.handler(), exact.gap());
  const auto recorded = [&] {
    const std::vector<std::string> r = redis_cluster::cli(
        cluster.master_of_slot(hash_slot("patterns")), "ZRANGE rw:{patterns} 0 -1");
    return std::find(r.begin(), r.end(), "t:orders.*") != r.end();
  };
  ASSERT_TRUE(eventually(recorded));
  // A new publisher's first publish waits for its first read of the patterns: heard.
  pub_bus.publish("t:orders.{delta}", "first");
  EXPECT_TRUE(eventually([&] { return in.has("t:orders.{delta}=first"); }));
  pub_bus.publish("t:orders.{echo}", "to the pattern");
  pub_bus.publish("t:other.{echo}", "to nobody");
  pub_bus.publish("t:orders.{delta}", "to both");
  EXPECT_TRUE(eventually([&] {
    return in.has("t:orders.{echo}=to the pattern") && in.has("t:orders.{delta}=to both") &&
           exact.has("t:orders.{delta}=to both");
  }));
  EXPECT_FALSE(in.has("t:other.{echo}=to nobody"));
  {
    std::lock_guard lk(exact.m);  // the exact subscriber got each message once
    EXPECT_EQ(std::count(exact.got.begin(), exact.got.end(), "t:orders.{delta}=to both"), 1);
  }
}

TEST(cluster_sharded_pubsub, a_pattern_subscribed_here_is_matched_by_publishes_from_here_at_once) {
  auto& cluster = redis_cluster::shared();
  transport bus{cluster.url()};
  bus.publish("t:early.{echo}", "read");  // the patterns are read now, and not for a second
  sharded_inbox in;
  auto psub = bus.psubscribe("t:late.*", in.handler(), in.gap());
  bus.publish("t:late.{echo}", "at once");  // within that second
  EXPECT_TRUE(eventually([&] { return in.has("t:late.{echo}=at once"); }));
}
