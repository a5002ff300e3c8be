// Inventa nodes against a private redis-server: roles, calls, errors, hostile input.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "inventa/inventa_api.hpp"
#include "inventa/scripted_peer.hpp"
#include "support/eventually.hpp"

namespace {

using namespace inventa_test;
using redwire::test::eventually;
using redwire::test::shared_redis;

struct inventa_nodes : ::testing::Test {
  std::string type = unique("calc");
  inv::node orc{shared_redis().url(), "svc:" + unique("orc") + ":", inv::role::orchestrator,
                fast()};
  inv::node svc{shared_redis().url(), "svc:calc:" + unique("one"), inv::role::service, fast()};
  std::atomic<int> unregistered{0};

  void SetUp() override {
    orc.on_unregistering([this](const inv::instance&, bool expired) {
      EXPECT_TRUE(expired);
      ++unregistered;
    });
    orc.start();
    bind_calc(svc);
    svc.start();
  }
};

TEST_F(inventa_nodes, a_service_registers_and_is_called_by_id_and_by_type) {
  svc.register_with(orc.self().full_id);
  EXPECT_TRUE(svc.registered());
  ASSERT_TRUE(eventually([&] { return !orc.instances("calc").empty(); }));
  EXPECT_EQ(orc.instances("calc")[0], svc.self());
  EXPECT_EQ(orc.call(svc.self().full_id, calc::sum, 2, 3), 5);
  EXPECT_EQ(orc.call(calc::sum, 40, 2), 42);  // by type: an admitted "calc" instance
  EXPECT_EQ(orc.call(calc::divmod, 17, 5), (std::tuple<std::int64_t, std::int64_t>{3, 2}));
  EXPECT_EQ(orc.call_raw(svc.self().full_id, "sum", {"2", "3"}), std::vector<std::string>{"5"});
  orc.call(calc::nothing);
  EXPECT_EQ(orc.async_call(calc::sum, 1, 2).get(), 3);
  EXPECT_EQ(orc.async_call(svc.self().full_id, calc::sum, 2, 2).get(), 4);
  EXPECT_FALSE(svc.bus().command({"GET", svc.self().full_id}).is_nil());  // heartbeating
}

TEST_F(inventa_nodes, a_method_may_be_named_explicitly) {
  svc.bind("add-them", calc::sum, [](std::int64_t a, std::int64_t b) { return a + b + 1000; });
  EXPECT_EQ(orc.call(svc.self().full_id, "add-them", calc::sum, 1, 2), 1003);
  EXPECT_EQ(orc.try_call(svc.self().full_id, "add-them", calc::sum, 2, 2).value(), 1004);
  EXPECT_EQ(orc.call(svc.self().full_id, calc::sum, 1, 2), 3);  // "sum" is still there
  EXPECT_EQ(inv::method_of(calc::divmod), "divmod");
}

TEST_F(inventa_nodes, errors_are_told_by_code) {
  const std::string to = svc.self().full_id;
  auto thrown = orc.try_call(to, calc::divmod, 1, 0);
  ASSERT_FALSE(thrown);
  EXPECT_EQ(thrown.error().error(), redwire::errc::remote_exception);
  EXPECT_EQ(thrown.error().message(), "division by zero");
  EXPECT_EQ(thrown.error().instance(), to);
  auto unknown = orc.try_call_raw(to, "nope", {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message(), "unknown command type: nope");
  auto bad = orc.try_call_raw(to, "sum", {"1", "x"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "argument 2: not an integer: 'x'");
  auto nobody = orc.with({.timeout = 100ms}).try_call("svc:calc:nobody", calc::sum, 1, 2);
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().error(), redwire::errc::timeout);
  auto no_type = orc.try_call(calc::sum, 1, 2);  // nothing registered yet
  ASSERT_FALSE(no_type);
  EXPECT_EQ(no_type.error().error(), redwire::errc::unavailable);
  auto not_a_number = orc.try_call(to, calc::sum, 1, 2);
  ASSERT_TRUE(not_a_number);
  // A result that does not read as the declared type is bad_message.
  auto wrong = orc.try_call(to, redwire::procedure<"calc.echo", std::int64_t(std::string)>{}, "x");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().error(), redwire::errc::bad_message);
  EXPECT_THROW(orc.call(to, calc::fail, "boom"), redwire::rpc_error);
  EXPECT_GE(svc.stats().handler_errors, 3u);
  EXPECT_GE(svc.stats().unknown_methods, 1u);
}

TEST_F(inventa_nodes, awkward_items_travel_intact) {
  const std::string to = svc.self().full_id;
  for (std::string s : {std::string("a|b!c"), std::string("100%"), std::string(""),
                        std::string("!|!|"), std::string("\0\xff", 2), std::string("%exc|")})
    EXPECT_EQ(orc.call(to, calc::echo, s), s);
  std::vector<std::string> list{"x", "y|z", "!"};
  EXPECT_EQ(orc.call(to, calc::echo_all, list), list);
  // The empty list arrives as one empty item (the protocol cannot tell them apart).
  EXPECT_EQ(orc.call(to, calc::echo_all, std::vector<std::string>{}), std::vector<std::string>{""});
  std::vector<std::byte> mib(1 << 20);
  for (std::size_t i = 0; i < mib.size(); ++i) mib[i] = std::byte(i * 7);
  EXPECT_EQ(orc.call(to, calc::size, mib), mib.size());
  std::string big(1 << 20, '|');
  EXPECT_EQ(orc.call(to, calc::echo, big), big);
  // What Inventa would deliver changed is refused before it is sent.
  auto lossy = orc.try_call(to, calc::echo, "%pipe%");
  ASSERT_FALSE(lossy);
  EXPECT_EQ(lossy.error().error(), redwire::errc::bad_message);
}

TEST_F(inventa_nodes, hostile_frames_are_dropped_and_counted_and_the_node_serves_on) {
  const std::string ch = svc.self().channel();
  for (const char* junk : {"hello world", "req|x", "req|manual-5|bad-sender|sum|1!2", "resp|x", "",
                           "req|||||", "resp|late|svc:a:b|1"})
    svc.bus().command({"PUBLISH", ch, junk});
  ASSERT_TRUE(eventually([&] { return svc.stats().malformed >= 6; }));
  EXPECT_TRUE(eventually([&] { return svc.stats().late_responses >= 1; }));
  EXPECT_EQ(orc.call(svc.self().full_id, calc::sum, 1, 1), 2);
}

TEST_F(inventa_nodes, a_rejected_service_is_told_why) {
  inv::node picky{shared_redis().url(), "svc:" + unique("picky") + ":", inv::role::orchestrator,
                  fast()};
  picky.on_registering([](const inv::instance& i) -> redwire::admission {
    return i.type == "linalg" ? redwire::admission::accept()
                              : redwire::admission::reject("unknown service type to register");
  });
  picky.start();
  try {
    svc.register_with(picky.self().full_id, {.tries = 2, .timeout = 2s});
    FAIL() << "admitted";
  } catch (const redwire::rpc_error& e) {
    EXPECT_EQ(e.error(), redwire::errc::remote_exception);
    EXPECT_EQ(e.message(), "unknown service type to register");
  }
  EXPECT_FALSE(svc.registered());
  EXPECT_TRUE(picky.instances().empty());
}

TEST_F(inventa_nodes, a_stopped_service_is_unregistered_within_the_liveness_period) {
  inv::node gone{shared_redis().url(), "svc:calc:" + unique("gone"), inv::role::service, fast()};
  gone.start();
  gone.register_with(orc.self().full_id);
  ASSERT_EQ(orc.instances("calc").size(), 1u);
  gone.stop();
  ASSERT_TRUE(eventually([&] { return unregistered.load() == 1; }));
  EXPECT_TRUE(orc.instances("calc").empty());
}

TEST_F(inventa_nodes, a_slow_handler_never_lets_its_service_expire) {
  svc.register_with(orc.self().full_id);
  // Longer than the TTL (2 s here): heartbeats run on a thread of their own.
  EXPECT_EQ(orc.with({.timeout = 10s}).call(svc.self().full_id, calc::sleep_ms, 3000), 3000);
  EXPECT_EQ(unregistered.load(), 0);
  EXPECT_EQ(orc.instances("calc").size(), 1u);
}

TEST_F(inventa_nodes, an_orchestrator_discovers_running_services_at_start) {
  svc.register_with(orc.self().full_id);
  inv::node second{shared_redis().url(), "svc:" + unique("orc") + ":", inv::role::orchestrator,
                   fast()};
  second.start();
  auto found = second.instances("calc");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0], svc.self());
  EXPECT_EQ(second.call(calc::sum, 1, 2), 3);
}

