// Durable streams: consumer groups, acks, retries, dead letters, reclaim, NOGROUP, restarts,
// trimming — on memory and Redis.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
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

/// Values seen by handlers, with how often each was seen.
struct tally {
  std::mutex m;
  std::map<int, int> seen;
  void add(int v) {
    std::lock_guard lock(m);
    ++seen[v];
  }
  std::size_t distinct() {
    std::lock_guard lock(m);
    return seen.size();
  }
  int count(int v) {
    std::lock_guard lock(m);
    return seen.count(v) ? seen[v] : 0;
  }
};

class streams : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    bus_ = make_bus(GetParam());
    cli_ = bus_->make_client();
  }
  /// The bus's durable streams, beneath the client and the service.
  redwire::detail::any_streams& stream_store() { return *bus_->raw().streams(); }
  std::string key(std::string_view name) {
    return std::string(bus_->raw().prefix()) + ":stream:{" + std::string(name) + "}";
  }
  /// Quick settings so that tests do not wait for production-sized timers.
  static redwire::consume_options quick(std::string consumer = {}) {
    redwire::consume_options o;
    o.consumer = std::move(consumer);
    o.block = 100ms;
    o.claim_idle = 300ms;
    o.claim_interval = 100ms;
    o.retry_backoff = 10ms;
    o.max_deliveries = 3;
    return o;
  }
  std::unique_ptr<bus> bus_;
  std::unique_ptr<redwire::client> cli_;
};

TEST_P(streams, append_returns_increasing_ids_and_a_group_gets_every_entry) {
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) ids.push_back(cli_->append(numbers, i));
  for (std::size_t i = 1; i < ids.size(); ++i)
    EXPECT_TRUE(redwire::detail::stream_id_less(ids[i - 1], ids[i])) << ids[i - 1] << " " << ids[i];
  // The group does not exist yet: it is made on demand and sees what came before it.
  auto svc = bus_->make_service("billing");
  tally t;
  svc->consume(
      numbers, "billing", [&](int v) { t.add(v); }, quick("b-1"));
  svc->start();
  for (int i = 30; i < 60; ++i) cli_->append(numbers, i);
  ASSERT_TRUE(eventually([&] { return t.distinct() == 60; }));
  ASSERT_TRUE(eventually([&] { return bus_->pending(key("shop.numbers"), "billing") == 0; }));
  auto stats = svc->metrics("shop.numbers/billing");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->kind, redwire::operation_kind::stream);
  EXPECT_EQ(stats->calls, 60u);
  EXPECT_GT(stats->p50.count(), 0);
  EXPECT_GE(stats->p99, stats->p50);
}

TEST_P(streams, groups_each_get_everything_and_consumers_of_a_group_share_it) {
  auto a1 = bus_->make_service("billing");
  auto a2 = bus_->make_service("billing");
  auto b = bus_->make_service("audit");
  tally billing, audit;
  std::atomic<int> by_first{0}, by_second{0};
  a1->consume(
      numbers, "billing",
      [&](int v) {
        billing.add(v);
        ++by_first;
        std::this_thread::sleep_for(1ms);
      },
      quick("billing-1"));
  a2->consume(
      numbers, "billing",
      [&](int v) {
        billing.add(v);
        ++by_second;
        std::this_thread::sleep_for(1ms);
      },
      quick("billing-2"));
  b->consume(
      numbers, "audit", [&](int v) { audit.add(v); }, quick("audit-1"));
  a1->start();
  a2->start();
  b->start();
  for (int i = 0; i < 200; ++i) cli_->append(numbers, i);
  ASSERT_TRUE(eventually([&] { return billing.distinct() == 200 && audit.distinct() == 200; }));
  EXPECT_GT(by_first, 0);
  EXPECT_GT(by_second, 0);
  EXPECT_EQ(by_first + by_second, 200);  // nothing failed, so nothing was delivered twice
}

TEST_P(streams, a_handler_that_throws_is_retried_and_acknowledged_once_it_succeeds) {
  auto svc = bus_->make_service("billing");
  std::atomic<int> attempts{0};
  tally t;
  svc->consume(
      numbers, "billing",
      [&](int v) {
        if (v == 7 && ++attempts < 3) throw std::runtime_error("not yet");
        t.add(v);
      },
      quick("b-1"));
  svc->start();
  for (int i = 0; i < 10; ++i) cli_->append(numbers, i);
  ASSERT_TRUE(eventually([&] { return t.distinct() == 10; }));
  EXPECT_EQ(attempts, 3);
  ASSERT_TRUE(eventually([&] { return bus_->pending(key("shop.numbers"), "billing") == 0; }));
  auto stats = svc->metrics("shop.numbers/billing");
  EXPECT_EQ(stats->failures, 2u);
  EXPECT_EQ(stats->dead_lettered, 0u);
  EXPECT_TRUE(cli_->dead_letters(numbers, "billing").empty());
}

