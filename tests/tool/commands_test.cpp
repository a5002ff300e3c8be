// The `redwire` tool's commands against a live deployment, in both output formats: ls,
// describe, ping, stats, watch, tail, dlq, and metrics scraped over HTTP and parsed as
// Prometheus text.
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <redwire/events/names.hpp>

#include "tool/tool_fixture.hpp"

using namespace tool_test;
using namespace std::chrono_literals;

namespace {

struct order {
  int id;
  std::string item;
};
BOOST_DESCRIBE_STRUCT(order, (), (id, item))
inline constexpr redwire::topic<"orders.created", order> created{};
inline constexpr redwire::stream<"orders.log", order> log_stream{};
inline constexpr redwire::procedure<"calc.add", int(int, int)> add{};

bool has_line(const std::string& text, const std::string& start) {
  std::istringstream lines(text);
  for (std::string l; std::getline(lines, l);)
    if (l.starts_with(start)) return true;
  return false;
}

TEST(tool_commands, ls_lists_services_and_one_services_instances) {
  tool_run table = tool({"ls"});
  ASSERT_EQ(table.exit, 0) << table.err;
  EXPECT_TRUE(table.out.starts_with("SERVICE  INSTANCES  PROCEDURES\n")) << table.out;
  EXPECT_TRUE(
      has_line(table.out, "calc     2          calc.add calc.centroid calc.fail calc.sleep"))
      << table.out;
  json all = parsed(tool({"ls", "--json"}));
  std::map<std::string, json> by_name;
  for (auto& s : all) by_name[s["service"]] = s;
  ASSERT_EQ(by_name.size(), 2u) << all;
  EXPECT_EQ(by_name["types"]["instances"], 2);
  EXPECT_EQ(by_name["calc"]["procedures"].size(), 4u);

  tool_run instances = tool({"ls", "calc"});
  ASSERT_EQ(instances.exit, 0) << instances.err;
  EXPECT_TRUE(instances.out.starts_with("INSTANCE")) << instances.out;
  EXPECT_TRUE(has_line(instances.out, "calc-a ")) << instances.out;
  EXPECT_TRUE(has_line(instances.out, "calc-b ")) << instances.out;
  json listed = parsed(tool({"ls", "calc", "--json"}));
  ASSERT_EQ(listed.size(), 2u);
  std::set<std::string> pids;
  for (auto& i : listed) {
    EXPECT_EQ(i["version"], redwire::version);
    EXPECT_GT(i["pid"].get<long>(), 0);
    EXPECT_GT(i["expires_in_ms"].get<long>(), 0);  // it beats: every ttl / 3 (5 s by default)
    EXPECT_GE(i["last_beat_ms_ago"].get<long>(), 0);
    EXPECT_LE(i["last_beat_ms_ago"].get<long>(), 5000);
    pids.insert(std::to_string(i["pid"].get<long>()));
  }
  EXPECT_EQ(pids.size(), 2u);
  tool_run unknown = tool({"ls", "calk"});
  EXPECT_EQ(unknown.exit, 3);
  EXPECT_EQ(unknown.err, "redwire: service 'calk' has no live instance (did you mean 'calc'?)\n");
}

TEST(tool_commands, describe_gives_signatures_and_type_descriptions) {
  tool_run one = tool({"describe", "calc.centroid"});
  ASSERT_EQ(one.exit, 0) << one.err;
  EXPECT_EQ(one.out,
            "calc.centroid(vec<{f64, f64}>) -> {f64, f64}\n"
            "  argument 1: vec<{f64, f64}>\n"
            "  result: {f64, f64}\n");
  tool_run all = tool({"describe", "calc"});
  ASSERT_EQ(all.exit, 0) << all.err;
  EXPECT_TRUE(has_line(all.out, "topic orders.created: order{id: i32, item: str}")) << all.out;
  EXPECT_TRUE(has_line(all.out, "stream orders.log/billing: order{id: i32, item: str}")) << all.out;
  json j = parsed(tool({"describe", "types", "--json"}));
  std::map<std::string, json> by_name;
  for (auto& p : j["procedures"]) by_name[p["name"]] = p;
  EXPECT_EQ(by_name.size(), 34u);
  EXPECT_EQ(by_name["types.person"]["arguments"][0],
            "person{name: str, age: opt<i32>, tags: vec<str>}");
  EXPECT_EQ(by_name["types.color"]["result"], "enum<u8>{red=1, green=2, blue=3}");
  EXPECT_EQ(by_name["types.sealed"]["result"], "obj<shop.sealed/1>");
  EXPECT_TRUE(by_name["types.add"].is_null());
  tool_run wrong = tool({"describe", "calc.centriod"});
  EXPECT_EQ(wrong.exit, 3);
  EXPECT_EQ(
      wrong.err,
      "redwire: service 'calc' has no procedure 'calc.centriod' (did you mean 'calc.centroid'?)\n");
}

TEST(tool_commands, ping_times_each_instance) {
  tool_run table = tool({"ping", "calc", "--count", "2"});
  ASSERT_EQ(table.exit, 0) << table.err;
  EXPECT_TRUE(table.out.starts_with("INSTANCE  MIN")) << table.out;
  json j = parsed(tool({"ping", "calc", "--json"}));
  ASSERT_EQ(j.size(), 2u);
  for (auto& i : j) {
    EXPECT_LE(i["min_ms"].get<double>(), i["avg_ms"].get<double>());
    EXPECT_LE(i["avg_ms"].get<double>(), i["max_ms"].get<double>());
    EXPECT_EQ(i["version"], redwire::version);
    EXPECT_GT(i["uptime_ms"].get<long>(), 0);
  }
  json only = parsed(tool({"ping", "calc", "--instance", "calc-a", "--json"}));
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0]["instance"], "calc-a");
}

