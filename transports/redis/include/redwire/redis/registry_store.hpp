// redwire/redis/registry_store.hpp — the registry's storage in Redis (redwire::registry_store).
//
// Records are hashes with PEXPIRE; liveness sets are sorted sets of member -> expiry in ms,
// reckoned on Redis's clock (TIME inside the scripts), so hosts with skewed clocks agree. A
// set's own key expires an hour after its last member's expiry (time enough for a reaper to
// notice the member, not forever). Every
// step that must not interleave with another client is one Lua script: reaping (ZRANGEBYSCORE +
// ZREM: a member goes to exactly one reaper), emptying a queue (LRANGE + DEL), and the guarded
// push of a targeted call (ZSCORE in the set of dead instances + RPUSH and the queue's expiry, or
// PUBLISH of the refusal).
// The keys a script touches share one hash tag ({service}), so this works on Redis Cluster too.
//
// The registry's traffic has a pipelined connection of its own ("redwire:registry"), opened on
// first use: heartbeats never queue behind the user's command() nor behind a burst of calls.
// The transport inherits these members:
//   class transport : public detail::registry_connection<transport> { ... };
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <redwire/capabilities/registry_store.hpp>
#include <redwire/transport.hpp>

#include "command_connection.hpp"
#include "command_router.hpp"
#include "resp.hpp"
#include "settings.hpp"

namespace redwire::redis::detail {

namespace registry_scripts {
// Redis's clock in ms, as a Lua expression.
#define REDWIRE_REDIS_NOW_MS                                                                      \
  "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / " \
  "1000) "

inline constexpr std::string_view put_record =
    "redis.call('DEL', KEYS[1]) "
    "if #ARGV > 1 then redis.call('HSET', KEYS[1], unpack(ARGV, 2)) "
    "redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return 1";

// KEYS[1]'s member ARGV[1] expires at now + ARGV[2] ms at the earliest; `old` is its former
// expiry (false: it was absent). The set outlives its last member by an hour.
#define REDWIRE_REDIS_TOUCH                                                             \
  "local e = now + tonumber(ARGV[2]) "                                                  \
  "local old = redis.call('ZSCORE', KEYS[1], ARGV[1]) "                                 \
  "if (not old) or tonumber(old) < e then redis.call('ZADD', KEYS[1], e, ARGV[1]) end " \
  "local keep = tonumber(ARGV[2]) + 3600000 "                                           \
  "if redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], keep) end "

inline constexpr std::string_view touch_member =
    REDWIRE_REDIS_NOW_MS REDWIRE_REDIS_TOUCH "if old then return 0 end return 1";

// A heartbeat (registry_store::beat). KEYS: the liveness set, the record, the set of the dead;
// ARGV: the member, its ttl, the record's ttl. Returns {was absent, record gone, {expired}}.
inline constexpr std::string_view beat = REDWIRE_REDIS_NOW_MS REDWIRE_REDIS_TOUCH
    "local gone_record = 1 - redis.call('PEXPIRE', KEYS[2], ARGV[3]) "
    "local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now) "
    "if #gone > 0 then redis.call('ZREM', KEYS[1], unpack(gone)) end "
    "redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. now) "
    "return {old and 0 or 1, gone_record, gone}";

inline constexpr std::string_view remove_member =
    "redis.call('ZREM', KEYS[1], ARGV[1]) return redis.call('ZCARD', KEYS[1])";

inline constexpr std::string_view live_members = REDWIRE_REDIS_NOW_MS
    "return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - tonumber(ARGV[1])), '+inf')";

inline constexpr std::string_view reap_members = REDWIRE_REDIS_NOW_MS
    "local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[1]))) "
    "if #gone > 0 then redis.call('ZREM', KEYS[1], unpack(gone)) end return gone";

inline constexpr std::string_view take_queue =
    "local items = redis.call('LRANGE', KEYS[1], 0, -1) redis.call('DEL', KEYS[1]) return items";

// ARGV[5]: how long the queue must live at least (ms; 0: its TTL is left alone). A queue without
// a TTL (PTTL -1) or with a shorter one gets it; a longer one stays.
inline constexpr std::string_view push_unless_member = REDWIRE_REDIS_NOW_MS
    "local e = redis.call('ZSCORE', KEYS[1], ARGV[1]) "
    "if not (e and tonumber(e) > now) then redis.call('RPUSH', KEYS[2], ARGV[2]) "
    "local keep = tonumber(ARGV[5]) "
    "if keep > 0 and redis.call('PTTL', KEYS[2]) < keep then "
    "redis.call('PEXPIRE', KEYS[2], keep) end return 1 end "
    "if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end return 0";

#undef REDWIRE_REDIS_TOUCH
#undef REDWIRE_REDIS_NOW_MS
}  // namespace registry_scripts

template <class Transport>
class registry_connection {
 public:
  registry_connection() = default;
  registry_connection(const registry_connection&) = delete;
  registry_connection& operator=(const registry_connection&) = delete;
  ~registry_connection() { stop_registry(); }

