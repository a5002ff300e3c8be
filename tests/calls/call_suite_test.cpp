// The typed-call suite: what the README promises for calls, on every transport (support/buses.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include "calls/test_api.hpp"
#include "support/buses.hpp"
#include "support/eventually.hpp"
#include "support/gate.hpp"
#include "support/test_thread.hpp"

using namespace std::chrono_literals;
using namespace test_api;
using redwire::errc;
using redwire::test::eventually;
using redwire::test::patience;
using redwire::test::timing_slack;
using clock_type = std::chrono::steady_clock;

namespace {

/// A service "calc" with every test procedure bound, and its observable state.
struct calc_state {
  std::atomic<int> resets{0};
  std::atomic<int> sleeps_started{0};
  std::atomic<int> sleeps_run{0};
  redwire::test::gate gate;  // calc.hold waits here
  std::atomic<int> holds_run{0};
  std::mutex mutex;
  std::map<std::string, std::vector<int>> records;
  std::map<std::string, int> running_by_key;  // calc.record calls running now, per key
  int overlaps = 0;                           // times a record began while one of its key ran
};

void bind_calc(redwire::service& svc, calc_state& state, redwire::client* nested_client = nullptr) {
  svc.bind(calc::add, [](int a, int b) { return a + b; });
  svc.bind(calc::centroid, [](const std::vector<point>& ps) {
    point c{0, 0};
    for (auto& p : ps) c = {c.x + p.x, c.y + p.y};
    if (!ps.empty()) c = {c.x / ps.size(), c.y / ps.size()};
    return c;
  });
  svc.bind(calc::divmod, [](int a, int b) { return std::tuple{a / b, a % b}; });
  svc.bind(calc::reset, [&state] { ++state.resets; });
  svc.bind(calc::fail, [](std::string why) -> int { throw std::runtime_error(why); });
  svc.bind(calc::sleep_ms, [&state](int ms) {
    ++state.sleeps_started;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ++state.sleeps_run;
  });
  svc.bind(calc::hold, [&state](int n) {
    if (!state.gate.pass()) throw std::runtime_error("the test never opened the gate");
    ++state.holds_run;
    return n;
  });
  svc.bind(calc::echo, [](std::string s) { return s; });
  svc.bind(calc::blob, [](std::vector<std::byte> b) {
    std::reverse(b.begin(), b.end());
    return b;
  });
  svc.bind(calc::whoami, [] { return std::string(redwire::current_call()->instance); });
  svc.bind(calc::trace, [] { return std::string(redwire::current_call()->trace_id); });
  svc.bind(calc::record, [&state](std::string key, int n) {
    {
      std::lock_guard lock(state.mutex);
      if (state.running_by_key[key]++ > 0) ++state.overlaps;
      state.records[key].push_back(n);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(n % 7 * 50));  // a window to overlap
    std::lock_guard lock(state.mutex);
    --state.running_by_key[key];
  });
  svc.bind(calc::round_trip, [](order o) {
    o.id += "!";
    return o;
  });
  svc.bind(calc::nested, [nested_client](int a, int b) {
    // A call made from inside a handler, through another service.
    return nested_client->call(audit::add, a, b) * 10;
  });
}

class calls : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    bus_ = redwire::test::make_bus(GetParam());
    svc_ = bus_->make_service("calc", {.workers = 4});
    cli_ = bus_->make_client({.default_timeout = 5s});
    bind_calc(*svc_, state_, cli_.get());
    audit_ = bus_->make_service("audit");
    audit_->bind(audit::add, [](int a, int b) { return a + b; });
    audit_->bind(audit::trace, [] { return std::string(redwire::current_call()->trace_id); });
    svc_->start();
    audit_->start();
  }
  void TearDown() override {
    state_.gate.open();  // no handler waits past the test
    cli_.reset();
    svc_.reset();
    audit_.reset();
    bus_.reset();
  }

  std::unique_ptr<redwire::test::bus> bus_;
  calc_state state_;
  std::unique_ptr<redwire::service> svc_, audit_;
  std::unique_ptr<redwire::client> cli_;
};

