// Live resharding under load: the slot of a busy service's tag moves to another master and back
// (CLUSTER SETSLOT ... IMPORTING/MIGRATING, MIGRATE of its keys, SETSLOT ... NODE) while sync
// and async calls run. Every call is answered exactly once or ends with a clear error by its
// timeout; none hangs; no request runs twice.
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/eventually.hpp"
#include "support/redis_cluster.hpp"

using namespace std::chrono_literals;
using redwire::redis::detail::hash_slot;
using redwire::test::eventually;
using redwire::test::redis_cluster;
using steady = std::chrono::steady_clock;

namespace {

inline constexpr redwire::procedure<"alpha.mark", int(int)> alpha_mark{};

// What the calls saw: per request id, how it ended; how many times each id ran.
struct ledger {
  std::mutex m;
  std::map<int, int> runs;
  int answered = 0, wrong = 0, failed = 0, unclear = 0;
  long long longest_overrun_ms = 0;
  std::map<std::string, int> errors;

  void ran(int id) {
    std::lock_guard lk(m);
    ++runs[id];
  }
  void ended(int id, steady::time_point t0, std::chrono::milliseconds timeout,
             const redwire::result<int>& r) {
    const long long over =
        std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0 - timeout).count();
    std::lock_guard lk(m);
    longest_overrun_ms = std::max(longest_overrun_ms, over);
    if (r) {
      ++answered;
      wrong += *r != id + 1;
      return;
    }
    ++failed;
    const redwire::errc code = r.error().error();
    unclear += code != redwire::errc::timeout && code != redwire::errc::unavailable;
    ++errors[std::string(redwire::to_string(code))];
  }
};

}  // namespace

TEST(cluster_resharding, calls_are_answered_once_while_their_slot_moves_and_back) {
  auto& cluster = redis_cluster::shared();
  const int slot = hash_slot("alpha");
  const int home = cluster.master_of_slot(slot);
  int away = 0;
  for (int p : cluster.master_ports())
    if (p != home) away = p;
  ASSERT_NE(away, 0);

  redwire::redis::transport service_bus{cluster.url()}, client_bus{cluster.url()};
  ledger book;
  redwire::service alpha{service_bus, "alpha"};
  alpha.bind(alpha_mark, [&](int id) {
    book.ran(id);
    return id + 1;
  });
  alpha.start();
  redwire::client cli{client_bus};
  const auto timeout = 2s;
  std::atomic<int> next_id{0};
  std::atomic<bool> stop{false};

  std::thread sync_caller([&] {
    while (!stop) {
      const int id = next_id++;
      const auto t0 = steady::now();
      book.ended(id, t0, timeout, cli.with({.timeout = timeout}).try_call(alpha_mark, id));
    }
  });
  std::thread async_caller([&] {
    std::deque<std::tuple<int, steady::time_point, std::future<int>>> window;
    while (!stop || !window.empty()) {
      while (!stop && window.size() < 32) {
        const int id = next_id++;
        window.emplace_back(id, steady::now(),
                            cli.with({.timeout = timeout}).async_call(alpha_mark, id));
      }
      auto& [id, t0, f] = window.front();
      if (f.wait_until(t0 + timeout + 5s) != std::future_status::ready) {
        std::lock_guard lk(book.m);
        ++book.unclear;  // hung
      } else {
        try {
          book.ended(id, t0, timeout, redwire::result<int>(f.get()));
        } catch (const redwire::rpc_error& e) {
          book.ended(id, t0, timeout, redwire::result<int>(e));
        }
      }
      window.pop_front();
    }
  });

  ASSERT_TRUE(eventually([&] {
    std::lock_guard lk(book.m);
    return book.answered > 100;
  }));
  cluster.move_slot(slot, away);  // its queue's requests migrate with it
  std::this_thread::sleep_for(500ms);
  cluster.move_slot(slot, home);
  std::this_thread::sleep_for(300ms);
  const int before_end = [&] {
    std::lock_guard lk(book.m);
    return book.answered;
  }();
  std::this_thread::sleep_for(300ms);
  stop = true;
  sync_caller.join();
  async_caller.join();

  std::lock_guard lk(book.m);
  std::string errors;
  for (const auto& [code, n] : book.errors) errors += " " + code + ":" + std::to_string(n);
  std::printf("resharding: %d answered, %d ended with an error (%s), longest overrun %lld ms\n",
              book.answered, book.failed, errors.c_str(), book.longest_overrun_ms);
  EXPECT_EQ(book.wrong, 0);
  EXPECT_EQ(book.unclear, 0) << errors;  // only timeout or unavailable, and nothing hung
  EXPECT_LT(book.longest_overrun_ms, 500);
  int twice = 0;
  for (const auto& [id, n] : book.runs) twice += n > 1;
  EXPECT_EQ(twice, 0) << "requests that ran more than once";
  EXPECT_GE(static_cast<int>(book.runs.size()), book.answered);  // each answer ran
  EXPECT_GT(book.answered, before_end);                          // and calls went on after
}
