// W3C trace context across a chain caller -> A -> B -> stream consumer: one trace id, each hop a
// span of its own whose parent is the hop before; an incoming traceparent is continued. Hooks
// on client and service see every call with its trace, outcome and duration, and a hook that
// throws does not break the call.
#include <redwire/memory.hpp>
#include <redwire/redwire.hpp>
#include <redwire/trace.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "support/eventually.hpp"
#include "support/hook_log.hpp"

namespace {

using namespace std::chrono_literals;

struct hop {
  std::string trace, span, parent, traceparent;
};

struct recorder {
  std::mutex m;
  std::vector<hop> hops;  // in the order they ran: A, B, consumer
  void add() {
    const redwire::call_context* c = redwire::current_call();
    std::lock_guard lock(m);
    hops.push_back({std::string(c->trace_id), std::string(c->span_id),
                    std::string(c->parent_span_id), c->traceparent()});
  }
  std::size_t size() {
    std::lock_guard lock(m);
    return hops.size();
  }
};

inline constexpr redwire::procedure<"a.first", int(int)> first{};
inline constexpr redwire::procedure<"b.second", int(int)> second{};
inline constexpr redwire::stream<"trace.log", int> log_stream{};

struct chain : ::testing::Test {
  redwire::memory::transport bus;
  recorder seen;
  redwire::client inner{bus};
  redwire::service a{bus, "a"}, b{bus, "b"}, c{bus, "c"};

  void SetUp() override {
    a.bind(first, [this](int x) {
      seen.add();
      return inner.call(second, x + 1);
    });
    b.bind(second, [this](int x) {
      seen.add();
      inner.append(log_stream, x);
      return x * 10;
    });
    c.consume(log_stream, "g", [this](int) { seen.add(); });
    a.start();
    b.start();
    c.start();
  }

