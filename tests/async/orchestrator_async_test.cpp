// orchestrator::async_call: a future, a callback and Asio tokens, each routed by the policy.
#include <gtest/gtest.h>

#include <redwire/asio.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <future>
#include <map>
#include <set>
#include <string>

#include "calls/test_api.hpp"
#include "support/buses.hpp"
#include "support/eventually.hpp"

using namespace std::chrono_literals;
using namespace test_api;
using redwire::errc;
namespace asio = boost::asio;

namespace {

class orchestrated_async : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    bus_ = redwire::test::make_bus(GetParam());
    for (int i = 0; i < 2; ++i) {
      auto svc = bus_->make_service("calc", {.instance_id = "calc-" + std::to_string(i)});
      svc->bind(calc::add, [](int a, int b) { return a + b; });
      svc->bind(calc::whoami, [] { return std::string(redwire::current_call()->instance); });
      svc->bind(calc::fail, [](std::string why) -> int { throw std::runtime_error(why); });
      svc->bind(calc::reset, [] {});
      svc->start();
      replicas_.push_back(std::move(svc));
    }
    orc_ = bus_->make_orchestrator({.policy = redwire::selection::round_robin});
    orc_->start();
  }
  void TearDown() override {
    orc_.reset();
    replicas_.clear();
  }

  std::unique_ptr<redwire::test::bus> bus_;
  std::vector<std::unique_ptr<redwire::service>> replicas_;
  std::unique_ptr<redwire::orchestrator> orc_;
};

TEST_P(orchestrated_async, a_future_per_call_routed_by_the_policy) {
  std::vector<std::future<std::string>> who;
  for (int i = 0; i < 10; ++i) who.push_back(orc_->async_call(calc::whoami));
  std::map<std::string, int> seen;
  for (auto& f : who) ++seen[f.get()];
  ASSERT_EQ(seen.size(), 2u);
  for (auto& [id, n] : seen) EXPECT_EQ(n, 5) << id;
  EXPECT_EQ(orc_->async_call(calc::add, 2, 3).get(), 5);
  EXPECT_NO_THROW(orc_->async_call(calc::reset).get());
  try {
    orc_->async_call(calc::fail, "no").get();
    ADD_FAILURE() << "expected an rpc_error";
  } catch (const redwire::rpc_error& e) {
    EXPECT_EQ(e.code(), errc::remote_exception);
    EXPECT_EQ(e.message(), "no");
  }
}

TEST_P(orchestrated_async, callbacks_and_tokens) {
  std::promise<redwire::result<int>> got;
  orc_->with({.key = "k"}).async_call(calc::add, 1, 2, [&](redwire::result<int> r) {
    got.set_value(r);
  });
  auto f = got.get_future();
  ASSERT_EQ(f.wait_for(redwire::test::patience), std::future_status::ready);
  EXPECT_EQ(*f.get(), 3);

  asio::io_context io;
  std::set<std::string> seen;
  std::exception_ptr failure;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 4; ++i)
          seen.insert(co_await orc_->async_call(calc::whoami, asio::use_awaitable));
        auto later = orc_->async_call(calc::add, 4, 4, asio::deferred);
        EXPECT_EQ(co_await std::move(later)(asio::use_awaitable), 8);
        try {
          co_await orc_->async_call(calc::fail, "x", asio::use_awaitable);
          ADD_FAILURE() << "expected an rpc_error";
        } catch (const redwire::rpc_error& e) {
          EXPECT_EQ(e.code(), errc::remote_exception);
        }
      },
      [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
  EXPECT_EQ(seen.size(), 2u);
}

TEST_P(orchestrated_async, no_instance_is_unavailable_at_once) {
  std::future<int> f = orc_->async_call(audit::add, 1, 2);
  ASSERT_EQ(f.wait_for(0s), std::future_status::ready);
  try {
    f.get();
    ADD_FAILURE() << "expected an rpc_error";
  } catch (const redwire::rpc_error& e) {
    EXPECT_EQ(e.code(), errc::unavailable);
  }
}

INSTANTIATE_TEST_SUITE_P(transports, orchestrated_async,
                         ::testing::ValuesIn(redwire::test::transport_and_cluster_kinds()),
                         redwire::test::bus_name{});

}  // namespace
