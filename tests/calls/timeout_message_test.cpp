// A call that times out says what the registry knows: that the service has no live instance
// (with the usual causes: another db, group or prefix), or that the instance a call was sent
// to is not alive. A call to a live service that is merely slow says only "no reply".
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>

#include "support/buses.hpp"

using namespace std::chrono_literals;
using namespace redwire::test;

namespace {

inline constexpr redwire::procedure<"pricing.quote", int(int)> quote{};

std::string no_instance_in(const std::string& group) {
  return "no reply within 200 ms: service 'pricing' has no live instance (check the Redis db, "
         "the group and the prefix: client group '" +
         group + "', prefix 'rw')";
}

/// The message of a failed result ("(no error)" if it did not fail), checking it is a timeout.
std::string timeout_of(const redwire::result<int>& r) {
  if (r) return "(no error)";
  EXPECT_EQ(r.error().error(), redwire::errc::timeout);
  return r.error().message();
}

/// The same for an async call's future.
std::string timeout_of(std::future<int> f) {
  try {
    f.get();
  } catch (const redwire::rpc_error& e) {
    EXPECT_EQ(e.error(), redwire::errc::timeout);
    return e.message();
  }
  return "(no error)";
}

/// The message of the first timeout of `call` (up to five tries) that says more than "no
/// reply": the registry's answer may take longer than the first timeout waits for it (50 ms on
/// a loaded machine), and then serves the next.
template <class Call>
std::string hinted(Call call) {
  std::string message;
  for (int i = 0; i < 5 && (message.empty() || message == "no reply within 200 ms"); ++i)
    message = call();
  return message;
}

class timeout_message : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { bus_ = make_bus(GetParam()); }
  std::unique_ptr<bus> bus_;
};

TEST_P(timeout_message, a_call_to_a_service_with_no_instance_says_so) {
  auto cli = bus_->make_client();
  EXPECT_EQ(hinted([&] { return timeout_of(cli->with({.timeout = 200ms}).try_call(quote, 1)); }),
            no_instance_in(""));
  EXPECT_EQ(hinted([&] { return timeout_of(cli->with({.timeout = 200ms}).async_call(quote, 1)); }),
            no_instance_in(""));
  // to an instance of it, too
  EXPECT_EQ(hinted([&] {
              return timeout_of(
                  cli->with({.timeout = 200ms, .instance = "pricing-zzz"}).try_call(quote, 1));
            }),
            no_instance_in(""));
}

TEST_P(timeout_message, a_client_of_another_group_is_told_its_group) {
  auto svc = bus_->make_service("pricing");  // in no group
  svc->bind(quote, [](int x) { return x; });
  svc->start();
  auto blue = bus_->make_client({.group = "blue"});
  EXPECT_EQ(hinted([&] { return timeout_of(blue->with({.timeout = 200ms}).try_call(quote, 1)); }),
            no_instance_in("blue"));
  EXPECT_EQ(hinted([&] { return timeout_of(blue->with({.timeout = 200ms}).async_call(quote, 1)); }),
            no_instance_in("blue"));
  auto cli = bus_->make_client();
  EXPECT_EQ(cli->call(quote, 7), 7);  // the service is there, in its own group
}

TEST_P(timeout_message, a_live_service_that_is_slow_gets_the_plain_message) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto svc = bus_->make_service("pricing");
  svc->bind(quote, [released](int x) {
    released.wait();
    return x;
  });
  svc->start();
  auto cli = bus_->make_client();
  EXPECT_EQ(timeout_of(cli->with({.timeout = 200ms}).try_call(quote, 1)), "no reply within 200 ms");
  EXPECT_EQ(timeout_of(cli->with({.timeout = 200ms}).async_call(quote, 2)),
            "no reply within 200 ms");
  // An instance that is not the live one is named.
  EXPECT_EQ(hinted([&] {
              return timeout_of(
                  cli->with({.timeout = 200ms, .instance = "pricing-zzz"}).try_call(quote, 3));
            }),
            "no reply within 200 ms: instance 'pricing-zzz' of service 'pricing' is not alive (the "
            "service has 1 live instance)");
  release.set_value();
  svc->stop();
}

INSTANTIATE_TEST_SUITE_P(transports, timeout_message, ::testing::ValuesIn(bus_kinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
