// redwire/redis/quiet_writes.hpp — the commands that the shared command connection
// (command_connection.hpp) writes without a reply, and the pushes it builds of them.
//
// RPUSH and PUBLISH without a callback go out without a reply: the connection stays in
// `CLIENT REPLY OFF` while such commands follow each other, and goes back with `CLIENT REPLY ON`
// (whose "OK" is read) before a command that needs its reply. Redis then runs no extra command
// per write (a `CLIENT REPLY SKIP` before each cost it 0.22 µs per call), and no thread wakes up
// for a reply. probe_reply_off tells, at every connect, whether the server takes CLIENT REPLY
// from this user (an ACL may refuse it); if not, every command gets its reply, as before.
//
// A push keeps its queue alive past the deadline of the request it carries, and no longer
// (capabilities/queue_expiry.hpp): `PEXPIRE queue keep NX` gives a queue without a TTL one, and
// `PEXPIRE queue keep GT` lengthens a shorter one; a longer one stays. GT alone would not do:
// to Redis a key without a TTL has an infinite one, which no GT beats. The pair is owed, not
// sent with each push (expiry_schedule): at most one pair per queue per 10 ms leaves, with the
// furthest need of the pushes since, its replies skipped like the pushes' (no round trip, no
// wake-up). Four commands per push would cost Redis a third more CPU per call at 16 calls in
// flight; one pair per queue per 10 ms costs nothing measurable. A queue is without its TTL
// for those 10 ms at most: only a process that dies then can leave one behind.
#pragma once

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <ctime>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <redwire/transport.hpp>

#include "connection.hpp"
#include "pending_replies.hpp"
#include "resp.hpp"
#include "settings.hpp"

namespace redwire::redis::detail {

inline constexpr std::string_view skip_next_reply =
    "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n";
inline constexpr std::string_view replies_off =
    "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n";
inline constexpr std::string_view replies_on = "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$2\r\nON\r\n";

/// The monotonic clock at a few ms of resolution (CLOCK_MONOTONIC_COARSE, where there is one):
/// enough for "one every 100 ms", and without the precise clock's cost on every write.
inline clock::time_point coarse_now() {
#ifdef CLOCK_MONOTONIC_COARSE
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
  return clock::time_point(std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec));
#else
  return clock::now();
#endif
}

/// Whether the next command without a callback goes without a reply: yes where the server allows
/// it (probe_reply_off), but for one every `checked_interval`, so that a lasting error (an ACL
/// that forbids the key, OOM, WRONGTYPE) still shows in the log. And the mode the connection is
/// in after what has been written to it so far (`off`), which switch_to() changes.
struct reply_skipping {
  static constexpr std::chrono::milliseconds checked_interval{100};
  bool allowed = false;
  bool off = false;  // CLIENT REPLY OFF is in force after the output buffer (a new connection: no)
  clock::time_point last_checked{};

  bool next() {
    const auto now = coarse_now();
    if (allowed && now - last_checked < checked_interval) return true;
    last_checked = now;
    return false;
  }

  /// Appends to `out` what puts the connection in the mode for the next command, quiet or not,
  /// if it is not in it; returns the replies to expect for that (the "OK" of CLIENT REPLY ON).
  std::size_t switch_to(std::string& out, bool quiet) {
    if (quiet == off) return 0;
    off = quiet;
    out.append(quiet ? replies_off : replies_on);
    return quiet ? 0 : 1;
  }

  /// Whether the next command goes without a reply (`wanted`, and next() allows it); first puts
  /// the connection in that mode, telling `pending` of the reply that costs.
  bool enter(std::string& out, pending_replies& pending, bool wanted) {
    const bool quiet = wanted && next();
    pending.expect(switch_to(out, quiet), "CLIENT REPLY ON");
    return quiet;
  }
};

/// Appends `args` to `out`; returns the replies to expect: none when the connection is `quiet`
/// (reply_skipping::switch_to).
inline std::size_t append_quiet(std::string& out, std::span<const std::string_view> args,
                                bool quiet) {
  append_command(out, args);
  return quiet ? 0 : 1;
}

/// Appends the PEXPIREs that keep `queue` at least `keep` from now (nothing when keep is not
/// positive); returns the replies to expect (none when `quiet`).
inline std::size_t append_keep(std::string& out, std::string_view queue,
                               std::chrono::milliseconds keep, bool quiet) {
  if (keep.count() <= 0) return 0;
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, keep.count()).ptr;
  const std::string_view ms(digits, static_cast<std::size_t>(end - digits));
  const std::string_view nx[] = {"PEXPIRE", queue, ms, "NX"};
  const std::string_view gt[] = {"PEXPIRE", queue, ms, "GT"};
  return append_quiet(out, nx, quiet) + append_quiet(out, gt, quiet);
}

