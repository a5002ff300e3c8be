// redwire/redis/cluster.hpp — the topology of a Redis Cluster (redis-cluster://).
//
// The one topology of the transport (redis/topology.hpp) keeps the slot map (cluster_slots.hpp)
// and tells each connection where to go from what it serves (settings::slot):
//
//   a slot       the master that serves it (a queue reader, a stream reader: their keys' slot)
//   this_node    the host and port of its settings (a connection of the per-node set of
//                command connections, redis/command_router.hpp)
//   any_node     a master (the subscriber, inboxes, the user's command())
//
// The map is asked of the nodes with CLUSTER SLOTS — the masters known first, then the seeds
// of the URL — at the first connection, and again after a MOVED (at most every 100 ms). A
// MOVED answer (connection::on_error) moves its slot in the map at once; a connection that got
// it reconnects as after any failure, and asks here where to go. Nothing is retried here: the
// command that got MOVED is the caller's to retry or to fail.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <redwire/transport.hpp>

#include "cluster_slots.hpp"
#include "connection.hpp"
#include "sentinel.hpp"
#include "settings.hpp"
#include "topology.hpp"

namespace redwire::redis::detail {

class cluster_topology final : public topology {
 public:
  /// Reads the TLS files (throws transport_error); asks nothing yet.
  explicit cluster_topology(const settings& st)
      : topology(st), st_(st), nodes_(std::make_shared<topology>(shared_tls())) {
    st_.topology.reset();  // no cycle: the settings in here do not point back
  }

  std::optional<endpoint> master(const settings& st, clock::time_point deadline) override {
    if (st.slot == settings::this_node) return std::nullopt;
    return route(st.slot, deadline);
  }

  /// The master that serves `slot` (any_node: a master). Asks the cluster for the map first
  /// when there is none yet or a MOVED made it stale. Throws transport_error: no node
  /// reachable, not a cluster, or nobody serves the slot.
  endpoint route(int slot, clock::time_point deadline) {
    bool ask = false;
    {
      std::lock_guard lk(m_);
      ask = !map_ || (stale_ && clock::now() - asked_at_ >= min_refresh);
      if (!ask) return owner(slot);
    }
    try {
      refresh(deadline);
    } catch (const transport_error&) {
      std::lock_guard lk(m_);
      if (!map_) throw;  // a stale map is better than none: MOVED corrects it
    }
    std::lock_guard lk(m_);
    return owner(slot);
  }

  /// MOVED: the slot is served elsewhere now (the map is asked again soon, for the slots that
  /// moved with it). ASK, TRYAGAIN, CLUSTERDOWN change nothing here.
  void redirected(std::string_view error, const endpoint& from) override {
    std::optional<redirection> r = redirection::parse(error, from);
    if (!r || r->ask) return;
    std::lock_guard lk(m_);
    if (!map_) return;
    map_->assign(r->slot, r->slot, r->to);
    stale_ = true;
    moved_to_ = r->to;  // asked first: it has just claimed a slot, others may not know yet
  }

  /// A node cannot be reached: the map is asked again at the next route (a failover moves its
  /// slots to a replica).
  void unreachable(const endpoint& at) override {
    (void)at;
    std::lock_guard lk(m_);
    stale_ = true;
  }

  /// The map is out of date (a node ended the sharded subscriptions of a slot it gave away):
  /// it is asked again at the next route.
  void outdated() {
    std::lock_guard lk(m_);
    stale_ = true;
  }

