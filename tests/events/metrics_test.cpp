// Per-operation metrics and per-call logging — on memory and Redis — and the histogram itself.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "events/event_api.hpp"
#include "support/buses.hpp"
#include "support/eventually.hpp"

using namespace std::chrono_literals;
using namespace events_test;
using redwire::test::bus;
using redwire::test::eventually;
using redwire::test::make_bus;

namespace {

TEST(duration_histogram, quantiles_fall_within_a_bucket_of_the_truth) {
  redwire::detail::duration_histogram h;
  for (std::uint64_t us = 1; us <= 1000; ++us) h.record(us * 1000);  // 1 us .. 1 ms
  auto p50 = h.quantile(0.5), p99 = h.quantile(0.99);
  EXPECT_GE(p50, 500'000u);
  EXPECT_LE(p50, 500'000u * 5 / 4);
  EXPECT_GE(p99, 990'000u);
  EXPECT_LE(p99, 1'000'000u);  // never above the largest seen
  EXPECT_EQ(h.max(), 1'000'000u);
  for (std::uint64_t ns : {0ull, 1ull, 5ull, 1000ull, 123456789ull, ~0ull})
    EXPECT_GE(redwire::detail::duration_histogram::upper_bound_of(
                  redwire::detail::duration_histogram::bucket_of(ns)),
              ns);
}

class metrics : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { bus_ = make_bus(GetParam()); }
  void TearDown() override { redwire::set_log_sink({}); }
  std::unique_ptr<bus> bus_;
};

TEST_P(metrics, procedures_count_calls_failures_timeouts_and_durations) {
  auto svc = bus_->make_service("front", {.workers = 1});
  std::atomic<int> long_ones{0};
  svc->bind(slow, [&long_ones](int ms) {
    if (ms < 0) throw std::runtime_error("negative");
    if (ms >= 300) ++long_ones;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
  });
  svc->start();
  auto cli = bus_->make_client();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(cli->call(slow, 2), 2);
  EXPECT_FALSE(cli->try_call(slow, -1).has_value());
  // One worker busy for 300 ms: a call with a 50 ms deadline waits in the queue past it.
  auto busy = cli->async_call(slow, 300);
  ASSERT_TRUE(eventually([&] { return long_ones == 1; }));  // the worker is in it
  EXPECT_FALSE(cli->with({.timeout = 50ms}).try_call(slow, 1).has_value());
  busy.get();
  ASSERT_TRUE(eventually([&] { return svc->metrics("front.slow")->timeouts >= 1; }));
  auto s = *svc->metrics("front.slow");
  EXPECT_EQ(s.kind, redwire::operation_kind::procedure);
  EXPECT_EQ(s.calls, 12u);
  EXPECT_EQ(s.failures, 1u);
  EXPECT_EQ(s.timeouts, 1u);
  EXPECT_GE(s.p50, 2ms);
  EXPECT_LT(s.p50, 300ms);  // the median is one of the 2 ms calls, not the 300 ms one
  EXPECT_GE(s.p99, 2ms);
  EXPECT_GE(s.max, 300ms);
  bool listed = false;
  for (auto& m : svc->metrics()) listed |= m.name == "front.slow";
  EXPECT_TRUE(listed);
}

TEST_P(metrics, every_call_and_event_can_be_logged_through_the_sink) {
  std::mutex m;
  std::vector<std::string> lines;
  redwire::set_log_sink([&](redwire::log_level level, std::string_view text) {
    if (level != redwire::log_level::debug) return;
    std::lock_guard lock(m);
    lines.emplace_back(text);
  });
  auto svc = bus_->make_service("front", {.log_calls = true});
  svc->bind(trace, [] { return std::string(redwire::current_call()->trace_id); });
  std::atomic<int> events{0};
  svc->subscribe(orders_topic, [&](order) { ++events; });
  svc->consume(numbers, "front", [&](int) { ++events; }, {.consumer = "front-1", .block = 100ms});
  svc->start();
  auto cli = bus_->make_client();
  const std::string t = cli->call(trace);
  cli->publish(orders_topic, order{"a", 1});
  cli->append(numbers, 5);
  ASSERT_TRUE(eventually([&] { return events == 2; }));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    int call = 0, topic = 0, stream = 0;
    for (auto& l : lines) {
      call += l.starts_with("call front.trace trace " + t);
      topic += l.starts_with("event shop.orders trace ");
      stream += l.starts_with("stream shop.numbers group front consumer front-1: entry ");
    }
    return call == 1 && topic == 1 && stream == 1;
  }));
  svc->stop();
}

INSTANTIATE_TEST_SUITE_P(transports, metrics,
                         ::testing::ValuesIn(redwire::test::transport_and_cluster_kinds()),
                         redwire::test::bus_name{});

}  // namespace
