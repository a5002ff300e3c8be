// The worker pool on a scripted reader and a recording runner: batching, key order, lone-request
// takeover, reply corking and fusing — the paths that a real transport reaches only under load.
#include <redwire/detail/batch_sizing.hpp>
#include <redwire/detail/key_order.hpp>
#include <redwire/detail/worker_pool.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "support/eventually.hpp"

namespace {

using namespace std::chrono_literals;
using redwire::detail::worker_pool;

/// Waits for `done` under `m`, up to a bound that only a hung pool reaches.
template <class Predicate>
bool wait_for(std::mutex& m, std::condition_variable& cv, Predicate done) {
  std::unique_lock lock(m);
  return cv.wait_for(lock, 20s, done);
}

/// Hands out the batches a test scripts, one per pop; records what each pop asked for and what
/// was published along with it.
class scripted_reader final : public redwire::detail::any_reader,
                              public redwire::detail::any_fusing_reader {
 public:
  explicit scripted_reader(bool fuses) : fuses_(fuses) {}

  void script(std::vector<std::string> batch) {
    {
      std::lock_guard lock(m);
      batches_.push_back(std::move(batch));
    }
    cv.notify_all();
  }

  void pop(std::vector<std::string>& out, std::size_t max,
           std::chrono::milliseconds timeout) override {
    std::unique_lock lock(m);
    asked.push_back(max);
    cv.notify_all();
    cv.wait_for(lock, timeout, [&] { return !batches_.empty() || woken_; });
    woken_ = false;
    if (batches_.empty()) return;
    auto& front = batches_.front();
    const std::size_t n = std::min(max, front.size());
    out.insert(out.end(), front.begin(), front.begin() + static_cast<std::ptrdiff_t>(n));
    front.erase(front.begin(), front.begin() + static_cast<std::ptrdiff_t>(n));
    if (front.empty()) batches_.pop_front();
  }

  void wake() override {
    {
      std::lock_guard lock(m);
      woken_ = true;
    }
    cv.notify_all();
  }

  redwire::detail::any_fusing_reader* fusing() noexcept override { return fuses_ ? this : nullptr; }

  void publish_then_pop(std::string_view channel, std::string_view bytes,
                        std::vector<std::string>& out, std::size_t max,
                        std::chrono::milliseconds timeout) override {
    {
      std::lock_guard lock(m);
      fused.push_back(std::string(channel) + " " + std::string(bytes));
      fused_by.push_back(std::this_thread::get_id());
    }
    pop(out, max, timeout);
  }

  std::mutex m;
  std::condition_variable cv;
  std::vector<std::size_t> asked;         // `max` of every pop, in order
  std::vector<std::string> fused;         // "<channel> <reply>" sent with a pop
  std::vector<std::thread::id> fused_by;  // the worker that sent each

 private:
  const bool fuses_;
  std::deque<std::vector<std::string>> batches_;
  bool woken_ = false;
};

/// Requests are "<name>" or "<name>|<key>"; "bad..." is not a request; "block..." waits for
/// release(). Replies are "reply:<name>" on channel "to-<name>".
class recording_runner final : public redwire::detail::request_runner {
 public:
  bool admit(std::string_view bytes, std::string& key) override {
    if (bytes.starts_with("bad")) return false;
    if (auto bar = bytes.find('|'); bar != std::string_view::npos) key = bytes.substr(bar + 1);
    return true;
  }

  bool run(const std::string& bytes, std::string& reply, std::string* defer_to, bool hold,
           redwire::detail::async_ends&, std::chrono::steady_clock::duration& ran) override {
    const auto began = std::chrono::steady_clock::now();
    const std::string name = bytes.substr(0, bytes.find('|'));
    {
      std::unique_lock lock(m);
      started.push_back(name);
      ran_on[name] = std::this_thread::get_id();
      ++running;
      most_running = std::max(most_running, running);
      cv.notify_all();
      if (name.starts_with("block")) cv.wait(lock, [&] { return released; });
    }
    reply = "reply:" + name;
    std::lock_guard lock(m);
    --running;
    if (hold) ++held_runs;
    if (defer_to)
      *defer_to = "to-" + name;
    else if (hold)
      held.push_back(reply);
    else
      sent.push_back(reply);
    cv.notify_all();
    ran = std::chrono::steady_clock::now() - began;  // as the dispatcher times its handlers
    return false;
  }

