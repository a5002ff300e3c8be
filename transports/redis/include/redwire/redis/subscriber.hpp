// redwire/redis/subscriber.hpp — pub/sub: one connection and one delivery thread.
//
// Every subscription (SUBSCRIBE channel or PSUBSCRIBE pattern) of a transport shares them.
// After a reconnect the thread subscribes everything again and, once Redis confirms, calls the
// gap handler of each subscription: messages published meanwhile are gone.
//
// On a cluster the same class is one shard of redis/sharded_subscriber.hpp: a connection to one
// master (settings::this_node) that SSUBSCRIBEs the channels whose slot that master serves.
// Redis may end such a subscription (its slot moved: a `sunsubscribe` it did not ask for; a
// MOVED answer; the node lost): the shard reports the gap and hands the entries back to its
// front (`evict`), which subscribes them again wherever the slot is served now.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <redwire/detail/completion_batch.hpp>
#include <redwire/detail/thread_name.hpp>
#include <redwire/transport.hpp>

#include "cluster_slots.hpp"
#include "command_connection.hpp"
#include "connection.hpp"
#include "subscriber_book.hpp"
#include "subscription.hpp"

namespace redwire::redis::detail {

class subscriber final : public subscription_owner {
 public:
  using entries = subscriber_entries;
  /// Takes entries whose subscription Redis ended here; `failed`: after an error or a lost
  /// connection (try again later), else at once.
  using evict_fn = std::function<void(entries, bool failed)>;

  /// Classic pub/sub, where the settings say.
  explicit subscriber(settings st) : st_(std::move(st)) {}
  /// A shard of a cluster: sharded pub/sub on the node of `st`.
  subscriber(settings st, evict_fn evict)
      : st_(std::move(st)), sharded_(true), evict_(std::move(evict)) {}
  subscriber(const subscriber&) = delete;
  subscriber& operator=(const subscriber&) = delete;
  ~subscriber() override { stop(); }

  void stop() noexcept {
    {
      std::lock_guard lk(m_);
      stop_ = true;
      if (conn_) conn_->sock().shutdown();
      cv_.notify_all();
    }
    if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) thread_.join();
  }

  bool connected() const {
    std::lock_guard lk(m_);
    return connected_;
  }

  static std::shared_ptr<subscriber_entry> make_entry(std::string name, bool pattern,
                                                      message_handler on_message,
                                                      gap_handler on_gap) {
    auto e = std::make_shared<subscriber_entry>();
    e->name = std::move(name);
    e->pattern = pattern;
    e->on_message = std::move(on_message);
    e->on_gap = std::move(on_gap);
    return e;
  }

  /// Registers a handler and waits until Redis confirms the subscription, so a message published
  /// after this returns is delivered. Throws transport_error when Redis cannot be reached.
  std::shared_ptr<subscriber_entry> add(std::string name, bool pattern, message_handler on_message,
                                        gap_handler on_gap) {
    auto e = make_entry(std::move(name), pattern, std::move(on_message), std::move(on_gap));
    std::unique_lock lk(m_);
    join(lk, e);
    if (std::this_thread::get_id() == thread_.get_id()) return e;  // from a handler: cannot wait
    auto& states = book_.of(pattern);
    auto generation = generation_;
    bool ok = cv_.wait_for(lk, st_.command_timeout, [&] {
      auto found = states.find(e->name);
      return stop_ || generation_ != generation ||
             (found != states.end() && found->second.confirmed);
    });
    auto found = states.find(e->name);
    if (!ok || found == states.end() || !found->second.confirmed) {
      lk.unlock();
      remove(e);
      throw transport_error("redwire::redis: subscribe to " + e->name +
                            " was not confirmed in time");
    }
    return e;
  }

  /// Registers `e` and asks Redis for it, without waiting for the confirmation (e->live says
  /// when it came). Throws transport_error when not connected.
  void join(const std::shared_ptr<subscriber_entry>& e) {
    std::unique_lock lk(m_);
    join(lk, e);
  }

  /// Takes an entry evicted elsewhere: subscribed here as soon as connected, its gap handler
  /// called once Redis confirms. Does not throw for a connection that is down. Returns true when
  /// the channel was confirmed here already: the entry is live, and its gap handler is the
  /// caller's to call (outside its locks).
  bool adopt(const std::shared_ptr<subscriber_entry>& e) {
    std::lock_guard lk(m_);
    if (stop_) return false;
    start_thread();
    return enroll(e, true);
  }

  /// Whether the caller is this subscriber's delivery thread (a handler).
  bool on_delivery_thread() const noexcept {
    return std::this_thread::get_id() == delivery_thread_.load();
  }

