// The transports the event suite runs on: each test body runs on memory and on Redis.
#pragma once

#include <redwire/memory.hpp>
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "support/redis_server.hpp"

namespace events_test {

using namespace std::chrono_literals;

class bus {
 public:
  virtual ~bus() = default;
  virtual std::unique_ptr<redwire::service> make_service(std::string name,
                                                         redwire::service_options o = {}) = 0;
  virtual std::unique_ptr<redwire::client> make_client(redwire::client_options o = {}) = 0;
  /// The transport as the core sees it (raw publish, stream readers of our own).
  virtual redwire::detail::any_transport& raw() = 0;
  /// Makes the broker forget a consumer group, as a Redis restarted empty would.
  virtual void destroy_group(const std::string& stream_key, const std::string& group) = 0;
  /// Entries pending in a group.
  virtual std::size_t pending(const std::string& stream_key, const std::string& group) = 0;
};

template <class T>
class bus_on : public bus {
 public:
  template <class... Args>
  explicit bus_on(Args&&... args) : transport_(std::forward<Args>(args)...), raw_(transport_) {}
  std::unique_ptr<redwire::service> make_service(std::string name,
                                                 redwire::service_options o) override {
    return std::make_unique<redwire::service>(transport_, std::move(name), std::move(o));
  }
  std::unique_ptr<redwire::client> make_client(redwire::client_options o) override {
    return std::make_unique<redwire::client>(transport_, std::move(o));
  }
  redwire::detail::any_transport& raw() override { return raw_; }
  T& transport() { return transport_; }

 protected:
  T transport_;
  redwire::detail::transport_adapter<T> raw_;
};

class memory_bus final : public bus_on<redwire::memory::transport> {
 public:
  void destroy_group(const std::string& key, const std::string& group) override {
    transport_.destroy_stream_group(key, group);
  }
  std::size_t pending(const std::string& key, const std::string& group) override {
    return transport_.stream_pending(key, group);
  }
};

/// One redis-server for the whole test program, started on first use.
inline redwire::test::redis_server& shared_redis() {
  static redwire::test::redis_server server;
  return server;
}

class redis_bus final : public bus_on<redwire::redis::transport> {
 public:
  redis_bus() : bus_on(shared_redis().url()) { transport_.command({"FLUSHALL"}); }
  void destroy_group(const std::string& key, const std::string& group) override {
    transport_.command({"XGROUP", "DESTROY", key, group});
  }
  std::size_t pending(const std::string& key, const std::string& group) override {
    auto r = transport_.command({"XPENDING", key, group});
    return r.elements.empty() ? 0 : static_cast<std::size_t>(r.elements[0].integer);
  }
};

inline std::unique_ptr<bus> make_bus(const std::string& kind) {
  if (kind == "redis") return std::make_unique<redis_bus>();
  return std::make_unique<memory_bus>();
}

/// Polls `done` until it holds or `limit` passes; returns its last value.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

}  // namespace events_test
