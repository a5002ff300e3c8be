// redwire/detail/membership.hpp — the steps of the registry that several parts share:
// registering, leaving, reaping the expired, reading instances, telling watchers.
//
// Exactly one `expired` event per dead instance: reapers (every heartbeat thread of the
// service and every registry watcher) race on store.reap_members, which hands each expired
// member to exactly one of them; only that winner reads the record, empties the instance's
// queue, and publishes the event.
//
// Requests left in a dead (or stopped) instance's own queue are failed back to their callers
// with errc::unavailable, not moved to the service queue: a caller targets an instance on
// purpose (its state, its cache, the key routing of the orchestrator), and running the call
// elsewhere would silently break that choice. A refused call never ran, so the caller (or the
// orchestrator, which does it by itself) may safely send it again to another instance.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "../instance_info.hpp"
#include "../log.hpp"
#include "any_transport.hpp"
#include "names.hpp"
#include "registry_keys.hpp"
#include "targeted_push.hpp"

namespace redwire::detail {

/// The transport's registry storage. Callers made sure there is one: the registry and the
/// orchestrator at compile time, the heartbeat before it starts.
inline any_registry_store& store_of(any_transport& bus) {
  return require(bus.registry_store(), "registry storage", "redwire::registry_store");
}

/// How long a record outlives its last heartbeat: long enough for a reaper to read it.
inline std::chrono::milliseconds record_ttl(std::chrono::milliseconds ttl) {
  return ttl * 3;
}

/// How long a dead instance stays known as dead (calls targeted at it are refused meanwhile).
inline constexpr std::chrono::milliseconds mourning = std::chrono::minutes(10);

/// Marks an instance dead; from now on calls targeted at it are refused.
inline void bury(any_transport& bus, std::string_view scope, std::string_view service,
                 std::string_view instance) {
  store_of(bus).touch_member(dead_instances(scope, service), instance, mourning);
}

inline void publish_membership(any_transport& bus, std::string_view scope, membership change,
                               const instance_info& info) {
  bus.publish(membership_channel(scope), encode_event(change, info));
}

/// Sends every request of `requests` back to its caller as errc::unavailable.
inline void fail_back(any_transport& bus, const std::vector<std::string>& requests,
                      std::string_view instance, std::string_view why) {
  for (const auto& r : requests) {
    if (auto refused = refuse(r, instance, why)) {
      try {
        bus.publish(refused->channel, refused->bytes);
      } catch (const transport_error&) {
        return;  // the callers time out instead
      }
    }
  }
}

/// Empties the queue of an instance that is gone and fails its requests back.
inline void drain_instance_queue(any_transport& bus, std::string_view scope,
                                 std::string_view service, std::string_view instance,
                                 std::string_view why) {
  auto left = store_of(bus).take_queue(instance_queue(scope, service, instance));
  if (left.empty()) return;
  fail_back(bus, left, instance, why);
  log(log_level::info, "registry: " + std::to_string(left.size()) + " request(s) waiting for " +
                           std::string(instance) + " were failed back: " + std::string(why));
}

/// Writes the record and the liveness entries of `info`. Returns true when the instance was
/// not in the liveness set (a new registration).
inline bool write_registration(any_transport& bus, std::string_view scope,
                               const instance_info& info, std::chrono::milliseconds ttl) {
  store_of(bus).put_record(instance_record(scope, info.service, info.id), to_fields(info),
                           record_ttl(ttl));
  store_of(bus).remove_member(dead_instances(scope, info.service), info.id);  // back from the dead
  const bool fresh = store_of(bus).touch_member(live_instances(scope, info.service), info.id, ttl);
  store_of(bus).touch_member(service_index(scope), info.service, ttl);
  return fresh;
}

/// Removes a stopping instance: marks it dead first (targeted pushes are refused from then on),
/// then removes its liveness entry, its record, its queue, and its service if it was the last.
inline void write_departure(any_transport& bus, std::string_view scope, const instance_info& info) {
  bury(bus, scope, info.service, info.id);
  const std::size_t others =
      store_of(bus).remove_member(live_instances(scope, info.service), info.id);
  if (others == 0) store_of(bus).remove_member(service_index(scope), info.service);
  store_of(bus).remove_record(instance_record(scope, info.service, info.id));
  drain_instance_queue(bus, scope, info.service, info.id,
                       "instance " + info.id + " stopped before it took the call");
}

/// Ends the instances of `service` that this caller reaped (`gone`, taken out of its liveness
/// set): marks them dead, removes their records, fails back their queues, announces `expired`.
inline void bury_expired(any_transport& bus, std::string_view scope, std::string_view service,
                         const std::vector<std::string>& gone) {
  for (const auto& id : gone) {
    bury(bus, scope, service, id);
    const std::string key = instance_record(scope, service, id);
    auto fields = store_of(bus).read_records({key});
    instance_info info = fields.front().empty() ? instance_info{} : from_fields(fields.front());
    info.service = std::string(service);
    info.id = id;
    store_of(bus).remove_record(key);
    drain_instance_queue(bus, scope, service, id, "instance " + id + " expired (no heartbeat)");
    log(log_level::info, "registry: instance " + id + " of service " + std::string(service) +
                             " expired (no heartbeat within its TTL)");
    publish_membership(bus, scope, membership::expired, info);
  }
}

/// Reaps the expired instances of one service; returns how many this caller reaped.
inline std::size_t reap_service(any_transport& bus, std::string_view scope,
                                std::string_view service) {
  auto gone =
      store_of(bus).reap_members(live_instances(scope, service), std::chrono::milliseconds(0));
  store_of(bus).reap_members(dead_instances(scope, service),
                             std::chrono::milliseconds(0));  // mourned
  bury_expired(bus, scope, service, gone);
  return gone.size();
}

/// Services that had a live instance within `grace` (0: now).
inline std::vector<std::string> read_services(any_transport& bus, std::string_view scope,
                                              std::chrono::milliseconds grace) {
  return store_of(bus).live_members(service_index(scope), grace);
}

/// The live instances of a service, from its liveness set and their records (no scan).
inline std::vector<instance_info> read_instances(any_transport& bus, std::string_view scope,
                                                 std::string_view service) {
  auto ids =
      store_of(bus).live_members(live_instances(scope, service), std::chrono::milliseconds(0));
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const auto& id : ids) keys.push_back(instance_record(scope, service, id));
  auto records = store_of(bus).read_records(keys);
  std::vector<instance_info> out;
  for (auto& r : records)
    if (!r.empty()) out.push_back(from_fields(r));
  return out;
}

}  // namespace redwire::detail