  /// Stops delivery to `e`; waits for its handler if it runs on another thread.
  void remove(const std::shared_ptr<subscriber_entry>& e) noexcept override {
    {
      std::lock_guard lk(m_);
      auto& states = book_.of(e->pattern);
      auto it = states.find(e->name);
      if (it != states.end()) {
        auto& v = it->second.entries;
        std::erase(v, e);
        if (v.empty()) {
          if (!it->second.confirmed) ++book_.stale_acks[subscriber_book::key(e->pattern, e->name)];
          states.erase(it);
          if (connected_) {
            if (sharded_) ++book_.stale_unsubscribes[e->name];  // not Redis ending it
            std::string_view args[] = {verb(e->pattern, true), e->name};
            std::string cmd;
            append_command(cmd, args);
            try {
              conn_->send(cmd);
            } catch (const transport_error&) {
              conn_->sock().shutdown();
            }
          }
        }
      }
    }
    if (std::this_thread::get_id() == delivery_thread_.load()) {
      e->cancelled = true;  // maybe inside its own handler: waiting would deadlock
    } else {
      std::lock_guard running(e->running);
      e->cancelled = true;
    }
  }

 private:
  const char* verb(bool pattern, bool un) const noexcept {
    if (pattern) return un ? "PUNSUBSCRIBE" : "PSUBSCRIBE";
    if (sharded_) return un ? "SUNSUBSCRIBE" : "SSUBSCRIBE";
    return un ? "UNSUBSCRIBE" : "SUBSCRIBE";
  }

  void start_thread() {
    if (!thread_.joinable())
      thread_ = redwire::detail::named_thread("rw-subscriber", [this] { run(); });
  }

  // Under m_ (lk): starts the thread, waits for the first connection, registers `e`.
  void join(std::unique_lock<std::mutex>& lk, const std::shared_ptr<subscriber_entry>& e) {
    if (stop_) throw transport_error("redwire::redis: transport is shutting down");
    if (!thread_.joinable()) {
      start_thread();
      cv_.wait_for(lk, st_.connect_timeout + st_.command_timeout + std::chrono::milliseconds(100),
                   [&] { return connected_ || attempts_ > 0 || stop_; });
    }
    if (!connected_) {
      throw transport_error("redwire::redis: subscribe to " + e->name +
                            " failed: not connected to " + st_.describe());
    }
    enroll(e, false);
  }

  // Under m_: `e` among its name's entries; subscribes the name if it is new here and connected.
  // `gap`: the entry comes from elsewhere, its gap handler is due once confirmed. Returns
  // whether the name is confirmed already (then that is the caller's to call).
  bool enroll(const std::shared_ptr<subscriber_entry>& e, bool gap) {
    auto& states = book_.of(e->pattern);
    auto [it, fresh] = states.try_emplace(e->name);
    it->second.entries.push_back(e);
    if (it->second.confirmed) e->live = true;
    if (gap && !it->second.confirmed) it->second.gap_pending = true;
    if (fresh && connected_) {
      std::string_view args[] = {verb(e->pattern, false), e->name};
      std::string cmd;
      append_command(cmd, args);
      try {
        conn_->send(cmd);
      } catch (const transport_error&) {
        conn_->sock().shutdown();  // the delivery thread reconnects and subscribes it again
      }
    }
    return gap && it->second.confirmed;
  }

  void run() {
    delivery_thread_ = std::this_thread::get_id();
    auto backoff = st_.reconnect_min;
    bool reconnect = false;
    bool lost = false;
    while (true) {
      try {
        auto c = std::make_unique<connection>(st_, "redwire:subscriber");
        std::string cmd;
        {
          std::lock_guard lk(m_);
          if (stop_) break;
          conn_ = std::move(c);
          book_.stale_acks.clear();
          book_.stale_unsubscribes.clear();
          for (auto* states : {&book_.channels, &book_.patterns}) {
            for (auto& [name, s] : *states) {
              s.confirmed = false;
              s.gap_pending = s.gap_pending || reconnect;
              std::string_view args[] = {verb(states == &book_.patterns, false), name};
              append_command(cmd, args);
            }
          }
          if (!cmd.empty()) conn_->send(cmd);
          connected_ = true;
          ++generation_;
          cv_.notify_all();
        }
        if (reconnect)
          detail::log(log_level::info, "subscriber connection restored to " + st_.describe());
        reconnect = true;
        backoff = st_.reconnect_min;
        read_loop();
      } catch (const transport_error& e) {
        std::lock_guard lk(m_);
        lost = !stop_ && connected_;
        if (lost)
          detail::log(log_level::warning, std::string("subscriber connection lost: ") + e.what());
      }
      // Messages published from now until the re-subscription are lost: say so at once (a
      // client fails its calls in flight now rather than at their timeouts), and again once
      // subscribed (for what was published while the subscription was being restored).
      if (lost) report_gap_to_all();
      lost = false;
      if (sharded_) evict_all();  // the node may be gone for good: its slots elsewhere
      std::unique_lock lk(m_);
      connected_ = false;
      ++attempts_;
      ++generation_;
      if (conn_) conn_->sock().shutdown();
      auto old = std::move(conn_);
      cv_.notify_all();
      if (stop_) break;
      cv_.wait_for(lk, backoff, [&] { return stop_; });
      if (stop_) break;
      backoff = std::min(backoff * 2, st_.reconnect_max);
    }
    std::lock_guard lk(m_);
    connected_ = false;
    cv_.notify_all();
  }

