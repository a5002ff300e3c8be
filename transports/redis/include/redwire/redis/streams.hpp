// redwire/redis/streams.hpp — durable streams on Redis Streams (redwire::stream_transport).
//
//   append    XADD key [MAXLEN ~ n] * rw <bytes>          shared pipelined connection
//   range     XRANGE key - + COUNT n                        shared pipelined connection
//   (appends that wait for replicas, XADD + WAIT: replicated_appends.hpp)
//   reader    XGROUP CREATE ... MKSTREAM, XREADGROUP [BLOCK], XAUTOCLAIM, XPENDING, XACK,
//             and a script of XINFO CONSUMERS + XGROUP DELCONSUMER for consumers gone idle
//             (with a hash "<stream>:seen:<group>" of when each consumer last looked, in the
//             stream's slot: see seen_key)
//
// Each stream reader has a connection of its own, as a queue reader has: XREADGROUP BLOCK holds
// its connection until an entry comes. wake() unblocks it with CLIENT UNBLOCK sent through the
// shared command connection (the machinery of queue_reader.hpp). Entries carry one field, "rw".
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
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

#include <redwire/capabilities/streams.hpp>
#include <redwire/transport.hpp>

#include "cluster_slots.hpp"
#include "command_connection.hpp"
#include "command_router.hpp"
#include "connection.hpp"
#include "queue_reader.hpp"

namespace redwire::redis {
namespace detail {

/// Appends the entries of an XRANGE / XREADGROUP / XAUTOCLAIM entry list; entries whose body
/// is nil (deleted while pending) go to `gone` instead.
inline void take_entries(reply& list, std::vector<stream_entry>& out,
                         std::vector<std::string>* gone) {
  for (reply& e : list.elements) {
    if (!e.is_array() || e.elements.size() < 2) continue;
    reply& fields = e.elements[1];
    std::string* payload = nullptr;
    for (std::size_t i = 0; i + 1 < fields.elements.size(); i += 2)
      if (fields.elements[i].str == "rw") payload = &fields.elements[i + 1].str;
    if (payload) {
      out.push_back({std::move(e.elements[0].str), std::move(*payload)});
    } else if (gone) {
      gone->push_back(std::move(e.elements[0].str));
    }
  }
}

/// Removes, in one step, the consumers of group ARGV[1] on stream KEYS[1] other than ARGV[3]
/// that have nothing pending and have not been seen for ARGV[2] ms; returns their names. In one
/// script, so that no consumer can take an entry between the look and the removal (DELCONSUMER
/// drops what it holds). "Seen" is the later of two times: the consumer's last read or claim
/// as XINFO CONSUMERS tells it (on Redis 7.0 only reads and claims that returned entries count,
/// so a live consumer with no traffic would look idle), and the last call of this script by
/// the consumer itself, kept in the hash KEYS[2] (consumer -> ms on Redis's clock).
inline constexpr std::string_view remove_idle_consumers_script =
    "local t = redis.call('TIME') "
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
    "local limit = tonumber(ARGV[2]) "
    "redis.call('HSET', KEYS[2], ARGV[3], now) "
    "if redis.call('PTTL', KEYS[2]) < 2 * limit then redis.call('PEXPIRE', KEYS[2], 2 * limit) end "
    "local gone = {} "
    "for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do "
    "local f = {} for i = 1, #c, 2 do f[c[i]] = c[i + 1] end "
    "local seen = tonumber(redis.call('HGET', KEYS[2], f['name']) or 0) "
    "if f['name'] ~= ARGV[3] and tonumber(f['pending']) == 0 "
    "and tonumber(f['idle']) >= limit and now - seen >= limit then "
    "redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f['name']) "
    "redis.call('HDEL', KEYS[2], f['name']) gone[#gone + 1] = f['name'] end end "
    "return gone";

/// The hash of remove_idle_consumers_script, "<stream>:seen:<group>", in the stream's slot (its
/// two keys must share one on a cluster): so it is when the stream's key has a hash tag, as the
/// core's have ("rw:stream:{orders.log}"); a key without one is given its whole name as tag,
/// "{<stream>}:seen:<group>" (a key with no tag but a '}' cannot be: CROSSSLOT on a cluster).
inline std::string seen_key(std::string_view stream, std::string_view group) {
  std::string plain = std::string(stream).append(":seen:").append(group);
  if (hash_slot(plain) == hash_slot(stream)) return plain;
  return std::string("{").append(stream).append("}:seen:").append(group);
}

/// The arguments of XADD stream [MAXLEN ~ max_length] * rw bytes (`limit` holds the number).
inline std::vector<std::string_view> xadd_args(std::string_view stream, std::string_view bytes,
                                               std::size_t max_length, std::string& limit) {
  limit = std::to_string(max_length);
  std::vector<std::string_view> args{"XADD", stream};
  if (max_length > 0) args.insert(args.end(), {"MAXLEN", "~", limit});
  args.insert(args.end(), {"*", "rw", bytes});
  return args;
}

/// XADD; returns the entry id. max_length > 0 adds MAXLEN ~ max_length.
inline std::string xadd(command_router& commands, std::string_view stream, std::string_view bytes,
                        std::size_t max_length) {
  std::string limit;
  reply r = round_trip_at(commands, stream, xadd_args(stream, bytes, max_length, limit), "XADD");
  return std::move(r.str);
}

/// XRANGE key - + COUNT max.
inline std::vector<stream_entry> xrange(command_router& commands, std::string_view stream,
                                        std::size_t max) {
  std::string count = std::to_string(max);
  std::string_view args[] = {"XRANGE", stream, "-", "+", "COUNT", count};
  reply r = round_trip_at(commands, stream, args, "XRANGE");
  std::vector<stream_entry> out;
  take_entries(r, out, nullptr);
  return out;
}

}  // namespace detail

/// One consumer of one group; see redwire::stream_reader. Movable; one thread at a time, except
/// wake().
class stream_reader {
 public:
  /// On a cluster, `router` sends its CLIENT UNBLOCK to the master of its stream's slot now.
  stream_reader(std::shared_ptr<detail::command_connection> commands, std::string stream,
                std::string group, std::string consumer,
                std::shared_ptr<detail::command_router> router = nullptr)
      : s_(std::make_shared<detail::reader_state>()),
        stream_(std::move(stream)),
        group_(std::move(group)),
        consumer_(std::move(consumer)) {
    s_->st = detail::serving(commands->config(), stream_);
    s_->commands = std::move(commands);
    s_->router = std::move(router);
    s_->backoff = s_->st.reconnect_min;
  }

