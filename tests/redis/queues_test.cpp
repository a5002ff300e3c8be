#include "common.hpp"
#include "support/fault_proxy.hpp"
#include "support/log_capture.hpp"
#include "support/redis_stats.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
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
  // a pop takes from one queue at most (the first that has messages), up to max
  reader.pop(out, 1, 1000ms);
  EXPECT_EQ(out, (std::vector<std::string>{"h1"}));
  reader.pop(out, 3, 1000ms);
  EXPECT_EQ(out, (std::vector<std::string>{"h1", "h2"}));
  bus.push("high", "h3");
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", "high"}).integer == 1; }));
  reader.pop(out, 3, 1000ms);
  EXPECT_EQ(out, (std::vector<std::string>{"h1", "h2", "h3"}));
  reader.pop(out, 3, 1000ms);
  EXPECT_EQ(out, (std::vector<std::string>{"h1", "h2", "h3", "l1", "l2"}));
}

namespace {
/// Whether Redis holds a client blocked in a pop (INFO clients).
bool a_client_is_blocked(transport& bus) {
  return bus.command({"INFO", "clients"}).str.find("blocked_clients:1") != std::string::npos;
}
}  // namespace

// The message is pushed once the reader is blocked in Redis: the pop returns with it, not at
// its timeout (which a pop that does not block would wait out).
TEST(redis_queues, blocking_pop_returns_when_message_arrives) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  auto reader = bus.open_reader({"a", "b"});
  std::vector<std::string> out;
  redwire::test::test_thread pusher([&] {
    ASSERT_TRUE(eventually([&] { return a_client_is_blocked(bus); }));
    bus.push("b", "late");
  });
  auto start = clock_type::now();
  reader.pop(out, 10, patience);
  auto took = clock_type::now() - start;
  pusher.join();
  EXPECT_EQ(out, std::vector<std::string>{"late"});
  EXPECT_LT(took, patience);
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
    EXPECT_GE(took, t - 5ms);  // Redis counts the timeout from when it reads the command
    EXPECT_LT(took, t + timing_slack);
  }
  auto start = clock_type::now();
  reader.pop(out, 10, 0ms);  // no wait at all: one round trip
  EXPECT_LT(clock_type::now() - start, timing_slack);
}

