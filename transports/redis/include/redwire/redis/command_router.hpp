// redwire/redis/command_router.hpp — which pipelined command connection a key's commands take.
//
// On one server (redis://, rediss://, unix://, Sentinel) there is one command connection, and
// every key takes it. On a cluster there is one per master that the process needs (the per-node
// set), made at the first command on a key of that master: at(key) asks the topology
// (redis/cluster.hpp) which master serves the key's slot. Each of those connections is bound to
// its node (settings::this_node); when a slot moves, the keys of that slot take another one.
//
// Commands without a key (PUBLISH on classic channels, which the cluster bus carries to every
// node) take first(): the connection made at construction, to a master.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string_view>
#include <utility>

#include "cluster.hpp"
#include "cluster_slots.hpp"
#include "command_connection.hpp"
#include "settings.hpp"

namespace redwire::redis::detail {

class command_router {
 public:
  /// Connects now (to a master, on a cluster: the slot map is asked first). Throws
  /// transport_error.
  explicit command_router(const settings& st)
      : st_(st), cluster_(std::dynamic_pointer_cast<cluster_topology>(st.topology)) {
    if (!cluster_) {
      first_ = std::make_shared<command_connection>(st_);
      return;
    }
    const endpoint at = cluster_->route(settings::any_node, clock::now() + st_.connect_timeout);
    first_ = std::make_shared<command_connection>(on_node(at));
    nodes_.push_back({at, first_});
  }
  command_router(const command_router&) = delete;
  command_router& operator=(const command_router&) = delete;
  ~command_router() { stop(); }

  /// The connection for commands on `key`. Throws transport_error (no master serves the slot,
  /// a new node cannot be reached).
  command_connection& at(std::string_view key) { return *shared_at(key); }
  const std::shared_ptr<command_connection>& shared_at(std::string_view key) {
    if (!cluster_) return first_;
    const endpoint node = cluster_->route(hash_slot(key), clock::now() + st_.connect_timeout);
    std::lock_guard lk(m_);
    for (const auto& [e, c] : nodes_) {
      if (e != node) continue;
      if (!c->connected()) cluster_->unreachable(e);  // down: its slots may have moved
      return c;
    }
    nodes_.push_back({node, std::make_shared<command_connection>(on_node(node))});
    return nodes_.back().second;
  }

  /// The connection made at construction (commands without a key).
  command_connection& first() noexcept { return *first_; }
  const std::shared_ptr<command_connection>& shared_first() const noexcept { return first_; }

  /// Writes what every connection holds (corked publishes, pushes behind).
  void flush() {
    if (!cluster_) return first_->flush();  // no allocation on one server
    for (const std::shared_ptr<command_connection>& c : all()) c->flush();
  }

  void stop() noexcept {
    for (const std::shared_ptr<command_connection>& c : all()) c->stop();
  }

  bool connected() const { return first_->connected(); }
  const settings& config() const noexcept { return st_; }

 private:
  std::deque<std::shared_ptr<command_connection>> all() const {
    std::deque<std::shared_ptr<command_connection>> out;
    std::lock_guard lk(m_);
    if (nodes_.empty()) out.push_back(first_);
    for (const auto& n : nodes_) out.push_back(n.second);
    return out;
  }

  settings on_node(const endpoint& at) const {
    settings s = st_;
    s.host = at.host;
    s.port = at.port;
    s.unix_path.clear();
    s.slot = settings::this_node;
    return s;
  }

  settings st_;
  std::shared_ptr<cluster_topology> cluster_;
  std::shared_ptr<command_connection> first_;
  mutable std::mutex m_;
  std::deque<std::pair<endpoint, std::shared_ptr<command_connection>>> nodes_;  // stable
};

}  // namespace redwire::redis::detail
