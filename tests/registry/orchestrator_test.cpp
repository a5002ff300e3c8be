// redwire::orchestrator on both transports: admission, unregistering, selection policies,
// keyed routing.
#include <atomic>
#include <future>
#include <map>
#include <set>

#include "registry/registry_fixture.hpp"
#include "support/log_capture.hpp"

using namespace registry_test;
using redwire::errc;

namespace {

class orchestration : public on_both {
 protected:
  void TearDown() override {
    gate_.open();       // no handler waits past the test
    replicas_.clear();  // before the transport goes
    on_both::TearDown();
  }
  void start_replicas(int n, redwire::service_options base = {}) {
    for (int i = 0; i < n; ++i) {
      auto o = base;
      o.instance_id = "calc-" + std::to_string(i);
      auto svc = bus_->make_service("calc", o);
      bind_calc(*svc, &gate_);
      svc->start();
      replicas_.push_back(std::move(svc));
    }
  }
  redwire::test::gate gate_;  // calc.hold of every replica waits here
  std::vector<std::unique_ptr<redwire::service>> replicas_;
};

TEST_P(orchestration, round_robin_visits_every_instance_in_turn) {
  start_replicas(3);
  auto orc = bus_->make_orchestrator();
  orc->start();
  std::map<std::string, int> seen;
  for (int i = 0; i < 30; ++i) ++seen[orc->call(calc::whoami)];
  ASSERT_EQ(seen.size(), 3u);
  for (auto& [id, n] : seen) EXPECT_EQ(n, 10) << id;
  EXPECT_EQ(orc->call(calc::add, 2, 3), 5);
}

TEST_P(orchestration, random_reaches_every_instance) {
  start_replicas(3);
  auto orc = bus_->make_orchestrator({.policy = redwire::selection::random});
  std::set<std::string> seen;
  for (int i = 0; i < 60; ++i) seen.insert(orc->call(calc::whoami));
  EXPECT_EQ(seen.size(), 3u);
}

// Each call is made once the one before it is in its handler (held there), so the
// orchestrator sees it outstanding: every call goes to an instance with none in flight, and
// the three to three instances of one worker each (a second call to one of them would wait
// behind the first, and never be in its handler with it).
TEST_P(orchestration, least_outstanding_spreads_concurrent_calls) {
  start_replicas(3, {.workers = 1});
  auto orc = bus_->make_orchestrator({.policy = redwire::selection::least_outstanding});
  orc->start();
  std::vector<std::future<std::string>> calls;
  for (int t = 0; t < 3; ++t) {
    ASSERT_TRUE(gate_.wait_inside(t));
    calls.push_back(std::async(std::launch::async, [&] { return orc->call(calc::hold); }));
  }
  EXPECT_TRUE(gate_.wait_inside(3)) << "two calls went to one instance";
  gate_.open();
  std::set<std::string> seen;
  for (auto& f : calls) seen.insert(f.get());
  EXPECT_EQ(seen.size(), 3u);
}

TEST_P(orchestration, calls_with_a_key_stick_to_one_instance_while_membership_holds) {
  start_replicas(3);
  auto orc = bus_->make_orchestrator();
  orc->start();
  std::map<std::string, std::string> home;
  for (int k = 0; k < 40; ++k) {
    const std::string key = "user-" + std::to_string(k);
    home[key] = orc->with({.key = key}).call(calc::whoami);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(orc->with({.key = key}).call(calc::whoami), home[key]);
  }
  std::set<std::string> used;
  for (auto& [k, id] : home) used.insert(id);
  EXPECT_EQ(used.size(), 3u);
  // One replica leaves: only its keys move.
  replicas_[0]->stop();
  ASSERT_TRUE(eventually([&] { return orc->instances("calc").size() == 2; }));
  for (auto& [key, id] : home) {
    std::string now = orc->with({.key = key}).call(calc::whoami);
    if (id != "calc-0")
      EXPECT_EQ(now, id) << key;
    else
      EXPECT_NE(now, "calc-0");
  }
}

TEST_P(orchestration, a_rejected_instance_stops_serving_and_says_why) {
  redwire::test::log_capture log;
  std::mutex m;
  auto orc = bus_->make_orchestrator();
  orc->on_registering([](const redwire::instance_info& i) -> redwire::admission {
    if (i.metadata.count("bad")) return redwire::admission::reject("bad metadata");
    return true;
  });
  std::vector<std::pair<std::string, bool>> gone;
  orc->on_unregistering([&](const redwire::instance_info& i, bool expired) {
    std::lock_guard lock(m);
    gone.emplace_back(i.id, expired);
  });
  orc->start();
  start_replicas(1);
  auto bad = bus_->make_service(
      "calc", {.instance_id = "calc-bad", .registration = {.metadata = {{"bad", "yes"}}}});
  bind_calc(*bad);
  bad->start();
  auto reg = bus_->make_registry();
  EXPECT_TRUE(eventually([&] { return reg->instances("calc").size() == 1; }));
  EXPECT_EQ(reg->instances("calc").front().id, "calc-0");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(orc->call(calc::whoami), "calc-0");
  EXPECT_GE(log.count({"calc-bad", "rejected by the orchestrator: bad metadata"}), 1);
  replicas_[0]->stop();
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return gone.size() == 1;
  }));
  {
    std::lock_guard lock(m);
    EXPECT_EQ(gone.front(), std::make_pair(std::string("calc-0"), false));  // not the rejected
  }
  auto r = orc->try_call(calc::add, 1, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), errc::unavailable);
}

TEST_P(orchestration, on_unregistering_hears_expired_instances) {
  auto orc = bus_->make_orchestrator();
  std::mutex m;
  std::vector<std::pair<std::string, bool>> gone;
  orc->on_unregistering([&](const redwire::instance_info& i, bool expired) {
    std::lock_guard lock(m);
    gone.emplace_back(i.id, expired);
  });
  orc->start();
  redwire::instance_info ghost;
  ghost.service = "calc";
  ghost.id = "calc-ghost";
  bus_->register_dead(ghost, 500ms);
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return !gone.empty();
  }));
  std::lock_guard lock(m);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone.front(), std::make_pair(std::string("calc-ghost"), true));
}

INSTANTIATE_TEST_SUITE_P(transports, orchestration,
                         ::testing::ValuesIn(redwire::test::transport_and_cluster_kinds()),
                         redwire::test::bus_name{});

}  // namespace