TEST_P(calls, call_returns_the_handlers_result) {
  EXPECT_EQ(cli_->call(calc::add, 2, 3), 5);
  EXPECT_EQ(cli_->call(calc::add, -7, 3), -4);
}

TEST_P(calls, try_call_holds_value_or_error) {
  redwire::result<int> ok = cli_->try_call(calc::add, 20, 22);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 42);
  redwire::result<int> bad = cli_->try_call(calc::fail, "boom");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), errc::remote_exception);
  EXPECT_EQ(bad.error().message(), "boom");
  EXPECT_EQ(bad.error().procedure(), "calc.fail");
  EXPECT_EQ(bad.error().instance(), svc_->instance_id());
  EXPECT_THROW(bad.value(), redwire::rpc_error);
}

TEST_P(calls, async_call_completes_its_future) {
  std::vector<std::future<int>> futures;
  for (int i = 0; i < 100; ++i) futures.push_back(cli_->async_call(calc::add, i, i));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(futures[i].get(), 2 * i);
  auto failing = cli_->async_call(calc::fail, "async boom");
  try {
    failing.get();
    FAIL() << "expected an rpc_error";
  } catch (const redwire::rpc_error& e) {
    EXPECT_EQ(e.code(), errc::remote_exception);
    EXPECT_EQ(e.message(), "async boom");
  }
}

// The state of async calls is recycled between calls whatever their result type (void, a
// string, a struct, a tuple, a large blob): each future gets its own outcome.
TEST_P(calls, async_calls_of_every_result_type_get_their_own_outcome) {
  const std::string big(100000, 'b');
  for (int round = 0; round < 3; ++round) {
    auto sum = cli_->async_call(calc::add, round, 1);
    auto nothing = cli_->async_call(calc::reset);
    auto text = cli_->async_call(calc::echo, big + std::to_string(round));
    auto pair = cli_->async_call(calc::divmod, 17, 5);
    auto centre = cli_->async_call(calc::centroid, std::vector<point>{{0, 0}, {2, 4}});
    auto failing = cli_->async_call(calc::fail, "no " + std::to_string(round));
    auto small = cli_->async_call(calc::echo, "s" + std::to_string(round));
    EXPECT_EQ(sum.get(), round + 1);
    EXPECT_NO_THROW(nothing.get());
    EXPECT_EQ(text.get(), big + std::to_string(round));
    EXPECT_EQ(pair.get(), std::tuple(3, 2));
    point c = centre.get();
    EXPECT_EQ(c.x, 1);
    EXPECT_EQ(c.y, 2);
    try {
      failing.get();
      ADD_FAILURE() << "expected an rpc_error";
    } catch (const redwire::rpc_error& e) {
      EXPECT_EQ(e.message(), "no " + std::to_string(round));
      EXPECT_EQ(e.procedure(), "calc.fail");
    }
    EXPECT_EQ(small.get(), "s" + std::to_string(round));
  }
}

// A future may outlive the client that made it: the call is then cancelled, and the future
// (with its shared state) stays valid wherever it is dropped.
TEST_P(calls, futures_outlive_their_client) {
  auto other = bus_->make_client({.default_timeout = 5s});
  auto done = other->async_call(calc::add, 1, 2);
  EXPECT_EQ(done.get(), 3);
  std::vector<std::future<int>> pending;
  // Held in their handlers (or queued behind them) until the client is gone.
  for (int i = 0; i < 8; ++i) pending.push_back(other->async_call(calc::hold, i));
  other.reset();
  for (auto& f : pending) {
    try {
      f.get();
      ADD_FAILURE() << "expected the call to be cancelled";
    } catch (const redwire::rpc_error& e) {
      EXPECT_EQ(e.code(), errc::cancelled);
      EXPECT_EQ(e.procedure(), "calc.hold");
    }
  }
}

TEST_P(calls, notify_runs_without_a_reply) {
  cli_->notify(calc::reset);
  cli_->notify(calc::reset);
  EXPECT_TRUE(eventually([&] { return state_.resets == 2; }));
  EXPECT_EQ(cli_->in_flight(), 0u);
}

