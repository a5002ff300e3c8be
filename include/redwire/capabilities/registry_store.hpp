// redwire/capabilities/registry_store.hpp — the storage a transport lends to the registry.
//
// The registry (heartbeats, discovery, membership events) keeps its state in the broker that
// carries the calls, so it needs a few storage operations besides queues and channels. A
// transport that offers them models `redwire::registry_store`; both shipped transports do
// (Redis: hashes, sorted sets and Lua scripts; memory: maps under a mutex). The core names the
// keys (see detail/registry_keys.hpp); the store knows nothing of instances or services.
// Without it, services do not register (they log it at debug level and serve on), and
// redwire::registry and redwire::orchestrator do not compile.
//
// Two kinds of things are stored:
//  - records: a small map of text fields with a time to live (an instance's facts);
//  - liveness sets: member -> expiry, where the expiry is reckoned on the store's own clock
//    (Redis: TIME), so hosts with skewed clocks agree on who is alive.
//
//   bus.put_record("rw:{calc}:i:calc-1", {{"host", "a1"}}, 15s);
//   bool fresh = bus.touch_member("rw:{calc}:instances", "calc-1", 5s);   // true: was absent
//   for (auto& id : bus.reap_members("rw:{calc}:instances", 0ms)) { /* only I got these */ }
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../transport.hpp"
#include "queue_expiry.hpp"

