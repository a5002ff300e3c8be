// TLS (rediss://) against a private redis-server with a TLS port: the connection, mutual TLS,
// reconnects, and each error a wrong setup gives — said at construction, naming the server and
// the cause, never a secret.
#include <redwire/redis.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/construction_error.hpp"
#include "support/eventually.hpp"
#include "support/tls_redis.hpp"

using namespace std::chrono_literals;
using redwire::redis::transport;
using redwire::test::eventually;
using redwire::test::tls_redis;
using clock_type = std::chrono::steady_clock;
using redwire::test::construction_error;
using redwire::test::mentions;

namespace {

/// A server for the tests that need no special one.
tls_redis& shared_server() {
  static tls_redis server;
  return server;
}

TEST(tls_connect, commands_queues_and_pubsub_over_tls) {
  transport bus{shared_server().tls_url()};
  EXPECT_EQ(bus.command({"PING"}).str, "PONG");
  EXPECT_EQ(bus.config().describe().substr(0, 9), "rediss://");
  std::mutex m;
  std::vector<std::string> got;
  auto sub = bus.subscribe("tls:ch", [&](std::string_view, std::string_view payload) {
    std::lock_guard lk(m);
    got.emplace_back(payload);
  });
  bus.publish("tls:ch", "hello");
  bus.push("tls:q", std::string(100000, 'x'));  // several TLS records
  auto reader = bus.open_reader({"tls:q"});
  std::vector<std::string> out;
  reader.pop(out, 10, 2000ms);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].size(), 100000u);
  EXPECT_TRUE(eventually(
      [&] {
        std::lock_guard lk(m);
        return got == std::vector<std::string>{"hello"};
      },
      3s));
  // The server sees TLS clients only on its TLS port: every connection of ours is one of them.
  auto clients = bus.command({"CLIENT", "LIST"}).str;
  EXPECT_TRUE(mentions(clients, "name=redwire:commands")) << clients;
}

TEST(tls_connect, the_host_name_is_checked_by_name_too) {
  transport bus{shared_server().tls_url("localhost")};
  EXPECT_EQ(bus.command({"PING"}).str, "PONG");
}

TEST(tls_connect, mutual_tls_with_a_client_certificate) {
  tls_redis server{{.client_certificates = true}};
  transport bus{server.tls_url() + "&" + tls_redis::client_options()};
  EXPECT_EQ(bus.command({"PING"}).str, "PONG");
  const std::string without = construction_error<transport>(server.tls_url());
  EXPECT_TRUE(mentions(without, "127.0.0.1:" + std::to_string(server.tls_port()))) << without;
  EXPECT_TRUE(mentions(without, "client certificate")) << without;
}

TEST(tls_connect, untrusted_certificate_is_refused_naming_the_host) {
  const auto& s = shared_server();
  const std::string url = "rediss://:hunter2@127.0.0.1:" + std::to_string(s.tls_port());
  const std::string what =
      construction_error<transport>(url);  // the system's CAs do not know the test CA
  EXPECT_TRUE(mentions(what, "127.0.0.1:" + std::to_string(s.tls_port()))) << what;
  EXPECT_TRUE(mentions(what, "certificate not trusted")) << what;
  EXPECT_FALSE(mentions(what, "hunter2")) << what;
}

TEST(tls_connect, verify_no_connects_to_an_untrusted_server) {
  const auto& s = shared_server();
  std::mutex m;
  std::vector<std::string> warnings;
  redwire::set_log_sink([&](redwire::log_level l, std::string_view text) {
    std::lock_guard lk(m);
    if (l == redwire::log_level::warning) warnings.emplace_back(text);
  });
  {
    transport bus{"rediss://127.0.0.1:" + std::to_string(s.tls_port()) + "?verify=no"};
    EXPECT_EQ(bus.command({"PING"}).str, "PONG");
    bus.push("q", "x");
    auto reader = bus.open_reader({"q"});
    std::vector<std::string> out;
    reader.pop(out, 1, 1000ms);
    EXPECT_EQ(out, std::vector<std::string>{"x"});
  }
  redwire::set_log_sink({});
  std::lock_guard lk(m);
  int about_verify = 0;
  for (auto& w : warnings) about_verify += mentions(w, "verify=no");
  EXPECT_EQ(about_verify, 1) << "one warning for the transport, not one per connection";
}

