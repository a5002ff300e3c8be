// The registry across processes, on Redis: a SIGKILLed instance disappears within TTL + 1 s and
// each of three watcher processes hears exactly one `expired` for it.
#include <memory>
#include <string>
#include <vector>

#include "registry/registry_fixture.hpp"
#include "support/child_process.hpp"
#include "support/redis_server.hpp"

using namespace registry_test;
using redwire::test::child_process;

namespace {

TEST(registry_processes, a_killed_instance_expires_once_for_each_of_three_watcher_processes) {
  redwire::test::redis_server server;
  std::vector<std::unique_ptr<child_process>> watchers;
  for (int i = 0; i < 3; ++i) {
    watchers.push_back(std::make_unique<child_process>(
        std::vector<std::string>{REDWIRE_REGISTRY_WATCHER, server.url(), "600000"},
        child_process::read_output));
    ASSERT_TRUE(watchers.back()->wait_for_line("watching", patience));
  }
  const auto ttl = 1000ms;
  child_process member({REDWIRE_REGISTRY_MEMBER, server.url(), "calc-victim", "1000"},
                       child_process::read_output);
  ASSERT_TRUE(member.wait_for_line("ready", patience));
  redwire::redis::transport bus{server.url()};
  redwire::registry reg{bus};
  ASSERT_EQ(reg.instances("calc").size(), 1u);
  member.stop(SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  // Gone once its TTL has passed (docs/registry.md); a second more for a loaded machine to see it.
  ASSERT_TRUE(eventually([&] { return reg.instances("calc").empty(); }, ttl + 1s));
  EXPECT_LE(std::chrono::steady_clock::now() - killed, ttl + 1s);
  for (auto& w : watchers) ASSERT_TRUE(w->wait_for_line("expired calc-victim", patience));
  // A window for a second `expired` to show, were there one: three of the watchers' reap
  // rounds (200 ms) on an idle machine. The watchers are then stopped and read to the end.
  std::this_thread::sleep_for(600ms);
  for (auto& w : watchers) {
    w->stop(SIGKILL);
    auto lines = w->all_lines(patience);
    int joined = 0, expired = 0;
    for (auto& l : lines) {
      joined += l == "joined calc-victim";
      expired += l == "expired calc-victim";
    }
    EXPECT_EQ(joined, 1);
    EXPECT_EQ(expired, 1);
  }
}

}  // namespace
