// redwire/events/names.hpp — the channel and stream names of topics and streams.
//
// A stream and its dead-letter streams share a Redis Cluster hash tag ({orders.log}), so that
// moving an entry to the dead letters stays within one slot.
#pragma once

#include <string>
#include <string_view>

#include "../detail/names.hpp"

namespace redwire::detail {

/// "rw:topic:orders.created" (also for patterns: "rw:topic:orders.*").
inline std::string topic_channel(std::string_view prefix, std::string_view topic) {
  return std::string(prefix).append(":topic:").append(topic);
}

/// "rw:stream:{orders.log}".
inline std::string stream_key(std::string_view prefix, std::string_view stream) {
  return std::string(prefix).append(":stream:{").append(stream).append("}");
}

/// "rw:stream:{orders.log}:dead:billing": entries that group "billing" could not handle.
inline std::string dead_letter_key(std::string_view prefix, std::string_view stream,
                                   std::string_view group) {
  return stream_key(prefix, stream).append(":dead:").append(group);
}

/// "billing@host1": stable across restarts of an instance on one host.
inline std::string default_consumer_name(std::string_view service) {
  return std::string(service).append("@").append(host_name());
}

}  // namespace redwire::detail
