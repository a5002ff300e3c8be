// The client's call hooks (client_options::hooks) around the calls of issue 17: a call that ends
// in a callback or an Asio completion token runs on_call_end before its handler, with the trace
// it carried; a cancelled call ends with errc::cancelled; each attempt of a retried call is
// hooked, all attempts in one trace.
#include <gtest/gtest.h>

#include <redwire/asio.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "calls/test_api.hpp"
#include "support/buses.hpp"
#include "support/hook_log.hpp"

using namespace std::chrono_literals;
using namespace test_api;
using redwire::errc;
namespace asio = boost::asio;

namespace {

const std::string hooked_trace = "0af7651916cd43dd8448eb211c80319c";
const std::string hooked_parent = "00-" + hooked_trace + "-b7ad6b7169203331-01";

class hooked_async : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    bus_ = redwire::test::make_bus(GetParam());
    svc_ = bus_->make_service("calc", {.workers = 1});
    svc_->bind(calc::add, [](int a, int b) { return a + b; });
    cli_ = bus_->make_client({.default_timeout = 10s, .hooks = log_.hooks()});
  }
  void TearDown() override {
    cli_.reset();
    svc_.reset();
  }

  redwire::test::hook_log log_;
  std::unique_ptr<redwire::test::bus> bus_;
  std::unique_ptr<redwire::service> svc_;
  std::unique_ptr<redwire::client> cli_;
};

TEST_P(hooked_async, a_callback_and_asio_tokens_see_their_call_ended_in_the_hook) {
  svc_->start();
  const auto traced = cli_->with({.traceparent = hooked_parent});
  const std::string start = "start calc.add " + hooked_trace + " ok";
  const std::string end = "end calc.add " + hooked_trace + " ok";

  std::promise<std::vector<std::string>> seen_by_callback;
  traced.async_call(calc::add, 1, 2, [&](redwire::result<int> r) {
    EXPECT_EQ(r.value(), 3);
    seen_by_callback.set_value(log_.copy());  // on_call_end ran before this callback
  });
  EXPECT_EQ(seen_by_callback.get_future().get(), (std::vector<std::string>{start, end}));

  EXPECT_EQ(traced.async_call(calc::add, 2, 3, asio::use_future).get(), 5);
  EXPECT_EQ(log_.copy().size(), 4u);
  EXPECT_EQ(log_.copy().back(), end);

  asio::io_context io;
  std::vector<std::string> seen_by_coroutine;
  std::exception_ptr failure;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        const int sum = co_await traced.async_call(calc::add, 3, 4, asio::use_awaitable);
        EXPECT_EQ(sum, 7);
        seen_by_coroutine = log_.copy();
      },
      [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
  ASSERT_EQ(seen_by_coroutine.size(), 6u);
  EXPECT_EQ(seen_by_coroutine[4], start);
  EXPECT_EQ(seen_by_coroutine[5], end);
}

TEST_P(hooked_async, a_cancelled_call_ends_with_cancelled) {
  // The service is not started: every call waits in its queue until it is cancelled.
  std::stop_source stop;
  const auto view = cli_->with({.traceparent = hooked_parent, .stop = stop.get_token()});
  std::promise<std::vector<std::string>> seen_by_callback;
  view.async_call(calc::add, 1, 2, [&](redwire::result<int> r) {
    EXPECT_FALSE(r);
    seen_by_callback.set_value(log_.copy());
  });
  std::future<int> future = view.async_call(calc::add, 3, 4);
  EXPECT_EQ(log_.copy().size(), 2u) << "two calls started, none ended";
  stop.request_stop();
  EXPECT_THROW(future.get(), redwire::rpc_error);
  const std::string start = "start calc.add " + hooked_trace + " ok";
  const std::string cancelled = "end calc.add " + hooked_trace + " cancelled";
  // The callback runs after its own call's on_call_end (the other call may end first or not).
  const std::vector<std::string> seen = seen_by_callback.get_future().get();
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen[0], start);
  EXPECT_EQ(seen[1], start);
  EXPECT_EQ(seen[2], cancelled);
  EXPECT_EQ(log_.copy(), (std::vector<std::string>{start, start, cancelled, cancelled}));

  // A sync call made with a stop requested already: started and ended, cancelled.
  auto r = view.try_call(calc::add, 5, 6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), errc::cancelled);
  const std::vector<std::string> lines = log_.copy();
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[4], start);
  EXPECT_EQ(lines[5], cancelled);
  EXPECT_EQ(cli_->in_flight(), 0u);
}

INSTANTIATE_TEST_SUITE_P(transports, hooked_async,
                         ::testing::ValuesIn(redwire::test::transport_and_cluster_kinds()),
                         redwire::test::bus_name{});

// The memory transport can be taken down: every push fails, and may be retried.
TEST(hooked_retries_on_memory, each_attempt_is_hooked_and_all_are_one_trace) {
  auto bus = redwire::test::make_bus("memory");
  redwire::test::hook_log log;
  auto cli = bus->make_client({.default_timeout = 10s, .hooks = log.hooks()});
  ASSERT_TRUE(bus->set_down(true));
  auto r = cli->with({.retry = {.attempts = 3}}).try_call(calc::add, 1, 2);
  bus->set_down(false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.attempts(), 3);
  const std::vector<std::string> lines = log.copy();
  ASSERT_EQ(lines.size(), 6u);
  // "start calc.add <32 hex> ok": the trace id is the third word, 32 characters long.
  const std::string trace = lines[0].substr(std::string("start calc.add ").size(), 32);
  for (int attempt = 0; attempt < 3; ++attempt) {
    EXPECT_EQ(lines[2 * attempt], "start calc.add " + trace + " ok");
    EXPECT_EQ(lines[2 * attempt + 1], "end calc.add " + trace + " unavailable");
  }
}

}  // namespace
