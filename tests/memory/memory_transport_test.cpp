// redwire::memory::transport on its own, and the faults it can inject into a running system.
#include <gtest/gtest.h>

#include <redwire/memory.hpp>
#include <redwire/redwire.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "support/eventually.hpp"
#include "support/test_thread.hpp"

using namespace std::chrono_literals;
using redwire::errc;
using redwire::test::eventually;
using redwire::test::patience;
using redwire::test::timing_slack;

namespace {

static_assert(redwire::transport<redwire::memory::transport>);
static_assert(redwire::queue_reader<redwire::memory::transport::queue_reader>);

TEST(memory_transport, queue_is_fifo_and_batches) {
  redwire::memory::transport bus;
  for (int i = 0; i < 10; ++i) bus.push("q", std::to_string(i));
  auto reader = bus.open_reader({"q"});
  std::vector<std::string> out;
  reader.pop(out, 4, 0ms);
  ASSERT_EQ(out, (std::vector<std::string>{"0", "1", "2", "3"}));
  out.clear();
  reader.pop(out, 100, 0ms);
  EXPECT_EQ(out.size(), 6u);
  EXPECT_EQ(out.front(), "4");
}

TEST(memory_transport, first_queue_is_served_first) {
  redwire::memory::transport bus;
  bus.push("shared", "s");
  bus.push("mine", "m");
  auto reader = bus.open_reader({"mine", "shared"});
  std::vector<std::string> out;
  reader.pop(out, 10, 0ms);
  EXPECT_EQ(out, (std::vector<std::string>{"m", "s"}));
}

TEST(memory_transport, pop_times_out_and_wake_interrupts) {
  redwire::memory::transport bus;
  auto reader = bus.open_reader({"q"});
  std::vector<std::string> out;
  auto start = std::chrono::steady_clock::now();
  reader.pop(out, 1, 50ms);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
  EXPECT_TRUE(out.empty());
  auto waiter = std::async(std::launch::async, [&] {
    std::vector<std::string> got;
    reader.pop(got, 1, 10s);
    return got.size();
  });
  std::this_thread::sleep_for(20ms);  // waiting by now, or not yet: a wake holds for the next pop
  reader.wake();
  ASSERT_EQ(waiter.wait_for(patience), std::future_status::ready);
  EXPECT_EQ(waiter.get(), 0u);
}

TEST(memory_transport, competing_readers_each_message_once) {
  redwire::memory::transport bus;
  std::atomic<int> received{0};
  std::atomic<bool> stop{false};
  std::vector<redwire::test::test_thread> readers;
  for (int r = 0; r < 3; ++r)
    readers.emplace_back([&] {
      auto reader = bus.open_reader({"q"});
      std::vector<std::string> out;
      while (!stop) {
        out.clear();
        reader.pop(out, 8, 5ms);
        received += static_cast<int>(out.size());
      }
    });
  for (int i = 0; i < 5000; ++i) bus.push("q", "x");
  EXPECT_TRUE(eventually([&] { return received >= 5000; }));
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(received, 5000);
  EXPECT_EQ(bus.queue_length("q"), 0u);
}

TEST(memory_transport, publish_fans_out_and_patterns_match) {
  redwire::memory::transport bus;
  std::vector<std::string> a, b, p;
  auto sa = bus.subscribe("ch", [&](std::string_view, std::string_view m) { a.emplace_back(m); });
  auto sb = bus.subscribe("ch", [&](std::string_view, std::string_view m) { b.emplace_back(m); });
  auto sp = bus.psubscribe("c?", [&](std::string_view c, std::string_view m) {
    p.push_back(std::string(c) + "=" + std::string(m));
  });
  bus.publish("ch", "1");
  bus.publish("cx", "2");
  bus.publish("other", "3");
  EXPECT_EQ(a, std::vector<std::string>{"1"});
  EXPECT_EQ(b, std::vector<std::string>{"1"});
  EXPECT_EQ(p, (std::vector<std::string>{"ch=1", "cx=2"}));
  sa = {};
  bus.publish("ch", "4");
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(b.size(), 2u);
}

TEST(memory_transport, unsubscribe_from_inside_the_handler) {
  redwire::memory::transport bus;
  int calls = 0;
  redwire::memory::transport::subscription s;
  s = bus.subscribe("ch", [&](std::string_view, std::string_view) {
    ++calls;
    s = {};
  });
  bus.publish("ch", "1");
  bus.publish("ch", "2");
  EXPECT_EQ(calls, 1);
}

TEST(memory_glob, matches_like_redis) {
  using redwire::detail::glob_match;
  EXPECT_TRUE(glob_match("orders.*", "orders.created"));
  EXPECT_FALSE(glob_match("orders.*", "order.created"));
  EXPECT_TRUE(glob_match("h?llo", "hello"));
  EXPECT_TRUE(glob_match("h[ae]llo", "hallo"));
  EXPECT_FALSE(glob_match("h[^e]llo", "hello"));
  EXPECT_TRUE(glob_match("h[a-c]llo", "hbllo"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("a\\*b", "a*b"));
  EXPECT_FALSE(glob_match("a\\*b", "axb"));
}

// ---- faults injected under a running service ----------------------------------------------

inline constexpr redwire::procedure<"calc.add", int(int, int)> add{};
inline constexpr redwire::procedure<"calc.count", int()> count{};

struct faulty : ::testing::Test {
  redwire::memory::transport bus;
  std::atomic<int> counted{0};
  redwire::service svc{bus, "calc"};
  redwire::client cli{bus, {.default_timeout = 2s}};
  void SetUp() override {
    svc.bind(add, [](int a, int b) { return a + b; });
    svc.bind(count, [this] { return ++counted; });
    svc.start();
  }
};

TEST_F(faulty, dropped_request_times_out_and_the_next_call_works) {
  bus.inject({.action = redwire::memory::fault::drop, .match = "{calc}", .count = 1});
  auto r = cli.with({.timeout = 100ms}).try_call(add, 1, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), errc::timeout);
  EXPECT_EQ(cli.call(add, 1, 2), 3);
}

TEST_F(faulty, dropped_reply_times_out) {
  bus.inject({.action = redwire::memory::fault::drop, .match = ":reply:", .count = 1});
  // 1 s: time for a loaded machine to take the request before it expires, so that it runs.
  auto r = cli.with({.timeout = 1s}).try_call(count);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), errc::timeout);
  EXPECT_EQ(counted, 1);  // it ran; only its reply was lost
}

