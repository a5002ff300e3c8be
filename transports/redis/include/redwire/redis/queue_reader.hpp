// redwire/redis/queue_reader.hpp — takes messages from Redis lists for one consumer.
//
// On Redis >= 7 a pop is one `BLMPOP timeout n k1 k2 ... LEFT COUNT max`: one round trip takes
// a whole batch from the first non-empty queue (queue order = priority). On Redis 6.2 it falls
// back to `LPOP key count` on each queue in order, then `BLPOP k1 k2 ... timeout` when all are
// empty. The reader has its own connection (a blocking pop would stall everyone else's commands);
// wake() unblocks it with `CLIENT UNBLOCK <id>` sent through the shared command connection.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <redwire/transport.hpp>

#include "cluster_slots.hpp"
#include "command_connection.hpp"
#include "command_router.hpp"
#include "connection.hpp"
#include "pending_replies.hpp"

namespace redwire::redis {
namespace detail {

struct reader_state {
  settings st;
  std::shared_ptr<command_connection> commands;
  std::shared_ptr<command_router> router;  // on a cluster: commands go to the slot's master now
  std::function<void(std::string_view, std::string_view)> publish;  // on a cluster: SPUBLISH
  std::vector<std::string> queues;
  std::unique_ptr<connection> conn;  // used by the popping thread only
  std::atomic<bool> wake_pending{false};
  std::atomic<bool> blocking{false};
  std::atomic<long long> client_id{-1};
  bool use_lmpop = true;  // until the server says it does not know LMPOP (Redis < 7)
  clock::time_point next_attempt{};
  std::chrono::milliseconds backoff{0};
  // Reused by every pop (the popping thread only): no allocation per pop for the command.
  std::vector<std::string_view> args;
  std::string command;
  std::string prefix;  // commands sent ahead of the next blocking pop (publish_then_pop)
  clock::time_point last_unfused{};  // the last reply published through the command connection
};

// The settings of a reader of `key`: on a cluster, it goes to the master of the key's slot
// (a reader's keys share one hash tag, so one slot), and follows it when it moves.
inline settings serving(settings st, std::string_view key) {
  if (!st.cluster.seeds.empty()) st.slot = hash_slot(key);
  return st;
}

// Where the reader's own commands go (CLIENT UNBLOCK, the replies it publishes): on a cluster,
// the master of its keys' slot now (it may have moved since the reader was opened).
inline command_connection& commands_of(reader_state& s) {
  return s.router && s.st.slot >= 0 ? *s.router->at_slot(s.st.slot) : *s.commands;
}

// Connects `s.conn` unless it is there (the reader's and the stream reader's own connection),
// with exponential backoff between failed attempts; never holds the caller much past
// `deadline`. Throws transport_error.
inline void ensure_connected(reader_state& s, clock::time_point deadline, std::string_view name) {
  if (s.conn) return;
  if (clock::now() < s.next_attempt) {
    std::this_thread::sleep_until(std::min(s.next_attempt, deadline));
    if (clock::now() < s.next_attempt)
      throw transport_error("redwire::redis: cannot reach " + s.st.describe() + " (retrying)");
  }
  settings st = s.st;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
  auto bound = std::clamp(left, std::chrono::milliseconds(50), s.st.connect_timeout);
  st.connect_timeout = bound;
  st.command_timeout = std::min(st.command_timeout, bound);
  try {
    s.conn = std::make_unique<connection>(st, name, true);
    s.conn->sock().set_send_timeout(s.st.command_timeout);
    s.conn->sock().detect_dead_peer(s.st.command_timeout);  // what a late reply may wait on
    s.client_id = s.conn->client_id();
    s.backoff = s.st.reconnect_min;
  } catch (const transport_error&) {
    s.next_attempt = clock::now() + s.backoff;
    s.backoff = std::min(s.backoff * 2, s.st.reconnect_max);
    throw;
  }
}

// After a failure: the next ensure_connected tries at once; backoff grows only if that fails.
inline void drop_connection(reader_state& s) {
  s.conn.reset();
  s.client_id = -1;
  s.next_attempt = {};
}

// Whether Redis still answers, asked on the command connection: `CLIENT UNBLOCK <this reader>`,
// which also ends the reader's pop at once if it has taken nothing yet (whatever it took, it
// sends). Waits as long as the command connection waits for any reply: when it gives up on
// Redis it answers `connection_lost` itself. True once Redis answered, whatever it said.
inline bool redis_answers(reader_state& s) {
  struct answer {
    std::mutex m;
    std::condition_variable cv;
    std::optional<bool> alive;
  };
  auto a = std::make_shared<answer>();
  const std::string id = std::to_string(s.client_id.load());
  std::string_view args[] = {"CLIENT", "UNBLOCK", id};
  try {
    commands_of(s).send(args, "CLIENT UNBLOCK", [a](reply&& r) {
      std::lock_guard lk(a->m);
      a->alive = !(r.is_error() && r.str == command_connection::connection_lost);
      a->cv.notify_all();
    });
  } catch (const transport_error&) {
    return false;  // the command connection is down: so is Redis, as far as we can tell
  }
  std::unique_lock lk(a->m);
  // The command connection gives up within two command timeouts of silence; a third is spare.
  a->cv.wait_for(lk, 3 * s.st.command_timeout, [&] { return a->alive.has_value(); });
  return a->alive.value_or(false);
}

// CLIENT UNBLOCK may reach Redis before the BLPOP it targets (they travel on two connections):
// Redis then answers 0 and we try again while the reader still says it is blocking.
inline void send_unblock(const std::shared_ptr<reader_state>& s, int attempts_left) {
  long long id = s->client_id.load();
  if (id < 0 || attempts_left <= 0) return;
  std::string id_text = std::to_string(id);
  std::string_view args[] = {"CLIENT", "UNBLOCK", id_text};
  std::weak_ptr<reader_state> weak = s;
  try {
    commands_of(*s).send(args, "CLIENT UNBLOCK", [weak, attempts_left](reply&& r) {
      auto s = weak.lock();
      if (s && r.is_integer() && r.integer == 0 && s->blocking && s->wake_pending) {
        send_unblock(s, attempts_left - 1);
      }
    });
  } catch (const transport_error&) {
    // the reader's own connection is failing too; its pop ends by itself
  }
}

}  // namespace detail

/// One consumer's view of some queues; movable, not copyable. pop() from one thread at a time;
/// wake() from any thread.
class queue_reader {
 public:
  /// On a cluster, `router` is the transport's: the reader's commands follow its slot; and
  /// `publish` is the transport's (SPUBLISH: redis/pattern_registry.hpp).
  queue_reader(std::shared_ptr<detail::command_connection> commands,
               std::vector<std::string> queues,
               std::shared_ptr<detail::command_router> router = nullptr,
               std::function<void(std::string_view, std::string_view)> publish = {})
      : s_(std::make_shared<detail::reader_state>()) {
    s_->router = std::move(router);
    s_->publish = std::move(publish);
    s_->st = detail::serving(commands->config(), queues.empty() ? "" : queues[0]);
    s_->commands = std::move(commands);
    s_->queues = std::move(queues);
    s_->backoff = s_->st.reconnect_min;
  }

