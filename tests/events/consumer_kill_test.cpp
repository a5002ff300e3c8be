// At least once, for real: a consumer PROCESS is killed (SIGKILL) in the middle of a batch;
// the survivors claim what it had taken, and every entry is handled — none lost.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "events/event_buses.hpp"

extern char** environ;

using namespace std::chrono_literals;
using namespace events_test;

namespace {

inline constexpr redwire::stream<"kill.log", int> kill_log{};

/// A child process running tests/events/helper/event_consumer.cpp; killed when it goes.
class consumer_process {
 public:
  explicit consumer_process(std::vector<std::string> args) {
    args.insert(args.begin(), REDWIRE_EVENT_CONSUMER);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0)
      throw std::runtime_error("cannot start " + args[0]);
  }
  ~consumer_process() { kill(SIGKILL); }
  void kill(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

TEST(at_least_once, a_consumer_killed_mid_batch_loses_nothing) {
  redwire::test::redis_server server;
  redwire::redis::transport bus{server.url()};
  redwire::client cli{bus};
  constexpr int total = 300;
  for (int i = 0; i < total; ++i) cli.append(kill_log, i);

  // The victim starts alone, takes a batch of 10 and hangs on its 6th entry.
  consumer_process victim({server.url(), "victim", "stall-after", "5"});
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", "kill:stalled"}).integer == 1; }, 10s));
  const std::string key = "rw:stream:{kill.log}";
  auto pending = bus.command({"XPENDING", key, "workers", "-", "+", "100", "victim"});
  const std::size_t taken_by_victim = pending.elements.size();
  EXPECT_GE(taken_by_victim, 2u) << "the victim must die holding the rest of its batch";
  EXPECT_EQ(bus.command({"LLEN", "kill:processed"}).integer, 5);

  consumer_process survivor1({server.url(), "survivor-1"});
  consumer_process survivor2({server.url(), "survivor-2"});
  victim.kill(SIGKILL);

  auto processed = [&] {
    std::set<int> values;
    for (auto& e : bus.command({"LRANGE", "kill:processed", "0", "-1"}).elements)
      values.insert(std::stoi(e.str));
    return values;
  };
  ASSERT_TRUE(eventually([&] { return processed().size() == total; }, 20s))
      << "handled " << processed().size() << " of " << total;
  std::set<int> expected;
  for (int i = 0; i < total; ++i) expected.insert(i);
  EXPECT_EQ(processed(), expected);
  ASSERT_TRUE(eventually(
      [&] {
        auto summary = bus.command({"XPENDING", key, "workers"});
        return !summary.elements.empty() && summary.elements[0].integer == 0;
      },
      5s));
  EXPECT_EQ(bus.command({"XLEN", key + ":dead:workers"}).integer, 0);
  // What the victim held went to the survivors: handled once more at most, never lost.
  const long long records = bus.command({"LLEN", "kill:processed"}).integer;
  EXPECT_GE(records, total);
  EXPECT_LE(records, total + static_cast<long long>(taken_by_victim));
}

}  // namespace
