// Deadlines (README "Calls", the deadline rule): read on the broker's clock, so that a service
// whose host clock is 30 s off runs calls in time and drops expired ones; inherited by the calls
// a handler makes, with the trace.
#include <gtest/gtest.h>

#include <redwire/redwire.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <string>
#include <tuple>
#include <vector>

#include "calls/test_api.hpp"
#include "support/buses.hpp"
#include "support/child_process.hpp"
#include "support/eventually.hpp"

using namespace std::chrono_literals;
using redwire::errc;
using redwire::test::eventually;
using redwire::test::patience;
using redwire::test::timing_slack;

namespace {

// (the handled call's deadline, its trace id)
inline constexpr redwire::procedure<"inner.info", std::tuple<std::int64_t, std::string>()> info{};
// (own deadline, own trace, inner's deadline, inner's trace), calling inner.info with a 60 s
// timeout and call_options::inherit as given.
inline constexpr redwire::procedure<
    "outer.relay", std::tuple<std::int64_t, std::string, std::int64_t, std::string>(bool)>
    relay{};
// Calls a service that nobody serves, with a 60 s timeout.
inline constexpr redwire::procedure<"outer.stuck", void()> stuck{};
inline constexpr redwire::procedure<"nobody.ping", int()> ping{};

class deadlines : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    bus_ = redwire::test::make_bus(GetParam());
    cli_ = bus_->make_client({.default_timeout = patience});
    inner_ = bus_->make_service("inner");
    inner_->bind(info, [] {
      const redwire::call_context* c = redwire::current_call();
      return std::tuple{c->deadline_ms, std::string(c->trace_id)};
    });
    outer_ = bus_->make_service("outer");
    outer_->bind(relay, [this](bool inherit) {
      const redwire::call_context* c = redwire::current_call();
      auto [deadline, trace] = cli_->with({.timeout = 60s, .inherit = inherit}).call(info);
      return std::tuple{c->deadline_ms, std::string(c->trace_id), deadline, trace};
    });
    outer_->bind(stuck, [this] {
      const auto began = std::chrono::steady_clock::now();
      redwire::result<int> r = cli_->with({.timeout = 60s}).try_call(ping);
      stuck_took_ = std::chrono::steady_clock::now() - began;
      stuck_error_ = r ? errc{} : r.error().error();
      stuck_done_ = true;
    });
    inner_->start();
    outer_->start();
  }
  void TearDown() override {
    outer_.reset();
    inner_.reset();
    cli_.reset();
  }

  std::unique_ptr<redwire::test::bus> bus_;
  std::unique_ptr<redwire::client> cli_;
  std::unique_ptr<redwire::service> inner_, outer_;
  std::atomic<bool> stuck_done_{false};
  std::chrono::steady_clock::duration stuck_took_{};
  errc stuck_error_{};
};

TEST_P(deadlines, a_nested_call_inherits_the_smaller_deadline_and_the_trace) {
  auto [outer_deadline, outer_trace, inner_deadline, inner_trace] =
      cli_->with({.timeout = 5s}).call(relay, true);
  EXPECT_GT(outer_deadline, 0);
  EXPECT_EQ(inner_deadline, outer_deadline);
  EXPECT_EQ(inner_trace, outer_trace);
  // Told otherwise: its own 60 s, a new trace.
  auto [own_deadline, own_trace, free_deadline, free_trace] =
      cli_->with({.timeout = 5s}).call(relay, false);
  EXPECT_GT(free_deadline, own_deadline + 50'000);
  EXPECT_NE(free_trace, own_trace);
}

TEST_P(deadlines, a_nested_call_ends_by_the_deadline_of_the_call_handled) {
  constexpr auto timeout = 400ms;
  // The outer call times out at its deadline, or (its timer and the nested one racing) gets the
  // handler's reply just before: what is checked is the nested call's end.
  (void)cli_->with({.timeout = timeout}).try_call(stuck);
  ASSERT_TRUE(eventually([&] { return stuck_done_.load(); }));
  EXPECT_EQ(stuck_error_, errc::timeout);
  EXPECT_LE(stuck_took_, timeout + timing_slack) << "the nested call waited its own 60 s";
}

INSTANTIATE_TEST_SUITE_P(transports, deadlines,
                         ::testing::ValuesIn(redwire::test::transport_and_cluster_kinds()),
                         redwire::test::bus_name{});

#if REDWIRE_TEST_REDIS
using test_api::calc::add;
using test_api::calc::sleep_ms;

// Whether every thread of process `pid` is stopped (state T in /proc).
bool all_threads_stopped(pid_t pid) {
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks)) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto after_name = stat.rfind(") ");
    if (after_name == std::string::npos || stat.compare(after_name + 2, 1, "T") != 0) return false;
  }
  return true;
}

// A replica (tests/programs/test_replica.cpp) whose clock is `skew` off, under libfaketime
// (Debian package faketime; the monotonic clock left alone). Its calls succeed; requests that
// expire while it is paused (SIGSTOP) are dropped, not run (it records each calc.sleep that begins:
// started:<id>).
void check_skew(const std::string& skew) {
  redwire::test::redis_server server;
  // libfaketime preloaded through env, which execs: the child is the replica itself (the
  // faketime tool would stay its parent, and get the signals).
  redwire::test::child_process replica(
      {"/usr/bin/env", "LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
       "FAKETIME=" + skew, "FAKETIME_DONT_FAKE_MONOTONIC=1", REDWIRE_TEST_REPLICA, server.url(),
       "skewed"},
      redwire::test::child_process::read_output);
  ASSERT_TRUE(replica.wait_for_line("ready", patience));
  redwire::redis::transport bus{server.url()};
  redwire::client cli{bus};
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(cli.with({.timeout = 2s}).call(add, i, 1), i + 1) << "clock " << skew;

  replica.signal(SIGSTOP);  // it stops a little later: wait until every thread has
  ASSERT_TRUE(eventually([&] { return all_threads_stopped(replica.pid()); }));
  std::vector<std::future<int>> expiring;
  for (int i = 0; i < 5; ++i)
    expiring.push_back(cli.with({.timeout = 300ms, .key = "k"}).async_call(sleep_ms, 1));
  for (auto& f : expiring) {
    try {
      f.get();
      ADD_FAILURE() << "a call to a paused replica returned";
    } catch (const redwire::rpc_error& e) {
      EXPECT_EQ(e.error(), errc::timeout);
    }
  }
  // Their deadlines are past on every clock, by more than the error of a learnt offset (half a
  // round trip to Redis, which a loaded machine can stretch to many milliseconds).
  const auto past = bus.broker_time() + 1s;
  EXPECT_TRUE(eventually([&] { return bus.broker_time() > past; }));
  replica.signal(SIGCONT);
  // Same key: it runs after the five are decided (dropped, or run).
  EXPECT_EQ(cli.with({.timeout = patience, .key = "k"}).call(sleep_ms, 2), 2);
  EXPECT_EQ(bus.command({"LLEN", "started:skewed"}).integer, 1)
      << "requests that expired while the replica (clock " << skew << ") was paused ran";
  replica.signal(SIGTERM);
  EXPECT_EQ(replica.wait(), 0);
}

TEST(clock_skew, a_service_30_s_ahead_runs_calls_and_drops_expired_ones) {
  check_skew("+30s");
}

TEST(clock_skew, a_service_30_s_behind_runs_calls_and_drops_expired_ones) {
  check_skew("-30s");
}
#endif

}  // namespace
