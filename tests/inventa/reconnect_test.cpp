// Redis restarted (empty) under running Inventa nodes: they subscribe again, heartbeat again,
// the orchestrator keeps its services (it waits one TTL before it sweeps, then discovers), and
// calls resume. Calls in flight when the connection is lost end with errc::unavailable.
#include <gtest/gtest.h>

#include <future>
#include <string>

#include "inventa/inventa_api.hpp"
#include "support/eventually.hpp"

namespace {

using namespace inventa_test;
using redwire::test::eventually;

TEST(inventa_reconnect, nodes_come_back_with_redis) {
  redwire::test::redis_server server;
  std::atomic<int> unregistered{0};
  inv::node orc{server.url(), "svc:orc:", inv::role::orchestrator, fast()};
  orc.on_unregistering([&](const inv::instance&, bool) { ++unregistered; });
  orc.start();
  inv::node svc{server.url(), "svc:calc:one", inv::role::service, fast()};
  bind_calc(svc);
  svc.start();
  svc.register_with("svc:orc:");
  ASSERT_EQ(orc.call("svc:calc:one", calc::sum, 1, 2), 3);

  // A call in flight when Redis goes ends with unavailable, not at its timeout.
  auto slow = std::async(std::launch::async, [&] {
    return orc.with({.timeout = 30s}).try_call("svc:calc:one", calc::sleep_ms, 2000);
  });
  std::this_thread::sleep_for(300ms);
  server.kill();
  const auto lost = slow.get();
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().error(), redwire::errc::unavailable);

  server.restart();  // empty: the keys are gone until the nodes beat again
  ASSERT_TRUE(eventually([&] {
    auto r = orc.with({.timeout = 500ms}).try_call("svc:calc:one", calc::sum, 2, 2);
    return r && *r == 4;
  }));
  ASSERT_TRUE(eventually([&] {
    redwire::redis::transport probe{server.url()};
    return !probe.command({"GET", "svc:calc:one"}).is_nil() &&
           !probe.command({"GET", "svc:orc:"}).is_nil();
  }));
  // Past the grace of one TTL and a few sweeps: the service is still admitted.
  std::this_thread::sleep_for(fast().ttl + 4 * fast().liveness_interval);
  EXPECT_EQ(unregistered.load(), 0);
  ASSERT_EQ(orc.instances("calc").size(), 1u);
  EXPECT_EQ(orc.call(calc::sum, 20, 22), 42);
  // The service answers calls again too.
  EXPECT_EQ(svc.call("svc:calc:one", calc::sum, 1, 1), 2);
}

}  // namespace
