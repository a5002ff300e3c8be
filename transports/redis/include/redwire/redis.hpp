// redwire/redis.hpp — redwire::redis::transport: queues are Redis lists, channels are pub/sub.
//
//   redwire::redis::transport bus{"redis://:secret@127.0.0.1:6379/0?prefix=rw"};
//   bus.push("rw:{calc}:q", bytes);                      // RPUSH, pipelined, does not wait
//   bus.push("rw:{calc}:q", bytes, 6s);                  // and the queue expires 6 s on at least
//   bus.push_behind("rw:{calc}:q", bytes, 6s);           // RPUSH within 100 µs, batched
//   auto reader = bus.open_reader({"rw:{calc}:q"});       // LPOP count / BLPOP, own connection
//   auto sub = bus.subscribe("rw:reply:{42}", on_message, on_gap);
//   redwire::redis::reply r = bus.command({"INCR", "visits"});   // Redis stays yours
//
// Connections: one shared pipelined connection for push/publish (and CLIENT UNBLOCK), one per
// queue reader, one for all subscriptions (with its delivery thread), one for command(). Each
// reconnects by itself with exponential backoff; push/publish throw transport_error while down.
// On a cluster (docs/cluster.md): command connections and subscribers per master, and channels
// are sharded pub/sub (SPUBLISH/SSUBSCRIBE on the master of the channel's slot).
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <redwire/capabilities/broker_clock.hpp>
#include <redwire/capabilities/corking.hpp>
#include <redwire/capabilities/fusing.hpp>
#include <redwire/capabilities/inboxes.hpp>
#include <redwire/capabilities/patterns.hpp>
#include <redwire/capabilities/queue_expiry.hpp>
#include <redwire/capabilities/registry_store.hpp>
#include <redwire/capabilities/streams.hpp>
#include <redwire/capabilities/withdrawal.hpp>
#include <redwire/capabilities/write_behind.hpp>
#include <redwire/transport.hpp>

#include "redis/broker_clock.hpp"
#include "redis/cluster.hpp"
#include "redis/command_connection.hpp"
#include "redis/command_router.hpp"
#include "redis/connection.hpp"
#include "redis/inbox.hpp"
#include "redis/queue_reader.hpp"
#include "redis/registry_store.hpp"
#include "redis/replicated_appends.hpp"
#include "redis/resp.hpp"
#include "redis/sentinel.hpp"
#include "redis/sharded_subscriber.hpp"
#include "redis/streams.hpp"
#include "redis/subscriber.hpp"
#include "redis/topology.hpp"
#include "redis/url.hpp"

namespace redwire::redis {

/// Also stores the registry: see redis/registry_store.hpp.
class transport : public detail::registry_connection<transport> {
 public:
  /// Connects now: throws std::invalid_argument for a bad URL, transport_error when Redis cannot
  /// be reached or refuses the credentials.
  explicit transport(std::string_view url) : transport(options{.url = std::string(url)}) {}
  explicit transport(const options& o) : transport(resolve(o)) {}
  explicit transport(settings st)
      : st_(with_topology(std::move(st))),
        commands_(std::make_shared<detail::command_router>(st_)),
        subscriber_(st_.cluster.seeds.empty() ? std::make_shared<detail::subscriber>(st_)
                                              : nullptr),
        patterns_(st_.cluster.seeds.empty()
                      ? nullptr
                      : std::make_shared<detail::pattern_registry>(commands_, st_.prefix)),
        shards_(patterns_ ? make_shards(st_, patterns_) : nullptr) {}

  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  /// Stops the threads and closes the connections; readers and subscriptions still alive
  /// become inert (pop throws transport_error, destroying them is fine).
  ~transport() {
    stop_registry();  // first: its callbacks may publish through the members below
    if (subscriber_) subscriber_->stop();
    if (shards_) shards_->stop();
    if (patterns_) patterns_->stop();
    commands_->stop();
    st_.topology->stop();
  }