TEST(redis_queues, wake_interrupts_blocked_pop) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  auto reader = bus.open_reader({"nothing"});
  // Woken at once or a few ms in (before, during or after it blocks in Redis), the pop returns
  // empty, and before its timeout: one that the wake did not reach would wait all of it.
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> out;
    redwire::test::test_thread waker([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(round % 5));
      reader.wake();
    });
    auto start = clock_type::now();
    reader.pop(out, 10, patience);
    auto took = clock_type::now() - start;
    waker.join();
    EXPECT_TRUE(out.empty());
    EXPECT_LT(took, patience) << "round " << round;
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
  std::vector<redwire::test::test_thread> pushers;
  auto start = clock_type::now();
  for (int t = 0; t < threads; ++t) {
    pushers.emplace_back([&bus, t] {
      for (int i = 0; i < per_thread; ++i)
        bus.push("rw:{load}:q", std::to_string(t) + ":" + std::to_string(i));
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

TEST(redis_queues, falls_back_to_lpop_without_lmpop) {
  // a server without LMPOP/BLMPOP behaves like Redis 6.2
  redwire::test::redis_server server{
      {"--rename-command", "LMPOP", "", "--rename-command", "BLMPOP", ""}};
  transport bus{server.url()};
  bus.push("low", "l1");
  bus.push("high", "h1");
  bus.push("high", "h2");
  auto reader = bus.open_reader({"high", "low"});
  std::vector<std::string> out;
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", "high"}).integer == 2; }));
  reader.pop(out, 10, 1000ms);
  EXPECT_EQ(out, (std::vector<std::string>{"h1", "h2", "l1"}));
  out.clear();
  auto start = clock_type::now();
  reader.pop(out, 10, 100ms);
  EXPECT_TRUE(out.empty());
  EXPECT_GE(clock_type::now() - start, 95ms);
  redwire::test::test_thread waker([&] {
    std::this_thread::sleep_for(20ms);
    reader.wake();
  });
  start = clock_type::now();
  reader.pop(out, 10, patience);
  waker.join();
  EXPECT_LT(clock_type::now() - start, patience);  // the wake ended it, not its timeout
  bus.push("low", "l2");
  reader.pop(out, 10, 1000ms);
  EXPECT_EQ(out, (std::vector<std::string>{"l2"}));
}

// Each of 1000 messages, pushed one at a time while the reader waits in a blocking pop, is
// popped once and in order. Also prints push -> pop latency next to a bare PING round trip (a
// figure, not a goal: speed is measured by bench/).
TEST(redis_queues, each_message_pushed_to_a_blocked_reader_is_popped_once_in_order) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  auto reader = bus.open_reader({"rw:{lat}:q:1", "rw:{lat}:q"});
  std::vector<std::string> out;
  reader.pop(out, 1, 10ms);
  auto p50 = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::vector<double> ping, hop;
  for (int i = 0; i < 2000; ++i) {
    auto t0 = clock_type::now();
    bus.command({"PING"});
    ping.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
  }
  constexpr int messages = 1000;
  std::atomic<int> popped{0};
  std::atomic<long long> popped_at{0};
  std::atomic<bool> done{false};
  std::vector<std::string> got;  // the popper's own until it is joined
  redwire::test::test_thread popper([&] {
    std::vector<std::string> batch;
    while (!done) {
      batch.clear();
      reader.pop(batch, 16, 200ms);
      if (batch.empty()) continue;
      popped_at = clock_type::now().time_since_epoch().count();
      got.insert(got.end(), batch.begin(), batch.end());
      popped += static_cast<int>(batch.size());
    }
  });
  for (int i = 0; i < messages; ++i) {
    std::this_thread::sleep_for(100us);  // let the reader block again
    auto t0 = clock_type::now();
    bus.push("rw:{lat}:q", "m" + std::to_string(i));
    const auto give_up = t0 + patience;
    while (popped.load() < i + 1 && clock_type::now() < give_up) {
    }
    if (popped.load() < i + 1) {
      ADD_FAILURE() << "message " << i << " was not popped";
      break;
    }
    auto t1 = clock_type::time_point(clock_type::duration(popped_at.load()));
    hop.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  done = true;
  popper.join();
  std::vector<std::string> expected;
  for (int i = 0; i < messages; ++i) expected.push_back("m" + std::to_string(i));
  EXPECT_EQ(got, expected);
  if (!hop.empty())
    std::printf(
        "[ measured ] p50 PING round trip %.1f us; p50 push -> blocked pop returns %.1f us\n",
        p50(ping), p50(hop));
}

// ---- write-behind (push_behind) ---------------------------------------------------------------

namespace {
std::vector<std::string> whole_list(transport& bus, std::string_view key) {
  std::vector<std::string> values;
  for (auto& e : bus.command({"LRANGE", key, "0", "-1"}).elements) values.push_back(e.str);
  return values;
}
}  // namespace

namespace {
/// Prints what 1000 `pushes` made in `took` cost Redis (`count` of `command`), and checks that
/// it is at least one and at most `most`.
void expect_commands(const char* pushes, clock_type::duration took, const char* command,
                     long long count, long long most) {
  std::printf(
      "[ measured ] 1000 %s in %lld us took %lld %s commands (at most %lld)\n", pushes,
      static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(took).count()),
      count, command, most);
  EXPECT_GE(count, 1);
  EXPECT_LE(count, most);
}
}  // namespace

// The write-behind thread waits 100 µs after the first push it is given, then writes all it
// holds as one RPUSH: two RPUSHes are at least 100 µs apart, and only the last can come after
// the pushing ends. So however the machine schedules this thread, 1000 pushes made in T take
// at most T / 100 µs + 2 RPUSHes (one per push without write-behind).
TEST(redis_queues, pushes_behind_arrive_in_order_and_share_their_rpush) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  std::vector<std::string> expected;
  for (int i = 0; i < 1000; ++i) expected.push_back("v" + std::to_string(i));
  const auto start = clock_type::now();
  for (auto& v : expected) bus.push_behind("rw:{calc}:q", v);
  const auto pushing = clock_type::now() - start;
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", "rw:{calc}:q"}).integer == 1000; }));
  EXPECT_EQ(whole_list(bus, "rw:{calc}:q"), expected);
  expect_commands("pushes behind", pushing, "RPUSH", redwire::test::command_calls(bus, "rpush"),
                  pushing / redwire::redis::detail::command_connection::write_behind + 2);
}

// A push that is not behind, and a push to another queue, take the kept pushes along first:
// one connection keeps one order.
TEST(redis_queues, pushes_behind_keep_their_order_with_other_commands) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  bus.push_behind("q1", "a");
  bus.push_behind("q1", "b");
  bus.push("q1", "c");
  bus.push_behind("q1", "d");
  bus.push_behind("q2", "x");
  bus.push_behind("q1", "e");
  bus.flush();  // what is still kept is written now
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", "q1"}).integer == 5; }));
  EXPECT_EQ(whole_list(bus, "q1"), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(whole_list(bus, "q2"), (std::vector<std::string>{"x"}));
}

// Nothing else written afterwards: the connection's own thread writes a lone push behind.
TEST(redis_queues, a_lone_push_behind_is_written_by_itself) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  auto reader = bus.open_reader({"q"});
  bus.push_behind("q", "alone");
  std::vector<std::string> out;
  reader.pop(out, 1, 3000ms);
  EXPECT_EQ(out, (std::vector<std::string>{"alone"}));
}

