// Topics: typed publish/subscribe, patterns, bad input, reconnects — on memory and Redis.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <vector>

#include "events/event_api.hpp"
#include "support/buses.hpp"
#include "support/eventually.hpp"

using namespace std::chrono_literals;
using namespace events_test;
using redwire::test::bus;
using redwire::test::eventually;
using redwire::test::make_bus;

namespace {

class topics : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { bus_ = make_bus(GetParam()); }
  std::unique_ptr<bus> bus_;
};

TEST_P(topics, every_subscriber_gets_every_event_in_order) {
  auto a = bus_->make_service("billing");
  auto b = bus_->make_service("shipping");
  std::mutex m;
  std::vector<int> seen_a, seen_b;
  a->subscribe(orders_topic, [&](order o) {
    std::lock_guard lock(m);
    seen_a.push_back(o.quantity);
  });
  b->subscribe(orders_topic, [&](const order& o) {
    std::lock_guard lock(m);
    seen_b.push_back(o.quantity);
  });
  a->start();
  b->start();
  auto cli = bus_->make_client();
  for (int i = 0; i < 20; ++i) cli->publish(orders_topic, order{"o" + std::to_string(i), i});
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return seen_a.size() == 20 && seen_b.size() == 20;
  }));
  std::vector<int> expected(20);
  for (int i = 0; i < 20; ++i) expected[i] = i;
  EXPECT_EQ(seen_a, expected);
  EXPECT_EQ(seen_b, expected);
  auto stats = a->metrics("shop.orders");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->kind, redwire::operation_kind::topic);
  EXPECT_EQ(stats->calls, 20u);
  EXPECT_EQ(stats->failures, 0u);
}

TEST_P(topics, nobody_listening_loses_the_event_quietly) {
  auto cli = bus_->make_client();
  EXPECT_NO_THROW(cli->publish(orders_topic, order{"x", 1}));
}

TEST_P(topics, a_pattern_subscription_gets_matching_topics_with_their_names) {
  auto svc = bus_->make_service("audit");
  std::mutex m;
  std::multiset<std::string> names;
  svc->subscribe(any_shop_topic, [&](std::string_view topic, order o) {
    std::lock_guard lock(m);
    names.insert(std::string(topic) + ":" + o.id);
  });
  svc->start();
  auto cli = bus_->make_client();
  cli->publish(orders_topic, order{"a", 1});
  cli->publish(refunds_topic, order{"b", 2});
  cli->publish(notes_topic, note{"a note is not an order"});  // matches, wrong type: refused
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return names.size() == 2 && svc->metrics("shop.*")->bad_messages == 1;
  }));
  EXPECT_EQ(names, (std::multiset<std::string>{"shop.orders:a", "shop.refunds:b"}));
}

TEST_P(topics, bad_bytes_are_counted_and_the_subscription_goes_on) {
  auto svc = bus_->make_service("billing");
  std::atomic<int> good{0};
  svc->subscribe(orders_topic, [&](order) { ++good; });
  svc->start();
  auto cli = bus_->make_client();
  const std::string channel = std::string(bus_->raw().prefix()) + ":topic:shop.orders";
  bus_->raw().publish(channel, "garbage");
  bus_->raw().publish(channel, std::string("RE\x01\x01\x00", 5) + std::string(40, '\xff'));
  cli->publish(orders_topic, order{"ok", 1});
  ASSERT_TRUE(
      eventually([&] { return good == 1 && svc->metrics("shop.orders")->bad_messages == 2; }));
}

TEST_P(topics, a_handler_that_throws_is_counted_and_the_next_event_runs) {
  auto svc = bus_->make_service("billing");
  std::atomic<int> runs{0};
  svc->subscribe(orders_topic, [&](order o) {
    ++runs;
    if (o.quantity < 0) throw std::runtime_error("negative");
  });
  svc->start();
  auto cli = bus_->make_client();
  cli->publish(orders_topic, order{"bad", -1});
  cli->publish(orders_topic, order{"good", 1});
  ASSERT_TRUE(eventually([&] { return runs == 2; }));
  auto stats = svc->metrics("shop.orders");
  EXPECT_EQ(stats->calls, 2u);
  EXPECT_EQ(stats->failures, 1u);
}

