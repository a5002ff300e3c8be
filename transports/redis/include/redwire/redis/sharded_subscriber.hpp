// redwire/redis/sharded_subscriber.hpp — pub/sub on a Redis Cluster: sharded pub/sub, one
// subscriber per master.
//
// Classic pub/sub on a cluster is broadcast: every PUBLISH crosses the cluster bus to every
// node. Sharded pub/sub (SSUBSCRIBE/SPUBLISH, Redis 7) stays on the master that serves the
// channel's slot, computed as a key's (hash_slot: a reply channel carries its client's tag,
// "rw:reply:{<client>}"). So this front keeps one shard (redis/subscriber.hpp in sharded mode)
// per master it needs, each a connection bound to its node (settings::this_node), and sends a
// channel's subscription to the shard of its slot's master. Patterns have no sharded form:
// they go to one classic subscriber (PSUBSCRIBE), made at the first pattern, and are recorded
// for publishers to find (redis/pattern_registry.hpp).
//
// Redis ends a sharded subscription when its slot leaves the node (`sunsubscribe`), answers
// MOVED to one sent to the wrong node, and a node may die. The shard then reports the gap and
// hands the entries back here (evicted); the mover thread, started at the first eviction, asks
// the topology where the slot is now and gives each entry to that master's shard, which
// subscribes it and calls its gap handler once Redis confirms — as after a reconnect. An entry
// is never dropped: one that cannot be placed is tried again every 100 ms.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <redwire/detail/thread_name.hpp>
#include <redwire/transport.hpp>

#include "cluster.hpp"
#include "cluster_slots.hpp"
#include "pattern_registry.hpp"
#include "settings.hpp"
#include "subscriber.hpp"
#include "subscription.hpp"

namespace redwire::redis::detail {

class sharded_subscriber final : public subscription_owner {
 public:
  sharded_subscriber(settings st, std::shared_ptr<cluster_topology> cluster,
                     std::shared_ptr<pattern_registry> registry)
      : st_(std::move(st)), cluster_(std::move(cluster)), registry_(std::move(registry)) {}
  sharded_subscriber(const sharded_subscriber&) = delete;
  sharded_subscriber& operator=(const sharded_subscriber&) = delete;
  ~sharded_subscriber() override { stop(); }

  void stop() noexcept {
    std::vector<std::shared_ptr<subscriber>> all;
    {
      std::lock_guard lk(m_);
      stop_ = true;
      cv_.notify_all();
      for (auto& [at, s] : shards_) all.push_back(s);
      if (patterns_) all.push_back(patterns_);
    }
    if (mover_.joinable() && std::this_thread::get_id() != mover_.get_id()) mover_.join();
    for (auto& s : all) s->stop();
  }

