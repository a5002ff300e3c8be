// The registry suite's fixture: one transport per test (memory or a private redis-server),
// services and clients on it, and a few helpers to wait for things.
#pragma once

#include <gtest/gtest.h>

#include <redwire/memory.hpp>
#include <redwire/orchestrator.hpp>
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>
#include <redwire/registry.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/redis_server.hpp"

namespace registry_test {

using namespace std::chrono_literals;

namespace calc {
inline constexpr redwire::procedure<"calc.add", int(int, int)> add{};
inline constexpr redwire::procedure<"calc.whoami", std::string()> whoami{};
inline constexpr redwire::procedure<"calc.sleep", int(int)> sleep_ms{};
inline constexpr redwire::procedure<"calc.nap", std::string(int)> nap{};  // sleeps, says who
}  // namespace calc

inline redwire::test::redis_server& shared_redis() {
  static redwire::test::redis_server server;
  return server;
}

/// Polls `cond` until it holds or `limit` passes.
inline bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds limit = 3s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return cond();
}

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

/// Everything a test needs, on either transport. The registry parts are built on demand.
class world {
 public:
  virtual ~world() = default;
  virtual std::unique_ptr<redwire::service> service(std::string name,
                                                    redwire::service_options o = {}) = 0;
  virtual std::unique_ptr<redwire::client> client(redwire::client_options o = {}) = 0;
  virtual std::unique_ptr<redwire::registry> registry(redwire::registry_options o = {}) = 0;
  virtual std::unique_ptr<redwire::orchestrator> orchestrator(
      redwire::orchestrator_options o = {}) = 0;
  /// A registration with no heartbeat behind it: an instance that died at once.
  virtual void register_dead(const redwire::instance_info& i, std::chrono::milliseconds ttl) = 0;
};

template <class T>
class world_on : public world {
 public:
  template <class... A>
  explicit world_on(A&&... a) : bus_(std::forward<A>(a)...) {}
  std::unique_ptr<redwire::service> service(std::string name, redwire::service_options o) override {
    return std::make_unique<redwire::service>(bus_, std::move(name), std::move(o));
  }
  std::unique_ptr<redwire::client> client(redwire::client_options o) override {
    return std::make_unique<redwire::client>(bus_, std::move(o));
  }
  std::unique_ptr<redwire::registry> registry(redwire::registry_options o) override {
    return std::make_unique<redwire::registry>(bus_, std::move(o));
  }
  std::unique_ptr<redwire::orchestrator> orchestrator(redwire::orchestrator_options o) override {
    return std::make_unique<redwire::orchestrator>(bus_, std::move(o));
  }
  void register_dead(const redwire::instance_info& i, std::chrono::milliseconds ttl) override {
    redwire::detail::transport_adapter<T> a(bus_);
    redwire::detail::write_registration(a, a.prefix(), i, ttl);
    redwire::detail::publish_membership(a, a.prefix(), redwire::membership::joined, i);
  }
  T& bus() { return bus_; }

 protected:
  T bus_;
};

inline std::unique_ptr<world> make_world(const std::string& kind) {
  if (kind == "redis") {
    auto w = std::make_unique<world_on<redwire::redis::transport>>(shared_redis().url());
    w->bus().command({"FLUSHALL"});
    return w;
  }
  return std::make_unique<world_on<redwire::memory::transport>>();
}

class on_both : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { world_ = make_world(GetParam()); }
  void TearDown() override { world_.reset(); }
  std::unique_ptr<world> world_;
};

inline void bind_calc(redwire::service& svc) {
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
}

}  // namespace registry_test
