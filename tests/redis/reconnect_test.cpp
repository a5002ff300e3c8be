#include "common.hpp"

#include <algorithm>
#include <atomic>
#include <map>

#include "support/fault_proxy.hpp"

using namespace redis_tests;
using redwire::redis::transport;

TEST(redis_reconnect, kill_and_restart) {
  redwire::test::redis_server server;
  transport bus{redwire::redis::options{.url = server.url()}};
  inbox in;
  auto sub = bus.subscribe("rw:reply:{me}", in.handler(), in.gap());
  auto reader = bus.open_reader({"q"});
  std::vector<std::string> out;
  reader.pop(out, 10, 10ms);

  server.kill();
  // push throws promptly once the loss is noticed, and never hangs
  ASSERT_TRUE(eventually([&] {
    auto start = clock_type::now();
    try {
      bus.push("q", "lost");
    } catch (const redwire::transport_error&) {
      EXPECT_LT(clock_type::now() - start, timing_slack);  // no wait for a timeout
      return true;
    }
    return false;
  }));
  EXPECT_FALSE(bus.connected());
  // The subscription hears of the loss at once, not only once it is restored.
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lk(in.m);
    return in.gaps == 1;
  }));
  EXPECT_THROW(bus.publish("ch", "x"), redwire::transport_error);
  EXPECT_THROW(reader.pop(out, 10, 100ms), redwire::transport_error);
  auto start = clock_type::now();
  EXPECT_THROW(reader.pop(out, 10, 100ms), redwire::transport_error);
  EXPECT_LT(clock_type::now() - start, 100ms + timing_slack);  // within the pop's own time

  server.restart();
  auto restarted = clock_type::now();
  ASSERT_TRUE(eventually([&] { return bus.connected(); }));
  bool popped = false;
  while (clock_type::now() - restarted < patience && !popped) {
    try {
      bus.push("q", "after");
      out.clear();
      reader.pop(out, 10, 200ms);
      popped = out == std::vector<std::string>{"after"};
    } catch (const redwire::transport_error&) {
      std::this_thread::sleep_for(20ms);
    }
  }
  EXPECT_TRUE(popped);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lk(in.m);
    return in.gaps == 2;
  }));
  bus.publish("rw:reply:{me}", "hello again");
  ASSERT_TRUE(in.wait_count(1));
  EXPECT_EQ(in.got[0].second, "hello again");
  // Back within about 2 s (README): the longest reconnect backoff is 1 s, then a connect and
  // the re-subscription; and the slack of a loaded machine.
  EXPECT_LT(clock_type::now() - restarted, 2s + timing_slack);
}

TEST(redis_reconnect, paused_server_does_not_hang_push) {
  redwire::test::redis_server server;
  transport bus{redwire::redis::options{.url = server.url(), .command_timeout = 300ms}};
  server.pause();
  auto start = clock_type::now();
  // pushes are buffered by the kernel; the loss is noticed by the missing replies
  bool threw = false;
  while (clock_type::now() - start < patience && !threw) {
    try {
      bus.push("q", "x");
      std::this_thread::sleep_for(10ms);
    } catch (const redwire::transport_error&) {
      threw = true;
    }
  }
  EXPECT_TRUE(threw);
  server.resume();
  EXPECT_TRUE(eventually([&] { return bus.connected(); }));
}

TEST(redis_reconnect, wake_while_down_does_not_throw) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  auto reader = bus.open_reader({"q"});
  std::vector<std::string> out;
  reader.pop(out, 1, 10ms);
  server.kill();
  EXPECT_NO_THROW(reader.wake());
}

// Reconnects back off: 10 ms, doubling to 1 s (README). The proxy drops the transport's
// connections and refuses every new one; it notes when each attempt comes and which connection
// makes it (its CLIENT SETNAME). Between two attempts of a connection there is its backoff: at
// least the delay (it sleeps that long), at most the delay + timing_slack. The command
// connection tries once at once after the loss, then waits 10 ms; the subscriber waits 10 ms
// before its first try, so its first two tries are 20 ms apart. Then each delay doubles, up to
// 1 s.
TEST(redis_reconnect, attempts_back_off_from_10_ms_doubling_to_1_s) {
  redwire::test::redis_server server;
  redwire::test::fault_proxy proxy{server.port()};
  transport bus{proxy.url()};
  inbox in;
  auto sub = bus.subscribe("ch", in.handler(), in.gap());  // the subscriber's connection too
  bus.push("q", "x");
  proxy.set(redwire::test::fault::reset());
  auto attempts_of = [&](const std::string& name) {
    std::vector<clock_type::time_point> at;
    for (auto& a : proxy.refused())
      if (a.name == name) at.push_back(a.at);
    return at;
  };
  const std::map<std::string, std::chrono::milliseconds> first_delay = {
      {"redwire:commands", 10ms}, {"redwire:subscriber", 20ms}};
  // Ten attempts take 3.3 s (commands: 10 + 20 + ... + 640 ms, then 1 s twice) to 4.3 s.
  ASSERT_TRUE(eventually(
      [&] {
        for (auto& [name, delay] : first_delay)
          if (attempts_of(name).size() < 10) return false;
        return true;
      },
      2 * patience));
  proxy.set(redwire::test::fault::pass());
  for (auto& [name, first] : first_delay) {
    SCOPED_TRACE(name);
    const auto at = attempts_of(name);
    auto delay = first;
    for (std::size_t i = 1; i < 10; ++i) {
      const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(at[i] - at[i - 1]);
      EXPECT_GE(gap, delay - 1ms) << "attempt " << i + 1 << " (the clock may round down 1 ms)";
      EXPECT_LT(gap, delay + timing_slack) << "attempt " << i + 1;
      delay = std::min<std::chrono::milliseconds>(delay * 2, 1s);
    }
  }
  // And both come back once Redis can be reached again.
  EXPECT_TRUE(eventually([&] {
    try {
      bus.publish("ch", "back");  // until the subscription is back to hear it
    } catch (const redwire::transport_error&) {
    }
    std::lock_guard lk(in.m);
    return !in.got.empty() && in.got.back().second == "back";
  }));
}
