// The transports the typed-call suite runs on. Each test asks its bus for services and clients,
// so one test body exercises every transport.
#pragma once

#include <redwire/memory.hpp>
#include <redwire/redwire.hpp>

#include <memory>
#include <string>

#if REDWIRE_TEST_REDIS
#include <redwire/redis.hpp>
#include "support/redis_server.hpp"
#include "support/tls_redis.hpp"
#endif

namespace test_api {

class bus {
 public:
  virtual ~bus() = default;
  virtual std::unique_ptr<redwire::service> make_service(std::string name,
                                                         redwire::service_options o = {}) = 0;
  virtual std::unique_ptr<redwire::client> make_client(redwire::client_options o = {}) = 0;
  /// Makes the transport unreachable (true) or reachable again (false), if it can.
  virtual bool set_down(bool) { return false; }
  /// Queues that still hold messages.
  virtual std::vector<std::string> leftovers() = 0;
};

template <class T>
class bus_on : public bus {
 public:
  template <class... Args>
  explicit bus_on(Args&&... args) : transport_(std::forward<Args>(args)...) {}
  std::unique_ptr<redwire::service> make_service(std::string name,
                                                 redwire::service_options o) override {
    return std::make_unique<redwire::service>(transport_, std::move(name), std::move(o));
  }
  std::unique_ptr<redwire::client> make_client(redwire::client_options o) override {
    return std::make_unique<redwire::client>(transport_, std::move(o));
  }
  T& transport() { return transport_; }

 protected:
  T transport_;
};

class memory_bus final : public bus_on<redwire::memory::transport> {
 public:
  bool set_down(bool down) override {
    transport_.set_down(down);
    return true;
  }
  std::vector<std::string> leftovers() override { return transport_.nonempty_queues(); }
};

#if REDWIRE_TEST_REDIS
/// One redis-server for the whole test program, started on first use.
inline redwire::test::redis_server& shared_redis() {
  static redwire::test::redis_server server;
  return server;
}

/// `inboxes` false: clients wait for every reply through their shared reply subscription
/// (client_options::inboxes = 0), the path async calls always take.
/// The same, over TLS (rediss://, certificates made at test time).
inline redwire::test::tls_redis& shared_tls_redis() {
  static redwire::test::tls_redis server;
  return server;
}

class redis_bus final : public bus_on<redwire::redis::transport> {
 public:
  explicit redis_bus(bool inboxes = true, std::string url = shared_redis().url())
      : bus_on(url), inboxes_(inboxes) {
    transport_.command({"FLUSHALL"});
  }
  std::unique_ptr<redwire::client> make_client(redwire::client_options o) override {
    if (!inboxes_) o.inboxes = 0;
    return bus_on::make_client(std::move(o));
  }
  std::vector<std::string> leftovers() override {
    std::vector<std::string> keys;
    auto r = transport_.command({"KEYS", "rw:*"});
    for (auto& e : r.elements)  // queues only: the registry keeps its tombstones a while
      if (transport_.command({"TYPE", e.str}).str == "list") keys.push_back(e.str);
    return keys;
  }

 private:
  bool inboxes_;
};
#endif

inline std::unique_ptr<bus> make_bus(const std::string& kind) {
#if REDWIRE_TEST_REDIS
  if (kind == "redis") return std::make_unique<redis_bus>();
  if (kind == "redis_shared") return std::make_unique<redis_bus>(false);
  if (kind == "redis_tls") return std::make_unique<redis_bus>(true, shared_tls_redis().tls_url());
#endif
  (void)kind;
  return std::make_unique<memory_bus>();
}

inline std::vector<std::string> bus_kinds() {
#if REDWIRE_TEST_REDIS
  return {"memory", "redis", "redis_shared", "redis_tls"};
#else
  return {"memory"};
#endif
}

}  // namespace test_api