  void expect_one_chain(const std::string& trace, const std::string& caller_span) {
    ASSERT_TRUE(redwire::test::eventually([&] { return seen.size() == 3; }));
    std::set<std::string> spans;
    std::string parent = caller_span;
    for (const hop& h : seen.hops) {
      EXPECT_EQ(h.trace, trace);
      EXPECT_EQ(h.parent, parent);  // each hop a child of the one before
      EXPECT_EQ(h.span.size(), 16u);
      EXPECT_EQ(h.traceparent, "00-" + trace + "-" + h.span + "-01");
      spans.insert(h.span);
      parent = h.span;
    }
    EXPECT_EQ(spans.size(), 3u);
  }
};

TEST_F(chain, an_incoming_traceparent_is_continued_through_every_hop) {
  redwire::client cli{bus};
  const std::string incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  EXPECT_EQ(cli.with({.traceparent = incoming}).call(first, 1), 20);
  expect_one_chain("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
}

TEST_F(chain, a_call_outside_any_handler_starts_a_new_trace) {
  redwire::client cli{bus};
  EXPECT_EQ(cli.call(first, 1), 20);
  ASSERT_TRUE(redwire::test::eventually([&] { return seen.size() == 3; }));
  const std::string trace = seen.hops[0].trace;
  EXPECT_EQ(trace.size(), 32u);
  EXPECT_EQ(trace.find_first_not_of("0123456789abcdef"), std::string::npos);
  expect_one_chain(trace, seen.hops[0].parent);
  // An invalid traceparent is not continued: a new trace starts.
  seen.hops.clear();
  EXPECT_EQ(cli.with({.traceparent = "00-XYZ-bad"}).call(first, 1), 20);
  ASSERT_TRUE(redwire::test::eventually([&] { return seen.size() == 3; }));
  EXPECT_NE(seen.hops[0].trace, trace);
}

inline constexpr redwire::procedure<"h.ok", int(int)> ok{};
inline constexpr redwire::procedure<"h.bad", int(int)> bad{};

TEST(call_hooks, client_and_service_hooks_see_each_call_and_a_throwing_hook_breaks_nothing) {
  redwire::memory::transport bus;
  using redwire::test::hook_log;
  hook_log service_side{hook_log::timing::noted}, client_side{hook_log::timing::noted};
  redwire::service svc{
      bus,
      "h",
      {.hooks = {
           .on_call_start =
               [&](const redwire::call_event& e) {
                 service_side.add("start", e);
                 throw std::runtime_error("a broken hook");
               },
           .on_call_end = [&](const redwire::call_event& e) { service_side.add("end", e); }}}};
  svc.bind(ok, [](int x) { return x; });
  svc.bind(bad, [](int) -> int { throw std::runtime_error("no"); });
  svc.start();
  redwire::client cli{
      bus,
      {.hooks = {
           .on_call_start = [&](const redwire::call_event& e) { client_side.add("start", e); },
           .on_call_end =
               [&](const redwire::call_event& e) {
                 client_side.add("end", e);
                 throw std::logic_error("another broken hook");
               }}}};
  const std::string trace = "0af7651916cd43dd8448eb211c80319c";
  EXPECT_EQ(cli.with({.traceparent = "00-" + trace + "-b7ad6b7169203331-01"}).call(ok, 7), 7);
  EXPECT_FALSE(cli.with({.traceparent = "00-" + trace + "-b7ad6b7169203331-01"}).try_call(bad, 1));
  const std::vector<std::string> expected_client = {
      "start h.ok " + trace + " ok", "end h.ok " + trace + " ok timed",
      "start h.bad " + trace + " ok", "end h.bad " + trace + " remote_exception timed"};
  EXPECT_EQ(client_side.lines, expected_client);
  ASSERT_TRUE(redwire::test::eventually([&] {
    std::lock_guard lock(service_side.m);
    return service_side.lines.size() == 4;
  }));
  EXPECT_EQ(service_side.lines[0], "start h.ok " + trace + " ok");
  EXPECT_EQ(service_side.lines[1], "end h.ok " + trace + " ok timed");
  EXPECT_EQ(service_side.lines[3], "end h.bad " + trace + " remote_exception timed");
  // The built-ins are not hooked: they are not user calls.
  EXPECT_EQ(svc.stats().calls, 2u);
}

inline constexpr redwire::procedure<"h.note", void(int)> note{};
inline constexpr redwire::procedure<"nobody.add", int(int)> unserved{};

TEST(call_hooks, async_calls_and_notifications_are_hooked_too_and_a_throwing_hook_breaks_nothing) {
  redwire::memory::transport bus;
  using redwire::test::hook_log;
  hook_log service_side{hook_log::timing::noted}, client_side{hook_log::timing::noted};
  std::atomic<int> noted{0};
  redwire::service svc{bus, "h", {.hooks = {.on_call_end = [&](const redwire::call_event& e) {
                                    service_side.add("end", e);
                                    throw std::runtime_error("a broken hook");
                                  }}}};
  svc.bind(ok, [](int x) { return x; });
  svc.bind(bad, [](int) -> int { throw std::runtime_error("no"); });
  svc.bind(note, [&](int x) { noted += x; });
  svc.start();
  redwire::client cli{bus,
                      {.hooks = {.on_call_start =
                                     [&](const redwire::call_event& e) {
                                       client_side.add("start", e);
                                       throw std::logic_error("a broken start hook");
                                     },
                                 .on_call_end =
                                     [&](const redwire::call_event& e) {
                                       client_side.add("end", e);
                                       throw 42;  // not even a std::exception
                                     }}}};
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  auto traced = cli.with({.traceparent = "00-" + trace + "-00f067aa0ba902b7-01"});
  // on_call_end runs before the future is ready, so each line is there once get() returns.
  EXPECT_EQ(traced.async_call(ok, 5).get(), 5);
  EXPECT_EQ(client_side.lines.back(), "end h.ok " + trace + " ok timed");
  EXPECT_THROW(traced.async_call(bad, 1).get(), redwire::rpc_error);
  EXPECT_EQ(client_side.lines.back(), "end h.bad " + trace + " remote_exception timed");
  EXPECT_THROW(cli.with({.timeout = 30ms, .traceparent = "00-" + trace + "-00f067aa0ba902b7-01"})
                   .async_call(unserved, 1)
                   .get(),
               redwire::rpc_error);
  EXPECT_EQ(client_side.lines.back(), "end nobody.add " + trace + " timeout timed");
  traced.notify(note, 3);
  const std::vector<std::string> expected_client = {
      "start h.ok " + trace + " ok",       "end h.ok " + trace + " ok timed",
      "start h.bad " + trace + " ok",      "end h.bad " + trace + " remote_exception timed",
      "start nobody.add " + trace + " ok", "end nobody.add " + trace + " timeout timed",
      "start h.note " + trace + " ok",     "end h.note " + trace + " ok timed"};
  EXPECT_EQ(client_side.lines, expected_client);
  // The notification ran, in the caller's trace, and the service's hook saw it.
  ASSERT_TRUE(redwire::test::eventually([&] {
    std::lock_guard lock(service_side.m);
    return noted == 3 && service_side.lines.size() == 3;
  }));
  EXPECT_EQ(service_side.lines[2], "end h.note " + trace + " ok timed");
  // A new trace for a call that names none: the hooks see the one the call carries.
  client_side.lines.clear();
  EXPECT_EQ(cli.async_call(ok, 9).get(), 9);
  ASSERT_EQ(client_side.lines.size(), 2u);
  auto trace_of = [](const std::string& line) {  // "<what> <procedure> <trace> ..."
    return line.substr(line.find(' ', line.find(' ') + 1) + 1, 32);
  };
  EXPECT_TRUE(client_side.lines[0].starts_with("start h.ok ")) << client_side.lines[0];
  EXPECT_EQ(trace_of(client_side.lines[0]), trace_of(client_side.lines[1]));
  EXPECT_NE(trace_of(client_side.lines[0]), trace);
  EXPECT_EQ(trace_of(client_side.lines[0]).find_first_not_of("0123456789abcdef"),
            std::string::npos);
}

}  // namespace