// Pushes behind made while Redis is stopped are kept (in the transport, or in the connection's
// buffers): none throws. Redis is then killed: they die with that connection, and none reaches
// the restarted server. Pushes while the loss is known throw; after the restart they work.
TEST(redis_queues, push_behind_throws_while_down_and_works_again_after) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  server.pause();
  for (int i = 0; i < 100; ++i) ASSERT_NO_THROW(bus.push_behind("q", "held-" + std::to_string(i)));
  server.kill();
  ASSERT_TRUE(eventually([&] {  // throws once the loss is noticed
    try {
      bus.push_behind("q", "lost");
    } catch (const redwire::transport_error&) {
      return true;
    }
    return false;
  }));
  server.restart();
  ASSERT_TRUE(eventually([&] { return bus.connected(); }));
  bus.push_behind("q", "after");
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", "q"}).integer == 1; }));
  EXPECT_EQ(whole_list(bus, "q"), (std::vector<std::string>{"after"}));
}

// ---- a reader starved of its replies ---------------------------------------------------------

// On a loaded machine a pop's reply can come long after Redis sent it (Redis or the reader gets
// no CPU). The requests in it are no longer in Redis: a reader that gave up on the reply and
// dropped its connection would lose them. The proxy holds every reply to the reader's blocking
// pops for 1.5 s, five times past what the reader waits before asking whether Redis is alive
// (the pop's 100 ms + command_timeout 200 ms); first nothing of the reply comes in time, then
// only its first bytes.
TEST(redis_queues, a_pop_whose_reply_comes_late_loses_nothing) {
  redwire::test::redis_server server;
  redwire::test::fault_proxy proxy{server.port()};
  transport direct{server.url()};
  transport bus{redwire::redis::options{.url = proxy.url(), .command_timeout = 200ms}};
  auto reader = bus.open_reader({"q"});
  std::vector<std::string> out;
  reader.pop(out, 10, 10ms);               // connects
  const std::string big(256 * 1024, 'b');  // a reply of many reads
  for (std::size_t pass : {std::size_t{0}, std::size_t{1000}}) {
    SCOPED_TRACE("bytes of the reply that come at once: " + std::to_string(pass));
    std::vector<std::string> pushed;
    for (int i = 0; i < 3; ++i) {
      pushed.push_back(std::to_string(pass) + ":" + std::to_string(i) + big);
      direct.push("q", pushed.back());
    }
    ASSERT_TRUE(eventually([&] { return direct.command({"LLEN", "q"}).integer == 3; }));
    proxy.set(redwire::test::fault::replies_late_after("BLMPOP", 1500ms, pass));
    std::vector<std::string> got;
    int failed_pops = 0;
    const auto give_up = clock_type::now() + 20s;
    while (got.size() < pushed.size() && clock_type::now() < give_up) {
      try {
        reader.pop(got, 10, 100ms);
      } catch (const redwire::transport_error& e) {
        ++failed_pops;
        ADD_FAILURE() << "the pop gave up on a late reply: " << e.what();
      }
    }
    EXPECT_EQ(got.size(), pushed.size());
    EXPECT_TRUE(got == pushed) << "not the messages pushed, or not in their order";
    EXPECT_EQ(failed_pops, 0);
    EXPECT_EQ(direct.command({"LLEN", "q"}).integer, 0);
    proxy.set(redwire::test::fault::pass());
  }
}

// Pushes without a callback go out under one CLIENT REPLY OFF, not each behind a CLIENT REPLY
// SKIP: one write in 100 ms keeps its reply (ON before it, OFF after), so 1000 pushes made in T
// cost Redis at most 2 × (T / 100 ms + 2) CLIENT REPLY commands, plus the two of the probe at
// connect. Each behind its SKIP, they cost a thousand.
TEST(redis_queues, quiet_pushes_share_one_client_reply_off) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  const long long before = redwire::test::command_calls(bus, "client|reply");
  const auto start = clock_type::now();
  for (int i = 0; i < 1000; ++i) bus.push("rw:{calc}:q", "v" + std::to_string(i));
  const auto pushing = clock_type::now() - start;
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", "rw:{calc}:q"}).integer == 1000; }));
  expect_commands("pushes", pushing, "CLIENT REPLY",
                  redwire::test::command_calls(bus, "client|reply") - before,
                  2 * (pushing / 100ms + 2) + 2);
}

// A lasting error of quiet writes still reaches the log, since one write in 100 ms is answered:
// pushes to a key that is not a list, for 350 ms, get WRONGTYPE logged. Pushes to a list then go
// on, and no reply comes that the connection did not expect (its mode and the replies it waits
// for stay in step).
TEST(redis_queues, a_lasting_error_of_quiet_pushes_is_logged) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  redwire::test::log_capture log;
  bus.command({"SET", "rw:{calc}:s", "not a list"});
  for (const auto until = clock_type::now() + 350ms; clock_type::now() < until;) {
    bus.push("rw:{calc}:s", "x");
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(eventually([&] { return log.count({"RPUSH failed", "WRONGTYPE"}) >= 1; }));
  for (int i = 0; i < 100; ++i) bus.push("rw:{calc}:q", "v");
  ASSERT_TRUE(eventually([&] { return bus.command({"LLEN", "rw:{calc}:q"}).integer == 100; }));
  EXPECT_EQ(log.count({"reply without a command"}), 0);
  EXPECT_EQ(log.count({"command connection lost"}), 0);
}