  /// SSUBSCRIBE on the master of the channel's slot; returns once Redis confirmed it. Throws
  /// transport_error.
  std::shared_ptr<subscriber_entry> add(std::string channel, message_handler on_message,
                                        gap_handler on_gap) {
    auto e =
        subscriber::make_entry(std::move(channel), false, std::move(on_message), std::move(on_gap));
    const int slot = hash_slot(e->name);
    const endpoint at = cluster_->route(slot, clock::now() + st_.connect_timeout);
    std::shared_ptr<subscriber> shard = shard_at(at);
    {
      std::lock_guard lk(m_);
      homes_[e.get()] = shard;
    }
    try {
      shard->join(e);
    } catch (const transport_error&) {
      std::lock_guard lk(m_);
      homes_.erase(e.get());
      throw;
    }
    if (in_a_handler()) return e;  // its shard's thread may be this one: cannot wait
    // The entry may change shards before it is confirmed (MOVED): its own flag says when.
    const auto deadline = clock::now() + st_.command_timeout;
    while (!e->live.load()) {
      if (clock::now() >= deadline) {
        remove(e);
        throw transport_error("redwire::redis: subscribe to " + e->name + " (slot " +
                              std::to_string(slot) + ", " + at.text() +
                              ") was not confirmed in time");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return e;
  }

  /// PSUBSCRIBE, classic, on one connection to a master (the cluster bus brings it every
  /// classic PUBLISH). Throws transport_error.
  std::shared_ptr<subscriber_entry> add_pattern(std::string pattern, message_handler on_message,
                                                gap_handler on_gap) {
    std::shared_ptr<subscriber> classic;
    {
      std::lock_guard lk(m_);
      if (stop_) throw transport_error("redwire::redis: transport is shutting down");
      if (!patterns_) patterns_ = std::make_shared<subscriber>(st_);
      classic = patterns_;
    }
    auto e = classic->add(std::move(pattern), true, std::move(on_message), std::move(on_gap));
    {
      std::lock_guard lk(m_);
      homes_[e.get()] = classic;
    }
    registry_->hold(e->name);
    return e;
  }

  /// Stops delivery to `e`, wherever it is now.
  void remove(const std::shared_ptr<subscriber_entry>& e) noexcept override {
    std::shared_ptr<subscriber> home;
    {
      std::lock_guard lk(m_);
      auto it = homes_.find(e.get());
      if (it == homes_.end()) return;
      home = std::move(it->second);
      homes_.erase(it);  // the mover leaves it alone from now on
    }
    home->remove(e);
    if (e->pattern) registry_->release(e->name);
  }

  /// How many masters this process holds a sharded subscriber for (tests).
  std::size_t shards() const {
    std::lock_guard lk(m_);
    return shards_.size();
  }

  /// After an error or a lost connection, how long an entry waits before it is placed again.
  static constexpr std::chrono::milliseconds retry_after{100};

 private:
  struct move {
    std::shared_ptr<subscriber_entry> e;
    clock::time_point due;
  };

  // The shard of the master at `at`, made (not connected) if there is none yet.
  std::shared_ptr<subscriber> shard_at(const endpoint& at) {
    std::lock_guard lk(m_);
    if (stop_) throw transport_error("redwire::redis: transport is shutting down");
    for (const auto& [e, s] : shards_)
      if (e == at) return s;
    settings on_node = st_;
    on_node.host = at.host;
    on_node.port = at.port;
    on_node.unix_path.clear();
    on_node.slot = settings::this_node;
    auto s = std::make_shared<subscriber>(
        on_node, [this](subscriber::entries es, bool failed) { evicted(std::move(es), failed); });
    shards_.emplace_back(at, s);
    return s;
  }

  bool in_a_handler() const {
    std::lock_guard lk(m_);
    for (const auto& [at, s] : shards_)
      if (s->on_delivery_thread()) return true;
    return false;
  }

  // From a shard's delivery thread: Redis no longer serves these entries there.
  void evicted(subscriber::entries es, bool failed) {
    if (!failed) cluster_->outdated();  // a sunsubscribe: the slot moved, ask for the map again
    std::lock_guard lk(m_);
    if (stop_) return;
    const auto due = clock::now() + (failed ? retry_after : std::chrono::milliseconds(0));
    for (auto& e : es) moving_.push_back({std::move(e), due});
    if (!mover_.joinable())
      mover_ = redwire::detail::named_thread("rw-shard-mover", [this] { move_loop(); });
    cv_.notify_all();
  }

  void move_loop() {
    std::unique_lock lk(m_);
    while (!stop_) {
      if (moving_.empty()) {
        cv_.wait(lk);
        continue;
      }
      auto next = std::min_element(moving_.begin(), moving_.end(),
                                   [](const move& a, const move& b) { return a.due < b.due; });
      if (next->due > clock::now()) {
        cv_.wait_until(lk, next->due);
        continue;
      }
      std::vector<move> due;
      const auto now = clock::now();
      for (auto it = moving_.begin(); it != moving_.end();) {
        if (it->due > now) {
          ++it;
          continue;
        }
        due.push_back(std::move(*it));
        it = moving_.erase(it);
      }
      lk.unlock();
      for (move& m : due) place(m.e);
      lk.lock();
    }
  }

  // On the mover thread: gives `e` to the shard of its slot's master now.
  void place(const std::shared_ptr<subscriber_entry>& e) {
    const int slot = hash_slot(e->name);
    std::shared_ptr<subscriber> shard;
    try {
      shard = shard_at(cluster_->route(slot, clock::now() + st_.connect_timeout));
    } catch (const transport_error& ex) {
      detail::log(log_level::warning, "subscription to " + e->name + " (slot " +
                                          std::to_string(slot) +
                                          ") not restored yet: " + ex.what());
      std::lock_guard lk(m_);
      if (!stop_) moving_.push_back({e, clock::now() + retry_after});
      return;
    }
    bool live_already = false;
    {
      std::lock_guard lk(m_);
      auto it = homes_.find(e.get());
      if (stop_ || it == homes_.end()) return;  // unsubscribed meanwhile
      it->second = shard;
      live_already = shard->adopt(e);  // front, then shard: a shard never waits for the front
    }
    if (live_already) call_gap(*e);
  }

  settings st_;
  std::shared_ptr<cluster_topology> cluster_;
  std::shared_ptr<pattern_registry> registry_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<std::pair<endpoint, std::shared_ptr<subscriber>>> shards_;
  std::shared_ptr<subscriber> patterns_;  // classic, made at the first pattern
  std::unordered_map<const subscriber_entry*, std::shared_ptr<subscriber>> homes_;
  std::vector<move> moving_;  // evicted, to be placed by the mover
  std::thread mover_;
};

}  // namespace redwire::redis::detail