TEST_P(streams, an_entry_that_keeps_failing_goes_to_the_dead_letters) {
  auto svc = bus_->make_service("billing");
  std::atomic<int> attempts{0};
  tally t;
  svc->consume(
      numbers, "billing",
      [&](int v) {
        if (v == 3) {
          ++attempts;
          throw std::runtime_error("poison");
        }
        t.add(v);
      },
      quick("b-1"));
  svc->start();
  for (int i = 0; i < 6; ++i) cli_->append(numbers, i);
  ASSERT_TRUE(eventually([&] { return t.distinct() == 5; }));
  ASSERT_TRUE(eventually([&] { return cli_->dead_letters(numbers, "billing").size() == 1; }));
  EXPECT_EQ(attempts, 3);  // max_deliveries
  auto dead = cli_->dead_letters(numbers, "billing");
  auto frame = redwire::detail::decode_event_frame(dead[0].payload);  // the original bytes
  EXPECT_EQ(std::get<0>(redwire::decode_values<int>(frame.payload)), 3);
  ASSERT_TRUE(eventually([&] { return bus_->pending(key("shop.numbers"), "billing") == 0; }));
  EXPECT_EQ(svc->metrics("shop.numbers/billing")->dead_lettered, 1u);
}

TEST_P(streams, poison_bytes_go_to_the_dead_letters_and_never_stop_the_consumer) {
  auto svc = bus_->make_service("billing");
  tally t;
  svc->consume(
      numbers, "billing", [&](int v) { t.add(v); }, quick("b-1"));
  svc->start();
  cli_->append(numbers, 1);
  stream_store().stream_append(key("shop.numbers"), "not an event", 0);
  cli_->append(order_log, order{"wrong stream", 1});  // another stream: untouched
  // An entry of this stream framed for another type: refused by fingerprint.
  stream_store().stream_append(
      key("shop.numbers"),
      redwire::detail::encode_event_frame(redwire::detail::event_kind::stream, "shop.numbers",
                                          12345, "forger", std::string("text")),
      0);
  cli_->append(numbers, 2);
  ASSERT_TRUE(eventually([&] { return t.distinct() == 2; }));
  ASSERT_TRUE(eventually([&] { return cli_->dead_letters(numbers, "billing").size() == 2; }));
  auto stats = svc->metrics("shop.numbers/billing");
  EXPECT_EQ(stats->bad_messages, 2u);
  EXPECT_EQ(stats->calls, 2u);
}

TEST_P(streams, entries_left_pending_by_a_dead_consumer_are_claimed_and_handled) {
  for (int i = 0; i < 8; ++i) cli_->append(numbers, i);
  // A consumer takes five entries and dies without acknowledging them.
  {
    auto ghost = stream_store().open_stream_reader(key("shop.numbers"), "billing", "ghost");
    ghost->create_group(true);
    std::vector<redwire::stream_entry> taken;
    ghost->read(taken, 5, 0ms);
    ASSERT_EQ(taken.size(), 5u);
  }
  auto svc = bus_->make_service("billing");
  tally t;
  svc->consume(
      numbers, "billing", [&](int v) { t.add(v); }, quick("survivor"));
  svc->start();
  ASSERT_TRUE(eventually([&] { return t.distinct() == 8; }));
  EXPECT_EQ(svc->metrics("shop.numbers/billing")->reclaimed, 5u);
  ASSERT_TRUE(eventually([&] { return bus_->pending(key("shop.numbers"), "billing") == 0; }));
}

TEST_P(streams, claims_page_through_a_long_pending_list_with_the_cursor) {
  for (int i = 0; i < 120; ++i) cli_->append(numbers, i);
  {
    auto ghost = stream_store().open_stream_reader(key("shop.numbers"), "billing", "ghost");
    ghost->create_group(true);
    std::vector<redwire::stream_entry> taken;
    ghost->read(taken, 120, 0ms);
    ASSERT_EQ(taken.size(), 120u);
    // Claims go in pages: the cursor is carried from one call to the next.
    auto claimer = stream_store().open_stream_reader(key("shop.numbers"), "billing", "claimer");
    std::this_thread::sleep_for(20ms);  // idle longer than the 10 ms the claims ask for
    std::vector<redwire::stream_entry> claimed;
    std::string cursor = claimer->autoclaim(claimed, 10ms, "0-0", 50);
    EXPECT_EQ(claimed.size(), 50u);
    EXPECT_NE(cursor, "0-0");
    cursor = claimer->autoclaim(claimed, 10ms, cursor, 50);
    cursor = claimer->autoclaim(claimed, 10ms, cursor, 50);
    EXPECT_EQ(claimed.size(), 120u);
    std::set<std::string> distinct;
    for (auto& e : claimed) distinct.insert(e.id);
    EXPECT_EQ(distinct.size(), 120u);
    std::vector<std::string> ids(distinct.begin(), distinct.end());
    auto counts = claimer->delivery_counts(ids);
    EXPECT_EQ(counts, std::vector<std::uint64_t>(120, 2));  // read once, claimed once
    claimer->ack(ids);
  }
  EXPECT_EQ(bus_->pending(key("shop.numbers"), "billing"), 0u);
}

