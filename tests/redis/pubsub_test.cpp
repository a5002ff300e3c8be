#include "common.hpp"

#include <atomic>
#include <memory>
#include <optional>

using namespace redis_tests;
using redwire::redis::transport;

TEST(redis_pubsub, fan_out_to_every_subscription) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  transport other{server.url()};
  inbox a, b, c;
  auto sa = bus.subscribe("rw:reply:{1}", a.handler(), a.gap());
  auto sb = bus.subscribe("rw:reply:{1}", b.handler(), b.gap());
  auto sc = other.subscribe("rw:reply:{1}", c.handler(), c.gap());
  bus.publish("rw:reply:{1}", "hello");
  bus.publish("rw:reply:{2}", "nobody");
  ASSERT_TRUE(a.wait_count(1));
  ASSERT_TRUE(b.wait_count(1));
  ASSERT_TRUE(c.wait_count(1));
  EXPECT_EQ(a.got[0], (std::pair<std::string, std::string>{"rw:reply:{1}", "hello"}));
  // One connection delivers in order: once a later message has come, no copy of "hello" (nor
  // the message to rw:reply:2) is still on its way.
  bus.publish("rw:reply:{1}", "later");
  ASSERT_TRUE(a.wait_count(2));
  ASSERT_TRUE(b.wait_count(2));
  EXPECT_EQ(a.got[1].second, "later");
  EXPECT_EQ(b.got[1].second, "later");
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(a.gaps, 0);
}

TEST(redis_pubsub, message_right_after_subscribe_is_delivered) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  for (int i = 0; i < 20; ++i) {
    inbox in;
    auto s = bus.subscribe("ch" + std::to_string(i), in.handler());
    bus.publish("ch" + std::to_string(i), "x");
    EXPECT_TRUE(in.wait_count(1)) << i;
  }
}

TEST(redis_pubsub, psubscribe_gets_actual_channel) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  inbox in;
  auto s = bus.psubscribe("rw:topic:orders.*", in.handler());
  bus.publish("rw:topic:orders.created", "1");
  bus.publish("rw:topic:users.created", "2");
  bus.publish("rw:topic:orders.paid", "3");
  ASSERT_TRUE(in.wait_count(2));
  EXPECT_EQ(in.got[0].first, "rw:topic:orders.created");
  EXPECT_EQ(in.got[1].first, "rw:topic:orders.paid");
  EXPECT_EQ(in.got[1].second, "3");
}

TEST(redis_pubsub, unsubscribe_stops_delivery) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  inbox kept, dropped;
  auto keep = bus.subscribe("ch", kept.handler());
  {
    auto drop = bus.subscribe("ch", dropped.handler());
    bus.publish("ch", "1");
    ASSERT_TRUE(dropped.wait_count(1));
  }
  bus.publish("ch", "2");
  ASSERT_TRUE(kept.wait_count(2));
  EXPECT_EQ(dropped.size(), 1u);
  keep.unsubscribe();
  EXPECT_TRUE(eventually([&] {
    return bus.command({"PUBSUB", "NUMSUB", "ch"}).elements[1].integer == 0;
  }));
  bus.publish("ch", "3");
  // and it can be subscribed again; "3" came before "4" on the one connection, to nobody
  inbox again;
  auto s = bus.subscribe("ch", again.handler());
  bus.publish("ch", "4");
  ASSERT_TRUE(again.wait_count(1));
  EXPECT_EQ(again.got[0].second, "4");
  EXPECT_EQ(kept.size(), 2u);
}

TEST(redis_pubsub, destroyed_inside_its_own_handler) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  std::optional<redwire::redis::subscription> sub;
  std::atomic<int> calls{0};
  std::mutex m;
  sub = bus.subscribe("ch", [&](std::string_view, std::string_view) {
    ++calls;
    std::lock_guard lk(m);
    sub.reset();  // must not deadlock
  });
  { std::lock_guard lk(m); }
  bus.publish("ch", "1");
  bus.publish("ch", "2");
  ASSERT_TRUE(eventually([&] { return calls.load() >= 1; }));
  // the delivery thread is still alive; "2" came before "x" on the one connection
  inbox in;
  auto s = bus.subscribe("other", in.handler());
  bus.publish("other", "x");
  EXPECT_TRUE(in.wait_count(1));
  EXPECT_EQ(calls.load(), 1);
}

TEST(redis_pubsub, destruction_waits_for_running_handler) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  std::atomic<bool> inside{false}, finished{false};
  auto sub = std::make_unique<redwire::redis::subscription>(
      bus.subscribe("ch", [&](std::string_view, std::string_view) {
        inside = true;
        std::this_thread::sleep_for(200ms);
        finished = true;
      }));
  bus.publish("ch", "1");
  ASSERT_TRUE(eventually([&] { return inside.load(); }));
  sub.reset();
  EXPECT_TRUE(finished.load());
}

// A subscription kept past its transport is inert: it worked before, its connection is closed
// with the transport (Redis counts no subscriber), no message reaches its handler, and
// destroying it afterwards is harmless (ASan runs of this suite would see otherwise).
TEST(redis_pubsub, subscription_outlives_transport) {
  redwire::test::redis_server server;
  transport other{server.url()};
  inbox in;
  std::optional<redwire::redis::subscription> s;
  {
    transport bus{server.url()};
    s = bus.subscribe("ch", in.handler(), in.gap());
    other.publish("ch", "before");
    ASSERT_TRUE(in.wait_count(1));
  }
  EXPECT_TRUE(s->active());
  EXPECT_TRUE(eventually([&] {
    return other.command({"PUBSUB", "NUMSUB", "ch"}).elements[1].integer == 0;
  }));
  EXPECT_EQ(other.command({"PUBLISH", "ch", "after"}).integer, 0);  // received by nobody
  s.reset();
  EXPECT_EQ(in.size(), 1u);
}
