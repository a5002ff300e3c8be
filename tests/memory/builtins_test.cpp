// Every instance answers $ping, $stats and $describe by itself (introspection.hpp): with its
// names and uptime, its counters per operation, and the type descriptions of what it serves.
// They are not user procedures: not registered, not counted, and their names cannot be bound.
// prometheus_text() renders the same stats.
#include <redwire/detail/raw_caller.hpp>
#include <redwire/memory.hpp>
#include <redwire/prometheus.hpp>
#include <redwire/redwire.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using redwire::detail::raw_caller;

struct point {
  double x;
  double y;
};

inline constexpr redwire::procedure<"calc.add", int(int, int)> calc_add{};
inline constexpr redwire::procedure<"calc.centroid", point(std::vector<point>)> centroid{};
inline constexpr redwire::procedure<"calc.fail", void(std::string)> fail{};
inline constexpr redwire::procedure<"calc.block", int()> block{};
inline constexpr redwire::topic<"calc.reset", std::string> reset{};

struct calc_fixture : ::testing::Test {
  redwire::memory::transport bus;
  redwire::service svc{bus, "calc", {.instance_id = "calc-1", .workers = 3}};
  std::latch entered{1}, release{1};

  void SetUp() override {
    svc.bind(calc_add, [](int a, int b) { return a + b; });
    svc.bind(centroid, [](const std::vector<point>&) { return point{1, 2}; });
    svc.bind(fail, [](const std::string& why) { throw std::runtime_error(why); });
    svc.bind(block, [this] {
      entered.count_down();
      release.wait();
      return 7;
    });
    svc.subscribe(reset, [](std::string) {});
    svc.start();
  }
};

const redwire::operation_report* find(const redwire::stats_reply& r, std::string_view name) {
  for (const auto& o : r.operations)
    if (o.name == name) return &o;
  return nullptr;
}

TEST_F(calc_fixture, ping_names_the_instance_and_its_version) {
  raw_caller caller{bus};
  std::this_thread::sleep_for(5ms);  // some uptime to see
  auto p = caller.builtin(redwire::builtin::ping, "calc").value();
  EXPECT_EQ(p.service, "calc");
  EXPECT_EQ(p.instance, "calc-1");
  EXPECT_EQ(p.version, redwire::version);
  EXPECT_GE(p.uptime_ms, 5);
}

TEST_F(calc_fixture, describe_gives_every_procedure_and_event_with_its_types) {
  raw_caller caller{bus};
  auto d = caller.builtin(redwire::builtin::describe, "calc", {.instance = "calc-1"}).value();
  EXPECT_EQ(d.instance, "calc-1");
  std::map<std::string, redwire::procedure_description> by_name;
  for (auto& p : d.procedures) by_name[p.name] = p;
  ASSERT_EQ(by_name.size(), 4u);  // the built-ins are not listed
  const auto& c = by_name.at("calc.centroid");
  EXPECT_EQ(c.signature, centroid.signature);
  EXPECT_EQ(c.fingerprint, centroid.fingerprint);
  EXPECT_EQ(c.arguments, std::vector<std::string>{"vec<{f64, f64}>"});
  EXPECT_EQ(c.result, "{f64, f64}");
  EXPECT_EQ(by_name.at("calc.fail").result, "void");
  EXPECT_TRUE(by_name.at("calc.block").arguments.empty());
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.events[0].name, "calc.reset");
  EXPECT_EQ(d.events[0].kind, "topic");
  EXPECT_EQ(d.events[0].type, "str");
}

