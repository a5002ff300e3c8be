// redwire/memory/streams.hpp — durable streams in memory, with the semantics of Redis Streams:
// entry ids "ms-seq", consumer groups with a last-delivered id, a pending list per group
// (consumer, last delivery time, delivery count), XAUTOCLAIM-like claiming with a cursor, the
// consumers of a group with the time each was last seen (XINFO CONSUMERS' idle) and their
// removal (XGROUP DELCONSUMER).
// See redwire/capabilities/streams.hpp for the contract; memory.hpp exposes it on the transport.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <redwire/capabilities/streams.hpp>

namespace redwire::memory::detail {

using redwire::detail::parse_stream_id;
using redwire::detail::stream_id;
using redwire::detail::stream_id_text;

class stream_store {
 public:
  using clock = std::chrono::steady_clock;

  struct waiter {
    bool woken = false;
  };

  std::string append(std::string_view name, std::string_view bytes, std::size_t max_length) {
    std::lock_guard lock(mutex_);
    stream& s = streams_[std::string(name)];
    auto now_ms =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
    stream_id k = now_ms > s.last.milliseconds
                      ? stream_id{now_ms, 0}
                      : stream_id{s.last.milliseconds, s.last.sequence + 1};
    s.last = k;
    s.entries.emplace(k, std::string(bytes));
    if (max_length > 0)
      while (s.entries.size() > max_length) s.entries.erase(s.entries.begin());
    changed_.notify_all();
    return stream_id_text(k);
  }

  std::vector<stream_entry> range(std::string_view name, std::size_t max) {
    std::lock_guard lock(mutex_);
    std::vector<stream_entry> out;
    auto it = streams_.find(std::string(name));
    if (it == streams_.end()) return out;
    for (auto& [k, bytes] : it->second.entries) {
      if (out.size() >= max) break;
      out.push_back({stream_id_text(k), bytes});
    }
    return out;
  }

  void create_group(const std::string& name, const std::string& group, bool from_start) {
    std::lock_guard lock(mutex_);
    stream& s = streams_[name];
    if (s.groups.contains(group)) return;
    s.groups[group].last_delivered = from_start ? stream_id{} : s.last;
  }

  void read(const std::string& name, const std::string& group, const std::string& consumer,
            std::vector<stream_entry>& out, std::size_t max, std::chrono::milliseconds block,
            waiter& self) {
    std::unique_lock lock(mutex_);
    auto deadline = clock::now() + block;
    for (;;) {
      consumer_group& g = find_group(name, group);
      g.consumers[consumer] = clock::now();  // seen, as XREADGROUP refreshes a consumer
      stream& s = streams_[name];
      std::size_t taken = 0;
      for (auto it = s.entries.upper_bound(g.last_delivered); it != s.entries.end() && taken < max;
           ++it, ++taken) {
        g.last_delivered = it->first;
        g.pending[it->first] = {consumer, clock::now(), 1};
        out.push_back({stream_id_text(it->first), it->second});
      }
      if (taken > 0 || self.woken || block.count() <= 0) {
        self.woken = false;
        return;
      }
      if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
        self.woken = false;
        return;
      }
    }
  }

  void read_own_pending(const std::string& name, const std::string& group,
                        const std::string& consumer, std::vector<stream_entry>& out,
                        std::string_view after_id, std::size_t max) {
    std::lock_guard lock(mutex_);
    consumer_group& g = find_group(name, group);
    g.consumers[consumer] = clock::now();
    stream& s = streams_[name];
    std::size_t taken = 0;
    for (auto it = g.pending.upper_bound(parse_stream_id(after_id));
         it != g.pending.end() && taken < max; ++it) {
      if (it->second.consumer != consumer) continue;
      ++taken;
      auto found = s.entries.find(it->first);
      if (found == s.entries.end()) continue;  // trimmed away while pending
      it->second.delivered_at = clock::now();
      ++it->second.deliveries;
      out.push_back({stream_id_text(it->first), found->second});
    }
  }

  std::string autoclaim(const std::string& name, const std::string& group,
                        const std::string& consumer, std::vector<stream_entry>& out,
                        std::chrono::milliseconds min_idle, std::string_view cursor,
                        std::size_t max) {
    std::lock_guard lock(mutex_);
    consumer_group& g = find_group(name, group);
    stream& s = streams_[name];
    auto now = clock::now();
    g.consumers[consumer] = now;
    std::size_t claimed = 0;
    // Redis scans at most 10 * COUNT pending entries per call; so do we.
    std::size_t budget = max * 10;
    auto it = g.pending.lower_bound(parse_stream_id(cursor));
    while (it != g.pending.end() && claimed < max && budget-- > 0) {
      if (now - it->second.delivered_at < min_idle) {
        ++it;
        continue;
      }
      auto found = s.entries.find(it->first);
      if (found == s.entries.end()) {  // trimmed while pending: Redis drops it from the list
        it = g.pending.erase(it);
        continue;
      }
      it->second = {consumer, now, it->second.deliveries + 1};
      out.push_back({stream_id_text(it->first), found->second});
      ++claimed;
      ++it;
    }
    return it == g.pending.end() ? "0-0" : stream_id_text(it->first);
  }

