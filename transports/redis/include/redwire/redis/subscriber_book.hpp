// redwire/redis/subscriber_book.hpp — what a subscriber (redis/subscriber.hpp) has subscribed:
// per channel and per pattern, its entries and whether Redis confirmed it; the acknowledgements
// still owed for what was given up; and how a handler is run.
//
// Plain data, kept under the subscriber's lock. The handlers run outside it (deliver, call_gap).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <redwire/transport.hpp>

#include "cluster_slots.hpp"
#include "connection.hpp"
#include "subscription.hpp"

namespace redwire::redis::detail {

using subscriber_entries = std::vector<std::shared_ptr<subscriber_entry>>;

struct subscriber_book {
  struct state {
    subscriber_entries entries;
    bool confirmed = false;
    bool gap_pending = false;
  };

  std::unordered_map<std::string, state> channels, patterns;
  std::unordered_map<std::string, int> stale_acks;          // given up before Redis confirmed them
  std::unordered_map<std::string, int> stale_unsubscribes;  // sharded: SUNSUBSCRIBEs sent

  std::unordered_map<std::string, state>& of(bool pattern) { return pattern ? patterns : channels; }

  static std::string key(bool pattern, std::string_view name) {
    return (pattern ? "p:" : "c:") + std::string(name);
  }

  /// Redis confirmed `name`: its entries are live; those owed a gap go to `targets`.
  void confirm(bool pattern, const std::string& name, subscriber_entries& targets, bool& is_gap) {
    auto stale = stale_acks.find(key(pattern, name));
    if (stale != stale_acks.end() && stale->second > 0) {
      --stale->second;
      return;
    }
    auto& states = of(pattern);
    auto it = states.find(name);
    if (it == states.end()) return;
    it->second.confirmed = true;
    for (auto& entry : it->second.entries) entry->live = true;
    if (it->second.gap_pending) {
      it->second.gap_pending = false;
      targets = it->second.entries;
      is_gap = true;
    }
  }

  /// A `sunsubscribe` for `name`: false when it answers one of ours (nothing to do).
  bool ended_by_redis(const std::string& name) {
    auto stale = stale_unsubscribes.find(name);
    if (stale == stale_unsubscribes.end()) return true;
    if (--stale->second == 0) stale_unsubscribes.erase(stale);
    return false;
  }

  /// Moves the entries of channel `name` to `out`; with `name` empty, those of every channel
  /// not confirmed yet of `slot` (of any slot when `slot` < 0), whose acknowledgements owed are
  /// forgotten too (an error answered them).
  void take_channels(std::string_view name, int slot, subscriber_entries& out) {
    for (auto it = channels.begin(); it != channels.end();) {
      const bool hit = name.empty()
                           ? !it->second.confirmed && (slot < 0 || hash_slot(it->first) == slot)
                           : it->first == name;
      if (!hit) {
        ++it;
        continue;
      }
      out.insert(out.end(), it->second.entries.begin(), it->second.entries.end());
      it = channels.erase(it);
    }
    if (name.empty())
      std::erase_if(stale_unsubscribes,
                    [&](const auto& u) { return slot < 0 || hash_slot(u.first) == slot; });
  }

  subscriber_entries all() const {
    subscriber_entries out;
    for (auto* states : {&channels, &patterns})
      for (auto& [name, s] : *states) out.insert(out.end(), s.entries.begin(), s.entries.end());
    return out;
  }
};

/// Runs `e`'s handler for a message (or its gap handler), unless it was unsubscribed.
inline void deliver(subscriber_entry& e, bool is_gap, std::string_view channel,
                    std::string_view payload) {
  std::lock_guard running(e.running);
  if (e.cancelled) return;
  try {
    if (is_gap) {
      if (e.on_gap) e.on_gap();
    } else {
      e.on_message(channel, payload);
    }
  } catch (const std::exception& ex) {
    detail::log(log_level::warning, std::string("a handler of ") + e.name + " threw: " + ex.what());
  } catch (...) {
    detail::log(log_level::warning, "a handler of " + e.name + " threw");
  }
}

inline void call_gap(subscriber_entry& e) {
  std::lock_guard running(e.running);
  if (e.cancelled || !e.on_gap) return;
  try {
    e.on_gap();
  } catch (...) {
    detail::log(log_level::warning, "a gap handler threw");
  }
}

}  // namespace redwire::redis::detail
