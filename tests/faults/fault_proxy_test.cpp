// Network faults between redwire and Redis, made by a proxy (tests/support/fault_proxy.hpp):
// added latency, a blackhole, resets, connections cut after N bytes. Under each, calls in
// flight end by their timeout or as `unavailable` — none hangs; once traffic passes again,
// calls work within 2 s; and nothing leaks: the process's threads and descriptors, and the
// server's clients, return to their counts.
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <gtest/gtest.h>

#include <dirent.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "support/eventually.hpp"
#include "support/fault_proxy.hpp"
#include "support/redis_server.hpp"

using namespace std::chrono_literals;
using redwire::test::eventually;
using redwire::test::fault;
using redwire::test::fault_proxy;
using clock_type = std::chrono::steady_clock;

namespace {

inline constexpr redwire::procedure<"faulty.add", int(int, int)> add{};
inline constexpr redwire::procedure<"nobody.add", int(int, int)> unserved{};

std::size_t entries_of(const char* dir) {
  std::size_t n = 0;
  if (DIR* d = ::opendir(dir)) {
    while (const dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
  }
  return n;
}

/// Clients connected to the server at `port`, as it counts them (less the one asking).
int server_clients(int port) {
  std::string line = "redis-cli -p " + std::to_string(port) + " CLIENT LIST 2>/dev/null";
  int n = -1;
  if (FILE* p = ::popen(line.c_str(), "r")) {
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p)) ++n;
    ::pclose(p);
  }
  return n;
}

struct counts {
  std::size_t threads, descriptors;
  int clients;
  bool operator==(const counts&) const = default;
};

counts now(const fault_proxy& proxy, int port) {
  // The process's own descriptors: all of them, less the proxy's and opendir's own.
  return {entries_of("/proc/self/task"), entries_of("/proc/self/fd") - 1 - proxy.descriptors(),
          server_clients(port)};
}

std::string show(const counts& c) {
  return std::to_string(c.threads) + " threads, " + std::to_string(c.descriptors) +
         " descriptors, " + std::to_string(c.clients) + " clients";
}

class faults : public ::testing::TestWithParam<fault> {};

TEST_P(faults, calls_in_flight_end_calls_come_back_and_nothing_leaks) {
  redwire::test::redis_server server;
  fault_proxy proxy{server.port()};
  const std::string url = proxy.url() + "?command_timeout=500ms&connect_timeout=500ms";
  redwire::redis::transport service_bus{url}, caller_bus{url};
  redwire::service svc{service_bus, "faulty", {.workers = 2}};
  svc.bind(add, [](int a, int b) { return a + b; });
  svc.start();
  redwire::client cli{caller_bus, {.default_timeout = 1s}};
  // Warm: every connection there is to be (inboxes, the reply subscription, readers, and the
  // registry connection through which a timeout's message is worded).
  ASSERT_EQ(cli.with({.timeout = 50ms}).try_call(unserved, 1, 1).error().error(),
            redwire::errc::timeout);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(cli.call(add, i, 1), i + 1);
  std::vector<std::future<int>> warm;
  for (int i = 0; i < 32; ++i) warm.push_back(cli.async_call(add, i, 1));
  for (auto& f : warm) f.get();
  const counts before = now(proxy, server.port());

  // Calls in flight when the fault comes, and calls made while it lasts.
  std::vector<std::pair<clock_type::time_point, std::future<int>>> in_flight;
  for (int i = 0; i < 64; ++i) in_flight.emplace_back(clock_type::now(), cli.async_call(add, i, 1));
  std::atomic<bool> stop{false};
  std::atomic<long long> worst_sync_ms{0};
  std::thread sync_caller([&] {
    while (!stop) {
      auto t0 = clock_type::now();
      (void)cli.try_call(add, 1, 1);
      long long ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
      if (ms > worst_sync_ms) worst_sync_ms = ms;
    }
  });
  proxy.set(GetParam());
  for (int i = 0; i < 40; ++i) {  // calls started while the fault lasts (2 s)
    in_flight.emplace_back(clock_type::now(), cli.async_call(add, i, 1));
    std::this_thread::sleep_for(50ms);
  }
  for (auto& [t0, f] : in_flight) {
    // A timeout of 1 s; stated slack 1 s for a loaded machine.
    ASSERT_EQ(f.wait_until(t0 + 2s), std::future_status::ready) << "a call hung";
    try {
      f.get();
    } catch (const redwire::rpc_error& e) {
      EXPECT_TRUE(e.code() == redwire::errc::timeout || e.code() == redwire::errc::unavailable)
          << e.what();
    }
  }
  stop = true;
  sync_caller.join();
  EXPECT_LT(worst_sync_ms.load(), 2000) << "a sync call waited past its timeout";

  proxy.set(fault::pass());
  const auto healed = clock_type::now();
  bool sync_ok = false, async_ok = false;
  while (!(sync_ok && async_ok) && clock_type::now() - healed < 10s) {
    sync_ok = sync_ok || cli.try_call(add, 2, 2).has_value();
    auto f = cli.async_call(add, 3, 3);
    try {
      async_ok = async_ok || f.get() == 6;
    } catch (const redwire::rpc_error&) {
    }
  }
  const auto back = clock_type::now() - healed;
  EXPECT_TRUE(sync_ok && async_ok);
  // 2 s, as the issue asks; stated slack 500 ms for a loaded 2-core machine.
  EXPECT_LT(back, 2500ms) << std::chrono::duration_cast<std::chrono::milliseconds>(back).count()
                          << " ms";
  counts after{};
  EXPECT_TRUE(eventually(
      [&] {
        for (int i = 0; i < 8; ++i) (void)cli.try_call(add, i, i);  // keep every path in use
        after = now(proxy, server.port());
        return after == before;
      },
      10s))
      << "before: " << show(before) << "; after: " << show(after);
}

INSTANTIATE_TEST_SUITE_P(modes, faults,
                         ::testing::Values(fault::latency(100ms), fault::blackhole(),
                                           fault::reset(), fault::close_after(200)),
                         [](const auto& info) {
                           switch (info.param.what) {
                             case fault::mode::latency:
                               return std::string("latency");
                             case fault::mode::blackhole:
                               return std::string("blackhole");
                             case fault::mode::reset:
                               return std::string("reset");
                             case fault::mode::close_after:
                               return std::string("close_after");
                             default:
                               return std::string("pass");
                           }
                         });

}  // namespace
