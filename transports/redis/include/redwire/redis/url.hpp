// redwire/redis/url.hpp — where the Redis server is and how to talk to it, from one URL.
//
//   redis://host:port                      redis://user:password@host:port/db
//   redis://:password@host                 unix:///path/to/socket?db=2
//   rediss://host:6380?ca=/etc/ca.pem&cert=/etc/me.pem&key=/etc/me.key&sni=redis.internal
//   redis-sentinel://s1:26379,s2:26379,s3:26379/mymaster/0?sentinel_password=pw
//   rediss-sentinel://...                   (TLS to the sentinels and to the servers)
//   redis-cluster://user:password@h1:7000,h2:7001   (any reachable nodes are seeds; db 0 only)
//   rediss-cluster://...                    (TLS to every node, with the options of rediss://)
//   ...?connect_timeout=500ms&command_timeout=2s&keepalive=5s&prefix=rw
// User and password may be percent-encoded (a password holding '@' or ':' must be). In a
// Sentinel URL they are the servers'; the sentinels' are the options sentinel_user and
// sentinel_password.
#pragma once

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <redwire/detail/bytes.hpp>

#include "settings.hpp"

namespace redwire::redis {

namespace detail {

[[noreturn]] inline void bad_url(std::string_view why) {
  throw std::invalid_argument("redwire::redis: bad URL: " + std::string(why));
}

/// `s` between quotes, as messages show a value.
inline std::string in_quotes(std::string_view s) {
  return "'" + std::string(s) + "'";
}

/// The URL as a message may show it: a password (in the user part or as ?password=) is ***.
inline std::string redacted(std::string_view url) {
  std::string out(url);
  const std::size_t scheme = out.find("://");
  const std::size_t from = scheme == std::string::npos ? 0 : scheme + 3;
  const std::size_t end = std::min(out.find_first_of("/?", from), out.size());
  const std::size_t at = out.rfind('@', end);
  if (at != std::string::npos && at >= from) {
    const std::size_t colon = out.find(':', from);
    if (colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  const std::size_t query = out.find('?');
  for (std::size_t p = out.find("password=", query);
       query != std::string::npos && p != std::string::npos; p = out.find("password=", p + 1)) {
    const std::size_t value = p + 9;
    out.replace(value, std::min(out.find('&', value), out.size()) - value, "***");
  }
  return out;
}

/// Decodes %-escapes of the URL part `what`; a secret part is never quoted in a message.
inline std::string percent_decode(std::string_view s, std::string_view what, bool secret = false) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    const int hi = i + 2 < s.size() ? redwire::detail::hex_digit_value(s[i + 1]) : -1;
    const int lo = i + 2 < s.size() ? redwire::detail::hex_digit_value(s[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      bad_url("a %-escape is not two hex digits in the " + std::string(what) +
              (secret ? std::string() : ": " + in_quotes(s)));
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

template <class Int>
Int parse_number(std::string_view s, std::string_view what) {
  Int v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
    bad_url(std::string(what) + " is not a number: " + in_quotes(s));
  return v;
}

/// A db number, from the path or the query.
inline int parse_db(std::string_view s) {
  const int db = parse_number<int>(s, "the db");
  if (db < 0) bad_url("the db is negative: " + in_quotes(s));
  return db;
}

/// "500ms", "2s", "1m", "250" (milliseconds).
inline std::chrono::milliseconds parse_duration(std::string_view s, std::string_view what) {
  std::size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  const std::string_view unit = s.substr(digits);
  long long n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + digits, n);
  if (digits == 0 || ec != std::errc{} ||
      !(unit.empty() || unit == "ms" || unit == "s" || unit == "m"))
    bad_url(std::string(what) + " is not a duration: " + in_quotes(s) +
            " (write 500ms, 2s, 1m, or a number of milliseconds)");
  if (unit == "s") return std::chrono::seconds(n);
  if (unit == "m") return std::chrono::minutes(n);
  return std::chrono::milliseconds(n);
}

/// "host", "host:port", "[::1]:port"; `port` when the text names none.
inline endpoint parse_host_port(std::string_view authority, std::uint16_t port,
                                std::string_view url) {
  std::string_view host = authority, port_text;
  if (authority.starts_with('[')) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      bad_url("unclosed '[' in the host: " + in_quotes(authority));
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':')
        bad_url("unexpected text after ']' in the host: " + in_quotes(authority));
      port_text = after.substr(1);
      if (port_text.empty()) bad_url("empty port in " + in_quotes(authority));
    }
  } else if (std::size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
    if (port_text.empty()) bad_url("empty port in " + in_quotes(authority));
  }
  if (host.empty()) bad_url("no host in " + in_quotes(redacted(url)));
  if (!port_text.empty()) {
    int p = parse_number<int>(port_text, "the port");
    if (p <= 0 || p > 65535)
      bad_url("the port is out of range (1 to 65535): " + in_quotes(port_text));
    port = static_cast<std::uint16_t>(p);
  }
  return {std::string(host), port};
}

/// The TLS and Sentinel options; false for a key that is neither.
inline bool apply_tls_or_sentinel_option(settings& st, std::string_view key, std::string value) {
  if (key == "ca")
    st.tls.ca = std::move(value);
  else if (key == "cert")
    st.tls.cert = std::move(value);
  else if (key == "key")
    st.tls.key = std::move(value);
  else if (key == "sni")
    st.tls.sni = std::move(value);
  else if (key == "verify" && (value == "yes" || value == "no"))
    st.tls.verify = value == "yes";
  else if (key == "verify")
    bad_url("verify is yes or no, not " + in_quotes(value));
  else if (key == "sentinel_user")
    st.sentinel.user = std::move(value);
  else if (key == "sentinel_password")
    st.sentinel.password = std::move(value);
  else
    return false;
  return true;
}

/// Applies the options of the query; `path_db` is the db the path gave ("" if none): a db may
/// be given once.
inline void apply_query(settings& st, std::string_view query, std::string_view path_db) {
  bool db_given = false;
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) bad_url("option without a value: " + in_quotes(item));
    std::string_view key = item.substr(0, eq);
    std::string value = percent_decode(item.substr(eq + 1), key, key.ends_with("password"));
    if (key == "db") {
      if (!path_db.empty())
        bad_url("the db is given twice, as " + in_quotes("/" + std::string(path_db)) +
                " in the path and as " + in_quotes(item) + " in the query: give it once");
      if (db_given) bad_url("the db is given twice in the query");
      db_given = true;
      st.db = parse_db(value);
    } else if (key == "connect_timeout") {
      st.connect_timeout = parse_duration(value, key);
    } else if (key == "command_timeout") {
      st.command_timeout = parse_duration(value, key);
    } else if (key == "keepalive") {
      st.keepalive = parse_duration(value, key);
    } else if (key == "prefix") {
      st.prefix = value;
    } else if (key == "user") {
      st.user = value;
    } else if (key == "password") {
      st.password = value;
    } else if (!apply_tls_or_sentinel_option(st, key, std::move(value))) {
      bad_url("unknown option " + in_quotes(key) +
              " (known: db, connect_timeout, command_timeout, keepalive, prefix, user, password, "
              "ca, cert, key, sni, verify, sentinel_user, sentinel_password)");
    }
  }
}

