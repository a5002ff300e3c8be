// Completion tokens of async calls (README "Calls"): plain callbacks taking redwire::result<R>,
// and every kind of Asio token (redwire/asio.hpp), on every transport: values, each error kind,
// void results, handlers on their associated executor, completions outliving their client.
#include <gtest/gtest.h>

#include <redwire/asio.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
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
namespace asio = boost::asio;

namespace {

class async_tokens : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    bus_ = redwire::test::make_bus(GetParam());
    svc_ = bus_->make_service("calc", {.workers = 2});
    svc_->bind(calc::add, [](int a, int b) { return a + b; });
    svc_->bind(calc::reset, [this] { ++resets_; });
    svc_->bind(calc::fail, [](std::string why) -> int { throw std::runtime_error(why); });
    svc_->bind(calc::echo, [](std::string s) { return s; });
    svc_->bind(calc::hold, [this](int n) {
      if (!gate_.pass()) throw std::runtime_error("the test never opened the gate");
      return n;
    });
    svc_->start();
    cli_ = bus_->make_client({.default_timeout = 5s});
  }
  void TearDown() override {
    gate_.open();
    cli_.reset();
    svc_.reset();
  }

  /// Runs `body` as a coroutine on a fresh io_context until it ends; rethrows what it threw.
  template <class Body>
  void run_coroutine(Body body) {
    asio::io_context io;
    std::exception_ptr failure;
    asio::co_spawn(io, body(), [&](std::exception_ptr e) { failure = e; });
    io.run();
    if (failure) std::rethrow_exception(failure);
  }

  std::unique_ptr<redwire::test::bus> bus_;
  std::unique_ptr<redwire::service> svc_;
  std::unique_ptr<redwire::client> cli_;
  std::atomic<int> resets_{0};
  redwire::test::gate gate_;
};

/// The outcome a callback receives, waited for.
template <class R>
struct received {
  std::promise<redwire::result<R>> promise;
  std::future<redwire::result<R>> future = promise.get_future();
  auto callback() {
    return [this](redwire::result<R> r) { promise.set_value(std::move(r)); };
  }
  redwire::result<R> get() {
    EXPECT_EQ(future.wait_for(redwire::test::patience), std::future_status::ready);
    return future.get();
  }
};

TEST_P(async_tokens, a_callback_gets_the_value_or_the_error) {
  received<int> sum, failed;
  received<void> nothing;
  received<std::string> text;
  cli_->async_call(calc::add, 2, 3, sum.callback());
  cli_->async_call(calc::fail, "boom", failed.callback());
  cli_->async_call(calc::reset, nothing.callback());
  cli_->async_call(calc::echo, std::string(5000, 'e'), text.callback());
  EXPECT_EQ(*sum.get(), 5);
  redwire::result<int> f = failed.get();
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code(), errc::remote_exception);
  EXPECT_EQ(f.error().message(), "boom");
  EXPECT_EQ(f.error().procedure(), "calc.fail");
  EXPECT_EQ(f.error().instance(), svc_->instance_id());
  EXPECT_TRUE(nothing.get());
  EXPECT_EQ(resets_.load(), 1);
  EXPECT_EQ(*text.get(), std::string(5000, 'e'));
}

TEST_P(async_tokens, a_callback_gets_every_error_kind) {
  received<int> unknown, timed_out;
  received<long> mismatch;
  cli_->async_call(calc::not_served, 1, unknown.callback());
  cli_->async_call(stale::add, 1, 2, mismatch.callback());
  cli_->with({.timeout = 100ms}).async_call(audit::add, 1, 2, timed_out.callback());
  EXPECT_EQ(unknown.get().error().code(), errc::unknown_procedure);
  redwire::result<long> m = mismatch.get();
  EXPECT_EQ(m.error().code(), errc::signature_mismatch);
  EXPECT_NE(m.error().message().find("caller: calc.add(i32, i32) -> i64"), std::string::npos);
  EXPECT_EQ(timed_out.get().error().code(), errc::timeout);
  if (bus_->set_down(true)) {  // a push refused: the callback runs before async_call returns
    received<int> down;
    cli_->async_call(calc::add, 1, 2, down.callback());
    EXPECT_EQ(down.future.wait_for(0s), std::future_status::ready);
    EXPECT_EQ(down.get().error().code(), errc::unavailable);
    bus_->set_down(false);
  }
}