std::uint64_t total_calls(const json& stats, const std::string& name) {
  for (auto& o : stats["total"])
    if (o["name"] == name) return o["calls"].get<std::uint64_t>();
  return 0;
}

TEST(tool_commands, stats_count_what_the_instances_did) {
  const json before = parsed(tool({"stats", "calc", "--json"}));
  redwire::redis::transport bus{shared().server.url()};
  redwire::client cli{bus};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(cli.call(add, i, i), 2 * i);
  const json after = parsed(tool({"stats", "calc", "--json"}));
  EXPECT_EQ(total_calls(after, "calc.add"), total_calls(before, "calc.add") + 5);
  ASSERT_EQ(after["instances"].size(), 2u);
  EXPECT_EQ(after["instances"][0]["workers"], 4);
  EXPECT_EQ(after["queue"], 0);
  tool_run table = tool({"stats", "calc"});
  ASSERT_EQ(table.exit, 0) << table.err;
  EXPECT_TRUE(table.out.starts_with("INSTANCE")) << table.out;
  EXPECT_TRUE(has_line(table.out, "(all 2)   calc.add")) << table.out;
  EXPECT_TRUE(std::regex_search(
      table.out, std::regex("\nworkers busy: [0-9] of 8; waiting in the service queue: [0-9]+\n")))
      << table.out;
}

TEST(tool_commands, watch_prints_membership_events_as_they_happen) {
  for (bool as_json : {false, true}) {
    std::vector<std::string> args{"watch", "--count", "2"};
    if (as_json) args.push_back("--json");
    auto watcher = start_tool(args);
    ASSERT_TRUE(watcher->wait_for_line("redwire: watching (Ctrl-C to stop)", patience));
    {
      redwire::redis::transport bus{shared().server.url()};
      redwire::service svc{bus, "watched", {.instance_id = "watched-1"}};
      svc.bind(redwire::procedure<"watched.x", int()>{}, [] { return 1; });
      svc.start();
      svc.stop();
    }
    EXPECT_EQ(watcher->wait(), 0);
    auto lines = watcher->all_lines(patience);
    ASSERT_EQ(lines.size(), 3u);
    if (as_json) {
      EXPECT_EQ(json::parse(lines[1])["event"], "joined");
      EXPECT_EQ(json::parse(lines[1])["instance"], "watched-1");
      EXPECT_EQ(json::parse(lines[2])["event"], "left");
    } else {
      EXPECT_TRUE(lines[1].starts_with("joined watched watched-1 on ")) << lines[1];
      EXPECT_TRUE(lines[2].starts_with("left watched watched-1")) << lines[2];
    }
  }
}