inline void parse_userinfo(settings& st, std::string_view info) {
  std::size_t colon = info.find(':');
  st.user = percent_decode(info.substr(0, colon), "user");
  if (colon != std::string_view::npos)
    st.password = percent_decode(info.substr(colon + 1), "password", true);
}

/// "[user:password@]/path/to/socket" of a unix:// URL.
inline void parse_unix(settings& st, std::string_view rest) {
  std::size_t slash = rest.find('/');
  std::size_t at = rest.find('@');
  if (at != std::string_view::npos && at < slash) {
    parse_userinfo(st, rest.substr(0, at));
    rest = rest.substr(at + 1);
  }
  if (rest.empty() || rest[0] != '/')
    bad_url("unix:// needs an absolute socket path, not " + in_quotes(rest));
  st.unix_path = percent_decode(rest, "socket path");
  st.host.clear();
}

/// Takes "user:password@" off the front of `rest` (before the first '/').
inline std::string_view take_userinfo(settings& st, std::string_view rest) {
  std::size_t at = rest.substr(0, rest.find('/')).rfind('@');
  if (at == std::string_view::npos) return rest;
  parse_userinfo(st, rest.substr(0, at));
  return rest.substr(at + 1);
}

/// "host[:port][/db]" of a redis:// URL; returns the db text of the path.
inline std::string_view parse_tcp(settings& st, std::string_view rest, std::string_view url) {
  std::size_t slash = rest.find('/');
  std::string_view path =
      slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  endpoint server = parse_host_port(rest.substr(0, slash), 6379, url);
  st.host = std::move(server.host);
  st.port = server.port;
  if (!path.empty()) st.db = parse_db(path);
  return path;
}

