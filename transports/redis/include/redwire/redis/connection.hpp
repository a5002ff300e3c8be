// redwire/redis/connection.hpp — one connection to Redis: socket, reply parser, handshake.
//
// Every connection of the transport starts here: connect, AUTH (with the ACL user if any),
// SELECT, optionally CLIENT ID, then PING, all in one round trip. A failure throws
// transport_error with the server's words (never the password); a server whose answer is not
// the Redis protocol is "not a Redis server", with the first line it sent.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <redwire/log.hpp>
#include <redwire/transport.hpp>

#include "resp.hpp"
#include "socket.hpp"
#include "url.hpp"

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
  connection(const settings& st, std::string_view name, bool want_client_id = false)
      : sock_(socket::connect(st)) {
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
    append_command(out, {"PING"});
    ++replies;
    send(out);
    check_handshake(st, replies);
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
  socket sock_;
  reply_parser parser_;
  std::array<char, 64 * 1024> buffer_;
  long long client_id_ = -1;

  // Reads the `replies` replies of the handshake; throws transport_error saying what failed: an
  // error reply (the credentials, say), silence, or bytes that are not RESP (another server).
  void check_handshake(const settings& st, int replies) {
    const auto deadline = clock::now() + st.command_timeout;
    std::optional<std::string> first_error;
    std::string first_bytes;  // what the server sent first, to name a server that is not Redis
    try {
      for (int i = 0; i < replies; ++i) {
        std::optional<reply> r;
        while (!(r = parser_.next())) {
          const std::size_t n = sock_.read_some(buffer_.data(), buffer_.size(), deadline);
          if (n == 0)
            throw transport_error("redwire::redis: " + st.describe() + " did not answer in time");
          if (first_bytes.empty()) first_bytes.assign(buffer_.data(), std::min<std::size_t>(n, 80));
          parser_.feed(buffer_.data(), n);
        }
        if (r->is_error() && !first_error) first_error = r->str;
        if (r->is_integer()) client_id_ = r->integer;
      }
    } catch (const protocol_error&) {
      throw transport_error("redwire::redis: not a Redis server at " + st.describe() +
                            " (it answered \"" + first_line(first_bytes) + "\")");
    }
    if (!first_error) return;
    const bool auth = first_error->starts_with("WRONGPASS") || first_error->starts_with("NOAUTH") ||
                      first_error->find("invalid password") != std::string::npos ||
                      first_error->find("invalid username-password") != std::string::npos;
    throw transport_error("redwire::redis: " +
                          std::string(auth ? "authentication failed at " : "handshake failed at ") +
                          st.describe() + ": " + *first_error);
  }

  // The first line of `bytes`, printable characters only, for a message.
  static std::string first_line(std::string_view bytes) {
    std::string line;
    for (char c : bytes.substr(0, bytes.find_first_of("\r\n")))
      line += c >= 0x20 && c < 0x7f ? c : '?';
    return line;
  }
};

}  // namespace redwire::redis::detail