TEST(tool_commands, tail_decodes_topic_events_and_stream_entries) {
  redwire::redis::transport bus{shared().server.url()};
  redwire::client cli{bus};
  auto topic = start_tool({"tail", "orders.created", "--count", "1", "--json"});
  ASSERT_TRUE(
      topic->wait_for_line("redwire: tailing topic 'orders.created' (Ctrl-C to stop)", patience));
  cli.publish(created, order{7, "book"});
  EXPECT_EQ(topic->wait(), 0);
  auto lines = topic->all_lines(patience);
  ASSERT_EQ(lines.size(), 2u);
  json e = json::parse(lines[1]);
  EXPECT_EQ(e["name"], "orders.created");
  EXPECT_EQ(e["value"], json::parse(R"({"id":7,"item":"book"})"));
  EXPECT_EQ(e["source"], cli.id());

  auto stream = start_tool({"tail", "orders.log", "--count", "1"});
  ASSERT_TRUE(
      stream->wait_for_line("redwire: tailing stream 'orders.log' (Ctrl-C to stop)", patience));
  const std::string id = cli.append(log_stream, order{8, "pen"});
  EXPECT_EQ(stream->wait(), 0);
  auto entries = stream->all_lines(patience);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1], id + " orders.log {\"id\":8,\"item\":\"pen\"}");
}

/// The last entry id handed to consumer group `group` of orders.log, and how many it has not
/// acknowledged.
std::pair<std::string, long long> group_state(redwire::redis::transport& bus,
                                              const std::string& group) {
  const std::string key = redwire::detail::stream_key(bus.prefix(), "orders.log");
  std::pair<std::string, long long> state{"", -1};
  for (const auto& g : bus.command({"XINFO", "GROUPS", key}).elements) {
    std::map<std::string, const redwire::redis::reply*> field;
    for (std::size_t i = 0; i + 1 < g.elements.size(); i += 2)
      field[g.elements[i].str] = &g.elements[i + 1];
    if (field.count("name") && field["name"]->str == group)
      state = {field["last-delivered-id"]->str, field["pending"]->integer};
  }
  return state;
}

TEST(tool_commands, tail_with_a_consumer_group_starts_where_the_group_stands_and_leaves_it_there) {
  redwire::redis::transport bus{shared().server.url()};
  redwire::client cli{bus};
  const std::string key = redwire::detail::stream_key(bus.prefix(), "orders.log");
  // A group that nobody reads: what it has still to get is what tail shows first.
  ASSERT_FALSE(bus.command({"XGROUP", "CREATE", key, "audit", "$", "MKSTREAM"}).is_error());
  const auto before = group_state(bus, "audit");
  ASSERT_EQ(before.second, 0);
  const std::string first = cli.append(log_stream, order{21, "ink"});
  const std::string second = cli.append(log_stream, order{22, "nib"});

  tool_run backlog = tool({"tail", "orders.log", "audit", "--count", "2"});
  EXPECT_EQ(backlog.exit, 0) << backlog.err;
  EXPECT_EQ(backlog.out, first + " orders.log {\"id\":21,\"item\":\"ink\"}\n" + second +
                             " orders.log {\"id\":22,\"item\":\"nib\"}\n");
  EXPECT_NE(backlog.err.find("redwire: tailing stream 'orders.log' from where group 'audit' "
                             "stands (last handed " +
                             before.first + ", 0 unacknowledged"),
            std::string::npos)
      << backlog.err;
  // Read beside the group, not in it: nothing claimed, nothing handed.
  EXPECT_EQ(group_state(bus, "audit"), before);

  tool_run typo = tool({"tail", "orders.log", "audti"});
  EXPECT_EQ(typo.exit, 3);
  EXPECT_EQ(typo.err,
            "redwire: stream 'orders.log' has no consumer group 'audti' (did you mean 'audit'?)\n");
  tool_run topic = tool({"tail", "orders.created", "audit"});
  EXPECT_EQ(topic.exit, 3);
  EXPECT_EQ(topic.err, "redwire: no stream 'orders.created': a consumer group is a stream's\n");
}