TEST_P(topics, a_handler_may_call_a_procedure_and_publish) {
  // On Redis the subscriber thread also carries replies: a handler running on it would wait
  // for its own reply. Handlers run on a thread of the subscription instead.
  auto front = bus_->make_service("front");
  front->bind(trace, [] { return std::string(redwire::current_call()->trace_id); });
  auto cli = bus_->make_client();
  auto svc = bus_->make_service("billing");
  std::mutex m;
  std::string in_event, in_call;
  svc->subscribe(orders_topic, [&](order) {
    std::string t = cli->call(trace);
    std::lock_guard lock(m);
    in_event = std::string(redwire::current_call()->trace_id);
    in_call = t;
  });
  front->start();
  svc->start();
  cli->publish(orders_topic, order{"a", 1});
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return !in_call.empty();
  }));
  EXPECT_EQ(in_event, in_call);
  EXPECT_EQ(in_event.size(), 32u);  // a W3C trace id (trace.hpp)
}

// While the service is stopped its subscription hears nothing: "b", published then, is never
// handled, even once the subscription is back and has handled "c", published after it.
TEST_P(topics, subscriptions_stop_with_the_service_and_come_back_with_it) {
  auto svc = bus_->make_service("billing");
  std::mutex m;
  std::vector<std::string> got;
  svc->subscribe(orders_topic, [&](order o) {
    std::lock_guard lock(m);
    got.push_back(o.id);
  });
  auto cli = bus_->make_client();
  svc->start();
  cli->publish(orders_topic, order{"a", 1});
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return got.size() == 1;
  }));
  svc->stop();
  cli->publish(orders_topic, order{"b", 1});
  svc->start();
  cli->publish(orders_topic, order{"c", 1});
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return std::find(got.begin(), got.end(), "c") != got.end();
  }));
  std::lock_guard lock(m);
  EXPECT_EQ(got, (std::vector<std::string>{"a", "c"}));
}

INSTANTIATE_TEST_SUITE_P(transports, topics,
                         ::testing::ValuesIn(redwire::test::transport_and_cluster_kinds()),
                         redwire::test::bus_name{});

TEST(topics_on_redis, subscriptions_come_back_after_redis_restarts) {
  redwire::test::redis_server server;
  redwire::redis::transport bus{server.url()};
  redwire::service svc{bus, "billing"};
  std::atomic<int> got{0};
  svc.subscribe(orders_topic, [&](order) { ++got; });
  svc.start();
  redwire::client cli{bus};
  cli.publish(orders_topic, order{"before", 1});
  ASSERT_TRUE(eventually([&] { return got == 1; }));
  server.restart();
  // Publish until one arrives: the subscriber re-subscribes on its own after reconnecting.
  ASSERT_TRUE(eventually(
      [&] {
        try {
          cli.publish(orders_topic, order{"after", 1});
        } catch (const redwire::rpc_error&) {
        }
        std::this_thread::sleep_for(20ms);
        return got >= 2;
      },
      15s));
  svc.stop();
}

TEST(topics_on_memory, a_gap_does_not_end_the_subscription) {
  redwire::memory::transport bus;
  redwire::service svc{bus, "billing"};
  std::atomic<int> got{0};
  svc.subscribe(orders_topic, [&](order) { ++got; });
  svc.start();
  redwire::client cli{bus};
  bus.set_down(true);
  EXPECT_THROW(cli.publish(orders_topic, order{"lost", 1}), redwire::rpc_error);
  bus.set_down(false);
  cli.publish(orders_topic, order{"after", 1});
  ASSERT_TRUE(eventually([&] { return got == 1; }));
  svc.stop();
}

}  // namespace