  /// Stops the registry's connections: the transport does it first, before its own members go
  /// (a cluster's targeted-push callback publishes through them).
  void stop_registry() noexcept {
    std::lock_guard lock(mutex_);
    if (conn_) conn_->stop();
  }

  void put_record(std::string_view key, const record_fields& fields,
                  std::chrono::milliseconds ttl) {
    std::vector<std::string_view> args;
    const std::string ms = std::to_string(ttl.count());
    args.push_back(ms);
    for (const auto& [name, value] : fields) {
      args.push_back(name);
      args.push_back(value);
    }
    script(registry_scripts::put_record, {key}, args);
  }

  bool refresh_record(std::string_view key, std::chrono::milliseconds ttl) {
    const std::string ms = std::to_string(ttl.count());
    std::string_view args[] = {"PEXPIRE", key, ms};
    return execute(key, args, "PEXPIRE").integer == 1;
  }

  void remove_record(std::string_view key) {
    std::string_view args[] = {"DEL", key};
    execute(key, args, "DEL");
  }

  std::vector<record_fields> read_records(const std::vector<std::string>& keys) {
    // Pipelined: every HGETALL is written before the first answer is awaited.
    std::vector<std::future<reply>> answers;
    answers.reserve(keys.size());
    for (const auto& k : keys) {
      std::string_view args[] = {"HGETALL", k};
      answers.push_back(send(k, args, "HGETALL"));
    }
    std::vector<record_fields> out;
    out.reserve(keys.size());
    for (auto& a : answers) {
      reply r = wait(a, "HGETALL");
      record_fields fields;
      for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2)
        fields.emplace_back(std::move(r.elements[i].str), std::move(r.elements[i + 1].str));
      out.push_back(std::move(fields));
    }
    return out;
  }

  bool touch_member(std::string_view set, std::string_view member, std::chrono::milliseconds ttl) {
    const std::string ms = std::to_string(ttl.count());
    return script(registry_scripts::touch_member, {set}, {member, ms}).integer == 1;
  }

  beat_outcome beat(const beat_keys& keys, std::string_view member, std::chrono::milliseconds ttl,
                    std::chrono::milliseconds record_ttl) {
    const std::string ms = std::to_string(ttl.count()),
                      record_ms = std::to_string(record_ttl.count());
    reply r = script(registry_scripts::beat, {keys.live, keys.record, keys.dead},
                     {member, ms, record_ms});
    if (!r.is_array() || r.elements.size() != 3)
      throw transport_error("redwire::redis: EVAL (heartbeat): unexpected answer");
    beat_outcome o;
    o.was_absent = r.elements[0].integer == 1;
    o.record_gone = r.elements[1].integer == 1;
    o.expired = strings(std::move(r.elements[2]));
    return o;
  }

  std::size_t remove_member(std::string_view set, std::string_view member) {
    return static_cast<std::size_t>(
        script(registry_scripts::remove_member, {set}, {member}).integer);
  }

