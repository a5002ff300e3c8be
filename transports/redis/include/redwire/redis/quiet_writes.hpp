// redwire/redis/quiet_writes.hpp — the commands that the shared command connection
// (command_connection.hpp) writes without a reply, and the pushes it builds of them.
//
// RPUSH and PUBLISH without a callback go out as `CLIENT REPLY SKIP` + the command: Redis sends
// no reply, so no thread wakes up for one. probe_reply_skip tells, at every connect, whether
// the server takes CLIENT REPLY SKIP from this user (an ACL may refuse it); if not, every
// command gets its reply, as before.
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
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <redwire/transport.hpp>

#include "connection.hpp"
#include "resp.hpp"
#include "settings.hpp"

namespace redwire::redis::detail {

inline constexpr std::string_view skip_next_reply =
    "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n";

/// Whether the next command without a callback skips its reply: yes where the server allows it
/// (probe_reply_skip), but for one every `checked_interval`, so that a lasting error (an ACL
/// that forbids the key, OOM, WRONGTYPE) still shows in the log.
struct reply_skipping {
  static constexpr std::chrono::milliseconds checked_interval{100};
  bool allowed = false;
  clock::time_point last_checked{};

  bool next() {
    const auto now = clock::now();
    if (allowed && now - last_checked < checked_interval) return true;
    last_checked = now;
    return false;
  }
};

/// Appends `args` to `out`, after CLIENT REPLY SKIP when `skip`; returns the replies to expect.
inline std::size_t append_quiet(std::string& out, std::span<const std::string_view> args,
                                bool skip) {
  if (skip) out.append(skip_next_reply);
  append_command(out, args);
  return skip ? 0 : 1;
}

/// Appends the PEXPIREs that keep `queue` at least `keep` from now (nothing when keep is not
/// positive); returns the replies to expect.
inline std::size_t append_keep(std::string& out, std::string_view queue,
                               std::chrono::milliseconds keep, bool skip) {
  if (keep.count() <= 0) return 0;
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, keep.count()).ptr;
  const std::string_view ms(digits, static_cast<std::size_t>(end - digits));
  const std::string_view nx[] = {"PEXPIRE", queue, ms, "NX"};
  const std::string_view gt[] = {"PEXPIRE", queue, ms, "GT"};
  return append_quiet(out, nx, skip) + append_quiet(out, gt, skip);
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

  /// Appends the RPUSH to `out`; returns the replies to expect (0 or 1).
  std::size_t append_to(std::string& out, bool skip) const {
    if (skip) out.append(skip_next_reply);
    append_header(out, '*', count + 2);
    append_bulk(out, "RPUSH");
    append_bulk(out, queue);
    out.append(values);
    return skip ? 0 : 1;
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

  /// Appends the pairs of the debts due by `now` to `out`; returns the replies to expect.
  std::size_t settle(std::string& out, clock::time_point now, bool skip) {
    std::size_t replies = 0, paid = 0;
    for (; paid < debts_.size() && debts_[paid].due <= now; ++paid) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(debts_[paid].until - now);
      replies +=
          append_keep(out, debts_[paid].queue, std::max(left, std::chrono::milliseconds(1)), skip);
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

/// Does the server take CLIENT REPLY SKIP from us? SKIP, PING a, PING b: one reply ("b") if it
/// does, three if it refused (an error, "a", "b"). The handshake proved PING allowed.
inline bool probe_reply_skip(connection& c, const settings& st) {
  std::string out(skip_next_reply);
  append_command(out, {"PING", "redwire:a"});
  append_command(out, {"PING", "redwire:b"});
  c.send(out);
  const auto deadline = clock::now() + st.command_timeout;
  for (int replies = 0;; ++replies) {
    std::optional<reply> r = c.read_reply(deadline);
    if (!r) throw transport_error("redwire::redis: " + st.describe() + " did not answer in time");
    if (r->is_string() && r->str == "redwire:b") return replies == 0;
  }
}

/// A connection named `name` for quiet writes; `skip_replies` tells whether it may skip them.
inline std::unique_ptr<connection> open_quiet(const settings& st, std::string_view name,
                                              bool& skip_replies) {
  auto c = std::make_unique<connection>(st, name);
  skip_replies = probe_reply_skip(*c, st);
  return c;
}

}  // namespace redwire::redis::detail
