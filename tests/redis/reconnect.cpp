#include "common.hpp"

#include <atomic>

using namespace redis_tests;
using redwire::redis::transport;

TEST(redis_reconnect, kill_and_restart) {
  redwire::test::redis_server server;
  transport bus{redwire::redis::options{.url = server.url()}};
  inbox in;
  auto sub = bus.subscribe("rw:reply:me", in.handler(), in.gap());
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
      EXPECT_LT(clock_type::now() - start, 100ms);
      return true;
    }
    return false;
  }));
  EXPECT_FALSE(bus.connected());
  // The subscription hears of the loss at once, not only once it is restored.
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lk(in.m);
        return in.gaps == 1;
      },
      3000ms));
  EXPECT_THROW(bus.publish("ch", "x"), redwire::transport_error);
  EXPECT_THROW(reader.pop(out, 10, 100ms), redwire::transport_error);
  auto start = clock_type::now();
  EXPECT_THROW(reader.pop(out, 10, 100ms), redwire::transport_error);
  EXPECT_LT(clock_type::now() - start, 400ms);

  server.restart();
  auto restarted = clock_type::now();
  ASSERT_TRUE(eventually([&] { return bus.connected(); }, 2000ms));
  bool popped = false;
  while (clock_type::now() - restarted < 2500ms && !popped) {
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
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lk(in.m);
        return in.gaps == 2;
      },
      2000ms));
  bus.publish("rw:reply:me", "hello again");
  ASSERT_TRUE(in.wait_count(1, 2000ms));
  EXPECT_EQ(in.got[0].second, "hello again");
  EXPECT_LT(clock_type::now() - restarted, 2500ms);
}

TEST(redis_reconnect, paused_server_does_not_hang_push) {
  redwire::test::redis_server server;
  transport bus{redwire::redis::options{.url = server.url(), .command_timeout = 300ms}};
  server.pause();
  auto start = clock_type::now();
  // pushes are buffered by the kernel; the loss is noticed by the missing replies
  bool threw = false;
  while (clock_type::now() - start < 3000ms && !threw) {
    try {
      bus.push("q", "x");
      std::this_thread::sleep_for(10ms);
    } catch (const redwire::transport_error&) {
      threw = true;
    }
  }
  EXPECT_TRUE(threw);
  server.resume();
  EXPECT_TRUE(eventually([&] { return bus.connected(); }, 3000ms));
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
