#include "common.hpp"

#include <atomic>
#include <set>

using namespace redis_tests;
using redwire::redis::transport;

TEST(redis_queues, push_then_pop_in_order_and_batches) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  auto reader = bus.open_reader({"rw:{calc}:q"});
  for (int i = 0; i < 10; ++i) bus.push("rw:{calc}:q", "m" + std::to_string(i));
  std::vector<std::string> out;
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", "rw:{calc}:q"}).integer == 10; }));
  reader.pop(out, 4, 1000ms);
  EXPECT_EQ(out, (std::vector<std::string>{"m0", "m1", "m2", "m3"}));
  out.clear();
  reader.pop(out, 100, 1000ms);
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out.front(), "m4");
  EXPECT_EQ(out.back(), "m9");
  EXPECT_EQ(key_count(bus), 0);
}

TEST(redis_queues, binary_payloads) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  std::string bytes("\0\r\n\xff*3\r\n", 8);
  bus.push("q", bytes);
  auto reader = bus.open_reader({"q"});
  std::vector<std::string> out;
  reader.pop(out, 1, 1000ms);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], bytes);
}

TEST(redis_queues, first_queue_first) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  bus.push("low", "l1");
  bus.push("high", "h1");
  bus.push("low", "l2");
  bus.push("high", "h2");
  auto reader = bus.open_reader({"high", "low"});
  std::vector<std::string> out;
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", "low"}).integer == 2; }));
  reader.pop(out, 3, 1000ms);
  EXPECT_EQ(out, (std::vector<std::string>{"h1", "h2", "l1"}));
  out.clear();
  reader.pop(out, 3, 1000ms);
  EXPECT_EQ(out, (std::vector<std::string>{"l2"}));
}

TEST(redis_queues, blocking_pop_returns_when_message_arrives) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  auto reader = bus.open_reader({"a", "b"});
  std::vector<std::string> out;
  std::thread pusher([&] {
    std::this_thread::sleep_for(100ms);
    bus.push("b", "late");
  });
  auto start = clock_type::now();
  reader.pop(out, 10, 3000ms);
  auto took = clock_type::now() - start;
  pusher.join();
  EXPECT_EQ(out, std::vector<std::string>{"late"});
  EXPECT_LT(took, 1000ms);
}

TEST(redis_queues, timeout_honoured) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  auto reader = bus.open_reader({"empty"});
  std::vector<std::string> out;
  reader.pop(out, 10, 10ms);  // connects
  for (auto t : {50ms, 200ms}) {
    auto start = clock_type::now();
    reader.pop(out, 10, t);
    auto took = clock_type::now() - start;
    EXPECT_TRUE(out.empty());
    EXPECT_GE(took, t - 5ms);
    EXPECT_LT(took, t + 150ms);
  }
  auto start = clock_type::now();
  reader.pop(out, 10, 0ms);
  EXPECT_LT(clock_type::now() - start, 50ms);
}

TEST(redis_queues, wake_interrupts_blocked_pop) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  auto reader = bus.open_reader({"nothing"});
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> out;
    std::thread waker([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(round % 5));
      reader.wake();
    });
    auto start = clock_type::now();
    reader.pop(out, 10, 5000ms);
    auto took = clock_type::now() - start;
    waker.join();
    EXPECT_TRUE(out.empty());
    EXPECT_LT(took, 300ms) << "round " << round;
  }
  // the reader still works afterwards
  bus.push("nothing", "x");
  std::vector<std::string> out;
  reader.pop(out, 10, 1000ms);
  EXPECT_EQ(out, std::vector<std::string>{"x"});
}

TEST(redis_queues, reader_is_movable) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  auto reader = bus.open_reader({"q"});
  bus.push("q", "1");
  redwire::redis::queue_reader moved = std::move(reader);
  std::vector<std::string> out;
  moved.pop(out, 10, 1000ms);
  EXPECT_EQ(out, std::vector<std::string>{"1"});
}

TEST(redis_queues, eight_threads_one_reader_exactly_once) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  constexpr int threads = 8, per_thread = 10'000;
  auto reader = bus.open_reader({"rw:{load}:q"});
  std::vector<std::thread> pushers;
  auto start = clock_type::now();
  for (int t = 0; t < threads; ++t) {
    pushers.emplace_back([&bus, t] {
      for (int i = 0; i < per_thread; ++i) bus.push("rw:{load}:q", std::to_string(t) + ":" + std::to_string(i));
    });
  }
  std::vector<std::string> all;
  std::vector<std::string> batch;
  std::vector<int> next(threads, 0);
  bool ordered = true;
  while (all.size() < threads * per_thread) {
    batch.clear();
    reader.pop(batch, 512, 2000ms);
    if (batch.empty()) break;
    for (auto& m : batch) {
      int t = std::stoi(m.substr(0, m.find(':')));
      int i = std::stoi(m.substr(m.find(':') + 1));
      ordered = ordered && i == next[t];
      next[t] = i + 1;
      all.push_back(std::move(m));
    }
  }
  auto took = std::chrono::duration<double>(clock_type::now() - start).count();
  for (auto& p : pushers) p.join();
  ASSERT_EQ(all.size(), static_cast<std::size_t>(threads * per_thread));
  EXPECT_TRUE(ordered) << "each thread's messages must arrive in its order";
  std::set<std::string> unique(all.begin(), all.end());
  EXPECT_EQ(unique.size(), all.size());
  EXPECT_EQ(key_count(bus), 0);
  std::printf("[ measured ] %d messages pushed by %d threads and popped in %.3f s (%.0f msg/s)\n",
              threads * per_thread, threads, took, threads * per_thread / took);
}