TEST(tool_commands, bench_is_the_latency_tool_with_its_options) {
  tool_run run = tool({"bench", "--duration", "0.2", "--warmup", "0", "--concurrency", "2"});
  EXPECT_EQ(run.exit, 0) << run.err;
  EXPECT_TRUE(has_line(run.out, "redwire bench  " + shared().server.url() +
                                    "/0, payload 16 B, "
                                    "2 in flight (2 threads)"))
      << run.out;
  EXPECT_TRUE(std::regex_search(run.out, std::regex(R"(\n  calls     [1-9][0-9]* \(0 errors\))")))
      << run.out;
  EXPECT_TRUE(has_line(run.out, "  latency   p50 ")) << run.out;
  EXPECT_TRUE(has_line(run.out, "  PING      p50 ")) << run.out;

  // The URL from the environment, as for every command.
  tool_run from_env = run_program(REDWIRE_TOOL, {"bench", "--duration", "0.1", "--warmup", "0"},
                                  {"REDWIRE_REDIS_URL=" + shared().server.url()});
  EXPECT_EQ(from_env.exit, 0) << from_env.err;
  EXPECT_TRUE(has_line(from_env.out, "redwire bench  " + shared().server.url() + "/0,"))
      << from_env.out;

  tool_run help = tool({"bench", "--help"});
  EXPECT_EQ(help.exit, 0);
  EXPECT_TRUE(has_line(help.out, "usage: redwire bench [options]")) << help.out;
  tool_run bad = tool({"bench", "--concurrency", "0"});
  EXPECT_EQ(bad.exit, 2);
  EXPECT_EQ(bad.err, "redwire bench: --concurrency must be at least 1 (see --help)\n");
  tool_run misplaced = run_program(REDWIRE_TOOL, {"--json", "bench"});
  EXPECT_EQ(misplaced.exit, 2);
  EXPECT_EQ(misplaced.err,
            "redwire: bench comes first, its options after it: redwire bench --url ...\n");
}

/// The dead letters of orders.log/billing, as `dlq --json` lists them.
json dead_letters() {
  return parsed(tool({"dlq", "orders.log", "billing", "--json"}));
}

bool holds_item(const json& letters, const std::string& item, std::string* id = nullptr) {
  for (auto& l : letters)
    if (l["value"]["item"] == item) {
      if (id) *id = l["id"];
      return true;
    }
  return false;
}

TEST(tool_commands, dlq_lists_replays_and_drops_dead_letters) {
  redwire::redis::transport bus{shared().server.url()};
  redwire::client cli{bus};
  cli.append(log_stream, order{1, "to-drop"});
  cli.append(log_stream, order{2, "to-replay"});
  std::string drop_id, replay_id;
  ASSERT_TRUE(eventually([&] {
    json l = dead_letters();
    return holds_item(l, "to-drop", &drop_id) && holds_item(l, "to-replay", &replay_id);
  }));  // the consumer always fails, once (max_deliveries 1)
  tool_run listed = tool({"dlq", "orders.log", "billing"});
  EXPECT_TRUE(has_line(listed.out, drop_id + " orders.log {\"id\":1,\"item\":\"to-drop\"}"))
      << listed.out;

  tool_run dropped = tool({"dlq", "orders.log", "billing", "--drop", drop_id});
  EXPECT_EQ(dropped.exit, 0) << dropped.err;
  EXPECT_EQ(dropped.out, "dropped " + drop_id + "\n");
  EXPECT_FALSE(holds_item(dead_letters(), "to-drop"));

  tool_run replayed = tool({"dlq", "orders.log", "billing", "--replay", replay_id});
  EXPECT_EQ(replayed.out, "replayed " + replay_id + "\n");
  // Back on the stream, handled (and failed) again: a dead letter with a new id.
  std::string again;
  EXPECT_TRUE(eventually(
      [&] { return holds_item(dead_letters(), "to-replay", &again) && again != replay_id; }));

  tool_run missing = tool({"dlq", "orders.log", "billing", "--drop", "1-1"});
  EXPECT_EQ(missing.exit, 3);
  EXPECT_EQ(missing.err, "redwire: no dead letter 1-1 of group 'billing' on stream 'orders.log'\n");
}