TEST_P(async_tokens, use_awaitable_returns_the_value_and_throws_the_rpc_error) {
  run_coroutine([&]() -> asio::awaitable<void> {
    int five = co_await cli_->async_call(calc::add, 2, 3, asio::use_awaitable);
    EXPECT_EQ(five, 5);
    co_await cli_->async_call(calc::reset, asio::use_awaitable);
    EXPECT_EQ(resets_.load(), 1);
    // Named rather than a temporary of the co_await expression: g++ 12 destroys such
    // temporaries twice (a compiler bug, fixed in 13).
    const redwire::client_view keyed = cli_->with({.key = "k"});
    std::string s = co_await keyed.async_call(calc::echo, "hi", asio::use_awaitable);
    EXPECT_EQ(s, "hi");
    try {
      co_await cli_->async_call(calc::fail, "deep", asio::use_awaitable);
      ADD_FAILURE() << "expected an rpc_error";
    } catch (const redwire::rpc_error& e) {
      EXPECT_EQ(e.code(), errc::remote_exception);
      EXPECT_EQ(e.message(), "deep");
      EXPECT_EQ(e.procedure(), "calc.fail");
      EXPECT_EQ(e.instance(), svc_->instance_id());
    }
    try {
      const redwire::client_view quick = cli_->with({.timeout = 50ms});
      co_await quick.async_call(audit::add, 1, 1, asio::use_awaitable);
      ADD_FAILURE() << "expected a timeout";
    } catch (const redwire::rpc_error& e) {
      EXPECT_EQ(e.code(), errc::timeout);
    }
  });
}

TEST_P(async_tokens, deferred_starts_when_invoked) {
  auto op = cli_->async_call(calc::hold, 7, asio::deferred);  // nothing sent yet
  gate_.open();
  EXPECT_FALSE(gate_.wait_inside(1, 50ms));
  EXPECT_EQ(gate_.passed(), 0);
  std::future<int> f = std::move(op)(asio::use_future);
  ASSERT_EQ(f.wait_for(redwire::test::patience), std::future_status::ready);
  EXPECT_EQ(f.get(), 7);
  EXPECT_EQ(gate_.passed(), 1);
  run_coroutine([&]() -> asio::awaitable<void> {
    auto later = cli_->async_call(calc::echo, std::string("owned"), asio::deferred);
    EXPECT_EQ(co_await std::move(later)(asio::use_awaitable), "owned");
  });
}

TEST_P(async_tokens, use_future_holds_the_value_or_the_rpc_error) {
  std::future<int> sum = cli_->async_call(calc::add, 20, 22, asio::use_future);
  std::future<int> failed = cli_->async_call(calc::fail, "nope", asio::use_future);
  std::future<void> nothing = cli_->async_call(calc::reset, asio::use_future);
  EXPECT_EQ(sum.get(), 42);
  try {
    failed.get();
    ADD_FAILURE() << "expected an rpc_error";
  } catch (const redwire::rpc_error& e) {
    EXPECT_EQ(e.code(), errc::remote_exception);
    EXPECT_EQ(e.message(), "nope");
  }
  EXPECT_NO_THROW(nothing.get());
}