  void create_group(bool from_start) {
    std::string_view args[] = {"XGROUP",  "CREATE", stream_, group_, from_start ? "0" : "$",
                               "MKSTREAM"};
    reply r = run(args);
    if (r.is_error() && !r.str.starts_with("BUSYGROUP"))
      throw transport_error("redwire::redis: XGROUP CREATE " + stream_ + " " + group_ +
                            " failed: " + r.str);
  }

  void read(std::vector<stream_entry>& out, std::size_t max, std::chrono::milliseconds block) {
    std::string count = std::to_string(std::max<std::size_t>(max, 1));
    std::string block_ms = std::to_string(block.count());
    std::vector<std::string_view> args{"XREADGROUP", "GROUP", group_, consumer_, "COUNT", count};
    if (block.count() > 0) args.insert(args.end(), {"BLOCK", block_ms});
    args.insert(args.end(), {"STREAMS", stream_, ">"});
    std::optional<reply> r;
    if (block.count() > 0) {
      r = blocking_call(args, detail::clock::now() + block);
      if (!r) return;  // woken before it was sent
    } else {
      r = run(args);
    }
    check(*r, "XREADGROUP");
    take_stream_reply(*r, out);
  }

  void read_own_pending(std::vector<stream_entry>& out, std::string_view after_id,
                        std::size_t max) {
    std::string count = std::to_string(std::max<std::size_t>(max, 1));
    std::string_view args[] = {"XREADGROUP", "GROUP",   group_,  consumer_, "COUNT",
                               count,        "STREAMS", stream_, after_id};
    reply r = run(args);
    check(r, "XREADGROUP");
    take_stream_reply(r, out);
  }

  std::string autoclaim(std::vector<stream_entry>& out, std::chrono::milliseconds min_idle,
                        std::string_view cursor, std::size_t max) {
    std::string idle = std::to_string(min_idle.count());
    std::string count = std::to_string(std::max<std::size_t>(max, 1));
    std::string_view args[] = {"XAUTOCLAIM", stream_, group_,  consumer_,
                               idle,         cursor,  "COUNT", count};
    reply r = run(args);
    check(r, "XAUTOCLAIM");
    if (!r.is_array() || r.elements.size() < 2) return "0-0";
    std::vector<std::string> gone;
    detail::take_entries(r.elements[1], out, &gone);  // Redis 6.2 reports deleted ones as nil
    if (!gone.empty()) ack(gone);
    return std::move(r.elements[0].str);
  }