  std::vector<std::string> live_members(std::string_view set, std::chrono::milliseconds grace) {
    const std::string ms = std::to_string(grace.count());
    return strings(script(registry_scripts::live_members, {set}, {ms}));
  }

  std::vector<std::string> reap_members(std::string_view set, std::chrono::milliseconds grace) {
    const std::string ms = std::to_string(grace.count());
    return strings(script(registry_scripts::reap_members, {set}, {ms}));
  }

  std::vector<std::string> take_queue(std::string_view queue) {
    return strings(script(registry_scripts::take_queue, {queue}, {}));
  }

  /// `keep` > 0: the queue lives at least that long from now (redwire::expiring_queues).
  void push_unless_member(std::string_view set, std::string_view member, std::string_view queue,
                          std::string_view bytes, std::string_view channel,
                          std::string_view refusal,
                          std::chrono::milliseconds keep = std::chrono::milliseconds(0)) {
    const std::string ms = std::to_string(std::max<long long>(keep.count(), 0));
    const bool cluster = !config().cluster.seeds.empty();
    std::string_view args[] = {"EVAL",
                               registry_scripts::push_unless_member,
                               "2",
                               set,
                               queue,
                               member,
                               bytes,
                               cluster ? std::string_view() : channel,
                               cluster ? std::string_view() : refusal,
                               ms};
    if (!cluster || channel.empty()) {
      connection(queue).send(args, "EVAL (targeted push)");  // pipelined: no round trip to wait
      return;
    }
    // On a cluster the caller's reply channel is sharded, in another slot than the script's
    // keys: the script only says it refused (0), and the refusal is published from here.
    connection(queue).send(args, "EVAL (targeted push)",
                           [this, to = std::string(channel), r = std::string(refusal)](reply&& x) {
                             if (!x.is_error() && x.integer == 0)
                               static_cast<Transport&>(*this).publish(to, r);
                           });
  }

 private:
  // The transport's settings (its URL, timeouts); the transport must be fully built.
  const settings& config() { return static_cast<Transport&>(*this).config(); }

  // The connection for `key` (on a cluster, to its slot's master: redis/command_router.hpp).
  command_connection& connection(std::string_view key) {
    std::lock_guard lock(mutex_);
    if (!conn_) conn_ = std::make_shared<command_router>(config());  // throws when down
    return conn_->at(key);
  }

  std::future<reply> send(std::string_view key, std::span<const std::string_view> args,
                          const char* what) {
    auto promise = std::make_shared<std::promise<reply>>();
    auto answer = promise->get_future();
    connection(key).send(args, what, [promise](reply&& r) { promise->set_value(std::move(r)); });
    return answer;
  }

  reply wait(std::future<reply>& answer, const char* what) {
    // The connection answers every command, with "connection lost" at worst; the extra second
    // only guards against a reader thread that is itself stuck.
    if (answer.wait_for(config().command_timeout * 2 + std::chrono::seconds(1)) !=
        std::future_status::ready)
      throw transport_error(std::string("redwire::redis: ") + what + ": no answer in time");
    reply r = answer.get();
    if (r.is_error())
      throw transport_error(std::string("redwire::redis: ") + what + " failed: " + r.str);
    return r;
  }

  reply execute(std::string_view key, std::span<const std::string_view> args, const char* what) {
    auto answer = send(key, args, what);
    return wait(answer, what);
  }

  reply script(std::string_view body, std::initializer_list<std::string_view> keys,
               const std::vector<std::string_view>& args) {
    const std::string numkeys = std::to_string(keys.size());
    std::vector<std::string_view> all{"EVAL", body, numkeys};
    all.insert(all.end(), keys.begin(), keys.end());
    all.insert(all.end(), args.begin(), args.end());
    return execute(*keys.begin(), all, "EVAL (registry)");
  }

  static std::vector<std::string> strings(reply r) {
    std::vector<std::string> out;
    out.reserve(r.elements.size());
    for (auto& e : r.elements) out.push_back(std::move(e.str));
    return out;
  }

  std::mutex mutex_;
  std::shared_ptr<command_router> conn_;
};

}  // namespace redwire::redis::detail