TEST_F(calc_fixture, stats_count_calls_failures_and_handlers_in_flight) {
  redwire::client cli{bus};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(cli.call(calc_add, i, 1), i + 1);
  EXPECT_FALSE(cli.try_call(fail, std::string("no")).has_value());
  auto blocked = cli.async_call(block);
  entered.wait();
  raw_caller caller{bus};
  auto s = caller.builtin(redwire::builtin::stats, "calc").value();
  release.count_down();
  EXPECT_EQ(blocked.get(), 7);
  EXPECT_EQ(s.instance, "calc-1");
  EXPECT_EQ(s.workers, 3u);
  EXPECT_EQ(s.workers_busy, 1u);  // block; the built-in itself is not counted
  EXPECT_EQ(s.calls, 6u);         // add x5, fail; block still runs
  EXPECT_EQ(s.failures, 1u);
  const auto* a = find(s, "calc.add");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->calls, 5u);
  EXPECT_EQ(a->kind, "procedure");
  EXPECT_GT(a->total_ns, 0u);
  EXPECT_LE(a->p50_ns, a->p90_ns);
  EXPECT_LE(a->p90_ns, a->p99_ns);
  EXPECT_EQ(find(s, "calc.fail")->failures, 1u);
  EXPECT_EQ(find(s, "calc.block")->in_flight, 1u);
  EXPECT_EQ(find(s, "calc.reset")->kind, "topic");
  EXPECT_EQ(find(s, "$stats"), nullptr);
  // After the block returned, nothing is in flight and its run is counted.
  auto later = svc.stats_report();
  EXPECT_EQ(find(later, "calc.block")->in_flight, 0u);
  EXPECT_EQ(find(later, "calc.block")->calls, 1u);
}

TEST_F(calc_fixture, builtins_are_not_registered_and_checked_like_any_procedure) {
  for (const auto& p : svc.procedures()) EXPECT_EQ(p.name.find('$'), std::string::npos);
  raw_caller caller{bus};
  auto wrong = caller.call("calc.$ping", redwire::builtin::ping.fingerprint + 1, "");
  EXPECT_EQ(wrong.error, redwire::errc::signature_mismatch);
  auto unknown = caller.call("calc.$nope", 1, "");
  EXPECT_EQ(unknown.error, redwire::errc::unknown_procedure);
  std::string extra;
  redwire::encode_values(extra, 1);
  auto with_argument = caller.call("calc.$ping", redwire::builtin::ping.fingerprint, extra);
  EXPECT_EQ(with_argument.error, redwire::errc::bad_message);
}

TEST_F(calc_fixture, a_raw_call_of_a_user_procedure_round_trips) {
  raw_caller caller{bus};
  std::string args;
  redwire::encode_values(args, 2, 40);
  auto r = caller.call("calc.add", calc_add.fingerprint, args);
  ASSERT_EQ(r.error, redwire::errc{}) << r.payload;
  EXPECT_EQ(std::get<0>(redwire::decode_values<int>(r.payload)), 42);
  auto late = caller.call("other.add", calc_add.fingerprint, args, {.timeout = 50ms});
  EXPECT_EQ(late.error, redwire::errc::timeout);
}

/// Every sample line of Prometheus text: "name{labels} value" -> value.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    const std::size_t space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

TEST_F(calc_fixture, prometheus_text_holds_the_counters) {
  redwire::client cli{bus};
  for (int i = 0; i < 3; ++i) cli.call(calc_add, 1, 1);
  EXPECT_FALSE(cli.try_call(fail, std::string("x")).has_value());
  const std::string text = redwire::prometheus_text(svc);
  auto s = samples(text);
  const std::string at = "service=\"calc\",instance=\"calc-1\",";
  EXPECT_EQ(s.at("redwire_calls_total{" + at +
                 "procedure=\"calc.add\",kind=\"procedure\",outcome=\"ok\"}"),
            3);
  EXPECT_EQ(s.at("redwire_calls_total{" + at +
                 "procedure=\"calc.fail\",kind=\"procedure\",outcome=\"remote_exception\"}"),
            1);
  EXPECT_EQ(s.at("redwire_handler_duration_seconds_count{" + at +
                 "procedure=\"calc.add\",kind=\"procedure\"}"),
            3);
  EXPECT_EQ(s.at("redwire_workers{service=\"calc\",instance=\"calc-1\"}"), 3);
  // Each family is declared once, before its samples.
  EXPECT_EQ(
      std::count(text.begin(), text.end(), '\n'),
      static_cast<long>(std::count_if(s.begin(), s.end(), [](auto&) { return true; }) + 2 * 8));
}

}  // namespace
