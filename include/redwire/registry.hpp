// redwire/registry.hpp — who is out there: services, their instances, and who comes and goes.
//
//   redwire::registry reg{bus};
//   for (const auto& name : reg.services())
//     for (const redwire::instance_info& i : reg.instances(name)) std::cout << i.id << '\n';
//   auto w = reg.watch([](const redwire::membership_event& e) {
//     std::cout << e.instance.id << ' ' << redwire::to_string(e.change) << '\n';
//   });
//
// Instances register themselves (service_options::registration, on by default) and beat on a
// thread of their own. Lookups read an index (a set of services, a liveness set per service)
// and never scan the keyspace. An instance that stops beating drops out of instances() as soon
// as its TTL has passed, and each watcher hears exactly one `expired` for it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "capabilities/registry_store.hpp"
#include "detail/any_transport.hpp"
#include "detail/membership.hpp"
#include "detail/names.hpp"
#include "detail/thread_name.hpp"
#include "instance_info.hpp"
#include "log.hpp"
#include "transport.hpp"

namespace redwire {

struct registry_options {
  std::string group{};  ///< the group to look at (service_options::group); empty: no group
  /// How often a watcher looks for instances past their TTL (each watcher does, so expiry is
  /// noticed even when no replica of the dead instance is left).
  std::chrono::milliseconds reap_interval{500};
};

/// Called for each membership change, on the transport's delivery thread: keep it short.
using membership_handler = std::function<void(const membership_event&)>;

/// A running watch (see registry::watch). Destroying it stops it; it must not outlive the
/// registry it came from.
class membership_watch {
 public:
  membership_watch() = default;
  membership_watch(membership_watch&&) noexcept = default;
  membership_watch& operator=(membership_watch&&) noexcept = default;
  ~membership_watch() = default;

 private:
  friend class registry;
  struct state {
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    std::thread reaper;
    std::unique_ptr<detail::any_subscription> events;
    ~state() {
      {
        std::lock_guard lock(mutex);
        stopping = true;
      }
      wake.notify_all();
      if (reaper.joinable()) reaper.join();
      events.reset();
    }
  };
  std::unique_ptr<state> state_;
};

class registry {
 public:
  template <transport T>
  explicit registry(T& bus, registry_options options = {})
      : bus_(std::make_unique<detail::transport_adapter<T>>(bus)), options_(std::move(options)) {
    static_assert(registry_store<T>,
                  "====> redwire: a registry needs a transport that stores the registry "
                  "(models redwire::registry_store, as redis::transport and memory::transport do)");
    scope_ = detail::group_prefix(bus_->prefix(), options_.group);
  }
  registry(const registry&) = delete;  // watches point at it
  registry& operator=(const registry&) = delete;

  /// Names of the services that have at least one live instance.
  ///   reg.services()  ->  {"audit", "calc"}
  std::vector<std::string> services() const {
    return detail::read_services(*bus_, scope_, std::chrono::milliseconds(0));
  }

  /// The live instances of `service`, with their facts and procedures.
  ///   for (auto& i : reg.instances("calc")) std::cout << i.host << ':' << i.pid << '\n';
  std::vector<instance_info> instances(std::string_view service) const {
    return detail::read_instances(*bus_, scope_, service);
  }

  /// One live instance by id, or nothing.
  ///   if (auto i = reg.instance("calc-a1-4242-9f3e2a")) std::cout << i->service << '\n';
  std::optional<instance_info> instance(std::string_view id) const {
    for (const auto& service : services()) {
      for (const auto& member : detail::store_of(*bus_).live_members(
               detail::live_instances(scope_, service), std::chrono::milliseconds(0))) {
        if (member != id) continue;
        auto records =
            detail::store_of(*bus_).read_records({detail::instance_record(scope_, service, id)});
        if (!records.front().empty()) return detail::from_fields(records.front());
      }
    }
    return std::nullopt;
  }

  /// Removes every instance past its TTL, once: fails back what waits in its queue and
  /// announces `expired`. Watchers do this by themselves; returns how many this call removed.
  std::size_t reap() {
    std::size_t reaped = 0;
    for (const auto& service : detail::read_services(*bus_, scope_, keep_services_for))
      reaped += detail::reap_service(*bus_, scope_, service);
    detail::store_of(*bus_).reap_members(detail::service_index(scope_), keep_services_for);
    return reaped;
  }

  /// Calls `on_event` for every instance that joins, leaves or expires from now on, until the
  /// returned handle is destroyed. Also reaps expired instances every reap_interval.
  ///   auto w = reg.watch([](const redwire::membership_event& e) { ... });
  [[nodiscard]] membership_watch watch(membership_handler on_event) {
    membership_watch w;
    w.state_ = std::make_unique<membership_watch::state>();
    w.state_->events = bus_->subscribe(
        detail::membership_channel(scope_),
        [on_event = std::move(on_event)](std::string_view, std::string_view bytes) {
          membership_event e;
          try {
            e = detail::decode_event(bytes);
          } catch (const std::system_error& error) {
            log(log_level::warning, std::string("registry: dropped a membership event that "
                                                "does not decode: ") +
                                        error.what());
            return;
          }
          try {
            on_event(e);
          } catch (const std::exception& error) {
            log(log_level::warning,
                std::string("registry: a watch callback threw: ") + error.what());
          }
        },
        [] {
          log(log_level::info,
              "registry: membership events may have been missed (the "
              "connection was interrupted); read instances() again");
        });
    w.state_->reaper = detail::named_thread("rw-reaper", [this, s = w.state_.get()] {
      std::unique_lock lock(s->mutex);
      while (!s->stopping) {
        lock.unlock();
        try {
          reap();
        } catch (const transport_error& e) {
          log(log_level::warning, std::string("registry: cannot reap: ") + e.what());
        }
        lock.lock();
        s->wake.wait_for(lock, options_.reap_interval, [s] { return s->stopping; });
      }
    });
    return w;
  }

  const std::string& group() const noexcept { return options_.group; }

 private:
  // A service with no live instance is still reaped for this long (its last instance may have
  // died), then forgotten.
  static constexpr std::chrono::milliseconds keep_services_for = std::chrono::hours(1);

  std::unique_ptr<detail::any_transport> bus_;
  registry_options options_;
  std::string scope_;
};

}  // namespace redwire
