// The registry suite's fixture: one transport per test (memory or the private redis-server),
// the procedures its services serve, and what collects membership events.
#pragma once

#include <gtest/gtest.h>

#include <redwire/memory.hpp>
#include <redwire/orchestrator.hpp>
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>
#include <redwire/registry.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/buses.hpp"
#include "support/eventually.hpp"
#include "support/gate.hpp"

namespace registry_test {

using namespace std::chrono_literals;
using redwire::test::eventually;
using redwire::test::patience;

namespace calc {
inline constexpr redwire::procedure<"calc.add", int(int, int)> add{};
inline constexpr redwire::procedure<"calc.whoami", std::string()> whoami{};
inline constexpr redwire::procedure<"calc.sleep", int(int)> sleep_ms{};
inline constexpr redwire::procedure<"calc.nap", std::string(int)> nap{};  // sleeps, says who
// Waits for the gate given to bind_calc (support/gate.hpp), then says who.
inline constexpr redwire::procedure<"calc.hold", std::string()> hold{};
}  // namespace calc

/// Collects membership events from a watch.
struct event_log {
  std::mutex mutex;
  std::vector<redwire::membership_event> events;
  redwire::membership_handler handler() {
    return [this](const redwire::membership_event& e) {
      std::lock_guard lock(mutex);
      events.push_back(e);
    };
  }
  int count(redwire::membership change, const std::string& id) {
    std::lock_guard lock(mutex);
    int n = 0;
    for (auto& e : events) n += e.change == change && e.instance.id == id;
    return n;
  }
};

/// A test on each transport (support/buses.hpp): bus_ makes its services, clients, registries
/// and orchestrators.
class on_both : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { bus_ = redwire::test::make_bus(GetParam()); }
  void TearDown() override { bus_.reset(); }
  std::unique_ptr<redwire::test::bus> bus_;
};

/// Binds every calc procedure; calc.hold waits for `gate` (a service that has none fails it).
inline void bind_calc(redwire::service& svc, redwire::test::gate* gate = nullptr) {
  svc.bind(calc::add, [](int a, int b) { return a + b; });
  svc.bind(calc::whoami, [] { return std::string(redwire::current_call()->instance); });
  svc.bind(calc::sleep_ms, [](int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
  });
  svc.bind(calc::nap, [](int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return std::string(redwire::current_call()->instance);
  });
  svc.bind(calc::hold, [gate] {
    if (!gate || !gate->pass()) throw std::runtime_error("calc.hold: no gate, or never opened");
    return std::string(redwire::current_call()->instance);
  });
}

}  // namespace registry_test
