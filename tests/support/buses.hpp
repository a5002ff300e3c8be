// tests/support/buses.hpp — the transports the call, event and registry suites run on.
//
// A test asks its bus for services, clients, registries and orchestrators, so that one test
// body runs on every transport:
//   "memory"        redwire::memory::transport
//   "redis"         redwire::redis::transport on the test program's private redis-server
//                   (shared_redis(), flushed for each test)
//   "redis_shared"  the same, with clients that wait for every reply in their shared reply
//                   subscription (client_options::inboxes = 0, the path async calls always take)
//   "redis_tls"     "redis" over TLS (rediss://, on shared_tls_redis(): certificates made at
//                   test time)
//   "redis_cluster" redwire::redis::transport on redis-cluster:// (shared_redis_cluster(): three
//                   masters and three replicas, every master flushed for each test)
// Redis needs REDWIRE_TEST_REDIS=1 (tests/CMakeLists.txt sets it where Redis is built).
#pragma once

#include <redwire/memory.hpp>
#include <redwire/orchestrator.hpp>
#include <redwire/redwire.hpp>
#include <redwire/registry.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if REDWIRE_TEST_REDIS
#include <redwire/redis.hpp>

#include "support/redis_cluster.hpp"
#include "support/redis_server.hpp"
#include "support/tls_redis.hpp"
#endif

namespace redwire::test {

class bus {
 public:
  virtual ~bus() = default;
  virtual std::unique_ptr<redwire::service> make_service(std::string name,
                                                         redwire::service_options o = {}) = 0;
  virtual std::unique_ptr<redwire::client> make_client(redwire::client_options o = {}) = 0;
  virtual std::unique_ptr<redwire::registry> make_registry(redwire::registry_options o = {}) = 0;
  virtual std::unique_ptr<redwire::orchestrator> make_orchestrator(
      redwire::orchestrator_options o = {}) = 0;
  /// The transport as the core sees it (raw publishes, stream readers of the test's own).
  virtual redwire::detail::any_transport& raw() = 0;
  /// Makes the transport unreachable (true) or reachable again (false), if it can.
  virtual bool set_down(bool) { return false; }
  /// Request queues that still hold messages.
  virtual std::vector<std::string> leftovers() = 0;
  /// Makes the broker forget a consumer group, as a Redis restarted empty would.
  virtual void destroy_group(const std::string& stream_key, const std::string& group) = 0;
  /// Entries pending in a consumer group.
  virtual std::size_t pending(const std::string& stream_key, const std::string& group) = 0;
  /// A registration with no heartbeat behind it: an instance that died at once.
  virtual void register_dead(const redwire::instance_info& i, std::chrono::milliseconds ttl) = 0;
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
  std::unique_ptr<redwire::registry> make_registry(redwire::registry_options o) override {
    return std::make_unique<redwire::registry>(transport_, std::move(o));
  }
  std::unique_ptr<redwire::orchestrator> make_orchestrator(
      redwire::orchestrator_options o) override {
    return std::make_unique<redwire::orchestrator>(transport_, std::move(o));
  }
  redwire::detail::any_transport& raw() override { return raw_; }
  void register_dead(const redwire::instance_info& i, std::chrono::milliseconds ttl) override {
    redwire::detail::write_registration(raw_, raw_.prefix(), i, ttl);
    redwire::detail::publish_membership(raw_, raw_.prefix(), redwire::membership::joined, i);
  }
  T& transport() { return transport_; }

