// tests/support/redis_cluster.hpp — a private Redis Cluster on loopback: three masters and
// three replicas (redis-server --cluster-enabled yes, each in a temp folder of its own, bus port
// chosen like the client port), joined by `redis-cli --cluster create ... --cluster-replicas 1`.
//
//   auto& cluster = redwire::test::redis_cluster::shared();   // once per test program
//   redwire::redis::transport bus{cluster.url()};             // redis-cluster://127.0.0.1:P1,...
//   int owner = cluster.master_of_slot(1234);                  // CLUSTER SLOTS, asked now
//   redwire::test::redis_cluster::cli(owner, "CLUSTER INFO");
//
// The constructor waits until every node says cluster_state:ok, knows all six nodes and sees
// all 16384 slots served, and each master's replica is in sync (else it could not be promoted); it
// throws std::runtime_error otherwise (with what it last saw): a test that needs the cluster fails
// loudly, it is never skipped. No redwire header is used.
//
//   redwire::test::redis_cluster tls{redis_cluster::with_tls};  // nodes also on TLS ports,
//   redwire::redis::transport bus{tls.tls_url()};               // the bus on TLS too:
//                                                               // rediss-cluster://...?ca=...
// Management (cli(), master_of_slot(), slot moves) always goes through the plaintext ports.
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/redis_server.hpp"
#include "support/tls_redis.hpp"

namespace redwire::test {

class redis_cluster {
 public:
  static constexpr int masters = 3;

  enum tls_mode { plaintext, with_tls };

  explicit redis_cluster(tls_mode tls = plaintext) {
    for (int i = 0; i < 2 * masters; ++i) {
      tls_ports_.push_back(tls == with_tls ? redis_server::unused_port() : 0);
      nodes_.push_back(start_node(tls_ports_.back()));
    }
    std::string create = "--cluster create";
    for (auto& n : nodes_) create += " 127.0.0.1:" + std::to_string(n->port());
    create += " --cluster-replicas 1 --cluster-yes";
    std::vector<std::string> said = run("redis-cli " + create);
    if (!wait_until_ok(std::chrono::seconds(60))) {
      std::string text;
      for (const std::string& l : said) text += l + "\n";
      throw std::runtime_error("redis_cluster: the cluster did not come up (" + why_ + ")\n" +
                               "redis-cli said:\n" + text);
    }
  }

  /// One per test program, started on first use.
  static redis_cluster& shared() {
    static redis_cluster cluster;
    return cluster;
  }

  /// "redis-cluster://127.0.0.1:P1,...,127.0.0.1:P6" + `tail` (every node is a seed).
  std::string url(const std::string& tail = "") const {
    std::string u = "redis-cluster://";
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      u += (i ? ",127.0.0.1:" : "127.0.0.1:") + std::to_string(nodes_[i]->port());
    return u + tail;
  }

  std::vector<int> ports() const {
    std::vector<int> out;
    for (auto& n : nodes_) out.push_back(n->port());
    return out;
  }

  /// "rediss-cluster://127.0.0.1:T1,...,127.0.0.1:T6?ca=<the test CA>" (with_tls only).
  std::string tls_url() const {
    std::string u = "rediss-cluster://";
    for (std::size_t i = 0; i < tls_ports_.size(); ++i)
      u += (i ? ",127.0.0.1:" : "127.0.0.1:") + std::to_string(tls_ports_[i]);
    return u + "?ca=" + test_certificates().ca;
  }

  /// The ports of the nodes that are masters now (ROLE).
  std::vector<int> master_ports() const {
    std::vector<int> out;
    for (auto& n : nodes_) {
      std::vector<std::string> role = cli(n->port(), "ROLE");
      if (!role.empty() && role[0] == "master") out.push_back(n->port());
    }
    return out;
  }

  /// The port of the master that serves `slot`, as the first node that answers says (0: none).
  int master_of_slot(int slot) const {
    for (auto& n : nodes_) {
      std::vector<std::string> lines = cli(n->port(), "CLUSTER SLOTS");
      // Flat: start end ip port id [ip port id]... per range; redis-cli prints one per line.
      for (std::size_t i = 0; i + 3 < lines.size(); ++i) {
        int start = 0, end = 0;
        if (!number(lines[i], start) || !number(lines[i + 1], end)) continue;
        if (lines[i + 2] != "127.0.0.1" || start > end || end >= 16384) continue;
        int port = 0;
        if (number(lines[i + 3], port) && slot >= start && slot <= end) return port;
      }
    }
    return 0;
  }

  /// Live resharding, step one: `slot` is MIGRATING on its master and IMPORTING on the master
  /// at `to` (keys not moved yet are served where they were; new keys get ASK). Returns the
  /// port of the master it leaves.
  int begin_slot_move(int slot, int to) const {
    const int from = master_of_slot(slot);
    if (from == 0 || from == to) throw std::runtime_error("redis_cluster: cannot move that slot");
    const std::string s = std::to_string(slot);
    expect_ok(to, "CLUSTER SETSLOT " + s + " IMPORTING " + node_id(from));
    expect_ok(from, "CLUSTER SETSLOT " + s + " MIGRATING " + node_id(to));
    return from;
  }
  /// Step two: the keys of `slot` go from `from` to `to` (MIGRATE), and every master is told
  /// that `to` serves it (CLUSTER SETSLOT ... NODE).
  void finish_slot_move(int slot, int from, int to) const {
    const std::string s = std::to_string(slot);
    for (;;) {
      std::vector<std::string> keys = cli(from, "CLUSTER GETKEYSINSLOT " + s + " 100");
      if (keys.empty() || keys[0].empty()) break;
      std::string migrate = "MIGRATE 127.0.0.1 " + std::to_string(to) + " \"\" 0 5000 KEYS";
      for (const std::string& k : keys) migrate += " '" + k + "'";
      expect_ok(from, migrate);
    }
    const std::string id = node_id(to);
    expect_ok(to, "CLUSTER SETSLOT " + s + " NODE " + id);
    expect_ok(from, "CLUSTER SETSLOT " + s + " NODE " + id);
    for (int port : master_ports())
      if (port != to && port != from) expect_ok(port, "CLUSTER SETSLOT " + s + " NODE " + id);
  }
  /// Both steps: `slot` (and its keys) now served by the master at `to`.
  void move_slot(int slot, int to) const { finish_slot_move(slot, begin_slot_move(slot, to), to); }