/// Prometheus text: every line a HELP, a TYPE or a sample of a declared family; the samples.
std::map<std::string, double> parse_prometheus(const std::string& text) {
  static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+)");
  static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|summary))");
  static const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\} (-?[0-9.e+-]+))");
  std::set<std::string> declared;
  std::map<std::string, double> out;
  std::istringstream lines(text);
  for (std::string l; std::getline(lines, l);) {
    std::smatch m;
    if (std::regex_match(l, m, help)) continue;
    if (std::regex_match(l, m, type)) {
      EXPECT_TRUE(declared.insert(m[1]).second) << "declared twice: " << l;
      continue;
    }
    EXPECT_TRUE(std::regex_match(l, m, sample)) << "not Prometheus text: " << l;
    std::string family = m[1];
    for (const char* suffix : {"_sum", "_count"})
      if (family.ends_with(suffix) && !declared.count(family))
        family = family.substr(0, family.size() - std::string(suffix).size());
    EXPECT_TRUE(declared.count(family)) << "a sample of an undeclared family: " << l;
    out[l.substr(0, l.rfind(' '))] = std::stod(l.substr(l.rfind(' ') + 1));
  }
  return out;
}

double add_calls(const std::map<std::string, double>& samples) {
  double sum = 0;
  for (const char* instance : {"calc-a", "calc-b"})
    sum += samples.at(std::string("redwire_calls_total{service=\"calc\",instance=\"") + instance +
                      "\",procedure=\"calc.add\",kind=\"procedure\",outcome=\"ok\"}");
  return sum;
}

TEST(tool_commands, metrics_serves_prometheus_text_whose_counters_match_the_calls) {
  auto server = start_tool({"metrics", "--listen", "127.0.0.1:0", "--count", "3"});
  std::string url;
  ASSERT_TRUE(eventually([&] {
    server->wait_for_line("", 100ms);
    for (const auto& l : server->all_lines(0ms))
      if (l.starts_with("serving ")) url = l.substr(8);
    return !url.empty();
  }));
  tool_run first = run_program("/usr/bin/curl", {"-s", "-f", url});
  ASSERT_EQ(first.exit, 0) << first.err;
  const double before = add_calls(parse_prometheus(first.out));
  redwire::redis::transport bus{shared().server.url()};
  redwire::client cli{bus};
  for (int i = 0; i < 4; ++i) cli.call(add, 1, 2);
  tool_run second = run_program("/usr/bin/curl", {"-s", "-f", url});
  ASSERT_EQ(second.exit, 0) << second.err;
  auto samples = parse_prometheus(second.out);
  EXPECT_EQ(add_calls(samples), before + 4);
  EXPECT_EQ(samples.at("redwire_workers{service=\"types\",instance=\"types-a\"}"), 4);
  tool_run other = run_program("/usr/bin/curl", {"-s", "-o", "/dev/null", "-w", "%{http_code}",
                                                 url.substr(0, url.size() - 8) + "/other"});
  EXPECT_EQ(other.out, "404");
  EXPECT_EQ(server->wait(), 0);  // --count 3: three requests served
}

}  // namespace