  void send(std::string_view, const std::string& reply) override {
    std::lock_guard lock(m);
    sent.push_back(reply);
    cv.notify_all();
  }

  void flush() override {
    std::lock_guard lock(m);
    ++flushes;
    sent.insert(sent.end(), held.begin(), held.end());
    held.clear();
    cv.notify_all();
  }

  void release() {
    {
      std::lock_guard lock(m);
      released = true;
    }
    cv.notify_all();
  }

  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> started, sent, held;
  std::map<std::string, std::thread::id> ran_on;  // request name -> the worker that ran it
  int running = 0, most_running = 0, held_runs = 0, flushes = 0;
  bool released = false;
};

/// Lets blocked handlers finish when a test ends early (declared after the pool: runs first).
struct release_at_exit {
  recording_runner& runner;
  ~release_at_exit() { runner.release(); }
};

redwire::detail::pool_settings settings(std::size_t workers, bool cork = false) {
  redwire::detail::pool_settings s;
  s.workers = workers;
  s.poll_interval = 50ms;
  s.cork = cork;
  s.name = "test pool";
  return s;
}

TEST(key_order, same_key_waits_behind_the_running_one_and_comes_next) {
  redwire::detail::key_order order;
  order.admit("a", "k");
  order.admit("b", "k");
  order.admit("c", "");
  EXPECT_EQ(order.take().bytes, "a");
  EXPECT_EQ(order.take().bytes, "c");  // b waits while a runs
  EXPECT_FALSE(order.has_ready());
  EXPECT_FALSE(order.idle());
  order.release("k");
  ASSERT_TRUE(order.has_ready());
  EXPECT_EQ(order.take().bytes, "b");
  order.release("k");
  EXPECT_TRUE(order.idle());
}

TEST(worker_pool, a_pop_asks_for_no_more_than_the_idle_workers_can_start) {
  scripted_reader reader(false);
  recording_runner runner;
  worker_pool pool(runner, reader, settings(3));
  pool.start();
  ASSERT_TRUE(wait_for(reader.m, reader.cv, [&] { return !reader.asked.empty(); }));
  EXPECT_EQ(reader.asked.front(), 3u);  // no run time known yet: one request per idle worker
}

// Operators tell redwire's threads apart by name (top -H, perf --sort comm, gdb).
TEST(worker_pool, its_threads_are_named_rw_worker) {
  const auto named_workers = [] {
    int n = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream comm(task.path() / "comm");
      std::string name;
      std::getline(comm, name);
      n += name == "rw-worker";
    }
    return n;
  };
  const int before = named_workers();
  scripted_reader reader(false);
  recording_runner runner;
  worker_pool pool(runner, reader, settings(3));
  pool.start();
  EXPECT_TRUE(redwire::test::eventually([&] { return named_workers() == before + 3; }));
}
TEST(worker_pool, bytes_that_are_not_requests_are_dropped_and_the_rest_run) {
  scripted_reader reader(false);
  recording_runner runner;
  worker_pool pool(runner, reader, settings(2));
  pool.start();
  reader.script({"bad1", "a", "bad2", "b"});
  ASSERT_TRUE(wait_for(runner.m, runner.cv, [&] { return runner.sent.size() == 2; }));
  std::vector<std::string> started = runner.started;
  std::sort(started.begin(), started.end());
  EXPECT_EQ(started, (std::vector<std::string>{"a", "b"}));
}

