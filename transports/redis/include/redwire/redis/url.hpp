// redwire/redis/url.hpp — where the Redis server is and how to talk to it, from one URL.
//
//   redis://host:port                      redis://user:password@host:port/db
//   redis://:password@host                 unix:///path/to/socket?db=2
//   ...?connect_timeout=500ms&command_timeout=2s&prefix=rw
// User and password may be percent-encoded (a password holding '@' or ':' must be).
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <redwire/detail/bytes.hpp>

namespace redwire::redis {

/// Everything a connection needs, parsed from a URL (see parse_url) and options.
/// `describe()` gives the URL back without the password, for messages and logs.
struct settings {
  std::string host;  ///< TCP host; empty when unix_path is set
  std::uint16_t port = 6379;
  std::string unix_path;  ///< unix socket path; empty for TCP
  std::string user;       ///< ACL user; empty: AUTH with the password only
  std::string password;   ///< empty: no AUTH
  int db = 0;
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{1000};
  std::string prefix = "rw";
  std::chrono::milliseconds reconnect_min{10};
  std::chrono::milliseconds reconnect_max{1000};

  std::string describe() const {
    std::string s = unix_path.empty() ? "redis://" : "unix://";
    if (!user.empty() || !password.empty()) s += user + (password.empty() ? "@" : ":***@");
    if (unix_path.empty()) {
      s += host.find(':') != std::string::npos ? "[" + host + "]" : host;
      s += ":" + std::to_string(port) + "/" + std::to_string(db);
    } else {
      s += unix_path + "?db=" + std::to_string(db);
    }
    return s;
  }
};

/// Construction options: the URL plus fields that, when set, override what the URL says.
///   redwire::redis::transport bus{{.url = "redis://10.0.0.5", .password = secret}};
struct options {
  std::string url = "redis://127.0.0.1:6379";
  std::optional<std::string> user{};
  std::optional<std::string> password{};
  std::optional<int> db{};
  std::optional<std::chrono::milliseconds> connect_timeout{};
  std::optional<std::chrono::milliseconds> command_timeout{};
  std::optional<std::string> prefix{};
  std::chrono::milliseconds reconnect_min{10};    ///< first reconnect delay, doubled each failure
  std::chrono::milliseconds reconnect_max{1000};  ///< longest reconnect delay
};

namespace detail {

[[noreturn]] inline void bad_url(std::string_view why) {
  throw std::invalid_argument("redwire::redis: bad URL: " + std::string(why));
}

inline std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) bad_url("truncated %-escape");
    int hi = redwire::detail::hex_digit_value(s[i + 1]);
    int lo = redwire::detail::hex_digit_value(s[i + 2]);
    if (hi < 0 || lo < 0) bad_url("bad %-escape");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

template <class Int>
Int parse_number(std::string_view s, std::string_view what) {
  Int v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
    bad_url(std::string(what) + " is not a number: '" + std::string(s) + "'");
  }
  return v;
}

/// "500ms", "2s", "1m", "250" (milliseconds).
inline std::chrono::milliseconds parse_duration(std::string_view s, std::string_view what) {
  std::size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  auto n = parse_number<long long>(s.substr(0, digits), what);
  std::string_view unit = s.substr(digits);
  if (unit.empty() || unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "s") return std::chrono::seconds(n);
  if (unit == "m") return std::chrono::minutes(n);
  bad_url(std::string(what) + " has an unknown unit: '" + std::string(s) + "'");
}

inline void apply_query(settings& st, std::string_view query) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      bad_url("option without a value: '" + std::string(item) + "'");
    std::string_view key = item.substr(0, eq);
    std::string value = percent_decode(item.substr(eq + 1));
    if (key == "db")
      st.db = parse_number<int>(value, "db");
    else if (key == "connect_timeout")
      st.connect_timeout = parse_duration(value, key);
    else if (key == "command_timeout")
      st.command_timeout = parse_duration(value, key);
    else if (key == "prefix")
      st.prefix = value;
    else if (key == "user")
      st.user = value;
    else if (key == "password")
      st.password = value;
    else
      bad_url("unknown option '" + std::string(key) + "'");
  }
}

