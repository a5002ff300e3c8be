// redwire/redis/command_connection.hpp — the shared, pipelined connection for RPUSH / PUBLISH.
//
// Writers append their formatted command to one output buffer under a mutex; the first writer
// that finds nobody flushing writes everything queued so far (one send() for many commands when
// threads push concurrently, no thread hop when they do not). A reader thread ("rw-commands")
// takes the replies in FIFO order, hands them to the command's callback if it has one, logs
// error replies (on a cluster, hands bounced commands back: pending_replies.hpp), and reconnects
// with exponential backoff when the connection is lost.
//
// RPUSH and PUBLISH without a callback go out under CLIENT REPLY OFF (quiet_writes.hpp): two
// wake-ups fewer per call; one every 100 ms keeps its reply, so that a lasting error (an ACL
// that forbids the key, OOM, WRONGTYPE) is still logged. A push given an expiry hint owes its queue
// a PEXPIRE pair, which the writer thread ("rw-writer") sends within 10 ms. Write-behind
// (push_behind): a caller with many requests in flight hands its RPUSHes to the writer thread,
// which writes them within `write_behind`; what comes meanwhile leaves in the same write, and
// consecutive pushes to one queue become one RPUSH of many values, which one pop of the service
// takes at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <redwire/detail/thread_name.hpp>
#include <redwire/log.hpp>
#include <redwire/transport.hpp>

#include "connection.hpp"
#include "pending_replies.hpp"
#include "quiet_writes.hpp"

namespace redwire::redis::detail {

class command_connection {
 public:
  /// Called on the reader thread with the command's reply; when the connection is lost first,
  /// with an error reply `connection_lost`. Must not block.
  using callback = std::function<void(reply&&)>;
  static constexpr std::string_view connection_lost = "redwire: connection lost";

  /// Connects now (throws transport_error if it cannot) and starts the reader thread. On a
  /// cluster, `bounced` gets the commands that a node bounces.
  explicit command_connection(settings st, bounce_handler bounced = {})
      : st_(std::move(st)),
        pending_(st_.cluster.seeds.empty() ? bounce_handler{} : std::move(bounced),
                 st_.command_timeout),
        conn_(open_quiet(st_, "redwire:commands", skipping_.allowed)),
        connected_(true),
        thread_([this] { run(); }) {}