TEST(worker_pool, requests_that_share_a_key_run_one_at_a_time_in_order) {
  scripted_reader reader(false);
  recording_runner runner;
  worker_pool pool(runner, reader, settings(4));
  pool.start();
  for (int i = 0; i < 20; ++i) reader.script({"k" + std::to_string(i) + "|same"});
  ASSERT_TRUE(wait_for(runner.m, runner.cv, [&] { return runner.sent.size() == 20; }));
  EXPECT_EQ(runner.most_running, 1);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(runner.started[i], "k" + std::to_string(i));
}

TEST(worker_pool, a_lone_reply_leaves_with_the_next_pop) {
  scripted_reader reader(true);
  recording_runner runner;
  worker_pool pool(runner, reader, settings(2));
  pool.start();
  // One at a time, each after the pool has asked again: every request is lone. A watcher takes
  // over popping when the leader is slow (>1 ms), and then the reply goes out on its own; on a
  // starved machine that may happen, but not to all twenty.
  constexpr int lone = 20;
  for (int i = 0; i < lone; ++i) {
    const std::string name = "r" + std::to_string(i);
    reader.script({name});
    ASSERT_TRUE(wait_for(runner.m, runner.cv, [&] {
      return std::count(runner.started.begin(), runner.started.end(), name) == 1;
    }));
  }
  pool.stop();
  pool.join();
  std::vector<std::string> replies = runner.sent;
  for (const auto& f : reader.fused) replies.push_back(f.substr(f.find(' ') + 1));
  std::sort(replies.begin(), replies.end());
  std::vector<std::string> expected;
  for (int i = 0; i < lone; ++i) expected.push_back("reply:r" + std::to_string(i));
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(replies, expected);  // each reply exactly once, fused or not
  EXPECT_FALSE(reader.fused.empty());
  for (const auto& f : reader.fused) {  // "<channel> <reply>": each to its own caller
    const std::string name = f.substr(f.find(':') + 1);
    EXPECT_EQ(f, "to-" + name + " reply:" + name);
  }
}

TEST(worker_pool, a_lone_request_whose_handler_blocks_is_taken_over) {
  scripted_reader reader(true);
  recording_runner runner;
  worker_pool pool(runner, reader, settings(2));
  release_at_exit guard{runner};
  pool.start();
  reader.script({"block-a"});
  ASSERT_TRUE(wait_for(runner.m, runner.cv, [&] { return runner.running == 1; }));
  reader.script({"b"});  // only a worker that takes over popping can find it
  ASSERT_TRUE(wait_for(runner.m, runner.cv, [&] {
    return std::find(runner.started.begin(), runner.started.end(), "b") != runner.started.end();
  }));  // while block-a still holds the worker that popped it: nobody releases it before
}

TEST(worker_pool, replies_to_a_fast_batch_leave_together_once_it_is_all_taken) {
  scripted_reader reader(false);
  recording_runner runner;
  worker_pool pool(runner, reader, settings(2, /*cork=*/true));
  pool.start();
  for (int i = 0; i < 8; ++i) {  // fast runs first: holding starts once run time is known
    reader.script({"warm" + std::to_string(i)});
    ASSERT_TRUE(wait_for(runner.m, runner.cv,
                         [&] { return runner.sent.size() == static_cast<std::size_t>(i + 1); }));
  }
  std::vector<std::string> batch;
  for (int i = 0; i < 32; ++i) batch.push_back("b" + std::to_string(i));
  std::size_t pops_before;
  {
    std::lock_guard lock(reader.m);
    pops_before = reader.asked.size();
  }
  reader.script(batch);
  ASSERT_TRUE(wait_for(runner.m, runner.cv, [&] { return runner.sent.size() == 40; }));
  std::size_t pops;  // the batch may come in several pops when run times look slow (TSan)
  {
    std::lock_guard lock(reader.m);
    // + 1: the pop already waiting when the batch was scripted (counted before) may take it.
    pops = reader.asked.size() - pops_before + 1;
  }
  std::lock_guard lock(runner.m);
  EXPECT_TRUE(runner.held.empty());  // nothing stays held once the batch is done
  EXPECT_GT(runner.held_runs, 0);
  EXPECT_GE(runner.flushes, 1);
  // Per pop: one flush when its last request is taken, and one per worker (2) that finishes a
  // held run after that — never one per reply.
  EXPECT_LE(runner.flushes, 3 * static_cast<int>(pops));
  EXPECT_LT(runner.flushes, 32);
}