TEST_P(calls, void_tuple_struct_and_string_view) {
  cli_->call(calc::reset);
  auto [q, r] = cli_->call(calc::divmod, 17, 5);
  EXPECT_EQ(q, 3);
  EXPECT_EQ(r, 2);
  point c = cli_->call(calc::centroid, std::vector<point>{{0, 0}, {2, 0}, {2, 2}, {0, 2}});
  EXPECT_DOUBLE_EQ(c.x, 1.0);
  EXPECT_DOUBLE_EQ(c.y, 1.0);
  std::string_view view = "a view";
  EXPECT_EQ(cli_->call(calc::echo, view), "a view");
  EXPECT_EQ(cli_->call(calc::echo, std::string("a string")), "a string");
  EXPECT_EQ(cli_->call(calc::echo, "a literal"), "a literal");
  order o{"o-1", {{1, 2}, {3, 4}}, 7, {{"k", "v"}}};
  order back = cli_->call(calc::round_trip, o);
  EXPECT_EQ(back.id, "o-1!");
  ASSERT_EQ(back.route.size(), 2u);
  EXPECT_EQ(back.route[1].y, 4);
  EXPECT_EQ(back.priority, 7);
  EXPECT_EQ(back.tags.at("k"), "v");
}

TEST_P(calls, large_payload_round_trips) {
  std::vector<std::byte> big(9 << 20);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = std::byte(i * 131 % 251);
  auto back = cli_->with({.timeout = 30s}).call(calc::blob, big);
  ASSERT_EQ(back.size(), big.size());
  EXPECT_TRUE(std::equal(back.begin(), back.end(), big.rbegin()));
}

TEST_P(calls, handler_exception_is_returned_and_worker_lives_on) {
  for (int i = 0; i < 10; ++i) {
    auto r = cli_->try_call(calc::fail, "failure " + std::to_string(i));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message(), "failure " + std::to_string(i));
  }
  EXPECT_EQ(cli_->call(calc::add, 1, 1), 2);
  EXPECT_EQ(svc_->stats().failures, 10u);
}

TEST_P(calls, unknown_procedure_is_reported_by_the_instance) {
  auto r = cli_->try_call(calc::not_served, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), errc::unknown_procedure);
  EXPECT_NE(r.error().message().find("calc.not_served"), std::string::npos);
}

// Timeouts hold: a call to a service nobody serves ends at its timeout — not before, and not
// later than the timeout plus timing_slack (support/eventually.hpp), for a sync call (in an
// inbox on Redis, in the shared reply subscription on redis_shared) and for an async one.
TEST_P(calls, no_instance_means_timeout_at_the_timeout) {
  static constexpr redwire::procedure<"nobody.add", int(int, int)> nobody_add{};
  ASSERT_EQ(cli_->call(test_api::audit::add, 1, 2), 3);  // the client is up: no first-use costs
  for (auto timeout : {150ms, 400ms}) {
    SCOPED_TRACE("timeout " + std::to_string(timeout.count()) + " ms");
    auto start = clock_type::now();
    auto lost = cli_->with({.timeout = timeout}).try_call(nobody_add, 1, 2);
    auto elapsed = clock_type::now() - start;
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error().code(), errc::timeout);
    EXPECT_GE(elapsed, timeout);
    EXPECT_LT(elapsed, timeout + timing_slack);

    start = clock_type::now();
    auto f = cli_->with({.timeout = timeout}).async_call(nobody_add, 1, 2);
    ASSERT_EQ(f.wait_until(start + timeout + timing_slack), std::future_status::ready);
    EXPECT_GE(clock_type::now() - start, timeout);
    try {
      f.get();
      ADD_FAILURE() << "nobody serves nobody.add";
    } catch (const redwire::rpc_error& e) {
      EXPECT_EQ(e.code(), errc::timeout);
    }
  }
  EXPECT_EQ(cli_->in_flight(), 0u);
}