TEST_P(streams, a_restarted_consumer_takes_up_what_it_had_taken_at_once) {
  for (int i = 0; i < 6; ++i) cli_->append(numbers, i);
  {
    // "worker-1" takes four entries and stops before acknowledging them.
    auto before = stream_store().open_stream_reader(key("shop.numbers"), "billing", "worker-1");
    before->create_group(true);
    std::vector<redwire::stream_entry> taken;
    before->read(taken, 4, 0ms);
  }
  auto svc = bus_->make_service("billing");
  tally t;
  auto o = quick("worker-1");  // the same consumer name, as after a restart
  o.claim_idle = 60s;          // no claims: it must find them as its own
  svc->consume(
      numbers, "billing", [&](int v) { t.add(v); }, o);
  svc->start();
  ASSERT_TRUE(eventually([&] { return t.distinct() == 6; }, 3s));
  EXPECT_EQ(svc->metrics("shop.numbers/billing")->reclaimed, 0u);
}

TEST_P(streams, a_lost_group_is_made_again) {
  auto svc = bus_->make_service("billing");
  tally t;
  svc->consume(
      numbers, "billing", [&](int v) { t.add(v); }, quick("b-1"));
  svc->start();
  cli_->append(numbers, 1);
  ASSERT_TRUE(eventually([&] { return t.distinct() == 1; }));
  bus_->destroy_group(key("shop.numbers"), "billing");
  cli_->append(numbers, 2);
  ASSERT_TRUE(eventually([&] { return t.count(2) >= 1; }));
}

TEST_P(streams, stop_finishes_the_entry_in_hand_and_leaves_the_rest_pending) {
  auto svc = bus_->make_service("billing");
  std::atomic<int> started{0}, finished{0};
  auto o = quick("b-1");
  o.batch_size = 10;
  svc->consume(
      numbers, "billing",
      [&](int) {
        ++started;
        std::this_thread::sleep_for(100ms);
        ++finished;
      },
      o);
  for (int i = 0; i < 10; ++i) cli_->append(numbers, i);
  svc->start();
  ASSERT_TRUE(eventually([&] { return started >= 1; }));
  svc->stop();
  EXPECT_EQ(started, finished);
  EXPECT_LT(finished, 10);
  EXPECT_EQ(bus_->pending(key("shop.numbers"), "billing"), static_cast<std::size_t>(10 - finished));
  // Started again (same consumer name), it takes up its own pending entries.
  svc->start();
  ASSERT_TRUE(eventually([&] { return finished >= 10; }, 5s));
  svc->stop();
}

// The memory transport trims to the length exactly. Redis trims approximately (MAXLEN ~):
// only whole nodes of the stream go, each of up to 100 entries (stream-node-max-entries), so
// it keeps at least the length and less than a node more.
TEST_P(streams, max_length_trims_the_stream) {
  for (int i = 0; i < 1000; ++i) cli_->append(numbers, i, {.max_length = 10});
  auto entries = stream_store().stream_range(key("shop.numbers"), 2000);
  if (GetParam() == "memory") {
    EXPECT_EQ(entries.size(), 10u);
  } else {
    EXPECT_GE(entries.size(), 10u);
    EXPECT_LT(entries.size(), 10u + 100u);
  }
  // The newest are kept.
  ASSERT_FALSE(entries.empty());
  auto last = redwire::detail::decode_event_frame(entries.back().payload);
  EXPECT_EQ(std::get<0>(redwire::decode_values<int>(last.payload)), 999);
}

TEST_P(streams, a_trace_id_goes_from_a_call_into_the_entries_it_appends_and_on_into_calls) {
  auto front = bus_->make_service("front");
  front->bind(place, [&](order o) {
    cli_->append(order_log, o);
    return std::string(redwire::current_call()->trace_id);
  });
  front->bind(trace, [] { return std::string(redwire::current_call()->trace_id); });
  auto billing = bus_->make_service("billing");
  std::mutex m;
  std::string in_handler, in_nested_call;
  billing->consume(
      order_log, "billing",
      [&](order) {
        std::string nested = cli_->call(trace);  // a call made while handling the entry
        std::lock_guard lock(m);
        in_handler = std::string(redwire::current_call()->trace_id);
        in_nested_call = nested;
      },
      quick("b-1"));
  front->start();
  billing->start();
  const std::string trace_of_call = cli_->call(place, order{"o1", 2});
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return !in_nested_call.empty();
  }));
  EXPECT_EQ(in_handler, trace_of_call);
  EXPECT_EQ(in_nested_call, trace_of_call);
}

INSTANTIATE_TEST_SUITE_P(transports, streams,
                         ::testing::ValuesIn(redwire::test::transport_and_cluster_kinds()),
                         redwire::test::bus_name{});

}  // namespace