  void report_gap_to_all() {
    entries all;
    {
      std::lock_guard lk(m_);
      if (stop_) return;
      all = book_.all();
    }
    for (auto& e : all) e->live = false;  // before any gap handler runs: see healthy()
    for (auto& e : all) call_gap(*e);
  }

  // Sharded: every channel of this shard goes back to the front, to be routed again.
  void evict_all() {
    entries out;
    {
      std::lock_guard lk(m_);
      if (stop_ || book_.channels.empty()) return;
      book_.take_channels({}, -1, out);
      for (auto& [name, s] : book_.channels)
        out.insert(out.end(), s.entries.begin(), s.entries.end());
      book_.channels.clear();
    }
    evict_(std::move(out), true);
  }

  // Sharded: the entries Redis no longer serves here leave, their gap told (if they were live).
  void hand_over(entries& moved, bool failed) {
    for (auto& e : moved)
      if (e->live.exchange(false)) call_gap(*e);
    evict_(std::move(moved), failed);
    moved.clear();
  }

  // Under m_: what `r` means. Messages and confirmed gaps go to `targets` (delivered by the
  // caller, outside the lock); channels Redis ended here go to `moved`.
  void sort(reply& r, entries& targets, bool& is_gap, std::string_view& channel,
            std::string_view& payload, entries& moved) {
    if (sharded_ && r.is_error()) {  // SSUBSCRIBE answered MOVED (the slot moved) or worse
      conn_->on_error(r.str);        // MOVED: the map learns it
      const std::optional<redirection> to = redirection::parse(r.str, conn_->server());
      const int slot = to ? to->slot : -1;
      book_.take_channels({}, slot, moved);
      detail::log(log_level::info, "sharded subscription refused by " + st_.describe() + ": " +
                                       r.str + " (subscribing again where the slot is)");
      return;
    }
    if (!r.is_array() || r.elements.size() < 2) return;
    std::string_view kind = r.elements[0].str;
    if ((kind == "message" || kind == "smessage") && r.elements.size() == 3) {
      auto it = book_.channels.find(r.elements[1].str);
      if (it != book_.channels.end()) targets = it->second.entries;
      channel = r.elements[1].str;
      payload = r.elements[2].str;
    } else if (kind == "pmessage" && r.elements.size() == 4) {
      auto it = book_.patterns.find(r.elements[1].str);
      if (it != book_.patterns.end()) targets = it->second.entries;
      channel = r.elements[2].str;
      payload = r.elements[3].str;
    } else if (kind == "subscribe" || kind == "psubscribe" || kind == "ssubscribe") {
      book_.confirm(kind == "psubscribe", r.elements[1].str, targets, is_gap);
      cv_.notify_all();
    } else if (kind == "sunsubscribe") {
      const std::string& name = r.elements[1].str;
      if (book_.ended_by_redis(name))
        book_.take_channels(name, -1, moved);  // Redis ended it: the slot moved away
    }
  }

  // Reads until the connection fails (throws transport_error) or stop().
  // A connection silent for `keepalive` sends a PING, and one that does not answer it within
  // `command_timeout` is dead.
  void read_loop() {
    bool ping_sent = false;
    auto heard = clock::now();
    entries targets, moved;
    while (true) {
      if (!conn_->read_more(clock::now() + st_.command_timeout)) {
        if (ping_sent) throw transport_error("no answer to PING");
        std::lock_guard lk(m_);
        if (stop_) return;
        if (clock::now() - heard < st_.keepalive) continue;
        conn_->send("*1\r\n$4\r\nPING\r\n");
        ping_sent = true;
        continue;
      }
      ping_sent = false;
      heard = clock::now();
      // The futures this read makes ready become ready together (completion_batch.hpp).
      redwire::detail::completion_batch::scope batch(batch_);
      while (reply* r = conn_->buffered_reply_view()) {  // reused: no allocation per message
        targets.clear();
        bool is_gap = false;
        std::string_view channel, payload;
        {
          std::lock_guard lk(m_);
          if (stop_) return;
          sort(*r, targets, is_gap, channel, payload, moved);
        }
        for (auto& e : targets) deliver(*e, is_gap, channel, payload);
        targets.clear();
        if (!moved.empty()) hand_over(moved, r->is_error());
      }
    }
  }

  settings st_;
  const bool sharded_ = false;
  evict_fn evict_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::unique_ptr<connection> conn_;  // replaced by the delivery thread only, under m_
  bool connected_ = false;
  bool stop_ = false;
  int attempts_ = 0;
  std::uint64_t generation_ = 0;             // changes at every connect and disconnect
  subscriber_book book_;                     // under m_
  redwire::detail::completion_batch batch_;  // the delivery thread's
  std::atomic<std::thread::id> delivery_thread_{};
  std::thread thread_;
};

}  // namespace redwire::redis::detail
