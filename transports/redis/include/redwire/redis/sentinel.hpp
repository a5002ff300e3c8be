// redwire/redis/sentinel.hpp — the topology of a Sentinel deployment (redis-sentinel://).
//
// master() asks the sentinels where the master is — the one that answered last first, then the
// others, all within the connect timeout — on a connection it keeps to that sentinel, so a
// connect costs one more round trip, not one more connection. The connection then checks with
// ROLE that the server is the master (topology::checks_role), and refuses a replica.
//
// A thread of its own listens to one sentinel's +switch-master (moving to the next sentinel
// when that one is lost): when the master moves, every live connection that is elsewhere is
// shut down, and reconnects through master() onto the new master. The same happens when a
// server answers READONLY (command_connection, readers) or ROLE says replica (connection.hpp),
// and, through master(), on any lost connection: a connection is always made to where the
// sentinels say the master is now.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <redwire/detail/thread_name.hpp>
#include <redwire/transport.hpp>

#include "connection.hpp"
#include "settings.hpp"
#include "topology.hpp"

namespace redwire::redis::detail {

class sentinel_topology final : public topology {
 public:
  /// Reads the TLS files (throws transport_error); starts nothing yet (start()).
  explicit sentinel_topology(const settings& st)
      : topology(st), st_(st), sentinels_(std::make_shared<topology>(shared_tls())) {
    st_.topology.reset();  // no cycle: the settings in here do not point back
  }
  ~sentinel_topology() override { stop(); }

  /// Starts the thread that listens to +switch-master.
  void start() {
    std::lock_guard lk(m_);
    if (!stop_ && !thread_.joinable())
      thread_ = redwire::detail::named_thread("rw-sentinel", [this] { watch(); });
  }

  void stop() noexcept override {
    {
      std::lock_guard lk(m_);
      stop_ = true;
      if (watched_) watched_->shutdown();
      cv_.notify_all();
    }
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

  bool checks_role() const noexcept override { return true; }

  /// Where the sentinels say the master is. Throws transport_error, within `deadline`: no
  /// sentinel reachable, or none knows the master's name.
  std::optional<endpoint> master(const settings&, clock::time_point deadline) override {
    std::lock_guard lk(query_m_);
    const std::size_t n = st_.sentinel.hosts.size();
    std::string why;
    bool unknown = false;
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = (answered_ + k) % n;
      const auto left = deadline - clock::now();
      if (left <= clock::duration::zero()) break;
      const auto share = std::max(
          std::chrono::duration_cast<std::chrono::milliseconds>(left) / static_cast<int>(n - k),
          std::chrono::milliseconds(1));
      try {
        if (!query_ || queried_ != i) {
          query_.reset();
          query_ = std::make_unique<connection>(at_sentinel(i, share), "redwire:sentinel");
          queried_ = i;
        }
        reply r = query_->execute(ask(), share);
        if (std::optional<endpoint> at = master_of(r)) {
          answered_ = i;
          return at;
        }
        unknown = unknown || !r.is_error();
        why += "; " + st_.sentinel.hosts[i].text() + ": " +
               (r.is_error() ? r.str : "no master named '" + st_.sentinel.master + "'");
      } catch (const transport_error& e) {
        query_.reset();
        why += "; " + std::string(without_prefix(e.what()));
      }
    }
    throw transport_error("redwire::redis: " + st_.describe() + ": " +
                          (unknown
                               ? "no sentinel knows a master named '" + st_.sentinel.master + "'"
                               : std::string("no sentinel reachable")) +
                          " (" + (why.empty() ? "out of time" : why.substr(2)) + ")");
  }

 private:
  std::vector<std::string_view> ask() const {
    return {"SENTINEL", "get-master-addr-by-name", st_.sentinel.master};
  }

  static std::string_view without_prefix(std::string_view text) {
    if (text.starts_with("redwire::redis: ")) text.remove_prefix(16);
    return text;
  }

  static std::optional<endpoint> master_of(const reply& r) {
    if (!r.is_array() || r.elements.size() != 2) return std::nullopt;
    int port = std::atoi(r.elements[1].str.c_str());
    if (port <= 0 || port > 65535) return std::nullopt;
    return endpoint{r.elements[0].str, static_cast<std::uint16_t>(port)};
  }