TEST_P(calls, a_late_reply_is_not_taken_for_the_next_call) {
  // The first call gives up while its handler is held at the gate (taken within its 1 s: a
  // shorter timeout could expire before a loaded machine takes it, and then nothing would
  // answer late). Then the handler answers: its reply arrives while (or before) the next
  // calls wait — on Redis in the same inbox, which the next call borrows.
  auto slow = cli_->with({.timeout = 1s}).try_call(calc::hold, 1);
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code(), errc::timeout);
  ASSERT_TRUE(state_.gate.wait_inside(1)) << "the first call was never taken";
  state_.gate.open();
  ASSERT_TRUE(eventually([&] { return state_.holds_run == 1; }));  // the late reply is sent
  for (int i = 0; i < 20; ++i) EXPECT_EQ(cli_->call(calc::add, i, 1000), i + 1000);
  auto quick = cli_->with({.timeout = 2s}).try_call(calc::hold, 2);
  ASSERT_TRUE(quick) << quick.error().what();
  EXPECT_EQ(*quick, 2);  // the late reply said 1
}

// The slow call of a batch is held in its handler until every fast reply has come: a reply
// kept back behind it would never come, and the test fail, whatever the machine's speed.
TEST_P(calls, fast_replies_do_not_wait_for_a_slow_call_of_their_batch) {
  for (int i = 0; i < 200; ++i)
    ASSERT_EQ(cli_->call(calc::add, i, 1), i + 1);  // handlers look fast
  for (bool slow_first : {true, false}) {
    SCOPED_TRACE(slow_first ? "slow call first" : "slow call last");
    std::vector<std::future<int>> fast;
    std::future<int> slow;
    if (slow_first) slow = cli_->async_call(calc::hold, 7);
    for (int i = 0; i < 30; ++i) fast.push_back(cli_->async_call(calc::add, i, i));
    if (!slow_first) slow = cli_->async_call(calc::hold, 7);
    for (int i = 0; i < 30; ++i) {
      ASSERT_EQ(fast[i].wait_for(patience), std::future_status::ready)
          << "a fast reply waited for the slow call of its batch";
      EXPECT_EQ(fast[i].get(), 2 * i);
    }
    EXPECT_EQ(slow.wait_for(0s), std::future_status::timeout);  // still held
    state_.gate.open();
    ASSERT_EQ(slow.wait_for(patience), std::future_status::ready);
    EXPECT_EQ(slow.get(), 7);
    state_.gate.close();
  }
}

TEST_P(calls, async_timeout_completes_the_future) {
  static constexpr redwire::procedure<"nobody.add", int(int, int)> nobody_add{};
  auto f = cli_->with({.timeout = 100ms}).async_call(nobody_add, 1, 2);
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  try {
    f.get();
    FAIL();
  } catch (const redwire::rpc_error& e) {
    EXPECT_EQ(e.code(), errc::timeout);
  }
  EXPECT_EQ(cli_->in_flight(), 0u);
}

TEST_P(calls, default_timeout_is_configurable) {
  auto quick = bus_->make_client({.default_timeout = 80ms});
  static constexpr redwire::procedure<"nobody.add", int(int, int)> nobody_add{};
  const auto start = clock_type::now();
  auto r = quick->try_call(nobody_add, 1, 2);
  const auto elapsed = clock_type::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), errc::timeout);
  EXPECT_GE(elapsed, 80ms);
  EXPECT_LT(elapsed, 80ms + timing_slack);  // the 80 ms, not the 5 s of the default default
}

TEST_P(calls, signature_mismatch_is_detected) {
  auto r = cli_->try_call(stale::add, 1, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), errc::signature_mismatch);
  EXPECT_NE(r.error().message().find("calc.add(i32, i32) -> i32"), std::string::npos);
}