/// "host1:port,host2:port,..." (at least one), each with `port` when it names none.
inline std::vector<endpoint> parse_hosts(std::string_view hosts, std::uint16_t port,
                                         std::string_view url, std::string_view what) {
  std::vector<endpoint> out;
  while (!hosts.empty()) {
    std::size_t comma = hosts.find(',');
    out.push_back(parse_host_port(hosts.substr(0, comma), port, url));
    hosts = comma == std::string_view::npos ? std::string_view{} : hosts.substr(comma + 1);
    if (comma != std::string_view::npos && hosts.empty())
      bad_url("an empty " + std::string(what) + " address in " + in_quotes(redacted(url)));
  }
  if (out.empty()) bad_url("no " + std::string(what) + " address in " + in_quotes(redacted(url)));
  return out;
}

/// "host1:26379,host2:26379/<master-name>[/db]" of a redis-sentinel:// URL; returns the db text.
inline std::string_view parse_sentinel(settings& st, std::string_view rest, std::string_view url) {
  std::size_t slash = rest.find('/');
  std::string_view path =
      slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  st.sentinel.hosts = parse_hosts(rest.substr(0, slash), 26379, url, "sentinel");
  std::size_t db_slash = path.find('/');
  st.sentinel.master = percent_decode(path.substr(0, db_slash), "master name");
  if (st.sentinel.master.empty())
    bad_url("no master name in " + in_quotes(redacted(url)) +
            ": write redis-sentinel://host:26379[,host:26379...]/<master-name>[/db]");
  std::string_view db;
  if (db_slash != std::string_view::npos) db = path.substr(db_slash + 1);
  if (!db.empty()) st.db = parse_db(db);
  st.host.clear();
  st.port = 0;
  return db;
}

/// "host1:7000,host2:7001,..." of a redis-cluster:// URL (every node named is a seed). A
/// cluster serves db 0 only: a path is refused, but for "/" and "/0". Connections that need
/// no particular node go to the first seed until the slot map is known.
inline void parse_cluster(settings& st, std::string_view rest, std::string_view url) {
  std::size_t slash = rest.find('/');
  st.cluster.seeds = parse_hosts(rest.substr(0, slash), 6379, url, "cluster node");
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash + 1);
    if (!path.empty() && path != "0")
      bad_url("a Redis Cluster serves db 0 only, so " + in_quotes(redacted(url)) +
              " may not name one: write redis-cluster://host:port[,host:port...]");
  }
  st.host = st.cluster.seeds[0].host;
  st.port = st.cluster.seeds[0].port;
}

