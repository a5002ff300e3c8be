// <redwire/redwire.hpp> gives everything a service or a caller needs, the registry and the
// orchestrator included: this file names no other redwire header but its transport's.
#include <gtest/gtest.h>

#include <redwire/memory.hpp>
#include <redwire/redwire.hpp>

#include <string>
#include <vector>

namespace {

inline constexpr redwire::procedure<"umbrella.add", int(int, int)> umbrella_add{};

TEST(umbrella, brings_the_registry_and_the_orchestrator) {
  redwire::memory::transport bus;
  redwire::service svc{bus, "umbrella", {.instance_id = "umbrella-1"}};
  svc.bind(umbrella_add, [](int a, int b) { return a + b; });
  svc.start();

  redwire::registry reg{bus};
  EXPECT_EQ(reg.services(), std::vector<std::string>{"umbrella"});
  const std::vector<redwire::instance_info> instances = reg.instances("umbrella");
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(instances.front().id, "umbrella-1");

  redwire::orchestrator orc{bus, {.policy = redwire::selection::least_outstanding}};
  orc.on_registering([](const redwire::instance_info& i) {
    return i.service == "umbrella" ? redwire::admission::accept()
                                   : redwire::admission::reject("not ours");
  });
  orc.start();
  EXPECT_EQ(orc.call(umbrella_add, 2, 3), 5);
  ASSERT_EQ(orc.instances("umbrella").size(), 1u);
  orc.stop();
  svc.stop();
}

}  // namespace