/// Runs `n` fast lone requests, one after the other, so that the pool knows its handlers' run time.
void warm_up(scripted_reader& reader, recording_runner& runner, int n) {
  for (int i = 0; i < n; ++i) {
    reader.script({"warm" + std::to_string(i)});
    ASSERT_TRUE(wait_for(runner.m, runner.cv,
                         [&] { return runner.sent.size() == static_cast<std::size_t>(i + 1); }));
  }
}

TEST(worker_pool, a_batch_of_fast_requests_is_run_by_the_worker_that_took_it) {
  scripted_reader reader(false);
  recording_runner runner;
  auto s = settings(4);
  s.keep_window = 1s;  // any handler of the test is fast enough, even under a sanitizer
  s.takeover = 20s;    // and no watcher takes over from a descheduled keeper
  worker_pool pool(runner, reader, s);
  pool.start();
  warm_up(reader, runner, 4);
  for (int round = 0; round < 5; ++round) {
    std::vector<std::string> batch;
    for (int i = 0; i < 16; ++i)
      batch.push_back("r" + std::to_string(round) + "-" + std::to_string(i));
    reader.script(batch);
    ASSERT_TRUE(
        wait_for(runner.m, runner.cv, [&] { return runner.sent.size() == 4 + 16 * (round + 1u); }));
    std::lock_guard lock(runner.m);
    for (const auto& name : batch)  // four workers, and none woken to share the batch
      EXPECT_EQ(runner.ran_on[name], runner.ran_on[batch.front()]) << name;
  }
}

TEST(worker_pool, the_keeper_of_a_batch_pops_next_with_its_last_reply) {
  scripted_reader reader(true);
  recording_runner runner;
  auto s = settings(4, /*cork=*/true);
  s.keep_window = 1s;
  s.takeover = 20s;
  worker_pool pool(runner, reader, s);
  pool.start();
  for (int i = 0; i < 4; ++i) {  // lone requests: the pool learns its handlers' run time
    const std::string name = "warm" + std::to_string(i);
    reader.script({name});
    ASSERT_TRUE(wait_for(runner.m, runner.cv, [&] {
      return std::count(runner.started.begin(), runner.started.end(), name) == 1;
    }));
  }
  reader.script({"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"});
  const bool last_fused = wait_for(reader.m, reader.cv, [&] {
    return std::find(reader.fused.begin(), reader.fused.end(), "to-k7 reply:k7") !=
           reader.fused.end();
  });
  std::scoped_lock lock(reader.m, runner.m);
  ASSERT_TRUE(last_fused)  // the batch's last reply went out with a pop, not on its own
      << ::testing::PrintToString(reader.fused) << ::testing::PrintToString(runner.sent);
  const auto last = std::find(reader.fused.begin(), reader.fused.end(), "to-k7 reply:k7");
  EXPECT_EQ(reader.fused_by[static_cast<std::size_t>(last - reader.fused.begin())],
            runner.ran_on["k7"]);  // by the keeper: no other worker woke to pop meanwhile
  for (int i = 0; i < 7; ++i) {    // each of the others once: held, or fused if a slow run
    const std::string reply = "reply:k" + std::to_string(i);  // split the batch over two pops
    const auto fused =
        std::count(reader.fused.begin(), reader.fused.end(), "to-" + reply.substr(6) + " " + reply);
    EXPECT_EQ(std::count(runner.sent.begin(), runner.sent.end(), reply) + fused, 1) << reply;
    EXPECT_EQ(runner.ran_on["k" + std::to_string(i)], runner.ran_on["k7"]);
  }
}

