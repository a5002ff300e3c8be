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
//
// A command that a node bounces (pending_replies.hpp) comes back here and is sent where it must
// go now: after MOVED to the slot's new master (the map has learnt it), after ASK to the node
// named, once, behind ASKING; after TRYAGAIN or CLUSTERDOWN again after a backoff (10 ms,
// doubling) on a timer thread, while its time lasts (a push's queue expiry hint, at least the
// command timeout). Given up, it is logged; its call ends at its timeout.
//
// When the slot map changes, the connections to nodes that are no longer masters (a dead
// master, one demoted to replica) are retired: stopped on the timer thread, kept (stopped)
// until the router goes, since a caller may still hold one it was given.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <redwire/detail/later_tasks.hpp>

#include "cluster.hpp"
#include "cluster_slots.hpp"
#include "command_connection.hpp"
#include "pending_replies.hpp"
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
    first_ = connect(at);
    nodes_.push_back({at, first_});
    seen_ = cluster_->generation();
  }
  command_router(const command_router&) = delete;
  command_router& operator=(const command_router&) = delete;
  ~command_router() { stop(); }

  /// The connection for commands on `key`. Throws transport_error (no master serves the slot,
  /// a new node cannot be reached).
  command_connection& at(std::string_view key) { return *shared_at(key); }
  const std::shared_ptr<command_connection>& shared_at(std::string_view key) {
    return cluster_ ? at_slot(hash_slot(key)) : first_;
  }
  /// The connection for commands on keys of `slot` (a cluster's hash slot).
  const std::shared_ptr<command_connection>& at_slot(int slot) {
    if (!cluster_) return first_;
    const endpoint node = cluster_->route(slot, clock::now() + st_.connect_timeout);
    const std::uint64_t generation = cluster_->generation();
    std::lock_guard lk(m_);
    if (generation != seen_) retire_non_masters(generation);
    for (const node_connection& n : nodes_) {
      if (n.at != node || n.retired) continue;
      if (!n.c->connected()) cluster_->unreachable(n.at);  // down: its slots may have moved
      return n.c;
    }
    nodes_.push_back({node, connect(node)});
    return nodes_.back().c;
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
    {
      std::lock_guard lk(m_);
      stopped_ = true;
    }
    later_.stop();
    for (const std::shared_ptr<command_connection>& c : all()) c->stop();
  }

  /// How many connections are retired (tests).
  std::size_t retired() const {
    std::lock_guard lk(m_);
    return static_cast<std::size_t>(std::count_if(
        nodes_.begin(), nodes_.end(), [](const node_connection& n) { return n.retired; }));
  }

  /// How many bounced commands were sent again (tests).
  std::size_t resent() const {
    std::lock_guard lk(m_);
    return resent_;
  }

  bool connected() const { return first_->connected(); }
  const settings& config() const noexcept { return st_; }

 private:
  struct node_connection {
    endpoint at;
    std::shared_ptr<command_connection> c;
    bool retired = false;  // its node is no longer a master: stopped, never handed out again
  };

  std::deque<std::shared_ptr<command_connection>> all() const {
    std::deque<std::shared_ptr<command_connection>> out;
    std::lock_guard lk(m_);
    if (nodes_.empty()) out.push_back(first_);
    for (const node_connection& n : nodes_) out.push_back(n.c);
    return out;
  }

  // Under m_: the map of `generation` is out; retires the connections to nodes it does not name
  // as masters (the first stays: commands without a key and the broker clock hold it).
  void retire_non_masters(std::uint64_t generation) {
    seen_ = generation;
    const std::optional<slot_map> map = cluster_->map();
    if (!map || stopped_) return;
    const std::vector<endpoint>& masters = map->masters();
    for (node_connection& n : nodes_) {
      if (n.retired || n.c == first_) continue;
      if (std::find(masters.begin(), masters.end(), n.at) != masters.end()) continue;
      n.retired = true;
      later_.at(clock::now(), [c = n.c] { c->stop(); });  // not on a reader thread: it joins
    }
  }

  // A connection bound to the node `at`, whose bounces come back here.
  std::shared_ptr<command_connection> connect(const endpoint& at) {
    return std::make_shared<command_connection>(
        on_node(at), [this](std::unique_ptr<bounced_command> c, std::string_view error,
                            const endpoint& from) { bounced(std::move(c), error, from); });
  }

  // The connection to the node `at`, made if there is none yet.
  std::shared_ptr<command_connection> node(const endpoint& at) {
    std::lock_guard lk(m_);
    for (const node_connection& n : nodes_)
      if (n.at == at && !n.retired) return n.c;
    nodes_.push_back({at, connect(at)});
    return nodes_.back().c;
  }

  // On the reader thread of the connection to `from`, which answered `error` to `c`.
  void bounced(std::unique_ptr<bounced_command> c, std::string_view error, const endpoint& from) {
    const bounce kind = bounce_of(error);
    const auto now = clock::now();
    const auto wait = std::chrono::milliseconds(10) * (1 << std::min(c->hops, 6));
    const bool later = kind == bounce::try_again || kind == bounce::cluster_down;
    if (++c->hops > max_hops || now + (later ? wait : decltype(wait){}) > c->until)
      return give_up(*c, error);
    {
      std::lock_guard lk(m_);
      if (stopped_) return;
      ++resent_;
    }
    if (later) {
      auto held = std::make_shared<std::unique_ptr<bounced_command>>(std::move(c));
      later_.at(now + wait, [this, held] { send_again(std::move(*held), std::nullopt); });
      return;
    }
    std::optional<redirection> to = redirection::parse(error, from);
    if (!to) return give_up(*c, error);
    send_again(std::move(c), to->ask ? std::optional<endpoint>(to->to) : std::nullopt);
  }

  // Sends `c` to the master of its key's slot now, or behind ASKING to `asked`.
  void send_again(std::unique_ptr<bounced_command> c, const std::optional<endpoint>& asked) {
    {
      std::lock_guard lk(m_);
      if (stopped_) return;
    }
    try {
      const std::shared_ptr<command_connection> to = asked ? node(*asked) : shared_at(c->key);
      to->resend(std::move(c), asked.has_value());
    } catch (const transport_error& e) {
      detail::log(log_level::warning, std::string("redwire::redis: a bounced command could not be "
                                                  "sent again: ") +
                                          e.what());
    }
  }

  static void give_up(const bounced_command& c, std::string_view error) {
    detail::log(log_level::warning, std::string(c.what) + " on " + c.key + " given up after " +
                                        std::to_string(c.hops) +
                                        " redirections: " + std::string(error));
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
  std::deque<node_connection> nodes_;  // only grows: what at() hands out stays valid
  std::uint64_t seen_ = 0;             // the map generation nodes_ were checked against
  bool stopped_ = false;
  std::size_t resent_ = 0;
  static constexpr int max_hops = 16;
  redwire::detail::later_tasks later_;  // TRYAGAIN and CLUSTERDOWN wait here
};