  /// Asks the known masters, then the seeds, for CLUSTER SLOTS; the first that answers gives
  /// the map. Throws transport_error naming what each node said.
  void refresh(clock::time_point deadline) {
    std::lock_guard query(query_m_);
    std::vector<endpoint> ask;
    {
      std::lock_guard lk(m_);
      if (moved_to_) ask.push_back(*moved_to_);
      if (map_)
        for (const endpoint& e : map_->masters())
          if (std::find(ask.begin(), ask.end(), e) == ask.end()) ask.push_back(e);
      asked_at_ = clock::now();
    }
    for (const endpoint& e : st_.cluster.seeds)
      if (std::find(ask.begin(), ask.end(), e) == ask.end()) ask.push_back(e);
    std::string why;
    bool not_cluster = false;
    for (std::size_t i = 0; i < ask.size() && clock::now() < deadline; ++i) {
      if (std::optional<slot_map> m = ask_slots(ask[i], deadline, why, not_cluster)) {
        if (m->uncovered() > 0)
          detail::log(log_level::warning, st_.describe() + ": " + std::to_string(m->uncovered()) +
                                              " slots are served by no master");
        std::lock_guard lk(m_);
        map_ = std::move(*m);
        stale_ = false;
        moved_to_.reset();
        ++generation_;
        return;
      }
    }
    throw transport_error("redwire::redis: " + st_.describe() + ": " +
                          (not_cluster ? "not a Redis Cluster" : "no cluster node reachable") +
                          " (" + (why.empty() ? "out of time" : why.substr(2)) + ")");
  }

  /// A copy of the map (tests, the command router).
  std::optional<slot_map> map() const {
    std::lock_guard lk(m_);
    return map_;
  }
  /// How many times the map was asked of the cluster so far (the command router retires its
  /// connections to nodes that are no longer masters when it changes).
  std::uint64_t generation() const {
    std::lock_guard lk(m_);
    return generation_;
  }

  static constexpr std::chrono::milliseconds min_refresh{100};

 private:
  // Under m_: the owner of `slot`, or of the first slot served (any_node).
  endpoint owner(int slot) const {
    if (slot >= 0) {
      if (std::optional<endpoint> at = map_->owner(slot)) return *at;
      throw transport_error("redwire::redis: " + st_.describe() + ": slot " + std::to_string(slot) +
                            " is served by no master (" + std::to_string(map_->uncovered()) +
                            " slots uncovered)");
    }
    for (int s = 0; s < cluster_slots; ++s)
      if (std::optional<endpoint> at = map_->owner(s)) return *at;
    throw transport_error("redwire::redis: " + st_.describe() + ": no master serves any slot");
  }

  // CLUSTER SLOTS of one node; nullopt (and what it said, in `why`) when it gives no map.
  std::optional<slot_map> ask_slots(const endpoint& at, clock::time_point deadline,
                                    std::string& why, bool& not_cluster) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    settings s = st_;
    s.host = at.host;
    s.port = at.port;
    s.slot = settings::this_node;
    s.topology = nodes_;
    s.connect_timeout = std::clamp(left, std::chrono::milliseconds(1), s.connect_timeout);
    s.command_timeout = std::clamp(left, std::chrono::milliseconds(1), s.command_timeout);
    try {
      if (!query_ || !(query_->server() == at)) {
        query_.reset();
        query_ = std::make_unique<connection>(s, "redwire:cluster");
      }
      static constexpr std::string_view ask[] = {"CLUSTER", "SLOTS"};
      reply r = query_->execute(ask, s.command_timeout);
      if (std::optional<slot_map> m = slot_map::from_cluster_slots(r, at)) return m;
      const bool disabled = r.is_error() && r.str.find("cluster support disabled") != r.str.npos;
      not_cluster = not_cluster || disabled;
      why += "; " + at.text() + ": " +
             (disabled       ? "not in cluster mode"
              : r.is_error() ? r.str
                             : "an unreadable slot map");
    } catch (const transport_error& e) {
      query_.reset();
      std::string_view text = e.what();
      if (text.starts_with("redwire::redis: ")) text.remove_prefix(16);
      why += "; " + std::string(text);
    }
    return std::nullopt;
  }

  settings st_;
  std::shared_ptr<topology> nodes_;  // the map queries' own connections (same TLS)
  std::mutex query_m_;               // one query at a time, on query_
  std::unique_ptr<connection> query_;
  mutable std::mutex m_;
  std::optional<slot_map> map_;
  bool stale_ = false;
  std::optional<endpoint> moved_to_;  // the node the last MOVED named, until the map is asked
  std::uint64_t generation_ = 0;
  clock::time_point asked_at_{};
};

/// The topology of the transport made from `st`: the cluster's, the sentinels' or the URL's.
inline std::shared_ptr<topology> make_transport_topology(const settings& st) {
  if (st.cluster.seeds.empty()) return make_topology(st);
  return std::make_shared<cluster_topology>(st);
}

}  // namespace redwire::redis::detail
