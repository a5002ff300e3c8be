// Retries (call_options::retry): a call is sent again only when its request provably did not
// run — its push failed, or the instance it targeted was dead (then through the service queue)
// — never after a timeout; the result says how many attempts it took.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "calls/test_api.hpp"
#include "support/buses.hpp"
#include "support/eventually.hpp"
#include "support/gate.hpp"

using namespace std::chrono_literals;
using namespace test_api;
using redwire::errc;
using redwire::test::eventually;

namespace {

class retries : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    bus_ = redwire::test::make_bus(GetParam());
    cli_ = bus_->make_client({.default_timeout = 10s});
  }

  std::unique_ptr<redwire::service> serve(std::string id) {
    auto svc = bus_->make_service("calc", {.instance_id = std::move(id), .workers = 1});
    svc->bind(calc::whoami, [] { return std::string(redwire::current_call()->instance); });
    svc->bind(calc::hold, [this](int n) {
      ++holds_;
      if (!gate_.pass()) throw std::runtime_error("the test never opened the gate");
      return n;
    });
    svc->bind(calc::add, [](int a, int b) { return a + b; });
    return svc;
  }

  std::unique_ptr<redwire::test::bus> bus_;
  std::unique_ptr<redwire::client> cli_;
  std::atomic<int> holds_{0};
  redwire::test::gate gate_;
};

TEST_P(retries, a_call_to_a_dead_instance_goes_again_through_the_service_queue_when_asked) {
  auto dead = serve("calc-dead");
  dead->start();
  dead->stop();  // known dead from now on: calls targeted at it are refused
  auto alive = serve("calc-alive");
  alive->start();

  auto once = cli_->with({.instance = "calc-dead"}).try_call(calc::whoami);
  ASSERT_FALSE(once);
  EXPECT_EQ(once.error().error(), errc::unavailable);
  EXPECT_EQ(once.error().instance(), "calc-dead");
  EXPECT_EQ(once.attempts(), 1);

  auto again =
      cli_->with({.instance = "calc-dead", .retry = {.attempts = 2}}).try_call(calc::whoami);
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ(*again, "calc-alive");
  EXPECT_EQ(again.attempts(), 2);
  // A call that succeeds at once says so.
  auto direct = cli_->with({.retry = {.attempts = 3}}).try_call(calc::add, 1, 2);
  ASSERT_TRUE(direct);
  EXPECT_EQ(direct.attempts(), 1);
}

TEST_P(retries, a_timeout_is_never_retried) {
  auto svc = serve("calc-one");
  redwire::test::open_at_exit open(gate_);
  svc->start();
  auto r = cli_->with({.timeout = 100ms, .retry = {.attempts = 3}}).try_call(calc::hold, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), errc::timeout);
  EXPECT_EQ(r.attempts(), 1);
  EXPECT_FALSE(r.error().never_ran());
  gate_.open();
  // One worker, in order: a second request of calc.hold would run before this call.
  EXPECT_EQ(cli_->call(calc::add, 2, 2), 4);
  EXPECT_EQ(holds_.load(), 1) << "the request that timed out was sent again";
}

TEST_P(retries, an_async_call_to_a_dead_instance_goes_again_when_asked) {
  auto dead = serve("calc-dead");
  dead->start();
  dead->stop();
  auto alive = serve("calc-alive");
  alive->start();
  const redwire::call_options twice{.instance = "calc-dead", .retry = {.attempts = 2}};

  EXPECT_EQ(cli_->with(twice).async_call(calc::whoami).get(), "calc-alive");  // a future
  std::promise<redwire::result<std::string>> got;
  cli_->with(twice).async_call(
      calc::whoami, [&](redwire::result<std::string> r) { got.set_value(std::move(r)); });
  auto r = got.get_future().get();
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(*r, "calc-alive");
  EXPECT_EQ(r.attempts(), 2);
}

TEST_P(retries, an_async_timeout_is_never_retried) {
  auto svc = serve("calc-one");
  redwire::test::open_at_exit open(gate_);
  svc->start();
  std::promise<redwire::result<int>> got;
  cli_->with({.timeout = 100ms, .retry = {.attempts = 3}})
      .async_call(calc::hold, 1, [&](redwire::result<int> r) { got.set_value(std::move(r)); });
  auto r = got.get_future().get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), errc::timeout);
  EXPECT_EQ(r.attempts(), 1);
  gate_.open();
  EXPECT_EQ(cli_->call(calc::add, 2, 2), 4);
  EXPECT_EQ(holds_.load(), 1) << "the request that timed out was sent again";
}

// The memory transport can be taken down; its pushes then fail.
TEST(retries_on_memory, a_push_that_fails_is_retried_and_counted) {
  auto bus = redwire::test::make_bus("memory");
  auto cli = bus->make_client({.default_timeout = 10s});
  ASSERT_TRUE(bus->set_down(true));
  auto r = cli->with({.retry = {.attempts = 3}}).try_call(calc::add, 1, 2);
  bus->set_down(false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), errc::unavailable);
  EXPECT_TRUE(r.error().never_ran());
  EXPECT_EQ(r.attempts(), 3);
}

// The backoff is waited on the client's timer, not on the caller's thread: the transport comes
// back while the call waits for its second attempt, which succeeds.
TEST(retries_on_memory, an_async_call_waits_its_backoff_on_the_timer_and_goes_again) {
  auto bus = redwire::test::make_bus("memory");
  auto svc = bus->make_service("calc");
  svc->bind(calc::add, [](int a, int b) { return a + b; });
  svc->start();
  auto cli = bus->make_client({.default_timeout = 10s});
  ASSERT_TRUE(bus->set_down(true));
  std::promise<redwire::result<int>> got;
  cli->with({.retry = {.attempts = 3, .backoff = 300ms}})
      .async_call(calc::add, 1, 2, [&](redwire::result<int> r) { got.set_value(std::move(r)); });
  bus->set_down(false);  // the first attempt failed; the second waits 300 ms
  auto r = got.get_future().get();
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(*r, 3);
  EXPECT_EQ(r.attempts(), 2);
}

// A client destroyed while a retry waits its backoff ends the call with the last failure, at
// once (not after the backoff), and sends nothing more.
TEST(retries_on_memory, a_client_destroyed_during_a_backoff_ends_the_call) {
  auto bus = redwire::test::make_bus("memory");
  auto cli = bus->make_client({.default_timeout = 10s});
  ASSERT_TRUE(bus->set_down(true));
  std::promise<redwire::result<int>> got;
  auto ended = got.get_future();
  cli->with({.retry = {.attempts = 3, .backoff = 1h}})
      .async_call(calc::add, 1, 2, [&](redwire::result<int> r) { got.set_value(std::move(r)); });
  EXPECT_EQ(ended.wait_for(0s), std::future_status::timeout);  // waiting its backoff
  cli.reset();
  ASSERT_EQ(ended.wait_for(0s), std::future_status::ready);
  auto r = ended.get();
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().never_ran());
  EXPECT_EQ(r.attempts(), 1);
  bus->set_down(false);
}

INSTANTIATE_TEST_SUITE_P(transports, retries,
                         ::testing::ValuesIn(redwire::test::transport_and_cluster_kinds()),
                         redwire::test::bus_name{});

}  // namespace