TEST(tls_connect, host_name_mismatch_is_refused) {
  tls_redis other{{.other_name = true}};
  const std::string what = construction_error<transport>(other.tls_url());
  EXPECT_TRUE(mentions(what, "127.0.0.1:" + std::to_string(other.tls_port()))) << what;
  EXPECT_TRUE(mentions(what, "host name mismatch")) << what;
  const std::string by_sni =
      construction_error<transport>(shared_server().tls_url() + "&sni=other.example");
  EXPECT_TRUE(mentions(by_sni, "host name mismatch")) << by_sni;
  EXPECT_TRUE(mentions(by_sni, "other.example")) << by_sni;
}

TEST(tls_connect, tls_to_a_plaintext_port_is_refused_within_the_connect_timeout) {
  const auto& s = shared_server();
  const auto start = clock_type::now();
  const std::string what = construction_error<transport>(
      "rediss://:hunter2@127.0.0.1:" + std::to_string(s.port()) +
      "?connect_timeout=500ms&ca=" + redwire::test::test_certificates().ca);
  EXPECT_LT(clock_type::now() - start, 3s);
  EXPECT_TRUE(mentions(what, "127.0.0.1:" + std::to_string(s.port()))) << what;
  EXPECT_TRUE(mentions(what, "plaintext port")) << what;
  EXPECT_FALSE(mentions(what, "hunter2")) << what;
}

TEST(tls_connect, plaintext_to_a_tls_port_is_refused) {
  const auto& s = shared_server();
  const std::string what = construction_error<transport>(
      "redis://:hunter2@127.0.0.1:" + std::to_string(s.tls_port()) + "?connect_timeout=500ms");
  EXPECT_TRUE(mentions(what, "127.0.0.1:" + std::to_string(s.tls_port()))) << what;
  EXPECT_TRUE(mentions(what, "TLS port")) << what;
  EXPECT_FALSE(mentions(what, "hunter2")) << what;
}

TEST(tls_connect, unreadable_or_unusable_key_and_certificate_files) {
  const auto& c = redwire::test::test_certificates();
  const std::string base = shared_server().tls_url();
  const std::string host = "127.0.0.1:" + std::to_string(shared_server().tls_port());
  struct {
    std::string options, expected;
  } cases[] = {
      {"cert=" + c.client_cert + "&key=/nonexistent/client.key",
       "cannot read the client key /nonexistent/client.key"},
      {"cert=/nonexistent/client.crt&key=" + c.client_key,
       "cannot read the client certificate /nonexistent/client.crt"},
      {"cert=" + c.client_cert + "&key=" + c.garbage, "cannot use the client key " + c.garbage},
      {"cert=" + c.garbage + "&key=" + c.client_key,
       "cannot use the client certificate " + c.garbage},
      {"cert=" + c.client_cert + "&key=" + c.server_key, "does not match the certificate"},
  };
  for (const auto& k : cases) {
    const std::string what = construction_error<transport>(base + "&" + k.options);
    EXPECT_TRUE(mentions(what, k.expected)) << what;
    EXPECT_TRUE(mentions(what, host)) << what;
    EXPECT_FALSE(mentions(what, "PRIVATE KEY")) << what;
  }
  const std::string ca = construction_error<transport>(
      "rediss://127.0.0.1:" + std::to_string(shared_server().tls_port()) +
      "?ca=/nonexistent/ca.pem");
  EXPECT_TRUE(mentions(ca, "cannot read the CA bundle /nonexistent/ca.pem")) << ca;
}

TEST(tls_connect, reconnects_redo_the_handshake) {
  tls_redis server;
  transport bus{server.tls_url()};
  std::mutex m;
  int gaps = 0;
  std::vector<std::string> got;
  auto sub = bus.subscribe(
      "tls:back",
      [&](std::string_view, std::string_view p) {
        std::lock_guard lk(m);
        got.emplace_back(p);
      },
      [&] {
        std::lock_guard lk(m);
        ++gaps;
      });
  auto reader = bus.open_reader({"tls:q"});
  std::vector<std::string> out;
  reader.pop(out, 1, 10ms);
  server.server().restart();
  const auto restarted = clock_type::now();
  bool popped = false;
  while (clock_type::now() - restarted < 5s && !popped) {
    try {
      bus.push("tls:q", "after");
      out.clear();
      reader.pop(out, 1, 200ms);
      popped = out == std::vector<std::string>{"after"};
    } catch (const redwire::transport_error&) {
      std::this_thread::sleep_for(20ms);
    }
  }
  EXPECT_TRUE(popped);
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lk(m);
        return gaps == 2;  // lost, then restored
      },
      5s));
  bus.publish("tls:back", "again");
  EXPECT_TRUE(eventually(
      [&] {
        std::lock_guard lk(m);
        return got == std::vector<std::string>{"again"};
      },
      3s));
}

}  // namespace