  /// Waits up to `timeout` for messages, then appends up to `max` of them to `out`, the first
  /// queue's first. Returns with nothing on timeout or wake(); throws transport_error when Redis
  /// cannot be reached (the next pop reconnects).
  ///   r.pop(batch, 64, 100ms);
  void pop(std::vector<std::string>& out, std::size_t max, std::chrono::milliseconds timeout) {
    if (max == 0 || s_->queues.empty()) return;
    auto deadline = detail::clock::now() + timeout;
    ensure_connected(deadline);
    try {
      if (s_->use_lmpop && pop_lmpop(out, max, timeout, deadline)) return;
      pop_lpop(out, max, timeout, deadline);
    } catch (const transport_error&) {
      s_->blocking = false;
      drop_connection();
      throw;
    }
  }

  /// PUBLISH `bytes` to `channel`, then pop() — in one write on the reader's connection when it
  /// can, which saves a syscall and often a wake-up of Redis per call: a service that has just
  /// run a lone request sends its reply and its next pop together. The PUBLISH goes out as
  /// `CLIENT REPLY SKIP` + PUBLISH (no reply to wake anyone); once every 100 ms, and whenever
  /// the server refuses CLIENT REPLY, it goes through the command connection instead, which
  /// checks its reply, so that a lasting error (an ACL on the channel) is still logged.
  /// Throws transport_error as pop() does (the reply is then lost, as the connection is).
  /// On a cluster, SPUBLISH through the router, then pop() (redis/sharded_subscriber.hpp).
  void publish_then_pop(std::string_view channel, std::string_view bytes,
                        std::vector<std::string>& out, std::size_t max,
                        std::chrono::milliseconds timeout) {
    detail::reader_state& s = *s_;
    if (s.publish) {  // a cluster: SPUBLISH, on the master of the channel's slot (not the queue's)
      s.publish(channel, bytes);
      pop(out, max, timeout);
      return;
    }
    const auto now = detail::clock::now();
    if (!s.conn || !s.use_lmpop || max == 0 || s.queues.empty() || timeout.count() <= 0 ||
        now - s.last_unfused >= std::chrono::milliseconds(100) ||
        !detail::commands_of(s).skips_replies()) {
      s.last_unfused = now;
      std::string_view args[] = {"PUBLISH", channel, bytes};
      detail::commands_of(s).send(args, "PUBLISH");
      pop(out, max, timeout);
      return;
    }
    s.prefix.assign(detail::skip_next_reply);
    std::string_view args[] = {"PUBLISH", channel, bytes};
    detail::append_command(s.prefix, args);
    struct clear_prefix {
      std::string& p;
      ~clear_prefix() { p.clear(); }
    } cleanup{s.prefix};
    pop(out, max, timeout);
  }

