// redwire/redis/replicated_appends.hpp — stream appends that return once replicas hold the
// entry: XADD then WAIT, pipelined, on connections of their own (WAIT holds its connection
// until the replicas answer, so it must not hold the shared one). On a cluster, one per master,
// each stream's append on the master of its slot; an XADD a node bounced is sent again.
#pragma once

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <redwire/capabilities/streams.hpp>
#include <redwire/transport.hpp>

#include "command_router.hpp"
#include "pending_replies.hpp"
#include "settings.hpp"
#include "streams.hpp"

namespace redwire::redis::detail {

/// Appends that wait for replicas: XADD then WAIT, pipelined, on a connection of their own
/// (opened at the first one): WAIT holds its connection until the replicas
/// answer, which must not hold up the pushes and publishes of the shared one. WAIT covers
/// every write made before it on its connection, so appends from many threads may share it.
/// On a cluster those connections are a router of their own: one per master, each stream's
/// append goes to the master of its slot (and WAIT counts that master's replicas).
class replicated_appends {
 public:
  ~replicated_appends() {
    std::lock_guard lk(m_);
    if (router_) router_->stop();
  }

  /// Returns the entry id once `r.replicas` replicas hold it; throws transport_error when they
  /// do not confirm it within r.timeout (the entry may then be on the master only).
  std::string append(const settings& st, std::string_view stream, std::string_view bytes,
                     std::size_t max_length, const replication& r) {
    const auto until = clock::now() + st.command_timeout;
    for (int hop = 0;; ++hop) {  // on a cluster, an XADD bounced is sent again (it did not run)
      auto [entry, confirmed] = add_and_wait(st, stream, bytes, max_length, r);
      const bounce b = entry.is_error() ? bounce_of(entry.str) : bounce::none;
      if (b == bounce::none || clock::now() >= until)
        return confirmed_id(stream, std::move(entry), confirmed, r);
      if (b != bounce::moved)
        std::this_thread::sleep_for(std::chrono::milliseconds(10) * (1 << std::min(hop, 5)));
    }
  }

 private:
  // XADD then WAIT on the stream's connection; their replies.
  std::pair<reply, reply> add_and_wait(const settings& st, std::string_view stream,
                                       std::string_view bytes, std::size_t max_length,
                                       const replication& r) {
    command_connection& c = connection(st, stream);
    auto added = std::make_shared<std::promise<reply>>();
    auto waited = std::make_shared<std::promise<reply>>();
    auto id = added->get_future();
    auto copies = waited->get_future();
    std::string limit, n = std::to_string(r.replicas), ms = std::to_string(r.timeout.count());
    std::string_view wait[] = {"WAIT", n, ms};
    c.send(xadd_args(stream, bytes, max_length, limit), "XADD",
           [added](reply&& x) { added->set_value(std::move(x)); });
    c.send(wait, "WAIT", [waited](reply&& x) { waited->set_value(std::move(x)); });
    if (copies.wait_for(st.command_timeout + r.timeout) != std::future_status::ready)
      throw transport_error("redwire::redis: no reply to XADD and WAIT in time");
    return {id.get(), copies.get()};  // in order: XADD's reply came first
  }

  // The entry's id once `r.replicas` confirmed it; transport_error otherwise.
  static std::string confirmed_id(std::string_view stream, reply entry, const reply& confirmed,
                                  const replication& r) {
    const std::string n = std::to_string(r.replicas), ms = std::to_string(r.timeout.count());
    if (entry.is_error())
      throw transport_error("redwire::redis: XADD to " + std::string(stream) +
                            " failed: " + entry.str);
    if (confirmed.is_error())
      throw transport_error("redwire::redis: WAIT after XADD to " + std::string(stream) +
                            " failed: " + confirmed.str);
    if (confirmed.integer < static_cast<long long>(r.replicas))
      throw transport_error("redwire::redis: XADD to " + std::string(stream) + " reached " +
                            std::to_string(confirmed.integer) + " of " + n + " replicas within " +
                            ms + " ms: not confirmed (entry " + entry.str +
                            " is on the master and may be lost in a failover)");
    return std::move(entry.str);
  }

  // A connection of its own (WAIT holds it) to the master of the stream's slot: on a cluster,
  // one per master (redis/command_router.hpp); on one server, its only connection.
  command_connection& connection(const settings& st, std::string_view stream) {
    command_router* router = nullptr;
    {
      std::lock_guard lk(m_);
      if (!router_) router_ = std::make_unique<command_router>(st);
      router = router_.get();
    }
    return router->at(stream);  // not under m_: it may connect
  }

  std::mutex m_;
  std::unique_ptr<command_router> router_;
};

}  // namespace redwire::redis::detail