namespace redwire {

/// The fields of one record, in the order they were written.
using record_fields = std::vector<std::pair<std::string, std::string>>;

/// Storage for the registry. Every operation may be called from any thread and throws
/// transport_error when the broker cannot be reached.
///   s.put_record(key, fields, ttl): replaces the record at `key`; it vanishes after `ttl`.
///   s.refresh_record(key, ttl) -> bool: restarts its time to live; false if it is gone.
///   s.remove_record(key)
///   s.read_records(keys) -> vector<record_fields>: one entry per key, empty if it is gone.
///   s.touch_member(set, member, ttl) -> bool: the member's expiry becomes at least now + ttl;
///     true when the member was not in the set.
///   s.remove_member(set, member) -> size_t: members left in the set.
///   s.live_members(set, grace) -> vector<string>: members whose expiry is after now - grace.
///   s.reap_members(set, grace) -> vector<string>: atomically removes the members whose
///     expiry is before now - grace and returns them; two concurrent reapers never both get
///     the same member (this is what makes "exactly one expired event" possible).
///   s.take_queue(queue) -> vector<string>: atomically empties a queue and returns its items.
///   s.push_unless_member(set, member, queue, bytes, channel, refusal): atomically, pushes
///     `bytes` to `queue` unless `member` is alive in `set` (the set of dead instances); if it
///     is, publishes `refusal` to `channel` instead (nothing if `channel` is empty). Does not
///     wait for the broker's answer. A form with an expiry hint for the queue may exist too
///     (capabilities/queue_expiry.hpp).
///   s.beat(keys, member, ttl, record_ttl) -> beat_outcome (optional): one heartbeat of a live
///     instance (detail/heartbeat.hpp), atomically: touch_member(keys.live, member, ttl),
///     refresh_record(keys.record, record_ttl), and reap_members with no grace on keys.live and
///     keys.dead. A store that has it does a beat in one round trip; for one that has not, the
///     adapter below makes it of the operations above.
template <class S>
concept registry_store = requires(S& s, std::string_view key, const record_fields& fields,
                                  std::chrono::milliseconds ttl,
                                  const std::vector<std::string>& keys) {
  s.put_record(key, fields, ttl);
  { s.refresh_record(key, ttl) } -> std::same_as<bool>;
  s.remove_record(key);
  { s.read_records(keys) } -> std::same_as<std::vector<record_fields>>;
  { s.touch_member(key, key, ttl) } -> std::same_as<bool>;
  { s.remove_member(key, key) } -> std::same_as<std::size_t>;
  { s.live_members(key, ttl) } -> std::same_as<std::vector<std::string>>;
  { s.reap_members(key, ttl) } -> std::same_as<std::vector<std::string>>;
  { s.take_queue(key) } -> std::same_as<std::vector<std::string>>;
  s.push_unless_member(key, key, key, key, key, key);
};

/// The keys of one heartbeat (they share the service's hash tag: one slot on Redis Cluster).
struct beat_keys {
  std::string_view live;    ///< the service's liveness set
  std::string_view record;  ///< the instance's record
  std::string_view dead;    ///< the service's set of dead instances (mourned, then reaped)
};

/// What one heartbeat found.
struct beat_outcome {
  bool was_absent = false;           ///< the member was not in `live` (it is now): register again
  bool record_gone = false;          ///< the record had expired: write it again
  std::vector<std::string> expired;  ///< members of `live` past their expiry, removed: only this
                                     ///< caller got them
};

template <class S>
concept beating_store = requires(S& s, const beat_keys& keys, std::string_view member,
                                 std::chrono::milliseconds ttl) {
  { s.beat(keys, member, ttl, ttl) } -> std::same_as<beat_outcome>;
};

namespace detail {

class any_registry_store {
 public:
  virtual ~any_registry_store() = default;
  virtual void put_record(std::string_view key, const record_fields& fields,
                          std::chrono::milliseconds ttl) = 0;
  virtual bool refresh_record(std::string_view key, std::chrono::milliseconds ttl) = 0;
  virtual void remove_record(std::string_view key) = 0;
  virtual std::vector<record_fields> read_records(const std::vector<std::string>& keys) = 0;
  virtual bool touch_member(std::string_view set, std::string_view member,
                            std::chrono::milliseconds ttl) = 0;
  virtual std::size_t remove_member(std::string_view set, std::string_view member) = 0;
  virtual std::vector<std::string> live_members(std::string_view set,
                                                std::chrono::milliseconds grace) = 0;
  virtual std::vector<std::string> reap_members(std::string_view set,
                                                std::chrono::milliseconds grace) = 0;
  virtual std::vector<std::string> take_queue(std::string_view queue) = 0;
  virtual void push_unless_member(std::string_view set, std::string_view member,
                                  std::string_view queue, std::string_view bytes,
                                  std::string_view channel, std::string_view refusal,
                                  std::chrono::milliseconds keep) = 0;
  virtual beat_outcome beat(const beat_keys& keys, std::string_view member,
                            std::chrono::milliseconds ttl,
                            std::chrono::milliseconds record_ttl) = 0;
};

/// Made only for a transport that models registry_store (detail::capability_slot).
template <class T>
class registry_store_adapter final : public any_registry_store {
 public:
  explicit registry_store_adapter(T& t) : t_(t) {}
  void put_record(std::string_view key, const record_fields& fields,
                  std::chrono::milliseconds ttl) override {
    t_.put_record(key, fields, ttl);
  }
  bool refresh_record(std::string_view key, std::chrono::milliseconds ttl) override {
    return t_.refresh_record(key, ttl);
  }
  void remove_record(std::string_view key) override { t_.remove_record(key); }
  std::vector<record_fields> read_records(const std::vector<std::string>& keys) override {
    return t_.read_records(keys);
  }
  bool touch_member(std::string_view set, std::string_view member,
                    std::chrono::milliseconds ttl) override {
    return t_.touch_member(set, member, ttl);
  }
  std::size_t remove_member(std::string_view set, std::string_view member) override {
    return t_.remove_member(set, member);
  }
  std::vector<std::string> live_members(std::string_view set,
                                        std::chrono::milliseconds grace) override {
    return t_.live_members(set, grace);
  }
  std::vector<std::string> reap_members(std::string_view set,
                                        std::chrono::milliseconds grace) override {
    return t_.reap_members(set, grace);
  }
  std::vector<std::string> take_queue(std::string_view queue) override {
    return t_.take_queue(queue);
  }
  void push_unless_member(std::string_view set, std::string_view member, std::string_view queue,
                          std::string_view bytes, std::string_view channel,
                          std::string_view refusal, std::chrono::milliseconds keep) override {
    push_unless_member_expiring(t_, set, member, queue, bytes, channel, refusal, keep);
  }
  beat_outcome beat(const beat_keys& keys, std::string_view member, std::chrono::milliseconds ttl,
                    std::chrono::milliseconds record_ttl) override {
    if constexpr (beating_store<T>) {
      return t_.beat(keys, member, ttl, record_ttl);
    } else {
      beat_outcome o;
      o.was_absent = t_.touch_member(keys.live, member, ttl);
      o.record_gone = !t_.refresh_record(keys.record, record_ttl);
      o.expired = t_.reap_members(keys.live, std::chrono::milliseconds(0));
      t_.reap_members(keys.dead, std::chrono::milliseconds(0));
      return o;
    }
  }

 private:
  T& t_;
};

}  // namespace detail

}  // namespace redwire
