// redwire/stream.hpp — a durable stream: events kept until every consumer group has handled
// them (Redis Streams).
//
//   inline constexpr redwire::stream<"orders.log", order> order_log{};   // shared header
//   std::string id = cli.append(order_log, o);                          // the entry id
//   cli.append(order_log, o, {.max_length = 100000});                   // trims, approximately
//   cli.append(order_log, o, {.replicas = 1, .replica_timeout = 100ms}); // survives a failover
//   svc.consume(order_log, "billing", [](order o) { /* ... */ });       // consumer group
//
// Each entry goes to one consumer of each group. It is acknowledged when the handler returns;
// a handler that throws is retried with backoff, and after `max_deliveries` deliveries the
// entry goes to the group's dead-letter stream. Entries taken by a consumer that died are
// claimed by the others once they have been pending for `claim_idle`, and the dead consumer
// leaves the group after `idle_consumer_limit`. Delivery is at least once: handlers must
// tolerate seeing an entry twice.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "events/diagnostics.hpp"
#include "events/frame.hpp"
#include "fixed_string.hpp"
#include "type_description.hpp"

namespace redwire {

/// A durable stream named `Name` whose entries carry a T.
template <fixed_string Name, class T>
struct stream : detail::event_declaration<Name, T> {
  static_assert(detail::check_event_declaration<Name, T>());
};

/// How one entry is appended.
struct append_options {
  /// > 0: trim the stream to about this many entries (XADD MAXLEN ~): entries not yet handled
  /// by a slow group may go with them.
  std::size_t max_length = 0;
  /// > 0: append() returns only once this many replicas hold the entry (Redis WAIT), so that a
  /// failover to a replica cannot lose it. When they do not confirm within `replica_timeout`,
  /// append() throws rpc_error(unavailable) rather than return an id that may vanish (the entry
  /// may then be on the master only). Without it, an entry acknowledged by the master but not
  /// yet copied to a replica is lost if the master dies and that replica is promoted.
  unsigned replicas = 0;
  std::chrono::milliseconds replica_timeout{100};
};

/// How a service consumes a stream in a consumer group.
struct consume_options {
  /// The consumer's name in the group. It must stay the same when the instance restarts (so it
  /// finds the entries it had taken) and differ between instances running at the same time.
  /// Empty: "<service>@<host>" — set it when several instances of one service share a host.
  std::string consumer{};
  std::size_t batch_size = 16;            ///< entries taken per read
  std::chrono::milliseconds block{1000};  ///< longest wait of one read for new entries
  /// Entries pending this long on some consumer are claimed by this one (that consumer is
  /// presumed dead). Longer than the slowest handler, or live consumers lose entries to others.
  std::chrono::milliseconds claim_idle{30000};
  std::chrono::milliseconds claim_interval{0};  ///< how often to look; 0: claim_idle / 2
  /// Deliveries of one entry, at most; the last failure sends it to the dead-letter stream.
  std::uint32_t max_deliveries = 5;
  std::chrono::milliseconds retry_backoff{100};  ///< wait before the first retry; doubles
  std::chrono::milliseconds max_backoff{5000};
  bool from_start = true;  ///< a group created now sees the entries already in the stream
  /// > 0: trim the dead-letter stream to about this many entries.
  std::size_t dead_letter_max_length = 0;
  /// Another consumer of the group with nothing pending that has not been seen for this long
  /// is removed from the group (a dead one, once its entries were claimed). A live consumer is
  /// seen at every read and every claim_interval, so keep it above both.
  /// 0: 2 × the longest of claim_idle, block and claim_interval.
  std::chrono::milliseconds idle_consumer_limit{0};
};

}  // namespace redwire