TEST(batch_sizing, takes_what_the_workers_finish_in_the_window_and_what_pop_bytes_holds) {
  redwire::detail::batch_sizing sizing;
  EXPECT_EQ(sizing.limit(0, 4, 4, 256, 1024), 4u);  // nothing known: one per idle worker
  EXPECT_FALSE(sizing.holds());
  EXPECT_FALSE(sizing.keeps(2, 50us));
  for (int i = 0; i < 32; ++i) sizing.ran(1us);
  EXPECT_EQ(sizing.limit(0, 4, 4, 128, 1024), 64u);   // fast handlers: half the batch size,
  sizing.popped(64, 64, 64 * 40);                     // until a pop finds a backlog,
  EXPECT_EQ(sizing.limit(0, 4, 4, 128, 1024), 128u);  // then all of it
  EXPECT_EQ(sizing.limit(0, 4, 4, 256, 100), 100u);   // no more than room in flight
  sizing.popped(128, 20, 20 * 40);
  EXPECT_EQ(sizing.limit(0, 4, 4, 128, 1024), 64u);
  EXPECT_TRUE(sizing.holds());
  EXPECT_TRUE(sizing.keeps(50, 50us));
  EXPECT_FALSE(sizing.keeps(51, 50us));
  for (int i = 0; i < 64; ++i) sizing.popped(8, 4, 4u << 20);  // 1 MiB requests
  EXPECT_EQ(sizing.limit(0, 4, 4, 256, 1024), 4u);
  for (int i = 0; i < 64; ++i) sizing.popped(8, 1, 16u << 20);
  EXPECT_EQ(sizing.limit(0, 4, 4, 256, 1024), 1u);  // never none
  for (int i = 0; i < 64; ++i) sizing.ran(20ms);    // slow handlers: one per idle worker again
  for (int i = 0; i < 64; ++i) sizing.popped(8, 1, 100);
  EXPECT_EQ(sizing.limit(1, 4, 4, 256, 1024), 3u);
}

TEST(worker_pool, a_kept_batch_whose_handler_blocks_is_handed_out_to_the_others) {
  scripted_reader reader(false);
  recording_runner runner;
  auto s = settings(3);
  s.keep_window = 1s;
  worker_pool pool(runner, reader, s);
  release_at_exit guard{runner};
  pool.start();
  warm_up(reader, runner, 4);
  reader.script({"block-a", "b", "c"});  // kept: its popper runs block-a, and blocks there
  ASSERT_TRUE(wait_for(runner.m, runner.cv, [&] { return runner.sent.size() == 6; }));
  std::lock_guard lock(runner.m);  // b and c ran while block-a still blocked: nobody released it
  EXPECT_EQ(runner.running, 1);
  EXPECT_NE(runner.ran_on["b"], runner.ran_on["block-a"]);
  EXPECT_NE(runner.ran_on["c"], runner.ran_on["block-a"]);
}

TEST(worker_pool, stop_finishes_what_was_taken_and_takes_no_more) {
  scripted_reader reader(false);
  recording_runner runner;
  worker_pool pool(runner, reader, settings(1));
  release_at_exit guard{runner};
  pool.start();
  reader.script({"block-a"});
  ASSERT_TRUE(wait_for(runner.m, runner.cv, [&] { return runner.running == 1; }));
  reader.script({"c"});  // waits in the queue: the only worker is busy
  pool.stop();
  runner.release();
  pool.join();
  EXPECT_EQ(runner.started, std::vector<std::string>{"block-a"});
  EXPECT_EQ(runner.sent, std::vector<std::string>{"reply:block-a"});
}

}  // namespace
