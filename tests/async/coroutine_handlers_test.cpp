// Coroutine handlers (README "Calls"): with service_options::executor, a handler may return
// boost::asio::awaitable<R>; while it awaits it holds no worker, max_in_flight bounds the calls
// in progress, calls made from it inherit the deadline and trace of the call it serves, and it
// is cancelled when its call is.
#include <gtest/gtest.h>

#include <redwire/asio.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

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

class coroutine_handlers : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    bus_ = redwire::test::make_bus(GetParam());
    io_thread_ = std::thread([this] { io_.run(); });
    audit_ = bus_->make_service("audit", {.workers = 2});
    audit_->bind(audit::add, [](int a, int b) { return a + b; });
    audit_->bind(audit::trace, [] { return seen_by_handler(); });
    cli_ = bus_->make_client({.default_timeout = 60s});
    nested_ = bus_->make_client({.default_timeout = 60s});
  }
  void TearDown() override {
    cli_.reset();
    nested_.reset();  // ends the nested calls still waiting: their coroutines end too
    calc_.reset();
    audit_.reset();
    work_.reset();
    io_thread_.join();
  }

  /// "calc" on 2 workers, its coroutine handlers on io_.
  redwire::service& make_calc(std::size_t max_in_flight) {
    calc_ = bus_->make_service(
        "calc", {.workers = 2, .executor = io_.get_executor(), .max_in_flight = max_in_flight});
    // Waits for a nested call to "audit", which the tests start when they choose.
    calc_->bind(calc::nested, [this](int a, int b) -> asio::awaitable<int> {
      enter();
      const int sum = co_await nested_->async_call(audit::add, a, b, asio::use_awaitable);
      leave();
      co_return sum;
    });
    return *calc_;
  }

  /// The trace id and deadline of the call being handled, as "trace/deadline".
  static std::string seen_by_handler() {
    const redwire::call_context* c = redwire::current_call();
    if (!c) return "no call";
    return std::string(c->trace_id) + "/" + std::to_string(c->deadline_ms);
  }

  void enter() {
    std::lock_guard lock(m_);
    most_in_progress_ = std::max(most_in_progress_, ++in_progress_);
  }
  void leave() {
    std::lock_guard lock(m_);
    --in_progress_;
  }
  int in_progress() {
    std::lock_guard lock(m_);
    return in_progress_;
  }
  int most_in_progress() {
    std::lock_guard lock(m_);
    return most_in_progress_;
  }

  /// Sends `n` calls of calc.nested (i, i); counts the right answers.
  void send_nested_calls(int n) {
    for (int i = 0; i < n; ++i)
      cli_->async_call(calc::nested, i, i, [this, i](redwire::result<int> r) {
        if (r && *r == 2 * i) ++right_;
        ++answered_;
      });
  }

  std::unique_ptr<redwire::test::bus> bus_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread io_thread_;
  std::unique_ptr<redwire::service> audit_, calc_;
  std::unique_ptr<redwire::client> cli_, nested_;
  std::mutex m_;
  int in_progress_ = 0, most_in_progress_ = 0;
  std::atomic<int> right_{0}, answered_{0};
};

TEST_P(coroutine_handlers, two_thousand_await_a_nested_call_on_two_workers) {
  make_calc(4096).start();
  send_nested_calls(2000);
  // "audit" is not started: every coroutine waits in its nested call, on two workers.
  EXPECT_TRUE(eventually([&] { return in_progress() == 2000; })) << in_progress();
  audit_->start();
  EXPECT_TRUE(eventually([&] { return answered_.load() == 2000; })) << answered_.load();
  EXPECT_EQ(right_.load(), 2000);
  EXPECT_EQ(in_progress(), 0);
  EXPECT_EQ(calc_->stats().calls, 2000u);
}

TEST_P(coroutine_handlers, max_in_flight_holds) {
  make_calc(40).start();
  send_nested_calls(300);
  EXPECT_TRUE(eventually([&] { return in_progress() == 40; })) << in_progress();
  audit_->start();
  EXPECT_TRUE(eventually([&] { return answered_.load() == 300; })) << answered_.load();
  EXPECT_EQ(right_.load(), 300);
  EXPECT_EQ(most_in_progress(), 40) << "more calls in progress than max_in_flight";
}

TEST_P(coroutine_handlers, nested_calls_inherit_the_deadline_and_the_trace) {
  make_calc(16).bind(calc::trace, [this]() -> asio::awaitable<std::string> {
    const std::string mine = seen_by_handler();
    const std::string first = co_await nested_->async_call(audit::trace, asio::use_awaitable);
    // Resumed on the executor: still inside the call, for the next nested call too.
    const std::string second = co_await nested_->async_call(audit::trace, asio::use_awaitable);
    co_return mine + "," + first + "," + second;
  });
  calc_->start();
  audit_->start();
  const std::string seen = cli_->with({.timeout = 7s}).call(calc::trace);
  const auto comma = seen.find(','), last = seen.rfind(',');
  ASSERT_NE(comma, last) << seen;
  const std::string mine = seen.substr(0, comma);
  EXPECT_NE(mine, "no call");
  EXPECT_EQ(seen.substr(comma + 1, last - comma - 1), mine) << "the first nested call";
  EXPECT_EQ(seen.substr(last + 1), mine) << "the nested call after a resumption";
}

TEST_P(coroutine_handlers, a_coroutine_handler_is_cancelled_with_its_call) {
  redwire::test::signal running, aborted;
  make_calc(16).bind(calc::hold, [&](int n) -> asio::awaitable<int> {
    asio::steady_timer timer(co_await asio::this_coro::executor, patience);
    running.release();
    try {
      co_await timer.async_wait(asio::use_awaitable);
    } catch (const boost::system::system_error& e) {
      if (e.code() == asio::error::operation_aborted) aborted.release();
      throw;
    }
    co_return n;
  });
  calc_->start();
  std::stop_source stop;
  std::promise<redwire::result<int>> outcome;
  cli_->with({.stop = stop.get_token()}).async_call(calc::hold, 3, [&](redwire::result<int> r) {
    outcome.set_value(r);
  });
  ASSERT_TRUE(running.wait_for(patience));
  stop.request_stop();
  redwire::result<int> r = outcome.get_future().get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), errc::cancelled);
  EXPECT_TRUE(aborted.wait_for(patience)) << "the coroutine went on awaiting";
}

INSTANTIATE_TEST_SUITE_P(transports, coroutine_handlers,
                         ::testing::ValuesIn(redwire::test::transport_and_cluster_kinds()),
                         redwire::test::bus_name{});

}  // namespace