  /// Makes a waiting pop() return now (or the next one, if none is waiting). Any thread.
  void wake() {
    if (!s_) return;
    s_->wake_pending = true;
    if (s_->blocking) detail::send_unblock(s_, 1000);
  }

  /// Whether the reader holds a live connection (false until the first pop).
  bool connected() const noexcept { return s_ && s_->conn != nullptr; }

 private:
  // Redis >= 7: one round trip per pop, batch included. [B]LMPOP takes up to `max` from the
  // first non-empty queue. Returns false when the server does not know the command.
  bool pop_lmpop(std::vector<std::string>& out, std::size_t max, std::chrono::milliseconds timeout,
                 detail::clock::time_point deadline) {
    detail::reader_state& s = *s_;
    std::string count = std::to_string(max), numkeys = std::to_string(s.queues.size());
    std::string seconds = seconds_text(timeout);
    std::vector<std::string_view>& args = s.args;
    args.clear();
    if (timeout.count() > 0) {
      args.push_back("BLMPOP");
      args.push_back(seconds);
    } else {
      args.push_back("LMPOP");
    }
    args.push_back(numkeys);
    args.insert(args.end(), s.queues.begin(), s.queues.end());
    for (std::string_view a : {"LEFT", "COUNT"}) args.push_back(a);
    args.push_back(count);
    std::optional<reply> answer;  // the non-blocking form only (a pop with no wait)
    reply* r = nullptr;
    if (timeout.count() > 0) {
      r = blocking_call(args, deadline);
    } else {
      answer = s.conn->execute(args, s.st.command_timeout);
      r = &*answer;
    }
    if (!r) return true;  // woken before it was sent
    if (r->is_error()) {
      if (r->str.starts_with("ERR unknown command")) {
        s.use_lmpop = false;
        return false;
      }
      s.conn->on_error(r->str);  // READONLY: a replica now; MOVED: the slot moved. Reconnect
      if (const detail::bounce b = detail::bounce_of(r->str); b != detail::bounce::none) {
        // A cluster's slot moved (pop at once where it is now) or is moving (ASK, TRYAGAIN,
        // CLUSTERDOWN: pop again after reconnect_min, until it has moved): nothing to report.
        detail::drop_connection(s);
        if (b != detail::bounce::moved) s.next_attempt = detail::clock::now() + s.st.reconnect_min;
        return true;
      }
      throw transport_error("redwire::redis: " + std::string(args[0]) + " failed: " + r->str);
    }
    if (r->is_array() && r->elements.size() == 2) {
      for (reply& e : r->elements[1].elements) out.push_back(std::move(e.str));
    }
    return true;
  }