// At most once, in time: a request whose deadline passed while it waited in the queue is
// dropped when a worker takes it, not run.
TEST_P(calls, expired_request_is_not_executed) {
  calc_state own_state;
  auto lone = bus_->make_service("calc", {.workers = 1});
  redwire::test::open_at_exit release(own_state.gate);
  bind_calc(*lone, own_state);
  svc_->stop();  // only `lone` serves calc now
  lone->start();
  auto busy = cli_->async_call(calc::hold, 1);  // occupies the only worker
  ASSERT_TRUE(own_state.gate.wait_inside(1));
  auto late = cli_->with({.timeout = 100ms}).try_call(calc::sleep_ms, 1);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), errc::timeout);
  // The request's deadline (whole ms of the system clock) is no later than the moment the caller
  // gave up, however long the call took to send: past it for certain 2 ms from here.
  std::this_thread::sleep_for(2ms);
  own_state.gate.open();  // the worker goes on, to the request that has expired meanwhile
  EXPECT_EQ(busy.get(), 1);
  EXPECT_EQ(cli_->call(calc::add, 1, 2), 3);  // the worker is free again, and went past it
  EXPECT_EQ(own_state.sleeps_started, 0);     // the expired request never ran
  EXPECT_EQ(lone->stats().expired, 1u);
}

TEST_P(calls, same_key_runs_in_order_sent) {
  constexpr int per_key = 200;
  std::vector<std::future<void>> futures;
  for (int i = 0; i < per_key; ++i)
    for (std::string key : {"alice", "bob", "carol"})
      futures.push_back(cli_->with({.key = key}).async_call(calc::record, key, i));
  for (auto& f : futures) f.get();
  std::lock_guard lock(state_.mutex);
  EXPECT_EQ(state_.overlaps, 0) << "calls with the same key ran at the same time";
  for (std::string key : {"alice", "bob", "carol"}) {
    auto& seen = state_.records[key];
    ASSERT_EQ(seen.size(), std::size_t(per_key));
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end())) << key;
  }
}

TEST_P(calls, stop_finishes_calls_in_flight) {
  std::vector<std::future<int>> slow;
  for (int i = 0; i < 4; ++i) slow.push_back(cli_->async_call(calc::sleep_ms, 200));
  ASSERT_TRUE(eventually([&] { return state_.sleeps_started == 4; }));  // one per worker
  svc_->stop();
  EXPECT_EQ(state_.sleeps_run, 4) << "stop() returned before every call taken had run";
  for (auto& f : slow) {
    ASSERT_EQ(f.wait_for(patience), std::future_status::ready) << "a reply was not sent";
    EXPECT_GE(f.get(), 1);
  }
}

TEST_P(calls, call_from_inside_a_handler) {
  EXPECT_EQ(cli_->call(calc::nested, 4, 5), 90);
  std::vector<std::future<int>> many;
  for (int i = 0; i < 50; ++i) many.push_back(cli_->async_call(calc::nested, i, 1));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(many[i].get(), (i + 1) * 10);
}

TEST_P(calls, trace_id_follows_nested_calls) {
  static constexpr redwire::procedure<"calc.trace_chain", std::string()> chain{};
  auto svc = bus_->make_service("calc", {.workers = 2});
  svc->bind(chain, [this] {
    std::string mine(redwire::current_call()->trace_id);
    std::string theirs = cli_->call(audit::trace);
    return mine == theirs ? mine : "different: " + mine + " vs " + theirs;
  });
  svc_->stop();
  svc->start();
  std::string t1 = cli_->call(chain), t2 = cli_->call(chain);
  EXPECT_EQ(t1.size(), 32u);  // a W3C trace id (trace.hpp)
  EXPECT_EQ(t1.find("different"), std::string::npos);
  EXPECT_NE(t1, t2);
}

TEST_P(calls, targeted_call_reaches_that_instance) {
  calc_state other_state;
  auto other = bus_->make_service("calc", {.instance_id = "calc-b"});
  bind_calc(*other, other_state);
  other->start();
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(cli_->with({.instance = "calc-b"}).call(calc::whoami), "calc-b");
    EXPECT_EQ(cli_->with({.instance = svc_->instance_id()}).call(calc::whoami),
              svc_->instance_id());
  }
}

/// Two fresh replicas of calc, "calc-a" and "calc-b", each with its own state and gate; on
/// destruction the gates open first, so that no handler holds up their stop.
struct replica_pair {
  replica_pair(redwire::test::bus& bus, std::size_t workers)
      : a(bus.make_service("calc", {.instance_id = "calc-a", .workers = workers})),
        b(bus.make_service("calc", {.instance_id = "calc-b", .workers = workers})) {
    bind_calc(*a, a_state);
    bind_calc(*b, b_state);
    a->start();
    b->start();
  }
  ~replica_pair() {
    a_state.gate.open();
    b_state.gate.open();
    a.reset();
    b.reset();
  }
  calc_state a_state, b_state;
  std::unique_ptr<redwire::service> a, b;
};