/// The pushes that push_behind keeps for one queue until they are written: one RPUSH of all
/// their values, and the furthest hint among them.
struct behind_batch {
  std::string queue;
  std::string values;  // RESP bulk strings
  std::size_t count = 0;
  std::chrono::milliseconds keep{0};

  bool empty() const noexcept { return count == 0; }

  void add(std::string_view q, std::string_view bytes, std::chrono::milliseconds k) {
    if (count == 0) {
      queue.assign(q);
      keep = k;
    }
    append_bulk(values, bytes);
    keep = std::max(keep, k);
    ++count;
  }

  /// Appends the RPUSH to `out`; returns the replies to expect (none when `quiet`).
  std::size_t append_to(std::string& out, bool quiet) const {
    append_header(out, '*', count + 2);
    append_bulk(out, "RPUSH");
    append_bulk(out, queue);
    out.append(values);
    return quiet ? 0 : 1;
  }

  /// Forgets the values (a buffer grown past `max_kept_buffer` is given back).
  void clear(std::size_t max_kept_buffer) {
    values.clear();
    if (values.capacity() > max_kept_buffer) std::string().swap(values);
    count = 0;
    keep = std::chrono::milliseconds(0);
  }
};

/// The PEXPIRE pairs that pushes owe their queues (see the top of this file). A debt falls due
/// `window` after the push that opened it and covers every push to its queue until then.
class expiry_schedule {
 public:
  static constexpr std::chrono::milliseconds window{10};

  /// A push to `queue` at `now` needs the queue kept `keep` (nothing for keep <= 0). Returns
  /// true when it opened a debt: the writer must be told when it falls due.
  bool owe(std::string_view queue, std::chrono::milliseconds keep, clock::time_point now) {
    if (keep.count() <= 0) return false;
    for (debt& d : debts_) {
      if (d.queue != queue) continue;
      d.until = std::max(d.until, now + keep);
      return false;
    }
    std::string name;  // a name kept from a debt paid: no allocation per debt once warm
    if (!spare_names_.empty()) {
      name = std::move(spare_names_.back());
      spare_names_.pop_back();
    }
    name.assign(queue);
    debts_.push_back({std::move(name), now + window, now + keep});  // due in order of opening
    return true;
  }

  /// When the first debt falls due; time_point::max() when there is none.
  clock::time_point next_due() const {
    return debts_.empty() ? clock::time_point::max() : debts_.front().due;
  }

  /// Appends the pairs of the debts due by `now` to `out`; returns the replies to expect (none
  /// when `quiet`).
  std::size_t settle(std::string& out, clock::time_point now, bool quiet) {
    std::size_t replies = 0, paid = 0;
    for (; paid < debts_.size() && debts_[paid].due <= now; ++paid) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(debts_[paid].until - now);
      replies +=
          append_keep(out, debts_[paid].queue, std::max(left, std::chrono::milliseconds(1)), quiet);
    }
    for (std::size_t i = 0; i < paid && spare_names_.size() < max_spare_names; ++i)
      spare_names_.push_back(std::move(debts_[i].queue));
    debts_.erase(debts_.begin(), debts_.begin() + static_cast<std::ptrdiff_t>(paid));
    return replies;
  }

 private:
  struct debt {
    std::string queue;
    clock::time_point due;    // when the pair is written
    clock::time_point until;  // how long the queue must live, on this host's clock
  };
  static constexpr std::size_t max_spare_names = 64;
  std::vector<debt> debts_;
  std::vector<std::string> spare_names_;
};

/// Does the server take CLIENT REPLY from us? OFF, PING a, ON, PING b: two replies ("OK" of ON,
/// then "b") if it does; more if it refused (an error for OFF, "a", ...). The handshake proved
/// PING allowed.
inline bool probe_reply_off(connection& c, const settings& st) {
  std::string out(replies_off);
  append_command(out, {"PING", "redwire:a"});
  out.append(replies_on);
  append_command(out, {"PING", "redwire:b"});
  c.send(out);
  const auto deadline = clock::now() + st.command_timeout;
  for (int replies = 0;; ++replies) {
    std::optional<reply> r = c.read_reply(deadline);
    if (!r) throw transport_error("redwire::redis: " + st.describe() + " did not answer in time");
    if (r->is_string() && r->str == "redwire:b") return replies == 1;
  }
}

/// A connection named `name` for quiet writes; `skip_replies` tells whether it may skip them.
/// On a cluster it may not: a push sent to a node that no longer serves its slot is answered
/// MOVED, which must be seen (redis/cluster.hpp).
inline std::unique_ptr<connection> open_quiet(const settings& st, std::string_view name,
                                              bool& skip_replies) {
  auto c = std::make_unique<connection>(st, name);
  skip_replies = st.cluster.seeds.empty() && probe_reply_off(*c, st);
  return c;
}

}  // namespace redwire::redis::detail
