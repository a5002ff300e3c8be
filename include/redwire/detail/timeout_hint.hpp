// redwire/detail/timeout_hint.hpp — what a timeout can say beyond "no reply": that the registry
// knows no live instance of the service called (or not the instance a call was sent to).
//
//   no reply within 200 ms: service 'pricing' has no live instance (check the Redis db, the
//   group and the prefix: client group '', prefix 'rw')
//
// The registry is read only once a call has timed out, never on a call's way, through the
// transport's registry storage (none: nothing is added). The read runs on a thread of its own
// and is waited for `patience` (50 ms) at most, so that a timeout stays a timeout when the
// broker is slow or stalled (a read that has not answered by then serves the timeouts that
// follow); one read serves every timeout of a service for a second, so a burst of timeouts
// costs one round trip. A read that fails adds nothing. Instances of services that run with
// registration off are not in the registry: a call to such a service that times out may be
// told it has no live instance.
#pragma once

#include <chrono>
#include <exception>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "any_transport.hpp"
#include "async_calls.hpp"
#include "pending_calls.hpp"
#include "registry_keys.hpp"

namespace redwire::detail {

class timeout_hint {
 public:
  /// `scope`: the client's prefix and group, as the registry's keys are named under it.
  timeout_hint(any_transport& bus, std::string scope, std::string prefix, std::string group)
      : bus_(bus), scope_(std::move(scope)), prefix_(std::move(prefix)), group_(std::move(group)) {}

  /// The message of a call to `procedure` ("pricing.quote"), sent to `instance` (empty: any),
  /// that had no reply within `timeout`.
  std::string message(std::string_view procedure, std::string_view instance,
                      std::chrono::milliseconds timeout) {
    std::string text = "no reply within " + std::to_string(timeout.count()) + " ms";
    const std::string_view service = procedure.substr(0, procedure.find('.'));
    try {
      text += explain(service, instance);
    } catch (const std::exception&) {
      // The plain message, then: what the registry knows is a bonus.
    }
    return text;
  }

  /// Words the timeouts of `calls`' async calls (on its timer thread) with message().
  void word_timeouts_of(pending_calls& calls) {
    calls.word_timeouts([this](pending_call& c, std::chrono::milliseconds timeout) {
      const auto& call = static_cast<const async_call&>(c);
      return message(call.procedure, call.instance, timeout);
    });
  }

 private:
  using clock = std::chrono::steady_clock;
  using alive_ids = std::optional<std::vector<std::string>>;  // nothing: the read failed

  static constexpr std::chrono::seconds kept{1};  // how long one read of the registry serves
  static constexpr std::chrono::milliseconds patience{50};  // how long a timeout waits for one

  struct reading {
    clock::time_point at;
    std::shared_future<alive_ids> alive;  // ids of the service's live instances
  };

  // ": ..." when the registry knows that nothing can answer; "" otherwise.
  std::string explain(std::string_view service, std::string_view instance) {
    const alive_ids alive = read_alive(service);
    if (!alive) return {};
    const std::string where = " (check the Redis db, the group and the prefix: client group '" +
                              group_ + "', prefix '" + prefix_ + "')";
    if (alive->empty())
      return ": service '" + std::string(service) + "' has no live instance" + where;
    if (instance.empty()) return {};
    for (const std::string& id : *alive)
      if (id == instance) return {};
    return ": instance '" + std::string(instance) + "' of service '" + std::string(service) +
           "' is not alive (the service has " + std::to_string(alive->size()) + " live instance" +
           (alive->size() == 1 ? ")" : "s)");
  }

  // The live instances of `service`, from a read at most `kept` old, or a new one waited for
  // `patience` at most; nothing when there is no answer (yet).
  alive_ids read_alive(std::string_view service) {
    any_registry_store* store = bus_.registry_store();
    if (!store) return std::nullopt;
    std::shared_future<alive_ids> alive;
    {
      std::lock_guard lock(mutex_);
      const auto now = clock::now();
      auto it = readings_.find(service);
      if (it == readings_.end() || (now - it->second.at >= kept && ready(it->second.alive))) {
        // A read still running is never replaced: dropping its future would wait for it.
        std::string set = live_instances(scope_, service);
        alive = std::async(std::launch::async, [store, set = std::move(set)]() -> alive_ids {
                  try {
                    return store->live_members(set, std::chrono::milliseconds(0));
                  } catch (const transport_error&) {
                    return std::nullopt;
                  }
                }).share();
        readings_.insert_or_assign(std::string(service), reading{now, alive});
      } else {
        alive = it->second.alive;
      }
    }
    if (alive.wait_for(patience) != std::future_status::ready) return std::nullopt;
    return alive.get();
  }

  static bool ready(const std::shared_future<alive_ids>& f) {
    return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }

  any_transport& bus_;
  const std::string scope_, prefix_, group_;
  std::mutex mutex_;
  // Reads still running when the client goes are waited for here (their futures' last copies).
  std::map<std::string, reading, std::less<>> readings_;
};

}  // namespace redwire::detail