// Load is shared: fresh replicas of 4 workers each take no more requests than they have idle
// workers (their handlers' time is not known yet), so 8 calls held in their handlers are run
// 4 by each — one over-taken request would wait behind the gate, and the 8th never start.
// Each of them runs once (at most once: no request is taken by both).
TEST_P(calls, replicas_take_no_more_than_their_idle_workers) {
  svc_->stop();
  replica_pair replicas(*bus_, 4);
  calc_state& a = replicas.a_state;
  calc_state& b = replicas.b_state;
  std::vector<std::future<int>> held;
  for (int i = 0; i < 8; ++i) held.push_back(cli_->async_call(calc::hold, i));
  const bool all_started = eventually([&] { return a.gate.inside() + b.gate.inside() == 8; });
  EXPECT_TRUE(all_started) << "started by calc-a: " << a.gate.inside()
                           << ", by calc-b: " << b.gate.inside();
  EXPECT_EQ(a.gate.inside(), 4);
  EXPECT_EQ(b.gate.inside(), 4);
  a.gate.open();
  b.gate.open();
  std::vector<int> answers;
  for (auto& f : held) answers.push_back(f.get());
  EXPECT_EQ(answers, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(a.holds_run + b.holds_run, 8);
}

// Load is shared: while every worker of one replica is busy with a slow handler, the requests
// that come go to the idle one — none waits behind the busy replica (they would until its
// gate opens, and fail).
TEST_P(calls, an_idle_replica_takes_the_calls_while_another_is_busy) {
  svc_->stop();
  replica_pair replicas(*bus_, 2);
  std::vector<std::future<int>> busy;
  for (int i = 0; i < 2; ++i)
    busy.push_back(cli_->with({.instance = "calc-a"}).async_call(calc::hold, i));
  ASSERT_TRUE(replicas.a_state.gate.wait_inside(2));
  std::vector<std::future<std::string>> quick;
  for (int i = 0; i < 20; ++i) quick.push_back(cli_->async_call(calc::whoami));
  for (auto& f : quick) {
    ASSERT_EQ(f.wait_for(patience), std::future_status::ready) << "a call waited behind calc-a";
    EXPECT_EQ(f.get(), "calc-b");
  }
  replicas.a_state.gate.open();
  for (int i = 0; i < 2; ++i) EXPECT_EQ(busy[i].get(), i);
}

TEST_P(calls, shared_client_8_threads_x_10000_calls) {
  constexpr int threads = 8, per_thread = 10000, window = 64;
  std::atomic<int> wrong{0}, done{0};
  std::vector<redwire::test::test_thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::deque<std::pair<int, std::future<int>>> in_flight;
      for (int i = 0; i < per_thread; ++i) {
        in_flight.emplace_back(i, cli_->async_call(calc::add, t * 1000000, i));
        if (in_flight.size() >= window || i + 1 == per_thread) {
          while (!in_flight.empty()) {
            auto& [n, f] = in_flight.front();
            if (f.get() != t * 1000000 + n) ++wrong;
            ++done;
            in_flight.pop_front();
          }
        }
        if (i % 1000 == 0 && cli_->call(calc::add, t, i) != t + i) ++wrong;  // sync ones too
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(done, threads * per_thread);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(cli_->in_flight(), 0u);
}

TEST_P(calls, nothing_left_in_queues_after_calls) {
  for (int i = 0; i < 200; ++i) ASSERT_EQ(cli_->call(calc::add, i, 1), i + 1);
  cli_->notify(calc::reset);
  cli_->call(calc::add, 0, 0);
  svc_->stop();
  audit_->stop();
  EXPECT_EQ(bus_->leftovers(), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(transports, calls, ::testing::ValuesIn(redwire::test::bus_kinds()),
                         redwire::test::bus_name{});

}  // namespace