  /// The namespace of queue and channel names ("rw" unless the URL says ?prefix=...).
  std::string_view prefix() const noexcept { return st_.prefix; }

  /// RPUSH queue bytes; returns once the command is handed to the connection (no round trip).
  /// With `keep` > 0 the queue expires `keep` from now, unless a push asked for longer
  /// (redwire::expiring_queues: PEXPIRE NX and GT in the same write, see redis/quiet_writes.hpp);
  /// without, its TTL is left as it is.
  void push(std::string_view queue, std::string_view bytes,
            std::chrono::milliseconds keep = std::chrono::milliseconds(0)) {
    commands_->at(queue).push(queue, bytes, keep);
  }

  /// push() within 100 µs rather than now (redwire::write_behind_transport): the pushes made
  /// meanwhile leave in the same write, those to one queue as one RPUSH (with one expiry, the
  /// furthest asked for).
  void push_behind(std::string_view queue, std::string_view bytes,
                   std::chrono::milliseconds keep = std::chrono::milliseconds(0)) {
    commands_->at(queue).push_behind(queue, bytes, keep);
  }

  /// Now as Redis's clock says: this host's clock plus the offset learnt from TIME (the first
  /// reading waits for one round trip; the offset is asked again every 5 s, in the background).
  /// Deadlines are read on it (redwire::broker_clock_transport).
  std::chrono::system_clock::time_point broker_time() { return clock_.now(); }

  /// LREM queue 1 bytes, on the connection that pushed (so after the push it undoes): true if
  /// the request was still there (redwire::withdrawing_transport). One round trip.
  bool withdraw(std::string_view queue, std::string_view bytes) {
    std::string_view args[] = {"LREM", queue, "1", bytes};
    return detail::round_trip_at(*commands_, queue, args, "LREM").integer > 0;
  }

  /// PUBLISH channel bytes; like push, does not wait for Redis's answer. On a cluster,
  /// SPUBLISH to the master of the channel's slot (redis/sharded_subscriber.hpp).
  void publish(std::string_view channel, std::string_view bytes) {
    if (patterns_) return patterns_->publish(channel, bytes, false);
    std::string_view args[] = {"PUBLISH", channel, bytes};
    commands_->first().send(args, "PUBLISH");
  }

  /// A PUBLISH that waits in the command connection's buffer until flush() or the next write
  /// (redwire::corking_transport): a service's replies to one batch leave in one write.
  void publish_held(std::string_view channel, std::string_view bytes) {
    if (patterns_) return patterns_->publish(channel, bytes, true);
    std::string_view args[] = {"PUBLISH", channel, bytes};
    commands_->first().send(args, "PUBLISH", {}, true);
  }
  void flush() { commands_->flush(); }

  /// A reader over `queues`, the first served first; it connects at its first pop().
  queue_reader open_reader(std::vector<std::string> queues) {
    auto commands = queues.empty() ? commands_->shared_first() : commands_->shared_at(queues[0]);
    if (!patterns_) return queue_reader(std::move(commands), std::move(queues));
    return queue_reader(std::move(commands), std::move(queues), commands_,
                        [p = patterns_](std::string_view channel, std::string_view bytes) {
                          p->publish(channel, bytes, false);
                        });
  }

  /// SUBSCRIBE: returns once Redis confirmed it. Handlers run on the delivery thread. On a
  /// cluster, SSUBSCRIBE on the master of the channel's slot, followed when the slot moves.
  subscription subscribe(std::string_view channel, message_handler on_message,
                         gap_handler on_gap = {}) {
    if (shards_)
      return subscription(
          shards_, shards_->add(std::string(channel), std::move(on_message), std::move(on_gap)));
    return subscription(subscriber_, subscriber_->add(std::string(channel), false,
                                                      std::move(on_message), std::move(on_gap)));
  }

