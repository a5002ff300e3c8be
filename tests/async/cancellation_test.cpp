// Cancellation (README "Calls"): call_options::stop and Asio's per-operation cancellation end a
// call at once with errc::cancelled; a request still queued is taken out and never runs; a
// reply that still comes is dropped.
#include <gtest/gtest.h>

#include <redwire/asio.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <stop_token>
#include <string>
#include <thread>
#include <variant>

#include "calls/test_api.hpp"
#include "support/buses.hpp"
#include "support/eventually.hpp"
#include "support/gate.hpp"

using namespace std::chrono_literals;
using namespace test_api;
using redwire::errc;
using redwire::test::eventually;
using redwire::test::patience;
namespace asio = boost::asio;

namespace {

class cancellation : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    bus_ = redwire::test::make_bus(GetParam());
    // One worker: requests run in the order they were queued.
    svc_ = bus_->make_service("calc", {.workers = 1});
    svc_->bind(calc::add, [this](int a, int b) {
      ++adds_;
      return a + b;
    });
    svc_->bind(calc::hold, [this](int n) {
      if (!gate_.pass()) throw std::runtime_error("the test never opened the gate");
      return n;
    });
    // Waits for its call to be stopped (call_context::stop), and says whether it was.
    svc_->bind(calc::sleep_ms, [this](int n) {
      const redwire::call_context* call = redwire::current_call();
      if (!call || call->stop.stop_requested()) return -1;  // stopped before it ran: wrong
      std::stop_callback on_stop(call->stop, [this] { stops_seen_.release(); });
      running_.release();
      return stops_seen_.wait_for(patience) ? n : 0;
    });
    cli_ = bus_->make_client({.default_timeout = 10s});
  }
  void TearDown() override {
    gate_.open();
    cli_.reset();
    svc_.reset();
  }

  /// Starts the service and waits until it has taken everything queued before now: a call sent
  /// now runs after them (one worker, in order).
  void start_and_drain() {
    svc_->start();
    const int before = adds_.load();
    EXPECT_EQ(cli_->call(calc::add, 1, 1), 2);
    drained_adds_ = adds_.load() - before - 1;  // the queued ones that ran
  }

  template <class R>
  static errc code_of(std::future<R>& f) {
    if (f.wait_for(patience) != std::future_status::ready) return errc{};
    try {
      f.get();
    } catch (const redwire::rpc_error& e) {
      return e.error();
    }
    return errc{};
  }

  std::unique_ptr<redwire::test::bus> bus_;
  std::unique_ptr<redwire::service> svc_;
  std::unique_ptr<redwire::client> cli_;
  std::atomic<int> adds_{0};
  int drained_adds_ = -1;
  redwire::test::gate gate_;
  redwire::test::signal running_, stops_seen_;
};

TEST_P(cancellation, a_queued_call_is_cancelled_at_once_and_never_runs) {
  std::stop_source stop;
  const auto view = cli_->with({.stop = stop.get_token()});
  std::future<int> future = view.async_call(calc::add, 2, 3);
  std::promise<redwire::result<int>> called;
  view.async_call(calc::add, 4, 5, [&](redwire::result<int> r) { called.set_value(r); });
  EXPECT_EQ(future.wait_for(0s), std::future_status::timeout);
  stop.request_stop();  // the callbacks run here, on this thread
  EXPECT_EQ(future.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(code_of(future), errc::cancelled);
  auto r = called.get_future().get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), errc::cancelled);
  EXPECT_EQ(r.error().procedure(), "calc.add");
  EXPECT_EQ(cli_->in_flight(), 0u);
  start_and_drain();
  EXPECT_EQ(drained_adds_, 0) << "a cancelled request ran";
}

TEST_P(cancellation, a_stop_requested_before_the_call_sends_nothing) {
  std::stop_source stop;
  stop.request_stop();
  redwire::result<int> r = cli_->with({.stop = stop.get_token()}).try_call(calc::add, 1, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), errc::cancelled);
  start_and_drain();
  EXPECT_EQ(drained_adds_, 0);
}

TEST_P(cancellation, a_sync_call_returns_at_the_stop_and_its_late_reply_is_dropped) {
  svc_->start();
  std::stop_source stop;
  std::promise<redwire::result<int>> outcome;
  std::thread caller(
      [&] { outcome.set_value(cli_->with({.stop = stop.get_token()}).try_call(calc::hold, 7)); });
  ASSERT_TRUE(gate_.wait_inside(1));  // the handler runs it
  stop.request_stop();
  auto f = outcome.get_future();
  ASSERT_EQ(f.wait_for(patience), std::future_status::ready);
  caller.join();
  redwire::result<int> r = f.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), errc::cancelled);
  gate_.open();  // the handler ends; its reply finds no call and is dropped
  EXPECT_TRUE(eventually([&] { return gate_.passed() == 1; }));
  EXPECT_EQ(cli_->call(calc::hold, 8), 8);  // the late reply is not taken for this call
}

TEST_P(cancellation, a_running_handler_sees_the_stop) {
  svc_->start();
  std::stop_source stop;
  std::promise<redwire::result<int>> outcome;
  cli_->with({.stop = stop.get_token()}).async_call(calc::sleep_ms, 5, [&](redwire::result<int> r) {
    outcome.set_value(r);
  });
  ASSERT_TRUE(running_.wait_for(patience));  // the handler runs it
  EXPECT_EQ(stops_seen_.count(), 0);
  stop.request_stop();
  redwire::result<int> r = outcome.get_future().get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), errc::cancelled);
  EXPECT_TRUE(eventually([&] { return stops_seen_.count() == 1; })) << "the handler never saw it";
  // A call that nobody cancels is not stopped: it ends with the handler's own result.
  std::promise<redwire::result<int>> second;
  cli_->with({.stop = std::stop_source().get_token()})
      .async_call(calc::sleep_ms, 6, [&](redwire::result<int> r2) { second.set_value(r2); });
  ASSERT_TRUE(running_.wait_for(patience));
  EXPECT_EQ(stops_seen_.count(), 1);
  stops_seen_.release();  // what a stop would do, from the test: the handler returns 6
  EXPECT_EQ(second.get_future().get().value(), 6);
}

TEST_P(cancellation, call_or_timer_in_a_coroutine) {
  using namespace asio::experimental::awaitable_operators;
  asio::io_context io;
  std::exception_ptr failure;
  std::variant<int, std::monostate> first, second;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor, 50ms);
        // The service is not started: the timer wins, the call is cancelled and withdrawn.
        first = co_await (cli_->async_call(calc::add, 1, 2, asio::use_awaitable) ||
                          timer.async_wait(asio::use_awaitable));
        timer.expires_after(patience);
        svc_->start();
        second = co_await (cli_->async_call(calc::add, 3, 4, asio::use_awaitable) ||
                           timer.async_wait(asio::use_awaitable));
      },
      [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
  EXPECT_EQ(first.index(), 1u) << "the call won against a timer with no service";
  ASSERT_EQ(second.index(), 0u);
  EXPECT_EQ(std::get<0>(second), 7);
  EXPECT_EQ(adds_.load(), 1) << "the cancelled request ran";
  EXPECT_EQ(cli_->in_flight(), 0u);
}

INSTANTIATE_TEST_SUITE_P(transports, cancellation,
                         ::testing::ValuesIn(redwire::test::transport_and_cluster_kinds()),
                         redwire::test::bus_name{});

}  // namespace