TEST_F(inventa_nodes, the_service_answers_orchestrator_alive) {
  svc.register_with(orc.self().full_id);
  EXPECT_EQ(orc.call_raw(svc.self().full_id, "orchestrator-alive", {orc.self().full_id}),
            std::vector<std::string>{"ok"});
  EXPECT_EQ(orc.call_raw(svc.self().full_id, "orchestrator-alive", {"svc:other:"}),
            std::vector<std::string>{"ignored-unknown-source"});
  EXPECT_EQ(svc.call_raw(orc.self().full_id, "orchestrator-alive", {orc.self().full_id}),
            std::vector<std::string>{"ignored-not-service"});
  EXPECT_EQ(svc.call_raw(orc.self().full_id, "register", {orc.self().full_id}),
            std::vector<std::string>{"ignored-self"});
  EXPECT_TRUE(svc.orchestrator_alive());
}

TEST_F(inventa_nodes, eight_threads_share_one_node_without_a_lost_or_crossed_reply) {
  const std::string to = svc.self().full_id;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i)
        if (orc.call(to, calc::sum, t * 100000, i) != t * 100000 + i) ++wrong;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(orc.stats().late_responses, 0u);
}

TEST_F(inventa_nodes, many_async_calls_in_flight) {
  const std::string to = svc.self().full_id;
  std::vector<std::future<std::int64_t>> fs;
  for (int i = 0; i < 2000; ++i) fs.push_back(orc.async_call(to, calc::sum, i, 1));
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(fs[i].get(), i + 1);
}

