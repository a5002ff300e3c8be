// A redwire orchestrator and redwire services over the Inventa protocol, as separate processes:
// registration, calls, a killed service reported as unregistered, an orchestrator restarted
// that finds the running services again.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <string>
#include <vector>

#include "inventa/inventa_api.hpp"
#include "support/child_process.hpp"
#include "support/eventually.hpp"

namespace {

using namespace inventa_test;
using redwire::test::child_process;
using redwire::test::eventually;

bool holds(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(inventa_processes, orchestrator_and_services_in_separate_processes) {
  redwire::test::redis_server server;
  const std::string url = server.url();
  auto orchestrator = std::make_unique<child_process>(
      std::vector<std::string>{REDWIRE_INVENTA_NODE, url, "svc:orc:", "orchestrator"},
      child_process::read_output);
  ASSERT_TRUE(orchestrator->wait_for_line("ready", 10s));
  child_process a({REDWIRE_INVENTA_NODE, url, "svc:calc:a", "service", "svc:orc:"},
                  child_process::read_output);
  child_process b({REDWIRE_INVENTA_NODE, url, "svc:calc:b", "service", "svc:orc:"},
                  child_process::read_output);
  ASSERT_TRUE(a.wait_for_line("ready", 10s));
  ASSERT_TRUE(b.wait_for_line("ready", 10s));

  inv::node me{url, "svc:client:test", inv::role::service, fast()};
  me.start();
  // An empty list arrives as one empty item (the protocol cannot tell them apart).
  auto instances = [&] {
    auto ids = me.call_raw("svc:orc:", "instances", {});
    if (ids == std::vector<std::string>{""}) ids.clear();
    return ids;
  };
  EXPECT_EQ(instances(), (std::vector<std::string>{"svc:calc:a", "svc:calc:b"}));
  EXPECT_EQ(me.call("svc:calc:a", calc::sum, 2, 3), 5);
  EXPECT_EQ(me.call_raw("svc:calc:b", "whoami", {}), std::vector<std::string>{"svc:calc:b"});

  // A killed service stops heartbeating: unregistered within TTL + one sweep.
  a.stop(SIGKILL);
  ASSERT_TRUE(eventually([&] { return !holds(instances(), "svc:calc:a"); }));
  EXPECT_EQ(me.call_raw("svc:orc:", "unregistered", {}), std::vector<std::string>{"svc:calc:a"});

  // The orchestrator dies and comes back: it finds b again (SCAN + orchestrator-alive).
  orchestrator->stop(SIGKILL);
  orchestrator = std::make_unique<child_process>(
      std::vector<std::string>{REDWIRE_INVENTA_NODE, url, "svc:orc:", "orchestrator"},
      child_process::read_output);
  ASSERT_TRUE(orchestrator->wait_for_line("ready", 10s));
  EXPECT_EQ(instances(), std::vector<std::string>{"svc:calc:b"});
  EXPECT_EQ(me.call("svc:calc:b", calc::sum, 40, 2), 42);
  b.signal(SIGTERM);
  EXPECT_EQ(b.wait(), 0);
  ASSERT_TRUE(eventually([&] { return instances().empty(); }));
}

}  // namespace
