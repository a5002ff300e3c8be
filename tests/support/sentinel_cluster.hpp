// tests/support/sentinel_cluster.hpp — a private Sentinel deployment on loopback: one master,
// two replicas and three sentinels (redis-server --sentinel), with a short
// down-after-milliseconds so that a killed master is replaced within a few seconds.
//
//   auto& cluster = redwire::test::sentinel_cluster::shared();   // once per test program
//   redwire::redis::transport bus{cluster.url()};                // redis-sentinel://.../redwire
//   int old = cluster.master_port();
//   cluster.kill(old);
//   int now = cluster.wait_for_master_other_than(old, 20s);      // the promotion
//   cluster.restart(old);   cluster.wait_until_settled(30s);     // back as a replica
//
// Servers are redis_server (support/redis_server.hpp); the fixture asks the sentinels with
// redis-cli. Throws std::runtime_error when something does not start or settle in time: a test
// that needs it fails loudly, it is never skipped. No redwire header is used.
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/redis_server.hpp"

namespace redwire::test {

class sentinel_cluster {
 public:
  static constexpr const char* master_name = "redwire";

  sentinel_cluster() {
    servers_.push_back(std::make_unique<redis_server>());
    const std::string master = std::to_string(servers_[0]->port());
    for (int i = 0; i < 2; ++i)
      servers_.push_back(std::make_unique<redis_server>(
          std::vector<std::string>{"--replicaof", "127.0.0.1", master}));
    const std::string config = std::string("sentinel monitor ") + master_name + " 127.0.0.1 " +
                               master + " 2\n" + "sentinel down-after-milliseconds " + master_name +
                               " 400\n" + "sentinel failover-timeout " + master_name + " 2000\n" +
                               "sentinel parallel-syncs " + master_name + " 2\n";
    for (int i = 0; i < 3; ++i)
      sentinels_.push_back(
          std::make_unique<redis_server>(std::vector<std::string>{"--sentinel"}, config));
    wait_until_settled(std::chrono::seconds(30));
  }

  /// One per test program, started on first use.
  static sentinel_cluster& shared() {
    static sentinel_cluster cluster;
    return cluster;
  }

  /// "redis-sentinel://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/redwire" + `tail`.
  std::string url(const std::string& tail = "") const {
    std::string u = "redis-sentinel://";
    for (std::size_t i = 0; i < sentinels_.size(); ++i)
      u += (i ? ",127.0.0.1:" : "127.0.0.1:") + std::to_string(sentinels_[i]->port());
    return u + "/" + master_name + tail;
  }

  std::vector<int> sentinel_ports() const {
    std::vector<int> out;
    for (auto& s : sentinels_) out.push_back(s->port());
    return out;
  }

  /// Where the first sentinel that answers says the master is (0: none answers).
  int master_port() const {
    for (auto& s : sentinels_) {
      std::vector<std::string> lines =
          cli(s->port(), std::string("SENTINEL get-master-addr-by-name ") + master_name);
      if (lines.size() == 2) return std::stoi(lines[1]);
    }
    return 0;
  }

  /// The data server listening on `port`.
  redis_server& server(int port) {
    for (auto& s : servers_)
      if (s->port() == port) return *s;
    throw std::runtime_error("sentinel_cluster: no server on port " + std::to_string(port));
  }
  void kill(int port) { server(port).kill(); }
  void restart(int port) { server(port).restart(); }

  /// Waits until every sentinel names a master other than `old`; returns its port.
  int wait_for_master_other_than(int old, std::chrono::milliseconds limit) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      int port = master_port();
      if (port != 0 && port != old) return port;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("sentinel_cluster: no new master within the limit");
  }

  /// Waits until every sentinel agrees on the master, knows the other two sentinels and two
  /// replicas, and the master has both replicas connected and in sync.
  void wait_until_settled(std::chrono::milliseconds limit) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
      if (settled(last)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("sentinel_cluster: did not settle: " + last);
  }

  /// The reply of redis-cli to `command` at `port`, one line per element.
  static std::vector<std::string> cli(int port, const std::string& command) {
    std::string line = "redis-cli -p " + std::to_string(port) + " " + command + " 2>&1";
    std::vector<std::string> out;
    if (FILE* p = ::popen(line.c_str(), "r")) {
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

 private:
  bool settled(std::string& why) const {
    int master = 0;
    for (auto& s : sentinels_) {
      auto where = cli(s->port(), std::string("SENTINEL get-master-addr-by-name ") + master_name);
      if (where.size() != 2) return (why = "a sentinel names no master"), false;
      if (master != 0 && std::stoi(where[1]) != master) return (why = "sentinels disagree"), false;
      master = std::stoi(where[1]);
      auto info = cli(s->port(), std::string("SENTINEL master ") + master_name);
      if (field(info, "num-other-sentinels") != "2" || field(info, "num-slaves") != "2" ||
          field(info, "flags") != "master")
        return (why = "sentinel " + std::to_string(s->port()) + " still learning"), false;
    }
    auto replication = cli(master, "INFO replication");
    int online = 0;
    for (auto& l : replication) online += l.find("state=online") != std::string::npos;
    if (online != 2) return (why = "replicas not in sync with " + std::to_string(master)), false;
    return true;
  }

  // In a flat reply "name value name value ...", the value of `name`.
  static std::string field(const std::vector<std::string>& lines, const std::string& name) {
    for (std::size_t i = 0; i + 1 < lines.size(); i += 2)
      if (lines[i] == name) return lines[i + 1];
    return {};
  }

  std::vector<std::unique_ptr<redis_server>> servers_;
  std::vector<std::unique_ptr<redis_server>> sentinels_;
};

}  // namespace redwire::test