  std::vector<std::uint64_t> delivery_counts(const std::string& name, const std::string& group,
                                             std::span<const std::string> ids) {
    std::lock_guard lock(mutex_);
    consumer_group& g = find_group(name, group);
    std::vector<std::uint64_t> counts;
    for (const std::string& id : ids) {
      auto it = g.pending.find(parse_stream_id(id));
      counts.push_back(it == g.pending.end() ? 0 : it->second.deliveries);
    }
    return counts;
  }

  void ack(const std::string& name, const std::string& group, std::span<const std::string> ids) {
    std::lock_guard lock(mutex_);
    consumer_group& g = find_group(name, group);
    for (const std::string& id : ids) g.pending.erase(parse_stream_id(id));
  }

  /// Removes the consumers of `group` other than `except` that have nothing pending and were
  /// last seen `min_idle` ago or earlier; returns their names.
  std::vector<std::string> remove_idle_consumers(const std::string& name, const std::string& group,
                                                 const std::string& except,
                                                 std::chrono::milliseconds min_idle) {
    std::lock_guard lock(mutex_);
    consumer_group& g = find_group(name, group);
    const auto now = clock::now();
    std::vector<std::string> removed;
    for (auto it = g.consumers.begin(); it != g.consumers.end();) {
      const bool holds = std::any_of(g.pending.begin(), g.pending.end(),
                                     [&](const auto& p) { return p.second.consumer == it->first; });
      if (it->first == except || holds || now - it->second < min_idle) {
        ++it;
        continue;
      }
      removed.push_back(it->first);
      it = g.consumers.erase(it);
    }
    return removed;
  }

  void wake(waiter& w) {
    std::lock_guard lock(mutex_);
    w.woken = true;
    changed_.notify_all();
  }

  /// Test hooks: forgets a group (as if Redis lost it) or a whole stream.
  void destroy_group(const std::string& name, const std::string& group) {
    std::lock_guard lock(mutex_);
    auto it = streams_.find(name);
    if (it != streams_.end()) it->second.groups.erase(group);
    changed_.notify_all();
  }
  /// The consumers a group knows (XINFO CONSUMERS), by name.
  std::vector<std::string> consumers(const std::string& name, const std::string& group) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    auto it = streams_.find(name);
    if (it == streams_.end()) return out;
    auto g = it->second.groups.find(group);
    if (g != it->second.groups.end())
      for (const auto& [consumer, seen] : g->second.consumers) out.push_back(consumer);
    return out;
  }
  std::size_t pending_count(const std::string& name, const std::string& group) {
    std::lock_guard lock(mutex_);
    auto it = streams_.find(name);
    if (it == streams_.end()) return 0;
    auto g = it->second.groups.find(group);
    return g == it->second.groups.end() ? 0 : g->second.pending.size();
  }

 private:
  struct pending_entry {
    std::string consumer;
    clock::time_point delivered_at;
    std::uint64_t deliveries = 0;
  };
  struct consumer_group {
    stream_id last_delivered{};
    std::map<stream_id, pending_entry> pending;
    std::map<std::string, clock::time_point> consumers;  // name -> last seen
  };
  struct stream {
    stream_id last{};
    std::map<stream_id, std::string> entries;
    std::unordered_map<std::string, consumer_group> groups;
  };

  // Called with mutex_ held.
  consumer_group& find_group(const std::string& name, const std::string& group) {
    auto s = streams_.find(name);
    if (s != streams_.end()) {
      auto g = s->second.groups.find(group);
      if (g != s->second.groups.end()) return g->second;
    }
    throw no_such_group("memory transport: no consumer group '" + group + "' on stream '" + name +
                        "'");
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::unordered_map<std::string, stream> streams_;
};

/// One consumer of one group (redwire::stream_reader).
class stream_reader {
 public:
  stream_reader(std::shared_ptr<stream_store> store, std::string stream, std::string group,
                std::string consumer)
      : store_(std::move(store)),
        stream_(std::move(stream)),
        group_(std::move(group)),
        consumer_(std::move(consumer)),
        waiter_(std::make_unique<stream_store::waiter>()) {}

  void create_group(bool from_start) { store_->create_group(stream_, group_, from_start); }
  void read(std::vector<stream_entry>& out, std::size_t max, std::chrono::milliseconds block) {
    store_->read(stream_, group_, consumer_, out, max, block, *waiter_);
  }
  void read_own_pending(std::vector<stream_entry>& out, std::string_view after_id,
                        std::size_t max) {
    store_->read_own_pending(stream_, group_, consumer_, out, after_id, max);
  }
  std::string autoclaim(std::vector<stream_entry>& out, std::chrono::milliseconds min_idle,
                        std::string_view cursor, std::size_t max) {
    return store_->autoclaim(stream_, group_, consumer_, out, min_idle, cursor, max);
  }
  std::vector<std::uint64_t> delivery_counts(std::span<const std::string> ids) {
    return store_->delivery_counts(stream_, group_, ids);
  }
  void ack(std::span<const std::string> ids) { store_->ack(stream_, group_, ids); }
  void wake() { store_->wake(*waiter_); }
  std::vector<std::string> remove_idle_consumers(std::chrono::milliseconds min_idle) {
    return store_->remove_idle_consumers(stream_, group_, consumer_, min_idle);
  }

 private:
  std::shared_ptr<stream_store> store_;
  std::string stream_, group_, consumer_;
  std::unique_ptr<stream_store::waiter> waiter_;
};

static_assert(redwire::stream_reader<stream_reader>);

}  // namespace redwire::memory::detail