TEST_F(faulty, duplicated_request_completes_the_call_once) {
  bus.inject({.action = redwire::memory::fault::duplicate, .match = "{calc}", .count = 1});
  // Two workers may run the request and its copy at once: the call takes whichever reply comes
  // first (1 or 2), once; the other finds no call and is dropped.
  const int first = cli.call(count);
  EXPECT_TRUE(first == 1 || first == 2) << first;
  EXPECT_TRUE(eventually([&] { return counted == 2; }));
  EXPECT_EQ(counted, 2);  // the duplicate ran too
  EXPECT_EQ(cli.call(count), 3);
  EXPECT_EQ(cli.in_flight(), 0u);
}

TEST_F(faulty, request_delayed_past_its_deadline_is_not_run) {
  bus.inject(
      {.action = redwire::memory::fault::delay, .match = "{calc}", .count = 1, .delay_by = 200ms});
  auto r = cli.with({.timeout = 50ms}).try_call(count);
  ASSERT_FALSE(r);
  ASSERT_TRUE(eventually([&] { return svc.stats().expired == 1u; }));  // delivered, and dropped
  EXPECT_EQ(counted, 0);
}

TEST_F(faulty, transport_down_fails_calls_promptly_with_unavailable) {
  bus.set_down(true);
  auto start = std::chrono::steady_clock::now();
  auto r = cli.try_call(add, 1, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), errc::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, timing_slack);  // not the 2 s timeout
  EXPECT_THROW(cli.notify(add, 1, 2), redwire::rpc_error);
  bus.set_down(false);
  redwire::result<int> back = cli.try_call(add, 1, 2);
  EXPECT_TRUE(eventually([&] {
    back = cli.try_call(add, 1, 2);
    return bool(back);
  }));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, 3);
}

TEST_F(faulty, a_gap_in_replies_fails_calls_in_flight_with_unavailable) {
  static constexpr redwire::procedure<"calc.slow", int()> slow{};
  std::atomic<bool> inside{false};
  redwire::service other{bus, "calc", {.instance_id = "slow-one"}};
  other.bind(slow, [&inside] {
    inside = true;
    std::this_thread::sleep_for(300ms);
    return 1;
  });
  other.start();
  auto f = cli.with({.instance = "slow-one"}).async_call(slow);
  ASSERT_TRUE(eventually([&] { return inside.load(); }));
  bus.set_down(true);
  bus.set_down(false);  // the client's reply subscription reports a gap
  // At the gap, not when the reply would have come (300 ms) nor at the 2 s timeout.
  ASSERT_EQ(f.wait_for(timing_slack), std::future_status::ready);
  try {
    f.get();
    FAIL();
  } catch (const redwire::rpc_error& e) {
    EXPECT_EQ(e.code(), errc::unavailable);
  }
}

TEST_F(faulty, garbage_in_the_queue_is_counted_and_the_worker_goes_on) {
  bus.push("rw:{calc}:q", "this is not a redwire message");
  bus.push("rw:{calc}:q", std::string("RW\x01\x01", 4));
  EXPECT_EQ(cli.call(add, 2, 2), 4);
  EXPECT_EQ(svc.stats().bad_messages, 2u);
}

}  // namespace