  /// PSUBSCRIBE (glob pattern, e.g. "rw:topic:orders.*"); on_message gets the actual channel.
  /// On a cluster also recorded for publishers, who then PUBLISH what matches it (a pattern
  /// subscriber may miss the first second of other processes' messages:
  /// redis/pattern_registry.hpp).
  subscription psubscribe(std::string_view pattern, message_handler on_message,
                          gap_handler on_gap = {}) {
    if (shards_)
      return subscription(shards_, shards_->add_pattern(std::string(pattern), std::move(on_message),
                                                        std::move(on_gap)));
    return subscription(subscriber_, subscriber_->add(std::string(pattern), true,
                                                      std::move(on_message), std::move(on_gap)));
  }

  /// Runs one command on a connection of the user's own and returns its reply; an error reply
  /// throws command_error, a connection problem transport_error. Waits up to command_timeout.
  ///   bus.command({"SET", "k", "v"});
  reply command(std::initializer_list<std::string_view> args) {
    return command(std::span<const std::string_view>(args.begin(), args.size()));
  }
  reply command(const std::vector<std::string_view>& args) {
    return command(std::span<const std::string_view>(args.data(), args.size()));
  }
  /// On a cluster, a MOVED or ASK answer is followed (to the node named, a few hops at most):
  /// the node that answers so did not run the command.
  reply command(std::span<const std::string_view> args) {
    std::lock_guard lk(user_m_);
    if (!user_conn_) user_conn_ = std::make_unique<detail::connection>(st_, "redwire:user");
    reply r = user_execute(args, false);
    for (int hop = 0; hop < 5 && r.is_error() && !st_.cluster.seeds.empty(); ++hop) {
      auto to = detail::redirection::parse(r.str, user_conn_->server());
      if (!to) break;
      user_conn_->on_error(r.str);  // MOVED: the slot map learns it
      settings at = st_;
      at.host = to->to.host;
      at.port = to->to.port;
      at.slot = settings::this_node;
      user_conn_ = std::make_unique<detail::connection>(at, "redwire:user");
      r = user_execute(args, to->ask);
    }
    if (r.is_error()) {
      user_conn_->on_error(r.str);  // READONLY: a replica now, reconnect; MOVED: the map learns
      throw command_error(r.str);
    }
    return r;
  }

  /// EVAL script numkeys keys... args...
  ///   bus.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", {"n"}, {"5"}).integer
  reply eval(std::string_view script, const std::vector<std::string_view>& keys = {},
             const std::vector<std::string_view>& args = {}) {
    std::string numkeys = std::to_string(keys.size());
    std::vector<std::string_view> all{"EVAL", script, numkeys};
    all.insert(all.end(), keys.begin(), keys.end());
    all.insert(all.end(), args.begin(), args.end());
    return command(all);
  }

  // ---- durable streams (redwire::stream_transport; see redis/streams.hpp) ------------------

  /// XADD stream [MAXLEN ~ max_length] * rw bytes; returns the entry id (one round trip on the
  /// shared pipelined connection).
  std::string stream_append(std::string_view stream, std::string_view bytes,
                            std::size_t max_length = 0) {
    return detail::xadd(*commands_, stream, bytes, max_length);
  }
  /// The same, returning only once `r.replicas` replicas hold the entry (XADD + WAIT on a
  /// connection of their own: redis/streams.hpp); throws transport_error when they do not
  /// confirm it within r.timeout.
  std::string stream_append(std::string_view stream, std::string_view bytes, std::size_t max_length,
                            const replication& r) {
    return durable_.append(st_, stream, bytes, max_length, r);
  }
  /// A consumer of `group` on `stream`, with a connection of its own (opened at first use).
  stream_reader open_stream_reader(std::string stream, std::string group, std::string consumer) {
    auto commands = commands_->shared_at(stream);
    const bool cluster = !st_.cluster.seeds.empty();
    return stream_reader(std::move(commands), std::move(stream), std::move(group),
                         std::move(consumer), cluster ? commands_ : nullptr);
  }
  /// XRANGE stream - + COUNT max.
  std::vector<stream_entry> stream_range(std::string_view stream, std::size_t max) {
    return detail::xrange(*commands_, stream, max);
  }

