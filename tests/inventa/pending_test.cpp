// The table of calls in flight: each completes once, by whoever takes it first.
#include <gtest/gtest.h>

#include <redwire/inventa.hpp>

#include <atomic>
#include <chrono>
#include <string>

#include "support/eventually.hpp"

namespace {

namespace d = redwire::inventa::detail;
using namespace std::chrono_literals;

TEST(inventa_pending, a_response_completes_its_call_once_and_its_deadline_goes_with_it) {
  d::pending_calls table;
  std::atomic<int> values{0}, errors{0};
  auto done = [&](d::raw_result r) { ++(r ? values : errors); };
  for (int i = 0; i < 1000; ++i)
    table.add("id-" + std::to_string(i), d::clock::now() + 60s, done, true);
  EXPECT_EQ(table.timers(), 1000u);
  for (int i = 0; i < 1000; ++i)
    EXPECT_TRUE(table.complete("id-" + std::to_string(i), std::vector<std::string>{"1"}));
  EXPECT_FALSE(table.complete("id-1", std::vector<std::string>{"1"}));  // late: nobody waits
  EXPECT_EQ(values.load(), 1000);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.timers(), 0u);
}

TEST(inventa_pending, the_timer_ends_async_calls_at_their_deadline) {
  d::pending_calls table;
  std::atomic<int> timeouts{0};
  table.add(
      "late", d::clock::now() + 50ms,
      [&](d::raw_result r) {
        if (!r && r.error().error() == redwire::errc::timeout) ++timeouts;
      },
      true);
  ASSERT_TRUE(redwire::test::eventually([&] { return timeouts.load() == 1; }));
  EXPECT_FALSE(table.complete("late", std::vector<std::string>{"1"}));
  EXPECT_EQ(table.timers(), 0u);
}

TEST(inventa_pending, stopping_cancels_what_is_in_flight) {
  std::atomic<int> cancelled{0};
  {
    d::pending_calls table;
    table.add(
        "a", d::clock::now() + 60s,
        [&](d::raw_result r) {
          if (!r && r.error().error() == redwire::errc::cancelled) ++cancelled;
        },
        true);
  }
  EXPECT_EQ(cancelled.load(), 1);
}

}  // namespace
