// redwire/detail/names.hpp — the names of queues and channels, shared by every transport.
//
// Keys of one service share a Redis Cluster hash tag ({service}), so a blocking pop can wait on
// the service queue and an instance queue at once, on Redis Cluster too.
#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <thread>

#include <unistd.h>

#include "bytes.hpp"

namespace redwire::detail {

/// The prefix of every name of a group: `prefix` itself without a group, "rw:blue" with one.
/// Two groups on one broker share no queue, channel or registry key.
inline std::string group_prefix(std::string_view prefix, std::string_view group) {
  std::string s(prefix);
  if (!group.empty()) s.append(":").append(group);
  return s;
}

/// Requests for any instance of `service`, into `out` (whose capacity is reused): "rw:{calc}:q".
inline void service_queue(std::string& out, std::string_view prefix, std::string_view service) {
  out.clear();
  out.append(prefix).append(":{").append(service).append("}:q");
}

/// The same as a new string.
inline std::string service_queue(std::string_view prefix, std::string_view service) {
  std::string s;
  s.reserve(prefix.size() + service.size() + 6);
  service_queue(s, prefix, service);
  return s;
}

/// Requests for one instance: "rw:{calc}:q:<instance>".
inline std::string instance_queue(std::string_view prefix, std::string_view service,
                                  std::string_view instance) {
  return service_queue(prefix, service).append(":").append(instance);
}

/// Where callers say that they gave up on a request that an instance of `service` has taken
/// already (detail/running_calls.hpp): "rw:{calc}:cancel".
inline std::string cancel_channel(std::string_view prefix, std::string_view service) {
  return std::string(prefix).append(":{").append(service).append("}:cancel");
}

/// Where the replies of one client go: "rw:reply:{<client>}". The client's hash tag puts the
/// channel, and its inboxes' ("rw:reply:{<client>}:<n>"), in one slot of a Redis Cluster: a
/// reply is published (SPUBLISH) to that slot's master only.
inline std::string reply_channel(std::string_view prefix, std::string_view client) {
  return std::string(prefix).append(":reply:{").append(client).append("}");
}

inline std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

/// "<prefix>-<host>-<pid>-<random>": unique across hosts, processes and objects.
inline std::string unique_id(std::string_view prefix) {
  std::string id(prefix);
  if (!id.empty()) id += '-';
  id += host_name();
  id += '-';
  id += std::to_string(::getpid());
  id += '-';
  id += to_hex(random_u64(), 6);
  return id;
}

}  // namespace redwire::detail
