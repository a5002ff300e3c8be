// Topics, streams and the registry over TLS (the typed calls run over TLS in the call suite:
// tests/support/buses.hpp).
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>
#include <redwire/registry.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/eventually.hpp"
#include "support/tls_redis.hpp"

using namespace std::chrono_literals;
using redwire::test::eventually;
using redwire::test::tls_redis;

namespace {

struct order {
  std::string id;
  int quantity = 0;
};
inline constexpr redwire::topic<"tls.orders", order> orders{};
inline constexpr redwire::stream<"tls.log", int> numbers{};
inline constexpr redwire::procedure<"tlscalc.add", int(int, int)> add{};

/// Mutual TLS, as the strictest setup: every connection presents the client certificate.
tls_redis& server() {
  static tls_redis s{{.client_certificates = true}};
  return s;
}
std::string url() {
  return server().tls_url() + "&" + tls_redis::client_options();
}

TEST(tls_features, topics_and_streams) {
  redwire::redis::transport bus{url()};
  bus.command({"FLUSHALL"});
  redwire::service svc{bus, "billing"};
  std::mutex m;
  std::vector<int> topic_seen, stream_seen;
  svc.subscribe(orders, [&](order o) {
    std::lock_guard lk(m);
    topic_seen.push_back(o.quantity);
  });
  svc.consume(numbers, "billing", [&](int v) {
    std::lock_guard lk(m);
    stream_seen.push_back(v);
  });
  svc.start();
  redwire::client cli{bus};
  for (int i = 0; i < 20; ++i) {
    cli.publish(orders, order{"o", i});
    cli.append(numbers, i);
  }
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lk(m);
    return topic_seen.size() == 20 && stream_seen.size() == 20;
  }));
  std::lock_guard lk(m);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(topic_seen[i], i);
    EXPECT_EQ(stream_seen[i], i);
  }
}

TEST(tls_features, registry_sees_instances_and_calls_go_through) {
  redwire::redis::transport service_bus{url()};
  redwire::redis::transport caller_bus{url()};
  redwire::service a{service_bus, "tlscalc", {.instance_id = "tls-a"}};
  redwire::service b{service_bus, "tlscalc", {.instance_id = "tls-b"}};
  for (auto* s : {&a, &b}) {
    s->bind(add, [](int x, int y) { return x + y; });
    s->start();
  }
  redwire::registry reg{caller_bus};
  std::atomic<int> joined{0};
  auto watch = reg.watch([&](const redwire::membership_event& e) {
    if (e.change == redwire::membership::joined) ++joined;
  });
  ASSERT_TRUE(eventually([&] { return reg.instances("tlscalc").size() == 2; }));
  redwire::client cli{caller_bus};
  EXPECT_EQ(cli.call(add, 2, 3), 5);
  EXPECT_EQ(cli.with({.instance = "tls-b"}).call(add, 4, 5), 9);
  std::vector<std::future<int>> async;
  for (int i = 0; i < 100; ++i) async.push_back(cli.async_call(add, i, 1));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(async[i].get(), i + 1);
  b.stop();
  EXPECT_TRUE(eventually([&] { return reg.instances("tlscalc").size() == 1; }));
}

}  // namespace
