// At least once, for real: a consumer PROCESS is killed (SIGKILL) in the middle of a batch;
// the survivors claim what it had taken, and every entry is handled — none lost.
#include <gtest/gtest.h>

#include <redwire/redis.hpp>

#include <csignal>
#include <set>
#include <string>
#include <vector>

#include "events/event_api.hpp"
#include "support/child_process.hpp"
#include "support/eventually.hpp"
#include "support/redis_server.hpp"

using namespace std::chrono_literals;
using namespace events_test;
using redwire::test::child_process;
using redwire::test::eventually;

namespace {

TEST(at_least_once, a_consumer_killed_mid_batch_loses_nothing) {
  redwire::test::redis_server server;
  redwire::redis::transport bus{server.url()};
  redwire::client cli{bus};
  constexpr int total = 300;
  for (int i = 0; i < total; ++i) cli.append(kill_log, i);

  // The victim starts alone, takes a batch of 10 and hangs on its 6th entry.
  child_process victim({REDWIRE_EVENT_CONSUMER, server.url(), "victim", "stall-after", "5"});
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", "kill:stalled"}).integer == 1; }));
  const std::string key = "rw:stream:{kill.log}";
  auto pending = bus.command({"XPENDING", key, "workers", "-", "+", "100", "victim"});
  const std::size_t taken_by_victim = pending.elements.size();
  EXPECT_GE(taken_by_victim, 2u) << "the victim must die holding the rest of its batch";
  EXPECT_EQ(bus.command({"LLEN", "kill:processed"}).integer, 5);

  child_process survivor1({REDWIRE_EVENT_CONSUMER, server.url(), "survivor-1"});
  child_process survivor2({REDWIRE_EVENT_CONSUMER, server.url(), "survivor-2"});
  victim.stop(SIGKILL);

  auto processed = [&] {
    std::set<int> values;
    for (auto& e : bus.command({"LRANGE", "kill:processed", "0", "-1"}).elements)
      values.insert(std::stoi(e.str));
    return values;
  };
  // Two processes handle 300 entries of 2 ms each, once the victim's are idle long enough to
  // claim (500 ms): longer than what `eventually` waits for a single event by default.
  ASSERT_TRUE(eventually([&] { return processed().size() == total; }, 3 * redwire::test::patience))
      << "handled " << processed().size() << " of " << total;
  std::set<int> expected;
  for (int i = 0; i < total; ++i) expected.insert(i);
  EXPECT_EQ(processed(), expected);
  ASSERT_TRUE(eventually([&] {
    auto summary = bus.command({"XPENDING", key, "workers"});
    return !summary.elements.empty() && summary.elements[0].integer == 0;
  }));
  EXPECT_EQ(bus.command({"XLEN", key + ":dead:workers"}).integer, 0);
  // What the victim held went to the survivors: handled once more at most, never lost.
  const long long records = bus.command({"LLEN", "kill:processed"}).integer;
  EXPECT_GE(records, total);
  EXPECT_LE(records, total + static_cast<long long>(taken_by_victim));
}

}  // namespace
