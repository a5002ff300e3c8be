// Sentinel (redis-sentinel://) against a private deployment: 1 master, 2 replicas, 3 sentinels
// (tests/support/sentinel_cluster.hpp, once for this program). The URL's mistakes, the master
// found through the sentinels and checked with ROLE, and failovers under load: the master
// SIGKILLed while sync and async calls, stream appends and a registry watcher run.
#include <redwire/events/names.hpp>
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>
#include <redwire/registry.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <initializer_list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/call_load.hpp"
#include "support/construction_error.hpp"
#include "support/eventually.hpp"
#include "support/sentinel_cluster.hpp"

using namespace std::chrono_literals;
using redwire::redis::transport;
using redwire::test::call_load;
using redwire::test::eventually;
using redwire::test::sentinel_cluster;
using clock_type = std::chrono::steady_clock;
using redwire::test::construction_error;
using redwire::test::mentions;

namespace {

inline constexpr redwire::procedure<"scalc.add", int(int, int)> add{};
inline constexpr redwire::stream<"sentinel.log", int> entries{};

/// bus.command(), again on a new connection if the one it had was lost (as after a failover:
/// command() reports a lost connection once, and reconnects at the next call).
redwire::redis::reply command(transport& bus, std::initializer_list<std::string_view> args) {
  for (int attempt = 0;; ++attempt) {
    try {
      return bus.command(args);
    } catch (const redwire::transport_error&) {
      if (attempt == 20) throw;
      std::this_thread::sleep_for(100ms);
    }
  }
}

TEST(sentinel, the_master_is_found_through_the_sentinels) {
  auto& cluster = sentinel_cluster::shared();
  // The first sentinel listed is down: the next one answers.
  const int nobody = redwire::test::redis_server::unused_port();
  std::string url = cluster.url();
  url.insert(std::string("redis-sentinel://").size(), "127.0.0.1:" + std::to_string(nobody) + ",");
  transport bus{url};
  EXPECT_EQ(bus.command({"ROLE"}).elements.at(0).str, "master");
  EXPECT_EQ(bus.command({"CONFIG", "GET", "port"}).elements.at(1).str,
            std::to_string(cluster.master_port()));
  bus.push("sentinel:q", "x");
  auto reader = bus.open_reader({"sentinel:q"});
  std::vector<std::string> out;
  reader.pop(out, 1, 1000ms);
  EXPECT_EQ(out, std::vector<std::string>{"x"});
}

TEST(sentinel, bad_input_fails_at_construction_within_the_connect_timeout) {
  auto& cluster = sentinel_cluster::shared();
  EXPECT_THROW(transport{cluster.url().substr(0, cluster.url().rfind('/'))}, std::invalid_argument);

  auto start = clock_type::now();
  const std::string unknown = construction_error<transport>(
      cluster.url().substr(0, cluster.url().rfind('/')) + "/nosuchmaster?connect_timeout=500ms");
  EXPECT_LT(clock_type::now() - start, 1500ms);
  EXPECT_TRUE(mentions(unknown, "no sentinel knows a master named 'nosuchmaster'")) << unknown;

  const int a = redwire::test::redis_server::unused_port();
  const int b = redwire::test::redis_server::unused_port();
  start = clock_type::now();
  const std::string none = construction_error<transport>(
      "redis-sentinel://:pw1@127.0.0.1:" + std::to_string(a) + ",127.0.0.1:" + std::to_string(b) +
      "/redwire?connect_timeout=500ms&sentinel_password=pw2");
  EXPECT_LT(clock_type::now() - start, 1500ms);
  EXPECT_TRUE(mentions(none, "no sentinel reachable")) << none;
  EXPECT_TRUE(mentions(none, "127.0.0.1:" + std::to_string(a))) << none;
  EXPECT_FALSE(mentions(none, "pw1") || mentions(none, "pw2")) << none;
}

TEST(sentinel, a_server_that_is_not_the_master_is_refused) {
  auto& cluster = sentinel_cluster::shared();
  // The sentinels are told to watch a replica under another name: they hand out its address,
  // and ROLE says what it is.
  const int master = cluster.master_port();
  int replica = 0;
  for (const std::string& line : sentinel_cluster::cli(master, "INFO replication"))
    if (line.starts_with("slave0:")) replica = std::stoi(line.substr(line.find("port=") + 5));
  ASSERT_NE(replica, 0);
  for (int port : cluster.sentinel_ports())
    sentinel_cluster::cli(port,
                          "SENTINEL MONITOR notmaster 127.0.0.1 " + std::to_string(replica) + " 2");
  const std::string url = cluster.url().substr(0, cluster.url().rfind('/')) + "/notmaster";
  const std::string what = construction_error<transport>(url);
  EXPECT_TRUE(mentions(what, "127.0.0.1:" + std::to_string(replica))) << what;
  EXPECT_TRUE(mentions(what, "not the master")) << what;
  for (int port : cluster.sentinel_ports())
    sentinel_cluster::cli(port, "SENTINEL REMOVE notmaster");
}

// Kills the master under load (its port goes to `killed`) and checks what the issue asks.
void fail_over_under_load(sentinel_cluster& cluster, transport& caller_bus, redwire::registry& reg,
                          int& killed) {
  redwire::client cli{caller_bus};
  call_load l{cli, add, entries, 500ms};
  ASSERT_TRUE(eventually(
      [&] {
        return l.last_sync_ok().time_since_epoch().count() > 0 &&
               l.last_async_ok().time_since_epoch().count() > 0;
      },
      10s));
  std::this_thread::sleep_for(300ms);  // under load
  const int old = cluster.master_port();
  cluster.kill(old);
  killed = old;
  const int now = cluster.wait_for_master_other_than(old, 30s);
  const auto promoted = clock_type::now();
  // The promotion is seen by polling the sentinels every 20 ms: it happened a little earlier.
  ASSERT_TRUE(
      eventually([&] { return l.last_sync_ok() > promoted && l.last_async_ok() > promoted; }, 10s));
  const auto back = std::max(l.last_sync_ok(), l.last_async_ok()) - promoted;
  // Stated slack: 2 s as the issue asks, plus 500 ms for a loaded 2-core machine.
  EXPECT_LT(back, 2500ms) << "calls came back "
                          << std::chrono::duration_cast<std::chrono::milliseconds>(back).count()
                          << " ms after the promotion";
  std::this_thread::sleep_for(500ms);
  l.stop();
  std::printf(
      "failover %d -> %d: calls back %lld ms after the promotion was seen, longest "
      "overrun %lld ms, %zu appends confirmed, %ld refused\n",
      old, now,
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(back).count()),
      static_cast<long long>(l.longest_overrun().count()), l.confirmed().size(),
      l.appends_refused());
  // No call waited past its timeout (slack 500 ms for the machine).
  EXPECT_LT(l.longest_overrun(), 500ms);
  // Every entry appended with .replicas = 1 survived the failover.
  const std::string key = redwire::detail::stream_key(caller_bus.prefix(), entries.name);
  const auto confirmed = l.confirmed();
  EXPECT_GT(confirmed.size(), 0u);
  std::size_t missing = 0;
  for (const std::string& id : confirmed)
    missing += command(caller_bus, {"XRANGE", key, id, id}).elements.size() != 1;
  EXPECT_EQ(missing, 0u) << "of " << confirmed.size() << " confirmed entries";
  // The connections are on the new master (the sentinels may take a moment to agree on it).
  std::string on;
  EXPECT_TRUE(eventually(
      [&] {
        on = command(caller_bus, {"CONFIG", "GET", "port"}).elements.at(1).str;
        return on == std::to_string(cluster.master_port());
      },
      5s))
      << "on " << on << ", promoted " << now << ", sentinels say " << cluster.master_port();
  EXPECT_EQ(command(caller_bus, {"ROLE"}).elements.at(0).str, "master");
  // The registry shows the instance again.
  EXPECT_TRUE(eventually([&] { return reg.instances("scalc").size() == 1; }, 10s));
}