TEST_P(async_tokens, a_handler_runs_on_its_associated_executor) {
  asio::io_context io;
  auto strand = asio::make_strand(io);
  std::atomic<int> on_strand{0}, done{0};
  for (int i = 0; i < 20; ++i)
    cli_->async_call(calc::add, i, 1,
                     asio::bind_executor(strand, [&, i](std::exception_ptr e, int r) {
                       EXPECT_FALSE(e);
                       EXPECT_EQ(r, i + 1);
                       if (strand.running_in_this_thread()) ++on_strand;
                       ++done;
                     }));
  io.run();  // returns once every call has completed: they count as work of the io_context
  EXPECT_EQ(done.load(), 20);
  EXPECT_EQ(on_strand.load(), 20);
  // A call that fails before it is sent: the handler is posted, never run inside async_call.
  if (bus_->set_down(true)) {
    io.restart();
    bool ran = false;
    cli_->async_call(calc::add, 1, 1, asio::bind_executor(io, [&](std::exception_ptr e, int) {
                       ran = true;
                       EXPECT_TRUE(e);
                     }));
    EXPECT_FALSE(ran);
    io.run();
    EXPECT_TRUE(ran);
    bus_->set_down(false);
  }
}

/// Counts the live objects of a handler: its copies, and what they were moved from.
struct handler_instances {
  explicit handler_instances(std::atomic<int>& live) : live_(&live) { ++*live_; }
  handler_instances(const handler_instances& o) : live_(o.live_) { ++*live_; }
  handler_instances(handler_instances&& o) noexcept : live_(o.live_) { ++*live_; }
  handler_instances& operator=(const handler_instances&) = delete;
  ~handler_instances() { --*live_; }

 private:
  std::atomic<int>* live_;
};

// The work a call holds keeps the handler's io_context running: once run() returns, the test
// may destroy the io_context and its strand, so no copy of the handler (each holds the strand)
// may be left to destroy on the thread that completed the call.
TEST_P(async_tokens, no_copy_of_a_handler_outlives_the_work_it_holds) {
  std::atomic<int> live{0};
  int done = 0;
  for (int round = 0; round < 50; ++round) {
    asio::io_context io;
    auto strand = asio::make_strand(io);
    cli_->async_call(calc::add, round, 1,
                     asio::bind_executor(strand, [copies = handler_instances(live), &done](
                                                     std::exception_ptr e, int r) {
                       if (!e && r > 0) ++done;
                     }));
    io.run();
    EXPECT_EQ(live.load(), 0) << "round " << round;
  }
  EXPECT_EQ(done, 50);
}

TEST_P(async_tokens, callbacks_and_handlers_outlive_their_client) {
  auto other = bus_->make_client({.default_timeout = 5s});
  received<int> held;
  asio::thread_pool pool(1);
  std::promise<errc> handled;
  other->async_call(calc::hold, 1, held.callback());
  other->async_call(calc::hold, 2, asio::bind_executor(pool, [&](std::exception_ptr e, int) {
                      try {
                        std::rethrow_exception(e);
                      } catch (const redwire::rpc_error& error) {
                        handled.set_value(error.error());
                      }
                    }));
  ASSERT_TRUE(gate_.wait_inside(1));
  other.reset();
  EXPECT_EQ(held.get().error().code(), errc::cancelled);
  auto code = handled.get_future();
  ASSERT_EQ(code.wait_for(redwire::test::patience), std::future_status::ready);
  EXPECT_EQ(code.get(), errc::cancelled);
  pool.join();
}

TEST_P(async_tokens, a_callback_may_start_the_next_call) {
  std::atomic<int> left{100};
  std::promise<void> finished;
  std::function<void(redwire::result<int>)> next = [&](redwire::result<int> r) {
    EXPECT_TRUE(r);
    if (--left == 0)
      finished.set_value();
    else
      cli_->async_call(calc::add, left.load(), 1, next);
  };
  cli_->async_call(calc::add, 0, 1, next);
  EXPECT_EQ(finished.get_future().wait_for(redwire::test::patience), std::future_status::ready);
}

INSTANTIATE_TEST_SUITE_P(transports, async_tokens,
                         ::testing::ValuesIn(redwire::test::transport_and_cluster_kinds()),
                         redwire::test::bus_name{});

}  // namespace
