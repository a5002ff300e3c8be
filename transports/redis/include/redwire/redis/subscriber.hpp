// redwire/redis/subscriber.hpp — pub/sub: one connection and one delivery thread per transport.
//
// Every subscription (SUBSCRIBE channel or PSUBSCRIBE pattern) of a transport shares them.
// After a reconnect the thread subscribes everything again and, once Redis confirms, calls the
// gap handler of each subscription: messages published meanwhile are gone.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <redwire/transport.hpp>

#include "command_connection.hpp"
#include "connection.hpp"

namespace redwire::redis {
namespace detail {

struct subscriber_entry {
  std::string name;  // channel or pattern
  bool pattern = false;
  message_handler on_message;
  gap_handler on_gap;
  std::mutex running;  // held while a handler runs, so that unsubscribing can wait for it
  std::atomic<bool> cancelled{false};
  /// Subscribed and connected: false from the loss of the connection until Redis confirms the
  /// subscription again (subscription::healthy()).
  std::atomic<bool> live{false};
};

class subscriber {
 public:
  explicit subscriber(settings st) : st_(std::move(st)) {}
  subscriber(const subscriber&) = delete;
  subscriber& operator=(const subscriber&) = delete;
  ~subscriber() { stop(); }

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

  /// Registers a handler and waits until Redis confirms the subscription, so a message published
  /// after this returns is delivered. Throws transport_error when Redis cannot be reached.
  std::shared_ptr<subscriber_entry> add(std::string name, bool pattern, message_handler on_message,
                                        gap_handler on_gap) {
    auto e = std::make_shared<subscriber_entry>();
    e->name = std::move(name);
    e->pattern = pattern;
    e->on_message = std::move(on_message);
    e->on_gap = std::move(on_gap);
    std::unique_lock lk(m_);
    if (stop_) throw transport_error("redwire::redis: transport is shutting down");
    if (!thread_.joinable()) {
      thread_ = std::thread([this] { run(); });
      cv_.wait_for(lk, st_.connect_timeout + st_.command_timeout + std::chrono::milliseconds(100),
                   [&] { return connected_ || attempts_ > 0 || stop_; });
    }
    if (!connected_) {
      throw transport_error("redwire::redis: subscribe to " + e->name +
                            " failed: not connected to " + st_.describe());
    }
    auto& states = pattern ? patterns_ : channels_;
    auto [it, fresh] = states.try_emplace(e->name);
    it->second.entries.push_back(e);
    if (it->second.confirmed) e->live = true;
    if (fresh) {
      std::string_view args[] = {pattern ? "PSUBSCRIBE" : "SUBSCRIBE", e->name};
      std::string cmd;
      append_command(cmd, args);
      try {
        conn_->send(cmd);
      } catch (const transport_error&) {
        conn_->sock().shutdown();  // the delivery thread reconnects and subscribes it again
      }
    }
    if (std::this_thread::get_id() == thread_.get_id()) return e;  // from a handler: cannot wait
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

  /// Stops delivery to `e`; waits for its handler if it runs on another thread.
  void remove(const std::shared_ptr<subscriber_entry>& e) noexcept {
    {
      std::lock_guard lk(m_);
      auto& states = e->pattern ? patterns_ : channels_;
      auto it = states.find(e->name);
      if (it != states.end()) {
        auto& v = it->second.entries;
        std::erase(v, e);
        if (v.empty()) {
          if (!it->second.confirmed) ++stale_acks_[key(e->pattern, e->name)];
          states.erase(it);
          if (connected_) {
            std::string_view args[] = {e->pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", e->name};
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
  struct state {
    std::vector<std::shared_ptr<subscriber_entry>> entries;
    bool confirmed = false;
    bool gap_pending = false;
  };

  static std::string key(bool pattern, std::string_view name) {
    return (pattern ? "p:" : "c:") + std::string(name);
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
          stale_acks_.clear();
          for (auto* states : {&channels_, &patterns_}) {
            for (auto& [name, s] : *states) {
              s.confirmed = false;
              s.gap_pending = reconnect;
              std::string_view args[] = {states == &patterns_ ? "PSUBSCRIBE" : "SUBSCRIBE", name};
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
    std::vector<std::shared_ptr<subscriber_entry>> all;
    {
      std::lock_guard lk(m_);
      if (stop_) return;
      for (auto* states : {&channels_, &patterns_})
        for (auto& [name, s] : *states) all.insert(all.end(), s.entries.begin(), s.entries.end());
    }
    for (auto& e : all) e->live = false;  // before any gap handler runs: see healthy()
    for (auto& e : all) {
      std::lock_guard running(e->running);
      if (e->cancelled || !e->on_gap) continue;
      try {
        e->on_gap();
      } catch (...) {
        detail::log(log_level::warning, "a gap handler threw");
      }
    }
  }

  // Reads until the connection fails (throws transport_error) or stop().
  // A connection silent for `keepalive` sends a PING, and one that does not answer it within
  // `command_timeout` is dead.
  void read_loop() {
    bool ping_sent = false;
    auto heard = clock::now();
    std::vector<std::shared_ptr<subscriber_entry>> targets;
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
      while (reply* r = conn_->buffered_reply_view()) {  // reused: no allocation per message
        if (!r->is_array() || r->elements.size() < 2) continue;
        std::string_view kind = r->elements[0].str;
        targets.clear();
        bool is_gap = false;
        std::string_view channel, payload;
        {
          std::lock_guard lk(m_);
          if (stop_) return;
          if ((kind == "message" && r->elements.size() == 3) ||
              (kind == "pmessage" && r->elements.size() == 4)) {
            bool pattern = kind == "pmessage";
            auto& states = pattern ? patterns_ : channels_;
            auto it = states.find(r->elements[1].str);
            if (it != states.end()) targets = it->second.entries;
            channel = r->elements[pattern ? 2 : 1].str;
            payload = r->elements[pattern ? 3 : 2].str;
          } else if (kind == "subscribe" || kind == "psubscribe") {
            bool pattern = kind == "psubscribe";
            const std::string& name = r->elements[1].str;
            auto stale = stale_acks_.find(key(pattern, name));
            if (stale != stale_acks_.end() && stale->second > 0) {
              --stale->second;
              continue;
            }
            auto& states = pattern ? patterns_ : channels_;
            auto it = states.find(name);
            if (it == states.end()) continue;
            it->second.confirmed = true;
            for (auto& entry : it->second.entries) entry->live = true;
            cv_.notify_all();
            if (it->second.gap_pending) {
              it->second.gap_pending = false;
              targets = it->second.entries;
              is_gap = true;
            }
          }
        }
        for (auto& e : targets) {
          std::lock_guard running(e->running);
          if (e->cancelled) continue;
          try {
            if (is_gap) {
              if (e->on_gap) e->on_gap();
            } else {
              e->on_message(channel, payload);
            }
          } catch (const std::exception& ex) {
            detail::log(log_level::warning,
                        std::string("a handler of ") + e->name + " threw: " + ex.what());
          } catch (...) {
            detail::log(log_level::warning, "a handler of " + e->name + " threw");
          }
        }
        targets.clear();
      }
    }
  }

  settings st_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::unique_ptr<connection> conn_;  // replaced by the delivery thread only, under m_
  bool connected_ = false;
  bool stop_ = false;
  int attempts_ = 0;
  std::uint64_t generation_ = 0;  // changes at every connect and disconnect
  std::unordered_map<std::string, state> channels_, patterns_;
  std::unordered_map<std::string, int> stale_acks_;
  std::atomic<std::thread::id> delivery_thread_{};
  std::thread thread_;
};

}  // namespace detail

/// A live subscription; destroying it (or unsubscribe()) stops delivery and waits for a handler
/// running on another thread. Movable. May be destroyed inside its own handler.
class subscription {
 public:
  subscription() = default;
  subscription(std::shared_ptr<detail::subscriber> owner,
               std::shared_ptr<detail::subscriber_entry> e)
      : owner_(std::move(owner)), entry_(std::move(e)) {}
  subscription(subscription&& o) noexcept = default;
  subscription& operator=(subscription&& o) noexcept {
    if (this != &o) {
      unsubscribe();
      owner_ = std::move(o.owner_);
      entry_ = std::move(o.entry_);
    }
    return *this;
  }
  ~subscription() { unsubscribe(); }

  void unsubscribe() noexcept {
    if (owner_ && entry_) owner_->remove(entry_);
    owner_.reset();
    entry_.reset();
  }
  bool active() const noexcept { return entry_ != nullptr; }
  /// False from the loss of the connection until the subscription is confirmed again:
  /// messages published meanwhile are lost (the gap handler says when it begins and ends).
  bool healthy() const noexcept { return entry_ && entry_->live.load(); }

 private:
  std::shared_ptr<detail::subscriber> owner_;
  std::shared_ptr<detail::subscriber_entry> entry_;
};

}  // namespace redwire::redis