  /// `command` at `port` must answer OK; throws std::runtime_error with what it said if not.
  static void expect_ok(int port, const std::string& command) {
    std::vector<std::string> said = cli(port, command);
    if (said.size() != 1 || said[0] != "OK")
      throw std::runtime_error("redis_cluster: " + command + " at " + std::to_string(port) + ": " +
                               (said.empty() ? "no answer" : said[0]));
  }

  /// CLUSTER MYID of the node at `port`.
  static std::string node_id(int port) {
    std::vector<std::string> id = cli(port, "CLUSTER MYID");
    if (id.size() != 1 || id[0].size() != 40)
      throw std::runtime_error("redis_cluster: no node id at " + std::to_string(port));
    return id[0];
  }

  redis_server& node(int port) {
    for (auto& n : nodes_)
      if (n->port() == port) return *n;
    throw std::runtime_error("redis_cluster: no node on port " + std::to_string(port));
  }

  /// Waits until every live node says cluster_state:ok, knows every node and all slots are ok.
  bool wait_until_ok(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (ok()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  /// What the last wait_until_ok() saw wrong.
  const std::string& why() const { return why_; }

  /// The reply of redis-cli to `command` at `port`, one line per element.
  static std::vector<std::string> cli(int port, const std::string& command) {
    return run("redis-cli -p " + std::to_string(port) + " " + command);
  }

 private:
  // A node in cluster mode; its bus port is one the kernel gave out, like the client port (the
  // default, port + 10000, may be past 65535 or taken). Tried again if it cannot start.
  // With a TLS port (tls_port > 0), the cluster bus and replication speak TLS too.
  static std::unique_ptr<redis_server> start_node(int tls_port) {
    for (int attempt = 1;; ++attempt) {
      std::vector<std::string> args{
          "--cluster-enabled",      "yes",
          "--cluster-port",         std::to_string(redis_server::unused_port()),
          "--cluster-node-timeout", "1000",
          "--cluster-config-file",  "nodes.conf"};
      if (tls_port > 0) {
        const certificates& c = test_certificates();
        args.insert(args.end(), {"--tls-port", std::to_string(tls_port), "--tls-cert-file",
                                 c.server_cert, "--tls-key-file", c.server_key,
                                 "--tls-ca-cert-file", c.ca, "--tls-auth-clients", "no",
                                 "--tls-cluster", "yes", "--tls-replication", "yes"});
      }
      try {
        return std::make_unique<redis_server>(args);
      } catch (const std::runtime_error&) {
        if (attempt == 5) throw;
      }
    }
  }

  bool ok() {
    for (auto& n : nodes_) {
      const std::string port = std::to_string(n->port());
      std::vector<std::string> info = cli(n->port(), "CLUSTER INFO");
      if (field(info, "cluster_state") != "ok") return (why_ = port + " not ok"), false;
      if (field(info, "cluster_slots_ok") != "16384")
        return (why_ = port + ": not all slots ok"), false;
      if (field(info, "cluster_known_nodes") != std::to_string(nodes_.size()))
        return (why_ = port + " does not know every node yet"), false;
    }
    const std::vector<int> ports = master_ports();
    if (ports.size() != masters) return (why_ = "not three masters"), false;
    for (int port : ports) {  // a replica never in sync would not be promoted
      int online = 0;
      for (const std::string& l : cli(port, "INFO replication"))
        online += l.find("state=online") != std::string::npos;
      if (online != 1) return (why_ = std::to_string(port) + ": its replica not in sync"), false;
    }
    return true;
  }

  // In "name:value" lines, the value of `name`.
  static std::string field(const std::vector<std::string>& lines, const std::string& name) {
    for (const std::string& l : lines)
      if (l.starts_with(name + ":")) return l.substr(name.size() + 1);
    return {};
  }

  static bool number(const std::string& text, int& out) {
    if (text.empty() || text.size() > 6 || text.find_first_not_of("0123456789") != text.npos)
      return false;
    out = std::stoi(text);
    return true;
  }

  static std::vector<std::string> run(const std::string& command) {
    std::vector<std::string> out;
    if (FILE* p = ::popen((command + " 2>&1").c_str(), "r")) {
      char buf[1024];
      while (std::fgets(buf, sizeof buf, p)) {
        std::string l = buf;
        while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
        out.push_back(l);
      }
      ::pclose(p);
    }
    return out;
  }

  std::vector<int> tls_ports_;  // 0: plaintext only
  std::vector<std::unique_ptr<redis_server>> nodes_;
  std::string why_;
};

}  // namespace redwire::test
