// redwire/redis/topology.hpp — where the connections of one transport go, and which are live.
//
// Every connection is made by detail::connection (connection.hpp), which asks its topology
// each time it connects: master() says where the server is (nullopt: where the URL says —
// redis://, rediss://, unix://; Sentinel asks the sentinels: redis/sentinel.hpp), tls() how to
// talk to it, checks_role() whether the server must prove it is the master (ROLE). Once
// connected, the connection enlists its socket here, and leaves before it closes it.
//
// When the master moves (Sentinel's +switch-master, a READONLY reply, a ROLE that says
// replica), the topology shuts down the sockets of the connections that are not on the new
// master: each owner sees its connection lost and reconnects, as after any lost connection —
// through master(), so onto the new master. The reconnect loops (command connection,
// subscriber, queue and stream readers, inboxes) know nothing of topologies.
//
// The transport makes one per transport and puts it in its settings (settings::topology), so
// that every connection made from them shares it.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "settings.hpp"
#include "socket.hpp"
#include "tls.hpp"

namespace redwire::redis::detail {

class topology {
 public:
  /// Reads the TLS files of `st` now (throws transport_error naming the file).
  explicit topology(const settings& st)
      : tls_(st.tls.enabled ? std::make_shared<tls_context>(st.tls, st.describe()) : nullptr) {}
  /// A topology that uses an existing TLS context (the sentinels' connections).
  explicit topology(std::shared_ptr<const tls_context> tls) : tls_(std::move(tls)) {}
  topology(const topology&) = delete;
  topology& operator=(const topology&) = delete;
  virtual ~topology() = default;

  /// Where the master is now: nullopt for the URL's own address. Throws transport_error, by
  /// `deadline` at the latest.
  virtual std::optional<endpoint> master(clock::time_point deadline) {
    (void)deadline;
    return std::nullopt;
  }
  /// Whether a connection must check with ROLE that its server is the master.
  virtual bool checks_role() const noexcept { return false; }
  /// Stops what the topology runs (Sentinel: its watcher thread). Idempotent.
  virtual void stop() noexcept {}

  /// The TLS context of the transport; nullptr without TLS.
  const tls_context* tls() const noexcept { return tls_.get(); }
  const std::shared_ptr<const tls_context>& shared_tls() const noexcept { return tls_; }

  /// A live connection's socket, connected to `at`, until leave(). If the master is known to
  /// be elsewhere by now (it moved while the connection was being made), the socket is shut
  /// down at once: its owner reconnects.
  void enlist(socket& s, const endpoint& at) {
    std::lock_guard lk(m_);
    live_.push_back({&s, at});
    if (at_master_ && !at.host.empty() && !(at == *at_master_)) s.shutdown();
  }
  void leave(socket& s) noexcept {
    std::lock_guard lk(m_);
    std::erase_if(live_, [&](const member& m) { return m.s == &s; });
  }

  /// The master is at `to` now: the connections elsewhere are shut down.
  void master_moved(const endpoint& to) {
    std::lock_guard lk(m_);
    at_master_ = to;
    for (member& m : live_)
      if (!m.at.host.empty() && !(m.at == to)) m.s->shutdown();
  }
  /// The server at `at` is not the master (it said READONLY, or ROLE said replica): the
  /// connections to it are shut down, and reconnect to wherever master() says.
  void not_master(const endpoint& at) {
    std::lock_guard lk(m_);
    if (at_master_ && *at_master_ == at) at_master_.reset();
    for (member& m : live_)
      if (m.at == at) m.s->shutdown();
  }

  /// How many connections are live (tests).
  std::size_t live() const {
    std::lock_guard lk(m_);
    return live_.size();
  }

 private:
  struct member {
    socket* s;
    endpoint at;  // host empty: a unix socket
  };
  std::shared_ptr<const tls_context> tls_;
  mutable std::mutex m_;
  std::vector<member> live_;
  std::optional<endpoint> at_master_;  // where the master was last seen to move (Sentinel)
};

/// A connection's place among the live ones: enlisted when made, gone when destroyed.
class enlistment {
 public:
  enlistment() = default;
  enlistment(std::shared_ptr<topology> t, socket& s, const endpoint& at)
      : topology_(std::move(t)), socket_(&s) {
    topology_->enlist(s, at);
  }
  enlistment(const enlistment&) = delete;
  enlistment& operator=(const enlistment&) = delete;
  ~enlistment() {
    if (topology_) topology_->leave(*socket_);
  }
  topology* owner() const noexcept { return topology_.get(); }

 private:
  std::shared_ptr<topology> topology_;
  socket* socket_ = nullptr;
};

}  // namespace redwire::redis::detail
