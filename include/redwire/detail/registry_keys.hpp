// redwire/detail/registry_keys.hpp — the names of the registry's records, sets and channels.
//
// `scope` is the transport prefix with the group, if any ("rw" or "rw:blue", see
// group_prefix in names.hpp). Keys of one service share its hash tag ({calc}) with its queues,
// so the scripts that touch a liveness set and a queue together work on Redis Cluster.
#pragma once

#include <string>
#include <string_view>

namespace redwire::detail {

/// The facts of one instance (a hash): "rw:{calc}:i:<instance>".
inline std::string instance_record(std::string_view scope, std::string_view service,
                                   std::string_view instance) {
  return std::string(scope).append(":{").append(service).append("}:i:").append(instance);
}

/// Instance -> expiry of every live instance of a service: "rw:{calc}:instances".
inline std::string live_instances(std::string_view scope, std::string_view service) {
  return std::string(scope).append(":{").append(service).append("}:instances");
}

/// Instance -> end of mourning, for instances that stopped or expired (tombstones): a call
/// targeted at one of them is refused at once. "rw:{calc}:dead".
inline std::string dead_instances(std::string_view scope, std::string_view service) {
  return std::string(scope).append(":{").append(service).append("}:dead");
}

/// Service -> latest expiry of its instances: "rw:registry:services". The only index of
/// services, so listing them never scans the keyspace.
inline std::string service_index(std::string_view scope) {
  return std::string(scope).append(":registry:services");
}

/// Joined / left / expired events of every service of the scope: "rw:registry:events".
inline std::string membership_channel(std::string_view scope) {
  return std::string(scope).append(":registry:events");
}

/// Words for one instance (the orchestrator's rejection): "rw:{calc}:control:<instance>".
inline std::string instance_control(std::string_view scope, std::string_view service,
                                    std::string_view instance) {
  return std::string(scope).append(":{").append(service).append("}:control:").append(instance);
}

}  // namespace redwire::detail