// An error reply as a round trip's caller sees it: a transport_error naming `what`.
inline reply checked_reply(reply r, const char* what) {
  if (!r.is_error()) return r;
  if (r.str.starts_with(command_connection::connection_lost))
    throw transport_error(std::string("redwire::redis: ") + what + ": connection lost");
  throw transport_error(std::string("redwire::redis: ") + what + " failed: " + r.str);
}

/// Sends one command through a pipelined connection and waits for its reply, an error reply
/// included. Throws transport_error when no reply comes in time.
inline reply exchange(command_connection& commands, std::span<const std::string_view> args,
                      const char* what) {
  auto promise = std::make_shared<std::promise<reply>>();
  auto future = promise->get_future();
  commands.send(args, what, [promise](reply&& r) { promise->set_value(std::move(r)); });
  if (future.wait_for(commands.config().command_timeout) != std::future_status::ready)
    throw transport_error(std::string("redwire::redis: no reply to ") + what + " in time");
  return future.get();
}

/// exchange(), and an error reply throws transport_error too.
inline reply round_trip(command_connection& commands, std::span<const std::string_view> args,
                        const char* what) {
  return checked_reply(exchange(commands, args, what), what);
}

/// round_trip() on `key`'s connection. On a cluster, a bounce (the node did not run it) is
/// followed within the command timeout: after MOVED at once on the slot's new master, after
/// ASK, TRYAGAIN or CLUSTERDOWN after a short wait (10 ms, doubling), until the slot has moved.
inline reply round_trip_at(command_router& router, std::string_view key,
                           std::span<const std::string_view> args, const char* what) {
  const auto until = clock::now() + router.config().command_timeout;
  for (int hop = 0;; ++hop) {
    reply r = exchange(router.at(key), args, what);
    const bounce b = r.is_error() ? bounce_of(r.str) : bounce::none;
    if (b == bounce::none || clock::now() >= until) return checked_reply(std::move(r), what);
    if (b != bounce::moved)
      std::this_thread::sleep_for(std::chrono::milliseconds(10) * (1 << std::min(hop, 5)));
  }
}

}  // namespace redwire::redis::detail
