// redwire/redis/pattern_registry.hpp — on a cluster, which patterns are subscribed anywhere, so
// that a publisher also sends the channels they match by classic PUBLISH.
//
// A channel is published with SPUBLISH (redis/sharded_subscriber.hpp), and a sharded message
// never reaches a PSUBSCRIBE, which has no sharded form. So a transport that holds pattern
// subscriptions records each pattern in one sorted set, "<prefix>:{patterns}" (one slot), scored
// by when it was last refreshed on Redis's clock, every 10 s; a member not refreshed for 30 s is
// ignored and dropped (a crashed subscriber is forgotten). A publisher reads the set at most once
// per second, in the background (a command with a callback: publish waits only for the very
// first read), and sends a channel that a live pattern matches (detail/glob.hpp) by SPUBLISH and
// by PUBLISH, which the cluster bus carries to every node, the pattern subscriber's among them.
// What it costs is in docs/cluster.md.
#pragma once

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

#include <redwire/detail/glob.hpp>
#include <redwire/detail/thread_name.hpp>
#include <redwire/transport.hpp>

#include "command_router.hpp"
#include "connection.hpp"

namespace redwire::redis::detail {

class pattern_registry {
 public:
  static constexpr std::chrono::milliseconds refresh_every{10'000}, forget_after{30'000},
      read_every{1'000};

  pattern_registry(std::shared_ptr<command_router> commands, std::string_view prefix)
      : commands_(std::move(commands)), key_(std::string(prefix) + ":{patterns}") {}
  pattern_registry(const pattern_registry&) = delete;
  pattern_registry& operator=(const pattern_registry&) = delete;
  ~pattern_registry() { stop(); }

  void stop() noexcept {
    {
      std::lock_guard lk(m_);
      stop_ = true;
      cv_.notify_all();
    }
    if (refresher_.joinable()) refresher_.join();
  }

  const std::string& key() const noexcept { return key_; }

  /// SPUBLISH on the master of the channel's slot; PUBLISH too when a live pattern matches it.
  /// Throws transport_error as the command connection does.
  void publish(std::string_view channel, std::string_view bytes, bool hold) {
    std::string_view args[] = {"SPUBLISH", channel, bytes};
    commands_->at(channel).send(args, "SPUBLISH", {}, hold);
    if (!matched(channel)) return;
    std::string_view classic[] = {"PUBLISH", channel, bytes};
    commands_->first().send(classic, "PUBLISH", {}, hold);
  }

  /// Whether a pattern recorded live at the last read matches `channel`; reads again (in the
  /// background) if that was a second ago or more. The first read of all is waited for (at
  /// most the command timeout), so that a new publisher does not miss the patterns subscribed
  /// long before it.
  bool matched(std::string_view channel) {
    std::unique_lock lk(cache_->m);  // once per publish, unless a read is due
    const auto now = clock::now();
    if (now - asked_ >= read_every) {
      asked_ = now;
      lk.unlock();
      read();
      lk.lock();
    }
    if (!cache_->read) {
      cache_->answered.wait_for(lk, commands_->config().command_timeout,
                                [&] { return cache_->read; });
      cache_->read = true;  // waited once: never again, answered or not
    }
    for (const auto& [pattern, subscriptions] : cache_->held)
      if (redwire::detail::glob_match(pattern, channel)) return true;
    for (const std::string& pattern : cache_->live)
      if (redwire::detail::glob_match(pattern, channel)) return true;
    return false;
  }

  /// A pattern subscribed here: recorded now, and refreshed while held. This transport's own
  /// publishes match it at once.
  void hold(const std::string& pattern) {
    {
      std::lock_guard lk(m_);
      if (stop_) return;
      if (!refresher_.joinable())
        refresher_ = redwire::detail::named_thread("rw-patterns", [this] { refresh_loop(); });
    }
    {
      std::lock_guard lk(cache_->m);
      ++cache_->held[pattern];
    }
    refresh({pattern});
  }

  /// One subscription of `pattern` fewer here. The last one stops refreshing it: publishers
  /// forget it after forget_after (it is not removed: another process may hold it too).
  void release(const std::string& pattern) {
    std::lock_guard lk(cache_->m);
    auto it = cache_->held.find(pattern);
    if (it != cache_->held.end() && --it->second == 0) cache_->held.erase(it);
  }

 private:
  struct cache {
    std::mutex m;
    std::condition_variable answered;
    std::vector<std::string> live;              // recorded on Redis at the last read
    std::unordered_map<std::string, int> held;  // pattern -> subscriptions here
    bool read = false;  // a read was answered (or failed): publishes wait no more
  };

  void refresh_loop() {
    std::unique_lock lk(m_);
    while (!stop_) {
      cv_.wait_for(lk, refresh_every, [&] { return stop_; });
      if (stop_) break;
      lk.unlock();
      std::vector<std::string> patterns;
      {
        std::lock_guard held(cache_->m);
        for (const auto& [pattern, subscriptions] : cache_->held) patterns.push_back(pattern);
      }
      if (!patterns.empty()) refresh(patterns);
      lk.lock();
    }
  }

  // ZADD the patterns with Redis's time; drops the members older than forget_after.
  void refresh(const std::vector<std::string>& patterns) {
    static constexpr std::string_view script =
        "local t = redis.call('TIME') "
        "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
        "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1])) "
        "for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now, ARGV[i]) end "
        "redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[1])) return 1";
    const std::string forget = std::to_string(forget_after.count());
    std::vector<std::string_view> args{"EVAL", script, "1", key_, forget};
    for (const std::string& p : patterns) args.push_back(p);
    try {
      commands_->at(key_).send(args, "EVAL (pattern registry)");
    } catch (const transport_error& e) {
      detail::log(log_level::warning, "patterns not recorded in " + key_ +
                                          " (published channels may miss them): " + e.what());
    }
  }

  // Asks for the live patterns; the callback replaces the cache.
  void read() {
    static constexpr std::string_view script =
        "local t = redis.call('TIME') "
        "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
        "return redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[1]), '+inf')";
    const std::string forget = std::to_string(forget_after.count());
    std::string_view args[] = {"EVAL", script, "1", key_, forget};
    try {
      commands_->at(key_).send(args, "EVAL (pattern registry)", [c = cache_](reply&& r) {
        std::vector<std::string> live;
        for (reply& p : r.elements) live.push_back(std::move(p.str));
        std::lock_guard lk(c->m);
        if (r.is_array()) c->live = std::move(live);
        c->read = true;
        c->answered.notify_all();
      });
    } catch (const transport_error&) {
      // Down: the publish that asked throws on its own; the next second asks again.
      std::lock_guard lk(cache_->m);
      cache_->read = true;
    }
  }

  std::shared_ptr<command_router> commands_;
  const std::string key_;
  std::shared_ptr<cache> cache_ = std::make_shared<cache>();  // also the callbacks'
  clock::time_point asked_{};                                 // under cache_->m
  std::mutex m_;                                              // the refresher's
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread refresher_;
};

}  // namespace redwire::redis::detail