  command_connection(const command_connection&) = delete;
  command_connection& operator=(const command_connection&) = delete;
  ~command_connection() { stop(); }
  void stop() noexcept {
    {
      std::unique_lock lk(m_);
      if (stop_) return;
      stop_ = true;
      if (conn_) conn_->sock().shutdown();
      cv_.notify_all();
      writer_wake_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
    if (writer_.joinable()) writer_.join();
  }
  bool connected() const {
    std::lock_guard lk(m_);
    return connected_;
  }

  /// Queues a command and makes sure it gets written; does not wait for the reply. Throws
  /// transport_error when down. With `hold`, it waits in the buffer (up to 64 KiB) until the next
  /// send without `hold` or flush(): a service answering a batch sends its replies in one write.
  void send(std::span<const std::string_view> args, const char* what, callback cb = {},
            bool hold = false) {
    std::unique_lock lk(m_);
    admit(lk, what);
    settle_behind();  // pushes written behind go first: one connection keeps one order
    if (!cb && args.size() > 1)
      append_kept(args, what, std::chrono::milliseconds(0));
    else if (const bool quiet = skipping_.enter(out_, pending_, !cb);
             append_quiet(out_, args, quiet) > 0)
      pending_.expect(what, std::move(cb));
    if (hold && out_.size() < max_held) return;  // flush() or the next send writes it
    flush_locked(lk);
  }

  /// RPUSH queue bytes, no reply awaited; keep > 0: the queue lives at least `keep` from now
  /// (a PEXPIRE pair within 10 ms, quiet_writes.hpp). Throws transport_error when down.
  void push(std::string_view queue, std::string_view bytes, std::chrono::milliseconds keep) {
    std::unique_lock lk(m_);
    admit(lk, "RPUSH");
    settle_behind();  // pushes written behind go first: one connection keeps one order
    const std::string_view args[] = {"RPUSH", queue, bytes};
    append_kept(args, "RPUSH", keep);
    owe_expiry(queue, keep);
    flush_locked(lk);
  }

  /// push(), within `write_behind` rather than now (see the top of this file). Throws
  /// transport_error when down; a connection lost before the write loses the pushes it would
  /// have carried (their calls end at their timeout, as when Redis dies after taking them).
  void push_behind(std::string_view queue, std::string_view bytes, std::chrono::milliseconds keep) {
    std::unique_lock lk(m_);
    admit(lk, "RPUSH");
    if (!behind_.empty() && behind_.queue != queue) settle_behind();
    behind_.add(queue, bytes, keep);
    if (behind_.values.size() >= max_held) {  // enough for one write: no need to wait
      settle_behind();
      flush_locked(lk);
      return;
    }
    if (behind_due_) return;  // the writer thread is already counting down
    behind_due_ = true;
    wake_writer();
  }

  /// Writes what held sends and pushes behind left in the buffer; throws transport_error if not.
  void flush() {
    std::unique_lock lk(m_);
    if (!connected_ || stop_) return;
    settle_behind();
    if (out_.empty()) return;
    flush_locked(lk);
  }

  /// Writes a command that a node bounced (pending_replies.hpp), after ASKING when `asking`: kept
  /// again until its reply (a cluster's connection never goes quiet). Throws when down.
  void resend(std::unique_ptr<bounced_command> c, bool asking) {
    std::unique_lock lk(m_);
    admit(lk, c->what);
    settle_behind();
    static constexpr std::string_view ask[] = {"ASKING"};
    if (asking)
      pending_.expect(append_quiet(out_, ask, false), "ASKING");
    else
      owe_expiry(c->key, c->keep);  // where the slot now is for good
    out_.append(c->bytes);
    pending_.expect_again(std::move(c));
    flush_locked(lk);
  }

  /// How long push_behind may keep a push before writing it.
  static constexpr std::chrono::microseconds write_behind{100};
  const settings& config() const noexcept { return st_; }

  /// Whether the server takes `CLIENT REPLY` from this user (probed at every connect).
  bool skips_replies() const {
    std::lock_guard lk(m_);
    return skipping_.allowed;
  }

 private:
  // Under m_ (lk): waits while the buffer is over max_buffered (Redis reads slower than we write:
  // wait a little rather than grow forever); throws transport_error when `what` cannot be sent.
  void admit(std::unique_lock<std::mutex>& lk, const char* what) {
    const auto full = [&] { return out_.size() + behind_.values.size() > max_buffered; };
    if (full()) {
      ++blocked_writers_;
      cv_.wait_for(lk, st_.command_timeout, [&] { return !full() || !connected_ || stop_; });
      --blocked_writers_;
      if (connected_ && !stop_ && full())
        throw transport_error("redwire::redis: " + std::string(what) +
                              " timed out (Redis not reading)");
    }
    if (!connected_ || stop_)
      throw transport_error("redwire::redis: " + std::string(what) + " failed: not connected to " +
                            st_.describe());
  }

  // Under m_: appends `args` (on args[1]) without a callback, without a reply where the server
  // allows it (quiet_writes.hpp), else kept; on a cluster with the command (pending_replies.hpp).
  void append_kept(std::span<const std::string_view> args, const char* what,
                   std::chrono::milliseconds keep) {
    const bool quiet = skipping_.enter(out_, pending_, true);
    const std::size_t from = out_.size();
    if (append_quiet(out_, args, quiet) == 0) return;
    pending_.expect_kept(std::string_view(out_).substr(from), args[1], what, keep);
  }

  // Under m_: turns the pushes kept by push_behind into one RPUSH in the output buffer.
  void settle_behind() {
    if (behind_.empty()) return;
    const bool quiet = skipping_.enter(out_, pending_, true);
    const std::size_t at = out_.size();
    if (behind_.append_to(out_, quiet) > 0)
      pending_.expect_kept(std::string_view(out_).substr(at), behind_.queue, "RPUSH", behind_.keep);
    owe_expiry(behind_.queue, behind_.keep);
    behind_.clear(max_kept_buffer);
  }

  // Under m_: a push owes `queue` the PEXPIREs of `keep`; the writer thread pays in time.
  void owe_expiry(std::string_view queue, std::chrono::milliseconds keep) {
    if (expiries_.owe(queue, keep, clock::now())) wake_writer();
  }

  // Under m_: starts the writer thread if needed and makes it look at what is due.
  void wake_writer() {
    if (!writer_.joinable()) writer_ = std::thread([this] { writer_loop(); });
    writer_wake_.notify_one();
  }

  // The writer thread: writes pushes kept behind write_behind after the first, and the expiry
  // pairs when due (they wait while the connection is down: its pushes may have arrived).
  void writer_loop() {
    redwire::detail::name_this_thread("rw-writer");
    std::unique_lock lk(m_);
    while (!stop_) {
      const auto due = connected_ ? expiries_.next_due() : clock::now() + expiry_schedule::window;
      const auto ready = [&] {
        return behind_due_ || stop_ || (connected_ && expiries_.next_due() < due);
      };
      if (due == clock::time_point::max())
        writer_wake_.wait(lk, ready);
      else if (!behind_due_)
        writer_wake_.wait_until(lk, due, ready);
      if (stop_) break;
      if (behind_due_) writer_wake_.wait_for(lk, write_behind, [&] { return stop_; });
      behind_due_ = false;
      if (!connected_ || stop_) continue;  // mark_down() dropped the pushes kept behind
      settle_behind();
      if (const auto now = clock::now(); expiries_.next_due() <= now) {
        const bool quiet = skipping_.enter(out_, pending_, true);
        pending_.expect(expiries_.settle(out_, now, quiet), "PEXPIRE");
      }
      if (out_.empty()) continue;  // a send took them along meanwhile
      try {
        flush_locked(lk);
      } catch (const transport_error&) {
        // The reader thread logs the loss and reconnects.
      }
    }
  }
  // Under m_ (lk): writes everything queued; one writer at a time, the others leave it theirs.
  void flush_locked(std::unique_lock<std::mutex>& lk) {
    if (flushing_) return;  // the writer at work will take it along
    flushing_ = true;
    std::string batch = std::move(spare_);  // its capacity is kept: no allocation per command
    std::optional<std::string> error;       // why the send failed
    while (!out_.empty() && connected_) {
      batch.swap(out_);
      if (blocked_writers_ > 0) cv_.notify_all();
      lk.unlock();
      try {
        conn_->send(batch);  // conn_ is not replaced while flushing_ is set
      } catch (const transport_error& e) {
        error = e.what();
      }
      batch.clear();
      lk.lock();
      if (error) {
        mark_down();
        break;
      }
    }
    if (batch.capacity() <= max_kept_buffer) spare_ = std::move(batch);
    if (out_.empty() && out_.capacity() > max_kept_buffer) std::string().swap(out_);
    flushing_ = false;
    cv_.notify_all();
    if (error) throw transport_error(*error);
  }

  static constexpr std::size_t max_buffered = 8 << 20;
  static constexpr std::size_t max_held = 64 << 10;
  static constexpr std::size_t max_kept_buffer = 1 << 20;
  // Under m_: no more writes; the reader thread notices and cleans up.
  void mark_down() {
    connected_ = false;
    out_.clear();
    behind_.clear(max_kept_buffer);
    if (conn_) conn_->sock().shutdown();
  }

  void run() {
    redwire::detail::name_this_thread("rw-commands");
    auto backoff = st_.reconnect_min;
    while (true) {
      if (std::lock_guard lk(m_); stop_) break;
      if (conn_) {
        read_until_lost();
        lose_connection();
        continue;
      }
      try {
        bool skip = false;
        auto c = open_quiet(st_, "redwire:commands", skip);
        std::lock_guard lk(m_);
        skipping_.allowed = skip;
        skipping_.off = false;  // a new connection answers every command
        conn_ = std::move(c);
        connected_ = !stop_;
        backoff = st_.reconnect_min;
        detail::log(log_level::info, "command connection restored to " + st_.describe());
      } catch (const transport_error&) {
        std::unique_lock lk(m_);
        cv_.wait_for(lk, backoff, [&] { return stop_; });
        backoff = std::min(backoff * 2, st_.reconnect_max);
      }
    }
    lose_connection();
  }

  void read_until_lost() {
    std::vector<reply> replies;
    std::vector<pending_reply> slots;
    bool stalled = false;  // a timeout found commands waiting and nothing has come since
    auto heard = clock::now();
    try {
      while (true) {
        bool got = conn_->read_more(clock::now() + st_.command_timeout);
        replies.clear();
        if (got) {
          heard = clock::now();
          while (std::optional<reply> r = conn_->buffered_reply()) replies.push_back(std::move(*r));
          // READONLY: a replica now (reconnect to the master); MOVED, ASK: the slot map changed.
          for (const reply& r : replies)
            if (r.is_error()) conn_->on_error(r.str);
        }
        slots.clear();
        {
          std::unique_lock lk(m_);
          if (stop_ || !connected_) return;
          if (!pending_.take(replies.size(), slots)) {
            detail::log(log_level::warning, "reply without a command; dropping the connection");
            return;
          }
          if (!got) {
            if (stalled) {
              detail::log(log_level::warning,
                          "no reply from " + st_.describe() + " in time; reconnecting");
              return;
            }
            // Commands unanswered for a whole timeout, or idle for `keepalive` (then a PING tells
            // a dead server from a quiet one): the next timeout ends it.
            stalled = !pending_.empty() || clock::now() - heard >= st_.keepalive;
            if (stalled && pending_.empty()) {
              lk.unlock();
              static constexpr std::string_view ping[] = {"PING"};
              try {
                send(ping, "PING", [](reply&&) {});  // answered, never quiet
              } catch (const transport_error&) {
                return;
              }
            }
          } else {
            stalled = false;
          }
        }
        for (std::size_t i = 0; i < replies.size(); ++i)
          pending_.deliver(slots[i], std::move(replies[i]), conn_->server());
      }
    } catch (const transport_error& e) {
      std::lock_guard lk(m_);
      if (!stop_)
        detail::log(log_level::warning, std::string("command connection lost: ") + e.what());
    }
  }

  void lose_connection() {
    std::deque<pending_reply> lost;
    {
      std::unique_lock lk(m_);
      mark_down();
      cv_.wait(lk, [&] { return !flushing_; });
      conn_.reset();
      lost = pending_.take_all();
    }
    const reply lost_reply{reply_type::error, 0, std::string(connection_lost), {}};
    for (pending_reply& s : lost)  // outcome unknown: a kept command is not sent again
      if (s.cb) pending_.deliver(s, reply(lost_reply), {});
  }

  settings st_;
  pending_replies pending_;  // under m_ (deliver() needs no lock)
  mutable std::mutex m_;
  std::condition_variable cv_;
  reply_skipping skipping_;  // before conn_: open_quiet() sets it
  std::unique_ptr<connection> conn_;
  bool connected_ = false, flushing_ = false, stop_ = false;
  int blocked_writers_ = 0;
  std::string out_;
  std::string spare_;         // the other of the two buffers that writers swap (under m_)
  behind_batch behind_;       // push_behind: one RPUSH not yet in out_ (under m_)
  bool behind_due_ = false;   // the writer thread has been told to write them
  expiry_schedule expiries_;  // PEXPIRE pairs owed by pushes (under m_)
  std::condition_variable writer_wake_;
  std::thread thread_;
  std::thread writer_;  // started at the first push_behind or expiry
};

}  // namespace redwire::redis::detail
