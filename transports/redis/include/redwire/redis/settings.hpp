// redwire/redis/settings.hpp — what a connection needs to know: where the server is (a host, a
// unix socket, the sentinels that name the master, or the seeds of a cluster), how to
// authenticate, TLS, timeouts.
// parse_url (url.hpp) fills it from a URL; `options` overrides parts of it in code.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace redwire::redis {

namespace detail {
class topology;  // redis/topology.hpp
}

/// A TCP server: host name or address, and port.
struct endpoint {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const endpoint&) const = default;
  std::string text() const {
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
           std::to_string(port);
  }
};

/// TLS (rediss://): the options of the URL. The files are read when the transport is made.
struct tls_settings {
  bool enabled = false;
  std::string ca;    ///< CA bundle (file or directory); empty: the system's store
  std::string cert;  ///< client certificate (mutual TLS), PEM; with `key`
  std::string key;   ///< its private key, PEM, not encrypted
  std::string sni;   ///< server name to send and to verify; empty: the host
  bool verify = true;
};

/// Sentinel (redis-sentinel://): where the sentinels are and which master to ask them for.
struct sentinel_settings {
  std::vector<endpoint> hosts;  ///< empty: the URL names the server itself
  std::string master;           ///< the master's name in the sentinels' configuration
  std::string user, password;   ///< the sentinels' own credentials, if they require them
};

/// Redis Cluster (redis-cluster://): the nodes to ask for the slot map first.
struct cluster_settings {
  std::vector<endpoint> seeds;  ///< empty: not a cluster
};

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
  /// A connection silent this long sends a PING (answered within command_timeout, else it is
  /// dropped and made again): what tells a dead host from a quiet one when nothing else does.
  std::chrono::milliseconds keepalive{5000};
  std::string prefix = "rw";
  std::chrono::milliseconds reconnect_min{10};
  std::chrono::milliseconds reconnect_max{1000};
  tls_settings tls{};
  sentinel_settings sentinel{};
  cluster_settings cluster{};
  /// On a cluster, what the connection serves (redis/cluster.hpp): a hash slot (0 to 16383,
  /// the connection goes to its master), any_node, or this_node (host and port, wherever the
  /// slots move: a connection of a per-node set). Ignored elsewhere.
  static constexpr int any_node = -1, this_node = -2;
  int slot = any_node;
  /// Where connections go and which are live (redis/topology.hpp); the transport sets it.
  std::shared_ptr<detail::topology> topology{};

  std::string describe() const {
    const bool via_sentinel = !sentinel.hosts.empty(), in_cluster = !cluster.seeds.empty();
    std::string s = via_sentinel        ? (tls.enabled ? "rediss-sentinel://" : "redis-sentinel://")
                    : in_cluster        ? (tls.enabled ? "rediss-cluster://" : "redis-cluster://")
                    : tls.enabled       ? "rediss://"
                    : unix_path.empty() ? "redis://"
                                        : "unix://";
    if (!user.empty() || !password.empty()) s += user + (password.empty() ? "@" : ":***@");
    if (in_cluster) {
      for (const endpoint& e : cluster.seeds) s += (&e == &cluster.seeds[0] ? "" : ",") + e.text();
    } else if (via_sentinel) {
      for (const endpoint& e : sentinel.hosts)
        s += (&e == &sentinel.hosts[0] ? "" : ",") + e.text();
      s += "/" + sentinel.master + "/" + std::to_string(db);
    } else if (unix_path.empty()) {
      s += endpoint{host, port}.text() + "/" + std::to_string(db);
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
  std::optional<std::chrono::milliseconds> keepalive{};
  std::optional<std::string> prefix{};
  std::chrono::milliseconds reconnect_min{10};    ///< first reconnect delay, doubled each failure
  std::chrono::milliseconds reconnect_max{1000};  ///< longest reconnect delay
};

}  // namespace redwire::redis