TEST(sentinel, failover_under_load_and_back) {
  auto& cluster = sentinel_cluster::shared();
  transport service_bus{cluster.url()};
  transport caller_bus{cluster.url()};
  service_bus.command({"FLUSHALL"});
  redwire::registry reg{caller_bus};
  std::atomic<int> membership_events{0};
  auto watch = reg.watch([&](const redwire::membership_event&) { ++membership_events; });
  redwire::service svc{service_bus, "scalc", {.instance_id = "scalc-1"}};
  svc.bind(add, [](int a, int b) { return a + b; });
  std::atomic<int> consumed{0};
  svc.consume(entries, "audit", [&](int) { ++consumed; });
  svc.start();
  ASSERT_TRUE(eventually([&] { return reg.instances("scalc").size() == 1; }, 10s));

  int killed = 0;
  fail_over_under_load(cluster, caller_bus, reg, killed);
  // The old master comes back, as a replica; then the new master dies too.
  cluster.restart(killed);
  cluster.wait_until_settled(60s);
  fail_over_under_load(cluster, caller_bus, reg, killed);
  cluster.restart(killed);
  cluster.wait_until_settled(60s);
  EXPECT_GT(consumed.load(), 0);
  EXPECT_GT(membership_events.load(), 0);
}

}  // namespace