  // The settings of a connection to sentinel `i` (its credentials, db 0, the same TLS).
  settings at_sentinel(std::size_t i, std::chrono::milliseconds budget) const {
    settings s = st_;
    s.host = st_.sentinel.hosts[i].host;
    s.port = st_.sentinel.hosts[i].port;
    s.user = st_.sentinel.user;
    s.password = st_.sentinel.password;
    s.db = 0;
    s.sentinel = {};
    s.connect_timeout = std::min(s.connect_timeout, budget);
    s.command_timeout = std::min(s.command_timeout, budget);
    s.topology = sentinels_;
    return s;
  }

  bool stopping() {
    std::lock_guard lk(m_);
    return stop_;
  }

  // The watcher thread: one sentinel at a time, the next one when it is lost.
  void watch() {
    auto backoff = st_.reconnect_min;
    for (std::size_t i = 0; !stopping(); i = (i + 1) % st_.sentinel.hosts.size()) {
      try {
        watch_one(i, backoff);
      } catch (const transport_error& e) {
        if (!stopping())
          detail::log(log_level::warning, "sentinel watch: " + std::string(e.what()));
      }
      std::unique_lock lk(m_);
      cv_.wait_for(lk, backoff, [&] { return stop_; });
      backoff = std::min(backoff * 2, st_.reconnect_max);
    }
  }

  // Asks where the master is (a switch missed while nobody listened shows here), subscribes to
  // +switch-master and reads until the connection is lost (throws) or stop().
  void watch_one(std::size_t i, std::chrono::milliseconds& backoff) {
    connection c(at_sentinel(i, st_.connect_timeout), "redwire:sentinel-watch");
    {
      std::lock_guard lk(m_);
      if (stop_) return;
      watched_ = &c.sock();
    }
    struct forget {
      sentinel_topology& t;
      ~forget() {
        std::lock_guard lk(t.m_);
        t.watched_ = nullptr;
      }
    } forget_on_exit{*this};
    std::string out;
    append_command(out, ask());
    append_command(out, {"SUBSCRIBE", "+switch-master"});
    c.send(out);
    std::optional<reply> where = c.read_reply(clock::now() + st_.command_timeout);
    if (!where) throw transport_error("no answer from sentinel " + st_.sentinel.hosts[i].text());
    if (std::optional<endpoint> at = master_of(*where)) seen(*at);
    backoff = st_.reconnect_min;
    for (bool ping_sent = false;;) {
      if (!c.read_more(clock::now() + st_.command_timeout)) {
        if (ping_sent) throw transport_error("no answer to PING");
        c.send("*1\r\n$4\r\nPING\r\n");
        ping_sent = true;
        continue;
      }
      ping_sent = false;
      while (std::optional<reply> r = c.buffered_reply()) on_message(*r);
    }
  }

  // ["message", "+switch-master", "<name> <old-ip> <old-port> <new-ip> <new-port>"]
  void on_message(const reply& r) {
    if (!r.is_array() || r.elements.size() != 3 || r.elements[0].str != "message" ||
        r.elements[1].str != "+switch-master")
      return;
    std::vector<std::string> words;
    std::string_view text = r.elements[2].str;
    while (!text.empty()) {
      std::size_t space = text.find(' ');
      words.emplace_back(text.substr(0, space));
      text = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
    }
    if (words.size() != 5 || words[0] != st_.sentinel.master) return;
    int port = std::atoi(words[4].c_str());
    if (port > 0 && port < 65536) seen(endpoint{words[3], static_cast<std::uint16_t>(port)});
  }

  void seen(const endpoint& at) {
    {
      std::lock_guard lk(m_);
      if (seen_ && *seen_ == at) return;
      if (seen_)
        detail::log(log_level::info, "master '" + st_.sentinel.master + "' moved to " + at.text());
      seen_ = at;
    }
    master_moved(at);
  }

  settings st_;
  std::shared_ptr<topology> sentinels_;  // the sentinels' own connections (same TLS)
  std::mutex query_m_;                   // the query connection, for master()
  std::unique_ptr<connection> query_;
  std::size_t queried_ = 0, answered_ = 0;
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  socket* watched_ = nullptr;  // the watcher's socket, for stop()
  std::optional<endpoint> seen_;
  std::thread thread_;
};

/// The topology of the transport made from `st`: the sentinels' when the URL names them.
inline std::shared_ptr<topology> make_topology(const settings& st) {
  if (st.sentinel.hosts.empty()) return std::make_shared<topology>(st);
  auto t = std::make_shared<sentinel_topology>(st);
  t->start();
  return t;
}

}  // namespace redwire::redis::detail
