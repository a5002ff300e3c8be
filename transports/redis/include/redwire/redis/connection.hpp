// redwire/redis/connection.hpp — one connection to Redis: socket, reply parser, handshake.
//
// Every connection of the transport starts here: ask the topology where the server is
// (topology.hpp: the URL's address, or the master the sentinels name), connect, TLS if the URL
// says rediss://, then AUTH (with the ACL user if any), SELECT, optionally CLIENT ID, ROLE when
// the server must prove it is the master (Sentinel), then PING, all in one round trip. A
// failure throws transport_error with the server's words (never the password); a server whose
// answer is not the Redis protocol is "not a Redis server", with the first line it sent. Once
// made, the
// connection is enlisted in its topology, which may shut its socket down when the master moves.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <redwire/log.hpp>
#include <redwire/transport.hpp>

#include "resp.hpp"
#include "settings.hpp"
#include "socket.hpp"
#include "topology.hpp"

namespace redwire::redis::detail {

/// Through redwire's log sink (redwire/log.hpp), as redwire::log, with "redis: " in front.
/// Call it as detail::log: unqualified, the log_level argument finds redwire::log too, and the
/// call would be ambiguous.
inline void log(log_level level, std::string_view what) {
  redwire::log(level, std::string("redis: ").append(what));
}

class connection {
 public:
  /// Connects and authenticates; `name` becomes the CLIENT SETNAME (visible in CLIENT LIST).
  connection(const settings& st, std::string_view name, bool want_client_id = false) {
    std::shared_ptr<topology> where = st.topology ? st.topology : std::make_shared<topology>(st);
    settings at = st;  // the server itself: the URL's, or the master the sentinels name
    if (std::optional<endpoint> master = where->master(clock::now() + st.connect_timeout)) {
      at.host = master->host;
      at.port = master->port;
      at.unix_path.clear();
      at.sentinel = {};
    }
    const auto deadline = clock::now() + st.connect_timeout;
    sock_ = socket::connect(at);
    if (const tls_context* tls = where->tls())
      sock_.start_tls(*tls, st.tls, at.host, at.describe(), deadline);
    server_ = {at.host, at.port};
    handshake(at, name, want_client_id, where->checks_role());
    enlisted_.emplace(std::move(where), sock_, server_);
  }

  /// Where this connection is: the server's host and port (host empty: a unix socket).
  const endpoint& server() const noexcept { return server_; }
  /// The server said READONLY: it is a replica now. Every connection to it is shut down and
  /// reconnects to wherever the topology says the master is.
  void not_master() {
    if (enlisted_) enlisted_->owner()->not_master(server_);
  }

  socket& sock() noexcept { return sock_; }
  long long client_id() const noexcept { return client_id_; }

  void send(std::string_view bytes) { sock_.write_all(bytes); }

  /// A reply already received and buffered, without touching the socket.
  std::optional<reply> buffered_reply() { return parser_.next(); }
  /// The same, parsed into the parser's own reply (no allocation once warm); valid until the
  /// next read.
  reply* buffered_reply_view() { return parser_.next_view(); }

  /// Waits for the next reply until `deadline` (nullptr: timed out), parsed as by
  /// buffered_reply_view(). Throws transport_error.
  reply* read_reply_view(clock::time_point deadline) {
    for (;;) {
      if (reply* r = parser_.next_view()) return r;
      std::size_t n = sock_.read_some(buffer_.data(), buffer_.size(), deadline);
      if (n == 0) return nullptr;
      parser_.feed(buffer_.data(), n);
    }
  }

  /// Waits for the next reply until `deadline` (nullopt: timed out). Throws transport_error.
  std::optional<reply> read_reply(clock::time_point deadline) {
    for (;;) {
      if (std::optional<reply> r = parser_.next()) return r;
      std::size_t n = sock_.read_some(buffer_.data(), buffer_.size(), deadline);
      if (n == 0) return std::nullopt;
      parser_.feed(buffer_.data(), n);
    }
  }

  /// Reads once from the socket (waiting until `deadline`) and feeds the parser.
  /// Returns false on timeout.
  bool read_more(clock::time_point deadline) {
    std::size_t n = sock_.read_some(buffer_.data(), buffer_.size(), deadline);
    if (n == 0) return false;
    parser_.feed(buffer_.data(), n);
    return true;
  }

  /// Sends one command and waits for its reply; a timeout throws transport_error (the
  /// connection is then out of step and must be dropped).
  reply execute(std::span<const std::string_view> args, std::chrono::milliseconds timeout) {
    std::string out;
    append_command(out, args);
    send(out);
    std::optional<reply> r = read_reply(clock::now() + timeout);
    if (!r)
      throw transport_error("redwire::redis: no reply within " + std::to_string(timeout.count()) +
                            " ms");
    return std::move(*r);
  }