 protected:
  T transport_;
  redwire::detail::transport_adapter<T> raw_;
};

class memory_bus final : public bus_on<redwire::memory::transport> {
 public:
  bool set_down(bool down) override {
    transport_.set_down(down);
    return true;
  }
  std::vector<std::string> leftovers() override { return transport_.nonempty_queues(); }
  void destroy_group(const std::string& key, const std::string& group) override {
    transport_.destroy_stream_group(key, group);
  }
  std::size_t pending(const std::string& key, const std::string& group) override {
    return transport_.stream_pending(key, group);
  }
};

#if REDWIRE_TEST_REDIS
class redis_bus final : public bus_on<redwire::redis::transport> {
 public:
  /// `inboxes` false: clients wait for every reply in their shared reply subscription.
  explicit redis_bus(bool inboxes = true, const std::string& url = shared_redis().url())
      : bus_on(url), inboxes_(inboxes) {
    transport_.command({"FLUSHALL"});
  }
  /// On a cluster: every master is flushed, and searched for leftovers, node by node (a
  /// command() goes to the master of its key's slot, or to one master when it has no key).
  explicit redis_bus(redis_cluster& cluster)
      : bus_on(flushed(cluster)), inboxes_(true), cluster_(&cluster) {}
  std::unique_ptr<redwire::client> make_client(redwire::client_options o) override {
    if (!inboxes_) o.inboxes = 0;
    return bus_on::make_client(std::move(o));
  }
  std::vector<std::string> leftovers() override {
    std::vector<std::string> keys;
    for (const std::string& key : all_keys())
      // queues only: the registry keeps its tombstones a while
      if (transport_.command({"TYPE", key}).str == "list") keys.push_back(key);
    return keys;
  }
  void destroy_group(const std::string& key, const std::string& group) override {
    transport_.command({"XGROUP", "DESTROY", key, group});  // on a cluster: follows MOVED
  }
  std::size_t pending(const std::string& key, const std::string& group) override {
    auto r = transport_.command({"XPENDING", key, group});
    return r.elements.empty() ? 0 : static_cast<std::size_t>(r.elements[0].integer);
  }

 private:
  // FLUSHALL on every node (replicas refuse it and follow their master); returns the URL.
  static std::string flushed(redis_cluster& cluster) {
    for (int port : cluster.ports()) cluster.node(port).send_inline("FLUSHALL");
    return cluster.url();
  }
  // The keys named rw:*, of every master on a cluster.
  std::vector<std::string> all_keys() {
    std::vector<std::string> keys;
    if (!cluster_) {
      for (auto& e : transport_.command({"KEYS", "rw:*"}).elements) keys.push_back(e.str);
      return keys;
    }
    for (int port : cluster_->master_ports())
      for (std::string& key : redis_cluster::cli(port, "KEYS 'rw:*'"))
        if (!key.empty()) keys.push_back(std::move(key));
    return keys;
  }

  bool inboxes_;
  redis_cluster* cluster_ = nullptr;
};

/// The Redis Cluster of a test program (the "redis_cluster" bus): started at first use, stopped
/// at exit; throws if it cannot start (a test that needs it fails, it is never skipped).
inline redis_cluster& shared_redis_cluster() {
  return redis_cluster::shared();
}
#endif

/// "memory", "redis", "redis_shared", "redis_tls" or "redis_cluster" (see the top of this file).
inline std::unique_ptr<bus> make_bus(const std::string& kind) {
  if (kind == "memory") return std::make_unique<memory_bus>();
#if REDWIRE_TEST_REDIS
  if (kind == "redis") return std::make_unique<redis_bus>();
  if (kind == "redis_shared") return std::make_unique<redis_bus>(false);
  if (kind == "redis_tls") return std::make_unique<redis_bus>(true, shared_tls_redis().tls_url());
  if (kind == "redis_cluster") return std::make_unique<redis_bus>(shared_redis_cluster());
#endif
  throw std::invalid_argument("make_bus: no transport named " + kind);
}

/// Every transport, and every way a client waits for replies (the call suite's list).
inline std::vector<std::string> bus_kinds() {
#if REDWIRE_TEST_REDIS
  return {"memory", "redis", "redis_shared", "redis_tls", "redis_cluster"};
#else
  return {"memory"};
#endif
}

/// Every transport once.
inline std::vector<std::string> transport_kinds() {
#if REDWIRE_TEST_REDIS
  return {"memory", "redis"};
#else
  return {"memory"};
#endif
}

/// Every transport once, and Redis Cluster (the event and registry suites' list).
inline std::vector<std::string> transport_and_cluster_kinds() {
  std::vector<std::string> kinds = transport_kinds();
#if REDWIRE_TEST_REDIS
  kinds.push_back("redis_cluster");
#endif
  return kinds;
}

/// Calls `f` with the bus's transport as its own type (redwire::memory::transport&, or
/// redwire::redis::transport&): for what only the transport itself offers.
template <class F>
decltype(auto) with_transport(bus& b, F&& f) {
#if REDWIRE_TEST_REDIS
  if (auto* r = dynamic_cast<redis_bus*>(&b)) return f(r->transport());
#endif
  return f(dynamic_cast<memory_bus&>(b).transport());
}

/// For INSTANTIATE_TEST_SUITE_P: the bus kind is the test's name suffix.
struct bus_name {
  template <class Info>
  std::string operator()(const Info& info) const {
    return info.param;
  }
};

}  // namespace redwire::test
