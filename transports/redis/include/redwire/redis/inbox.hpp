// redwire/redis/inbox.hpp — a reply channel read by the waiting thread itself.
//
// A sync call through the shared subscriber needs a thread hop on the reply path: the delivery
// thread wakes for the PUBLISH, finds the call and wakes the caller. An inbox is a connection of
// its own, SUBSCRIBEd to one channel, that the caller reads directly: the reply wakes the
// caller and nobody else (a call then costs four wake-ups — Redis twice, the service, the
// caller — against five). The client keeps a few and lends one to each sync call
// (client_options::inboxes).
//
// No keys: like every reply channel it is pub/sub, and Redis forgets it when the connection
// closes. On a cluster it is sharded pub/sub (SSUBSCRIBE) on the master of the channel's slot
// (the transport sets settings::slot); if that slot moves, Redis ends the subscription and the
// inbox is lost (the next call opens another, where the slot is now). A message that arrives after
// its call gave up (a late reply) is read by the next call that borrows the inbox, which drops it
// by its call id.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <redwire/capabilities/inboxes.hpp>
#include <redwire/transport.hpp>

#include "connection.hpp"

namespace redwire::redis {

class inbox {
 public:
  /// Connects, subscribes to `channel` and waits for Redis to confirm it (command timeout).
  /// Throws transport_error.
  inbox(const settings& st, std::string channel)
      : conn_(std::make_unique<detail::connection>(st, "redwire:inbox")),
        channel_(std::move(channel)) {
    const bool sharded = !st.cluster.seeds.empty();
    std::string cmd;
    detail::append_command(cmd, {sharded ? "SSUBSCRIBE" : "SUBSCRIBE", channel_});
    conn_->send(cmd);
    const auto deadline = detail::clock::now() + st.command_timeout;
    for (;;) {
      std::optional<reply> r = conn_->read_reply(deadline);
      if (!r)
        throw transport_error("redwire::redis: subscribe to " + channel_ +
                              " was not confirmed in time");
      if (r->is_error()) {
        conn_->on_error(r->str);  // MOVED: the slot map learns it
        throw transport_error("redwire::redis: subscribe to " + channel_ + " refused by " +
                              conn_->server().text() + ": " + r->str);
      }
      if (r->is_array() && r->elements.size() == 3 &&
          r->elements[0].str == (sharded ? "ssubscribe" : "subscribe"))
        break;
    }
  }

  inbox(inbox&&) noexcept = default;
  inbox& operator=(inbox&&) noexcept = default;

  const std::string& channel() const noexcept { return channel_; }

  /// Without waiting: false when the connection was closed (Redis restarted, an idle timeout)
  /// and the inbox must be replaced. What had arrived stays buffered for receive().
  bool usable() {
    if (!conn_) return false;
    try {
      while (conn_->read_more(detail::clock::now())) {
      }
      return true;
    } catch (const transport_error&) {
      conn_.reset();
      return false;
    }
  }

  /// The next message of the channel, into `out`; waits until `deadline`.
  inbox_status receive(std::string& out, std::chrono::steady_clock::time_point deadline) {
    if (!conn_) return inbox_status::lost;
    try {
      for (;;) {
        while (reply* r = conn_->buffered_reply_view()) {
          if (r->is_array() && r->elements.size() == 3) {
            const std::string& kind = r->elements[0].str;
            if (kind == "message" || kind == "smessage") {
              out.swap(r->elements[2].str);  // both keep a capacity: no allocation per message
              return inbox_status::message;
            }
            if (kind == "sunsubscribe") {  // a cluster: the slot moved away, nothing comes here
              conn_.reset();
              return inbox_status::lost;
            }
          }
        }
        if (!conn_->read_more(deadline)) return inbox_status::timeout;
      }
    } catch (const transport_error&) {
      conn_.reset();
      return inbox_status::lost;
    }
  }

 private:
  std::unique_ptr<detail::connection> conn_;
  std::string channel_;
};

static_assert(redwire::inbox<inbox>);

}  // namespace redwire::redis
