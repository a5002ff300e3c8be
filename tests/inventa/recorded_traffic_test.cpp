// Against the recorded py-inventa traffic (tests/inventa/data): the commands redwire nodes send
// for registration, heartbeats, liveness and a call are byte for byte those of the capture (call
// ids aside); a scripted peer replays the Python side against a redwire orchestrator and a
// redwire service.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <set>
#include <string>
#include <vector>

#include "inventa/inventa_api.hpp"
#include "inventa/scripted_peer.hpp"
#include "support/eventually.hpp"

namespace {

using namespace inventa_test;
using redwire::test::eventually;

/// The recorded commands of the protocol (PING, which py-inventa sends before each heartbeat
/// and at start, is the libraries' own connection check and not part of it).
std::set<std::string> recorded_commands() {
  std::set<std::string> out;
  for (const std::string& line : data_lines("monitor-python.txt")) {
    std::string c = normalized(line);
    if (!c.empty() && c != "\"PING\"") out.insert(c);
  }
  return out;
}

TEST(inventa_recorded, redwire_nodes_send_what_py_inventa_sends) {
  redwire::test::redis_server server;
  monitor mon(server.url());
  inv::node_options quick;  // the protocol's TTL; timers short so that the test is
  quick.heartbeat_interval = 300ms;
  quick.liveness_interval = 300ms;
  inv::node orc{server.url(), "svc:orc:", inv::role::orchestrator, quick};
  orc.start();
  inv::node svc{server.url(), "svc:calc:one", inv::role::service, quick};
  svc.bind(calc::sum, [](std::int64_t a, std::int64_t b) { return a + b; });
  svc.start();
  svc.register_with("svc:orc:");
  inv::node caller{server.url(), "svc:client:c1", inv::role::service, quick};
  caller.start();
  EXPECT_EQ(caller.call("svc:calc:one", calc::sum, 465, 855), 1320);
  const std::set<std::string> wanted = recorded_commands();
  ASSERT_EQ(wanted.size(), 11u);
  std::set<std::string> seen;
  ASSERT_TRUE(eventually([&] {
    for (const std::string& line : mon.lines()) seen.insert(normalized(line));
    return std::includes(seen.begin(), seen.end(), wanted.begin(), wanted.end());
  })) << "missing: "
      << [&] {
           std::string missing;
           for (const auto& w : wanted)
             if (!seen.contains(w)) missing += w + "\n";
           return missing;
         }();
  // Nothing of the protocol that the capture does not show, but the discovery go-inventa does.
  for (const std::string& c : seen) {
    if (c.starts_with("\"PUBLISH\"") || c.starts_with("\"SETEX\"") || c.starts_with("\"GET\"")) {
      EXPECT_TRUE(wanted.contains(c)) << c;
    }
    if (c.starts_with("\"SCAN\"")) {
      EXPECT_EQ(c, "\"SCAN\" \"0\" \"MATCH\" \"svc:*\"");
    }
  }
  // Call ids have go-inventa's form: five letters, '-', nanoseconds.
  const std::regex id_form(R"re("(req|resp)\|[A-Za-z]{5}-[0-9]{19}\|)re");
  for (const std::string& line : mon.lines())
    if (line.find("\"PUBLISH\"") != std::string::npos) {
      EXPECT_TRUE(std::regex_search(line, id_form)) << line;
    }
}

// The capture's frames, by what they do.
std::string recorded_frame(std::string_view starts_with) {
  for (const std::string& line : data_lines("monitor-python.txt")) {
    const std::size_t at = line.find(std::string(" \"") + std::string(starts_with));
    if (at != std::string::npos) return line.substr(at + 2, line.size() - at - 3);
  }
  throw std::runtime_error("no recorded frame " + std::string(starts_with));
}

TEST(inventa_recorded, a_python_service_registers_with_a_redwire_orchestrator) {
  redwire::test::redis_server server;
  inv::node_options o;
  o.liveness_interval = 200ms;
  inv::node orc{server.url(), "svc:orc:", inv::role::orchestrator, o};
  std::promise<inv::instance> left;
  orc.on_unregistering([&](const inv::instance& i, bool) { left.set_value(i); });
  orc.start();
  // The Python calc service: subscribe, register with the recorded frame, heartbeat.
  raw_subscriber inbox(server.url(), "ch:svc:calc:one");
  raw_commands py(server.url());
  const std::string request = recorded_frame("req|Ptrbd-");
  EXPECT_EQ(request, "req|Ptrbd-1796008394|svc:calc:one|register|svc:calc:one");
  py.run({"PUBLISH", "ch:svc:orc:", request});
  EXPECT_EQ(inbox.next(), recorded_frame("resp|Ptrbd-"));  // byte for byte, same call id
  py.run({"PING"});
  py.run({"SETEX", "svc:calc:one", "5", "1"});
  ASSERT_EQ(orc.instances("calc").size(), 1u);
  // The Python caller calls it through the orchestrator's table: the orchestrator's request.
  auto call = std::async(std::launch::async, [&] { return orc.call(calc::sum, 465, 855); });
  const auto req = inbox.next();
  ASSERT_TRUE(req);
  const std::regex form(R"re(req\|([A-Za-z]{5}-[0-9]+)\|svc:orc:\|sum\|465!855)re");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(*req, m, form)) << *req;
  py.run({"PUBLISH", "ch:svc:orc:", "resp|" + m[1].str() + "|svc:calc:one|1320"});
  EXPECT_EQ(call.get(), 1320);
  // It stops heartbeating (killed): the key expires and the orchestrator reports it.
  py.run({"DEL", "svc:calc:one"});
  auto gone = left.get_future();
  ASSERT_EQ(gone.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(gone.get().full_id, "svc:calc:one");
}

TEST(inventa_recorded, a_redwire_service_registers_with_a_python_orchestrator_and_is_called) {
  redwire::test::redis_server server;
  raw_subscriber orc_inbox(server.url(), "ch:svc:orc:");
  raw_commands py(server.url());
  inv::node svc{server.url(), "svc:calc:one", inv::role::service};
  svc.bind(calc::sum, [](std::int64_t a, std::int64_t b) { return a + b; });
  svc.start();
  auto registering = std::async(std::launch::async, [&] { svc.register_with("svc:orc:"); });
  const auto req = orc_inbox.next();
  ASSERT_TRUE(req);
  const std::regex form(R"re(req\|([A-Za-z]{5}-[0-9]+)\|svc:calc:one\|register\|svc:calc:one)re");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(*req, m, form)) << *req;
  // The recorded answer, with this request's call id.
  std::string answer = recorded_frame("resp|Ptrbd-");
  answer.replace(5, std::string("Ptrbd-1796008394").size(), m[1].str());
  py.run({"PUBLISH", "ch:svc:calc:one", answer});
  registering.get();
  EXPECT_TRUE(svc.registered());
  EXPECT_EQ(py.run({"GET", "svc:calc:one"}).str, "1");
  const long long ttl = py.run({"TTL", "svc:calc:one"}).integer;
  EXPECT_TRUE(ttl >= 1 && ttl <= 5) << ttl;
  // The Python caller's recorded request, and the recorded response byte for byte.
  raw_subscriber caller_inbox(server.url(), "ch:svc:client:c1");
  py.run({"PUBLISH", "ch:svc:calc:one", recorded_frame("req|WkXvk-")});
  EXPECT_EQ(caller_inbox.next(), recorded_frame("resp|WkXvk-"));
  // Hand-made frames: answered as recorded, or dropped; the service goes on serving.
  raw_subscriber probe(server.url(), "ch:svc:cli:x");
  for (const std::string& line : data_lines("manual-frames.txt")) {
    const std::size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    py.run({"PUBLISH", "ch:svc:calc:one", line.substr(0, tab)});
    if (line.substr(tab + 1) != "-") {
      EXPECT_EQ(probe.next(), line.substr(tab + 1)) << line;
    }
  }
  EXPECT_TRUE(eventually([&] { return svc.stats().malformed == 3; })) << svc.stats().malformed;
  // The orchestrator asks whether it is alive: the service answers as the libraries do.
  raw_subscriber orc_replies(server.url(), "ch:svc:orc:");
  py.run({"PUBLISH", "ch:svc:calc:one",
          "req|AbCdE-1661027061123456789|svc:orc:|orchestrator-alive|svc:orc:"});
  EXPECT_EQ(orc_replies.next(), "resp|AbCdE-1661027061123456789|svc:calc:one|ok");
}

TEST(inventa_recorded, an_orchestrator_discovers_as_go_inventa_does) {
  redwire::test::redis_server server;
  // A service that is already running and heartbeating (here: raw commands, like a Go one).
  raw_subscriber inbox(server.url(), "ch:svc:calc:go1");
  raw_commands go(server.url());
  go.run({"SETEX", "svc:calc:go1", "5", "1"});
  monitor mon(server.url());
  inv::node orc{server.url(), "svc:orc:", inv::role::orchestrator};
  orc.start();
  EXPECT_EQ(orc.instances("calc"),
            (std::vector<inv::instance>{*inv::instance::parse("svc:calc:go1")}));
  const auto hello = inbox.next();
  ASSERT_TRUE(hello);
  const std::regex form(
      R"re(req\|[A-Za-z]{5}-[0-9]{19}\|svc:orc:\|orchestrator-alive\|svc:orc:)re");
  EXPECT_TRUE(std::regex_match(*hello, form)) << *hello;
  ASSERT_TRUE(eventually([&] {
    for (const std::string& line : mon.lines())
      if (normalized(line) == R"("SCAN" "0" "MATCH" "svc:*")") return true;
    return false;
  }));
}

}  // namespace