  /// A channel subscription on a connection of its own, read by the thread that waits (see
  /// redis/inbox.hpp). Throws transport_error, at the latest after about `budget` (connect,
  /// handshake and subscription each get a third of it, and no more than the URL's timeouts).
  inbox open_inbox(std::string channel, std::chrono::milliseconds budget) {
    settings st = st_;
    const auto third = std::max(budget / 3, std::chrono::milliseconds(1));
    st.connect_timeout = std::min(st.connect_timeout, third);
    st.command_timeout = std::min(st.command_timeout, third);
    if (shards_) st.slot = detail::hash_slot(channel);  // SSUBSCRIBE, on the slot's master
    return inbox(st, std::move(channel));
  }

  /// Whether the shared command connection is up (push and publish work).
  bool connected() const { return commands_->connected(); }

  /// The resolved settings (the password is in there: do not print them; use describe()).
  const settings& config() const noexcept { return st_; }

 private:
  // Under user_m_: `args` on the user's connection (after ASKING when `asking`); a lost
  // connection is dropped and throws.
  reply user_execute(std::span<const std::string_view> args, bool asking) {
    try {
      if (asking)
        user_conn_->execute(std::array<std::string_view, 1>{"ASKING"}, st_.command_timeout);
      return user_conn_->execute(args, st_.command_timeout);
    } catch (const transport_error&) {
      user_conn_.reset();
      throw;
    }
  }

  static std::shared_ptr<detail::sharded_subscriber> make_shards(
      const settings& st, std::shared_ptr<detail::pattern_registry> patterns) {
    return std::make_shared<detail::sharded_subscriber>(
        st, std::dynamic_pointer_cast<detail::cluster_topology>(st.topology), std::move(patterns));
  }

  // Every connection of this transport asks one topology where to go (redis/topology.hpp).
  static settings with_topology(settings st) {
    st.topology.reset();
    st.topology = detail::make_transport_topology(st);  // reads the TLS files: may throw
    if (st.tls.enabled && !st.tls.verify)
      detail::log(log_level::warning,
                  "TLS without verifying the server's certificate (verify=no): " + st.describe());
    return st;
  }

  settings st_;
  std::shared_ptr<detail::command_router> commands_;       // on a cluster, one per master
  detail::broker_clock clock_{commands_->shared_first()};  // after commands_: asks TIME there
  std::shared_ptr<detail::subscriber> subscriber_;         // one server: classic pub/sub
  std::shared_ptr<detail::pattern_registry> patterns_;     // a cluster: SPUBLISH, patterns
  std::shared_ptr<detail::sharded_subscriber> shards_;     // a cluster: sharded pub/sub
  std::mutex user_m_;
  std::unique_ptr<detail::connection> user_conn_;
  detail::replicated_appends durable_;
};

static_assert(redwire::transport<transport>);
static_assert(redwire::registry_store<transport>);
static_assert(redwire::queue_reader<queue_reader>);
static_assert(redwire::fusing_reader<queue_reader>);
static_assert(redwire::stream_transport<transport>);
static_assert(redwire::replicating_stream_transport<transport>);
static_assert(redwire::inbox_transport<transport>);
static_assert(redwire::corking_transport<transport>);
static_assert(redwire::broker_clock_transport<transport>);
static_assert(redwire::withdrawing_transport<transport>);
static_assert(redwire::write_behind_transport<transport>);
static_assert(redwire::expiring_queues<transport>);
static_assert(redwire::health_reporting<subscription>);
static_assert(redwire::pattern_transport<transport>);

}  // namespace redwire::redis