 private:
  // AUTH, SELECT, CLIENT SETNAME, CLIENT ID, ROLE, PING: one write, one round trip.
  void handshake(const settings& st, std::string_view name, bool want_client_id, bool check_role) {
    sock_.set_send_timeout(st.command_timeout);
    std::string out;
    int replies = 0;
    if (!st.password.empty()) {
      if (st.user.empty())
        append_command(out, {"AUTH", st.password});
      else
        append_command(out, {"AUTH", st.user, st.password});
      ++replies;
    }
    std::string db = std::to_string(st.db);
    if (st.db != 0) {
      append_command(out, {"SELECT", db});
      ++replies;
    }
    if (!name.empty()) {
      append_command(out, {"CLIENT", "SETNAME", name});
      ++replies;
    }
    if (want_client_id) {
      append_command(out, {"CLIENT", "ID"});
      ++replies;
    }
    const int role_at = check_role ? replies : -1;
    if (check_role) {
      append_command(out, {"ROLE"});
      ++replies;
    }
    append_command(out, {"PING"});
    ++replies;
    try {
      send(out);
    } catch (const transport_error& e) {
      throw handshake_failure(st, e);
    }
    auto deadline = clock::now() + st.command_timeout;
    std::optional<std::string> first_error;
    std::string first_bytes;
    for (int i = 0; i < replies; ++i) {
      std::optional<reply> r = read_handshake_reply(st, deadline, first_bytes);
      if (i == role_at) {
        check_master(st, *r);
        continue;
      }
      if (r->is_error() && !first_error) first_error = r->str;
      if (r->is_integer()) client_id_ = r->integer;
    }
    if (first_error) {
      bool auth = first_error->starts_with("WRONGPASS") || first_error->starts_with("NOAUTH") ||
                  first_error->find("invalid password") != std::string::npos ||
                  first_error->find("invalid username-password") != std::string::npos;
      throw transport_error(
          "redwire::redis: " +
          std::string(auth ? "authentication failed at " : "handshake failed at ") + st.describe() +
          ": " + *first_error);
    }
  }

  // A reply of the handshake; a failure is explained. `first_bytes` keeps what the server sent
  // first, to name a server that is not Redis.
  std::optional<reply> read_handshake_reply(const settings& st, clock::time_point deadline,
                                            std::string& first_bytes) {
    std::optional<reply> r;
    try {
      while (!(r = parser_.next())) {
        const std::size_t n = sock_.read_some(buffer_.data(), buffer_.size(), deadline);
        if (n == 0) break;
        if (first_bytes.empty()) first_bytes.assign(buffer_.data(), std::min<std::size_t>(n, 80));
        parser_.feed(buffer_.data(), n);
      }
    } catch (const protocol_error&) {
      throw transport_error("redwire::redis: not a Redis server at " + st.describe() +
                            " (it answered \"" + first_line(first_bytes) + "\")");
    } catch (const transport_error& e) {
      throw handshake_failure(st, e);
    }
    if (!r) throw transport_error("redwire::redis: " + st.describe() + " did not answer in time");
    return r;
  }

  // The first line of `bytes`, printable characters only, for a message.
  static std::string first_line(std::string_view bytes) {
    std::string line;
    for (char c : bytes.substr(0, bytes.find_first_of("\r\n")))
      line += c >= 0x20 && c < 0x7f ? c : '?';
    return line;
  }

  // A connection dropped during the handshake, said with the server's address and what is the
  // likely cause: a TLS port reached without TLS, a client certificate the server requires.
  static transport_error handshake_failure(const settings& st, const transport_error& e) {
    std::string cause = e.what();
    if (cause.starts_with("redwire::redis: ")) cause.erase(0, 16);
    std::string text = "redwire::redis: " + st.describe() + ": " + cause;
    if (!st.tls.enabled)
      text += " during the handshake: is it a TLS port? then use rediss://";
    else if (st.tls.cert.empty() && cause.find("client certificate") == std::string::npos)
      text += " during the handshake: does the server require a client certificate (cert=, key=)?";
    return transport_error(text);
  }

  // ROLE's answer: the master goes on; a replica is refused (its connections go too). A user
  // that may not run ROLE is taken at its word.
  void check_master(const settings& st, const reply& r) {
    if (r.is_error() || !r.is_array() || r.elements.empty() || r.elements[0].str == "master")
      return;
    if (st.topology) st.topology->not_master(server_);
    throw transport_error("redwire::redis: " + st.describe() + " is a " + r.elements[0].str +
                          ", not the master (a failover in progress?)");
  }

  socket sock_;
  endpoint server_;
  reply_parser parser_;
  std::array<char, 64 * 1024> buffer_;
  long long client_id_ = -1;
  std::optional<enlistment> enlisted_;  // last: leaves the topology before the socket closes
};

}  // namespace redwire::redis::detail