  std::vector<std::uint64_t> delivery_counts(std::span<const std::string> ids) {
    // One XPENDING per id, pipelined: a single round trip for the lot.
    std::string cmd;
    for (const std::string& id : ids) {
      std::string_view args[] = {"XPENDING", stream_, group_, id, id, "1"};
      detail::append_command(cmd, args);
    }
    std::vector<std::uint64_t> counts;
    if (ids.empty()) return counts;
    ensure_connected(detail::clock::now() + s_->st.command_timeout);
    try {
      s_->conn->send(cmd);
      auto deadline = detail::clock::now() + s_->st.command_timeout;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        std::optional<reply> r = s_->conn->read_reply(deadline);
        if (!r) throw transport_error("redwire::redis: no reply to XPENDING in time");
        check(*r, "XPENDING");
        std::uint64_t n = 0;
        if (r->is_array() && !r->elements.empty() && r->elements[0].elements.size() >= 4)
          n = static_cast<std::uint64_t>(r->elements[0].elements[3].integer);
        counts.push_back(n);
      }
    } catch (const transport_error&) {
      drop_connection();
      throw;
    }
    return counts;
  }

  void ack(std::span<const std::string> ids) {
    if (ids.empty()) return;
    std::vector<std::string_view> args{"XACK", stream_, group_};
    args.insert(args.end(), ids.begin(), ids.end());
    reply r = run(args);
    check(r, "XACK");
  }

  /// See redwire::stream_reader: XGROUP DELCONSUMER for every other consumer of the group with
  /// nothing pending, not seen for `min_idle`; returns their names. Marks this one as seen in
  /// "<stream>:seen:<group>" (see remove_idle_consumers_script).
  std::vector<std::string> remove_idle_consumers(std::chrono::milliseconds min_idle) {
    const std::string idle = std::to_string(min_idle.count());
    const std::string seen = detail::seen_key(stream_, group_);
    std::string_view args[] = {
        "EVAL", detail::remove_idle_consumers_script, "2", stream_, seen, group_, idle, consumer_};
    reply r = run(args);
    check(r, "XGROUP DELCONSUMER");
    std::vector<std::string> gone;
    for (reply& name : r.elements) gone.push_back(std::move(name.str));
    return gone;
  }

  /// Makes a waiting read() return now (or the next one). Any thread.
  void wake() {
    if (!s_) return;
    s_->wake_pending = true;
    if (s_->blocking) detail::send_unblock(s_, 1000);
  }

 private:
  void check(const reply& r, const char* what) {
    if (!r.is_error()) return;
    if (s_->conn) s_->conn->on_error(r.str);  // READONLY: a replica now; MOVED: moved
    if (r.str.starts_with("NOGROUP"))
      throw no_such_group("redwire::redis: " + std::string(what) + " on " + stream_ + ": " + r.str);
    throw transport_error("redwire::redis: " + std::string(what) + " on " + stream_ +
                          " failed: " + r.str);
  }

  void take_stream_reply(reply& r, std::vector<stream_entry>& out) {
    // [[key, [[id, [field, value, ...]], ...]]]; nil when nothing came
    if (!r.is_array()) return;
    std::vector<std::string> gone;
    for (reply& per_stream : r.elements)
      if (per_stream.is_array() && per_stream.elements.size() == 2)
        detail::take_entries(per_stream.elements[1], out, &gone);
    if (!gone.empty()) ack(gone);  // deleted while pending: nothing left to process
  }

  reply run(std::span<const std::string_view> args) {
    ensure_connected(detail::clock::now() + s_->st.command_timeout);
    try {
      return s_->conn->execute(args, s_->st.command_timeout);
    } catch (const transport_error&) {
      drop_connection();
      throw;
    }
  }

  std::optional<reply> blocking_call(std::span<const std::string_view> args,
                                     detail::clock::time_point deadline) {
    detail::reader_state& s = *s_;
    ensure_connected(deadline);
    s.blocking = true;  // seen by wake() before it reads wake_pending (both seq_cst)
    if (s.wake_pending.exchange(false)) {
      s.blocking = false;
      return std::nullopt;
    }
    try {
      std::string cmd;
      detail::append_command(cmd, args);
      s.conn->send(cmd);
      std::optional<reply> r = s.conn->read_reply(deadline + s.st.command_timeout);
      s.blocking = false;
      if (!r)
        throw transport_error("redwire::redis: no answer to XREADGROUP from " + s.st.describe());
      if (r->is_nil()) s.wake_pending = false;
      // CLIENT UNBLOCK makes a blocked XREADGROUP answer with an error only when asked to
      // (UNBLOCK ERROR); the default is a nil reply, as on timeout.
      return r;
    } catch (const transport_error&) {
      s.blocking = false;
      drop_connection();
      throw;
    }
  }

  void ensure_connected(detail::clock::time_point deadline) {
    detail::ensure_connected(*s_, deadline, "redwire:stream");
  }
  void drop_connection() { detail::drop_connection(*s_); }

  std::shared_ptr<detail::reader_state> s_;
  std::string stream_, group_, consumer_;
};

static_assert(redwire::stream_reader<stream_reader>);

}  // namespace redwire::redis