/// Options that the URL's scheme has no use for are mistakes, said at once.
inline void check_options(const settings& st) {
  if (!st.tls.enabled && (!st.tls.ca.empty() || !st.tls.cert.empty() || !st.tls.key.empty() ||
                          !st.tls.sni.empty() || !st.tls.verify))
    bad_url(
        "ca, cert, key, sni and verify need rediss://, rediss-sentinel:// or rediss-cluster://");
  if (st.tls.cert.empty() != st.tls.key.empty())
    bad_url("cert and key go together (the client certificate and its private key)");
  if (st.sentinel.hosts.empty() && (!st.sentinel.user.empty() || !st.sentinel.password.empty()))
    bad_url("sentinel_user and sentinel_password need redis-sentinel:// or rediss-sentinel://");
  if (!st.sentinel.user.empty() && st.sentinel.password.empty())
    bad_url("the sentinel_user " + in_quotes(st.sentinel.user) + " has no sentinel_password");
  if (!st.cluster.seeds.empty() && st.db != 0)
    bad_url("a Redis Cluster serves db 0 only, not db " + std::to_string(st.db));
  if (!st.user.empty() && st.password.empty())
    bad_url("the user " + in_quotes(st.user) + " has no password");
}

}  // namespace detail

/// Parses a redis://, rediss://, redis-sentinel://, rediss-sentinel://, redis-cluster://,
/// rediss-cluster:// or unix:// URL; throws
/// std::invalid_argument saying what is wrong and quoting the wrong part (never a password).
///   parse_url("redis://:pw@10.0.0.5/2").db == 2
inline settings parse_url(std::string_view url) {
  constexpr std::string_view schemes =
      "redis://host[:port][/db], rediss://host[:port][/db], "
      "redis-sentinel://host[:port][,host[:port]...]/<master-name>[/db], "
      "redis-cluster://host[:port][,host[:port]...] or unix:///path/to/socket";
  settings st;
  std::string_view rest;
  bool is_unix = false, is_sentinel = false, is_cluster = false;
  if (url.starts_with("redis://")) {
    rest = url.substr(8);
  } else if (url.starts_with("rediss://")) {
    rest = url.substr(9);
    st.tls.enabled = true;
  } else if (url.starts_with("redis-sentinel://") || url.starts_with("rediss-sentinel://")) {
    st.tls.enabled = url.starts_with("rediss-");
    rest = url.substr(st.tls.enabled ? 18 : 17);
    is_sentinel = true;
  } else if (url.starts_with("redis-cluster://") || url.starts_with("rediss-cluster://")) {
    st.tls.enabled = url.starts_with("rediss-");
    rest = url.substr(st.tls.enabled ? 17 : 16);
    is_cluster = true;
  } else if (url.starts_with("unix://")) {
    rest = url.substr(7);
    is_unix = true;
  } else if (url.empty()) {
    detail::bad_url("the URL is empty: write " + std::string(schemes));
  } else if (std::size_t scheme = url.find("://"); scheme == std::string_view::npos) {
    detail::bad_url("the scheme is missing in " + detail::in_quotes(detail::redacted(url)) +
                    ": write redis://" + detail::redacted(url) +
                    " (or rediss://, redis-sentinel://, rediss-sentinel://, redis-cluster://, "
                    "rediss-cluster://, unix://)");
  } else {
    detail::bad_url("unknown scheme " + detail::in_quotes(url.substr(0, scheme + 3)) + " in " +
                    detail::in_quotes(detail::redacted(url)) + ": write " + std::string(schemes));
  }
  std::size_t q = rest.find('?');
  std::string_view query = q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1);
  rest = rest.substr(0, q);
  std::string_view path_db;
  if (is_unix) {
    detail::parse_unix(st, rest);
  } else {
    rest = detail::take_userinfo(st, rest);
    if (is_cluster)
      detail::parse_cluster(st, rest, url);
    else
      path_db =
          is_sentinel ? detail::parse_sentinel(st, rest, url) : detail::parse_tcp(st, rest, url);
  }
  detail::apply_query(st, query, path_db);
  detail::check_options(st);
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
  if (o.keepalive) st.keepalive = *o.keepalive;
  if (o.prefix) st.prefix = *o.prefix;
  st.reconnect_min = o.reconnect_min;
  st.reconnect_max = o.reconnect_max;
  if (st.db < 0)
    throw std::invalid_argument("redwire::redis: options.db is negative: " + std::to_string(st.db));
  if (!st.cluster.seeds.empty() && st.db != 0)
    throw std::invalid_argument("redwire::redis: options.db: a Redis Cluster serves db 0 only");
  return st;
}

}  // namespace redwire::redis
