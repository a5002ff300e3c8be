// redwire/redis/pending_replies.hpp — the replies a pipelined command connection waits for,
// in order, and on a cluster the commands a node may bounce, with their second chance.
//
// A node of a Redis Cluster refuses a command on a key whose slot it does not serve:
//   MOVED <slot> <node>   the slot lives there now (the map learns it: redis/cluster.hpp)
//   ASK <slot> <node>     the slot is moving and this key is already there: ASKING, then the
//                         command, there, once
//   TRYAGAIN              a multi-key command meets a slot half moved: later
//   CLUSTERDOWN           the cluster cannot serve the slot now (a failover is under way): later
// A node that answers so did not run the command, so it is safe to send it again: a push is
// then never run twice. A command whose reply never came (the connection was lost) is not
// sent again: its outcome is unknown (the caller's call ends as unavailable or at its timeout).
//
// On a cluster, the command connection (command_connection.hpp) keeps each command it writes
// without a callback (pushes, SPUBLISH) as a bounced_command until its reply comes; a bounce
// hands it to the command router (command_router.hpp), which sends it where it must go now.
// Elsewhere nothing is kept (no allocation): one server bounces nothing.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <redwire/log.hpp>

#include "resp.hpp"
#include "settings.hpp"

namespace redwire::redis::detail {

/// A command written without a callback on a cluster, kept until its reply.
struct bounced_command {
  std::string key;    // routes it (a push's queue, a sharded channel)
  std::string bytes;  // the command as written (RESP)
  const char* what = "";
  std::chrono::milliseconds keep{0};  // a push's queue expiry hint (quiet_writes.hpp)
  clock::time_point until;            // TRYAGAIN and CLUSTERDOWN are retried until then
  int hops = 0;                       // times sent again so far
};

enum class bounce { none, moved, ask, try_again, cluster_down };

/// What an error reply says of the command's fate on a cluster.
inline bounce bounce_of(std::string_view error) noexcept {
  if (error.starts_with("MOVED ")) return bounce::moved;
  if (error.starts_with("ASK ")) return bounce::ask;
  if (error.starts_with("TRYAGAIN")) return bounce::try_again;
  if (error.starts_with("CLUSTERDOWN")) return bounce::cluster_down;
  return bounce::none;
}

/// Called on the reader thread of the connection at `from` that got `error` for `c`.
using bounce_handler = std::function<void(std::unique_ptr<bounced_command> c,
                                          std::string_view error, const endpoint& from)>;

/// A reply the command connection waits for: its callback, or on a cluster the command itself.
struct pending_reply {
  using callback = std::function<void(reply&&)>;
  const char* what;
  callback cb;
  std::unique_ptr<bounced_command> again;  // cluster only: to send again if bounced
};

/// The replies a connection waits for, in the order of its commands.
class pending_replies {
 public:
  /// On a cluster, `bounced` gets the commands that a node bounces; elsewhere it is empty.
  pending_replies(bounce_handler bounced, std::chrono::milliseconds retry_for)
      : bounced_(std::move(bounced)), retry_for_(retry_for) {}

  /// `replies` replies to come for `what`, with no callback (their errors are logged).
  void expect(std::size_t replies, const char* what) {
    for (; replies > 0; --replies) q_.push_back(pending_reply{what, {}, nullptr});
  }
  void expect(const char* what, pending_reply::callback cb) {
    q_.push_back(pending_reply{what, std::move(cb), nullptr});
  }
  /// The reply to `command` (written just now) on `key`; on a cluster the command is kept, to
  /// be sent again if a node bounces it (a push's `keep` with it).
  void expect_kept(std::string_view command, std::string_view key, const char* what,
                   std::chrono::milliseconds keep) {
    pending_reply p{what, {}, nullptr};
    if (bounced_)
      p.again.reset(new bounced_command{std::string(key), std::string(command), what, keep,
                                        clock::now() + std::max(keep, retry_for_)});
    q_.push_back(std::move(p));
  }
  /// A command sent again (bounces.hpp), kept again.
  void expect_again(std::unique_ptr<bounced_command> c) {
    const char* what = c->what;
    q_.push_back(pending_reply{what, {}, std::move(c)});
  }

  std::size_t size() const noexcept { return q_.size(); }
  bool empty() const noexcept { return q_.empty(); }
  /// Moves the first `n` to `out` (false: fewer are waiting, a reply without a command).
  bool take(std::size_t n, std::vector<pending_reply>& out) {
    if (n > q_.size()) return false;
    for (; n > 0; --n, q_.pop_front()) out.push_back(std::move(q_.front()));
    return true;
  }
  /// All of them (the connection is lost: their outcome is unknown, none is sent again).
  std::deque<pending_reply> take_all() { return std::exchange(q_, {}); }

  /// Hands `r` to the callback of `p`; a bounce of a kept command to the bounce handler; logs
  /// the other errors of commands without a callback. `from`: the node that answered.
  void deliver(pending_reply& p, reply&& r, const endpoint& from) const {
    if (p.cb) {
      try {
        p.cb(std::move(r));
      } catch (...) {
        detail::log(log_level::warning, std::string("a callback of ") + p.what + " threw");
      }
    } else if (r.is_error()) {
      if (!bounced_ || bounce_of(r.str) == bounce::none)
        detail::log(log_level::warning, std::string(p.what) + " failed: " + r.str);
      else if (p.again)
        bounced_(std::move(p.again), r.str, from);
      else  // a queue's PEXPIRE pair: the push it follows owes it again where it lands
        detail::log(log_level::debug, std::string(p.what) + " bounced: " + r.str);
    }
  }

 private:
  bounce_handler bounced_;
  std::chrono::milliseconds retry_for_;
  std::deque<pending_reply> q_;
};

}  // namespace redwire::redis::detail