inline void parse_userinfo(settings& st, std::string_view info) {
  std::size_t colon = info.find(':');
  st.user = percent_decode(info.substr(0, colon));
  if (colon != std::string_view::npos) st.password = percent_decode(info.substr(colon + 1));
}

}  // namespace detail

/// Parses a redis:// or unix:// URL; throws std::invalid_argument saying what is wrong.
///   parse_url("redis://:pw@10.0.0.5/2").db == 2
inline settings parse_url(std::string_view url) {
  settings st;
  std::string_view rest;
  bool is_unix = false;
  if (url.starts_with("redis://")) {
    rest = url.substr(8);
  } else if (url.starts_with("unix://")) {
    rest = url.substr(7);
    is_unix = true;
  } else if (url.starts_with("rediss://")) {
    detail::bad_url("TLS (rediss://) is not supported");
  } else {
    detail::bad_url(
        "expected redis://host[:port][/db] or unix:///path, got a URL with another "
        "scheme");
  }
  std::size_t q = rest.find('?');
  std::string_view query = q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1);
  rest = rest.substr(0, q);

  if (is_unix) {
    std::size_t slash = rest.find('/');
    std::size_t at = rest.find('@');
    if (at != std::string_view::npos && at < slash) {
      detail::parse_userinfo(st, rest.substr(0, at));
      rest = rest.substr(at + 1);
    }
    if (rest.empty() || rest[0] != '/') detail::bad_url("unix:// needs an absolute socket path");
    st.unix_path = detail::percent_decode(rest);
    st.host.clear();
  } else {
    std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path =
        slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
      detail::parse_userinfo(st, authority.substr(0, at));
      authority = authority.substr(at + 1);
    }
    std::string_view host = authority, port;
    if (authority.starts_with('[')) {
      std::size_t close = authority.find(']');
      if (close == std::string_view::npos) detail::bad_url("unclosed '[' in the host");
      host = authority.substr(1, close - 1);
      std::string_view after = authority.substr(close + 1);
      if (!after.empty()) {
        if (after[0] != ':') detail::bad_url("unexpected text after ']'");
        port = after.substr(1);
        if (port.empty()) detail::bad_url("empty port");
      }
    } else if (std::size_t colon = authority.find(':'); colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) detail::bad_url("empty port");
    }
    if (host.empty()) detail::bad_url("no host");
    st.host = std::string(host);
    if (!port.empty()) {
      int p = detail::parse_number<int>(port, "port");
      if (p <= 0 || p > 65535) detail::bad_url("port out of range: " + std::string(port));
      st.port = static_cast<std::uint16_t>(p);
    }
    if (!path.empty()) st.db = detail::parse_number<int>(path, "db");
  }
  detail::apply_query(st, query);
  if (st.db < 0) detail::bad_url("negative db");
  if (!st.user.empty() && st.password.empty()) detail::bad_url("a user needs a password");
  return st;
}

/// The URL of `o` with its overriding fields applied.
inline settings resolve(const options& o) {
  settings st = parse_url(o.url);
  if (o.user) st.user = *o.user;
  if (o.password) st.password = *o.password;
  if (o.db) st.db = *o.db;
  if (o.connect_timeout) st.connect_timeout = *o.connect_timeout;
  if (o.command_timeout) st.command_timeout = *o.command_timeout;
  if (o.prefix) st.prefix = *o.prefix;
  st.reconnect_min = o.reconnect_min;
  st.reconnect_max = o.reconnect_max;
  if (st.db < 0) throw std::invalid_argument("redwire::redis: negative db");
  return st;
}

}  // namespace redwire::redis