  // Redis 6.2: non-blocking LPOP count per queue in order, then BLPOP when all are empty.
  void pop_lpop(std::vector<std::string>& out, std::size_t max, std::chrono::milliseconds timeout,
                detail::clock::time_point deadline) {
    detail::reader_state& s = *s_;
    std::size_t got = 0;
    for (const std::string& q : s.queues) {
      std::string count = std::to_string(max - got);
      std::string_view args[] = {"LPOP", q, count};
      reply r = s.conn->execute(args, s.st.command_timeout);
      if (r.is_error()) throw transport_error("redwire::redis: LPOP " + q + " failed: " + r.str);
      for (reply& e : r.elements) out.push_back(std::move(e.str));
      got += r.elements.size();
      if (got >= max) return;
    }
    if (got > 0 || timeout.count() <= 0) return;
    std::vector<std::string_view> args{"BLPOP"};
    args.insert(args.end(), s.queues.begin(), s.queues.end());
    std::string seconds = seconds_text(timeout);
    args.push_back(seconds);
    reply* r = blocking_call(args, deadline);
    if (!r) return;
    if (r->is_error()) throw transport_error("redwire::redis: BLPOP failed: " + r->str);
    if (r->is_array() && r->elements.size() == 2) out.push_back(std::move(r->elements[1].str));
  }

  // Sends a blocking command unless a wake() is pending (then nullptr), and waits for its reply,
  // which stays valid until the next read on the connection. A nil reply (timeout or CLIENT
  // UNBLOCK) consumes the pending wake.
  reply* blocking_call(std::span<const std::string_view> args, detail::clock::time_point deadline) {
    detail::reader_state& s = *s_;
    s.blocking = true;  // seen by wake() before it reads wake_pending (both seq_cst)
    std::string& cmd = s.command;
    cmd.clear();
    if (s.wake_pending.exchange(false)) {
      s.blocking = false;
      if (!s.prefix.empty()) s.conn->send(s.prefix);  // the reply goes out all the same
      s.prefix.clear();
      return nullptr;
    }
    cmd.append(s.prefix);  // what publish_then_pop sends ahead, in the same write (once)
    s.prefix.clear();
    detail::append_command(cmd, args);
    s.conn->send(cmd);
    // Redis ends the command at its timeout by itself, and a Redis that dies closes this
    // connection (the read fails at once; a host that dies fails its keep-alive probes). A reply
    // that has not come by our own deadline is late, then, not lost: on a loaded machine Redis
    // or this thread may get no CPU for a while. It is waited for, because it carries what Redis
    // already took off the queues: dropping the connection would lose those requests, and their
    // calls would wait for their whole timeout. Only when asked to stop (wake(), as
    // service::stop() does) does the reader give up on it, and only if Redis answers nothing on
    // the command connection either (killed or stopped: then nothing more is coming).
    reply* r = s.conn->read_reply_view(deadline + s.st.command_timeout);
    while (!r && !(s.wake_pending && !detail::redis_answers(s)))
      r = s.conn->read_reply_view(detail::clock::now() + s.st.command_timeout);
    s.blocking = false;
    if (!r)
      throw transport_error("redwire::redis: no answer to " + std::string(args[0]) + " from " +
                            s.st.describe());
    if (r->is_nil()) s.wake_pending = false;
    return r;
  }

  static std::string seconds_text(std::chrono::milliseconds t) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", static_cast<double>(t.count()) / 1000.0);
    return text;
  }

  void ensure_connected(detail::clock::time_point deadline) {
    detail::ensure_connected(*s_, deadline, "redwire:reader");
  }
  void drop_connection() { detail::drop_connection(*s_); }

  std::shared_ptr<detail::reader_state> s_;
};

}  // namespace redwire::redis