TEST_F(inventa_nodes, handlers_call_other_nodes_and_their_own) {
  // svc's handler calls orc's sum, and its own: nested calls from handlers.
  bind_calc(orc);
  EXPECT_EQ(orc.call(svc.self().full_id, calc::twice, orc.self().full_id, 5), 20);
  EXPECT_EQ(orc.call(svc.self().full_id, calc::twice, svc.self().full_id, 6), 24);
}

TEST(inventa_node, bad_full_ids_and_unstarted_nodes_are_refused) {
  EXPECT_THROW((inv::node{shared_redis().url(), "calc:one", inv::role::service}),
               std::invalid_argument);
  EXPECT_THROW((inv::node{shared_redis().url(), "svc:a:b:c", inv::role::service}),
               std::invalid_argument);
  inv::node idle{shared_redis().url(), "svc:calc:" + unique("idle"), inv::role::service};
  auto r = idle.try_call("svc:calc:x", calc::sum, 1, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), redwire::errc::unavailable);
  EXPECT_THROW(idle.register_with("svc:orc:"), std::logic_error);
  idle.start();
  EXPECT_THROW(idle.start(), std::logic_error);
  idle.stop();
  idle.start();  // a stopped node starts again
  idle.bind_raw("echo", [](std::vector<std::string> v) { return v; });
  EXPECT_EQ(idle.call_raw(idle.self().full_id, "echo", {"a", "b"}),
            (std::vector<std::string>{"a", "b"}));
}

}  // namespace

namespace {

inline constexpr redwire::procedure<"calc.whoami", std::string()> whoami{};

struct inventa_selection : ::testing::Test {
  std::vector<std::unique_ptr<inv::node>> services;
  std::unique_ptr<inv::node> orc;

  void start(redwire::selection policy) {
    auto o = fast();
    o.policy = policy;
    orc = std::make_unique<inv::node>(shared_redis().url(), "svc:" + unique("orc") + ":",
                                      inv::role::orchestrator, o);
    orc->start();
    for (int i = 0; i < 2; ++i) {
      auto& s = services.emplace_back(std::make_unique<inv::node>(
          shared_redis().url(), "svc:calc:" + unique("sel"), inv::role::service, fast()));
      inv::node* self = s.get();
      s->bind(whoami, [self] { return self->self().full_id; });
      bind_calc(*s);
      s->start();
      s->register_with(orc->self().full_id);
    }
  }
  std::map<std::string, int> tally(int calls, const inv::call_options& o = {}) {
    std::map<std::string, int> seen;
    for (int i = 0; i < calls; ++i) ++seen[orc->with(o).call(whoami)];
    return seen;
  }
};

TEST_F(inventa_selection, round_robin_takes_each_instance_in_turn) {
  start(redwire::selection::round_robin);
  auto seen = tally(10);
  ASSERT_EQ(seen.size(), 2u);
  for (auto& [id, n] : seen) EXPECT_EQ(n, 5) << id;
}

TEST_F(inventa_selection, random_reaches_every_instance) {
  start(redwire::selection::random);
  EXPECT_EQ(tally(64).size(), 2u);
}

TEST_F(inventa_selection, the_same_key_goes_to_the_same_instance) {
  start(redwire::selection::round_robin);
  EXPECT_EQ(tally(10, {.key = "user-42"}).size(), 1u);
}

TEST_F(inventa_selection, least_outstanding_avoids_the_busy_instance) {
  start(redwire::selection::least_outstanding);
  auto busy = orc->async_call(calc::sleep_ms, 1500);  // one instance has a call in flight
  std::this_thread::sleep_for(100ms);
  auto seen = tally(6);
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_EQ(busy.get(), 1500);
}

TEST(inventa_node, a_response_that_does_not_parse_is_bad_message) {
  inv::node caller{shared_redis().url(), "svc:calc:" + unique("caller"), inv::role::service};
  caller.start();
  const std::string peer = "svc:peer:" + unique("p");
  inventa_test::raw_subscriber inbox(shared_redis().url(), "ch:" + peer);
  inventa_test::raw_commands raw(shared_redis().url());
  auto call =
      std::async(std::launch::async, [&] { return caller.try_call(peer, calc::sum, 1, 2); });
  auto req = inbox.next();
  ASSERT_TRUE(req);
  const std::string id = req->substr(4, req->find('|', 4) - 4);
  raw.run({"PUBLISH", "ch:" + caller.self().full_id, "resp|" + id + "|bad-sender|3"});
  auto r = call.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), redwire::errc::bad_message);
}

}  // namespace
