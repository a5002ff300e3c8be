// tools/redwire/inspect.cpp — ls, describe, ping and stats: what the registry and the
// built-in procedures of every instance ($describe, $ping, $stats) tell.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>

#include "tool.hpp"

namespace redwire::tool {
namespace {

std::chrono::milliseconds since(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now() -
                                                               t);
}

std::string procedure_names(const instance_info& i) {
  std::vector<std::string> names;
  for (const auto& p : i.procedures) names.push_back(p.name);
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
  return out;
}

/// When each instance's liveness entry expires, in ms from now, on Redis's own clock.
std::map<std::string, long long> expiries(session& s, const std::string& service) {
  std::map<std::string, long long> out;
  auto now = s.bus().command({"TIME"});
  const long long now_ms =
      std::stoll(now.elements.at(0).str) * 1000 + std::stoll(now.elements.at(1).str) / 1000;
  auto members = s.bus().command(
      {"ZRANGE", detail::live_instances(s.scope(), service), "0", "-1", "WITHSCORES"});
  for (std::size_t i = 0; i + 1 < members.elements.size(); i += 2)
    out[members.elements[i].str] = std::stoll(members.elements[i + 1].str) - now_ms;
  return out;
}

std::string seconds_text(long long ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1fs", static_cast<double>(ms) / 1000);
  return text;
}

int list_services(session& s, const command_line& cl) {
  json out = json::array();
  std::vector<std::vector<std::string>> rows;
  for (const std::string& name : s.reg().services()) {
    auto instances = s.reg().instances(name);
    if (instances.empty()) continue;
    std::set<std::string> procedures;
    for (const auto& i : instances)
      for (const auto& p : i.procedures) procedures.insert(p.name);
    json names = json::array();
    std::string text;
    for (const auto& p : procedures) {
      names.push_back(p);
      text += (text.empty() ? "" : " ") + p;
    }
    out.push_back({{"service", name}, {"instances", instances.size()}, {"procedures", names}});
    rows.push_back({name, std::to_string(instances.size()), text});
  }
  if (cl.json_output())
    std::cout << to_text(out) << '\n';
  else
    print_table({"SERVICE", "INSTANCES", "PROCEDURES"}, rows, cl);
  return ok;
}

int list_instances(session& s, const std::string& service, const command_line& cl) {
  auto instances = s.instances_of(service);
  auto expiry = expiries(s, service);
  json out = json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& i : instances) {
    const auto age = since(i.start_time);
    const long long expires = expiry.count(i.id) ? expiry[i.id] : 0;
    // Each beat sets the liveness entry to expire in ttl and the record in 3 × ttl
    // (detail/membership.hpp): their difference tells the ttl, and so when it last beat.
    const long long record =
        s.bus().command({"PTTL", detail::instance_record(s.scope(), service, i.id)}).integer;
    const long long beat_ago =
        record > expires ? std::max(0LL, (record - expires) / 2 - expires) : -1;
    out.push_back({{"instance", i.id},
                   {"host", i.host},
                   {"pid", i.pid},
                   {"version", i.version},
                   {"age_ms", age.count()},
                   {"last_beat_ms_ago", beat_ago},
                   {"expires_in_ms", expires},
                   {"procedures", procedure_names(i)}});
    rows.push_back({i.id, i.host, std::to_string(i.pid), i.version, age_text(age),
                    beat_ago < 0 ? "?" : seconds_text(beat_ago) + " ago", seconds_text(expires)});
  }
  if (cl.json_output())
    std::cout << to_text(out) << '\n';
  else
    print_table({"INSTANCE", "HOST", "PID", "VERSION", "AGE", "LAST BEAT", "EXPIRES IN"}, rows, cl);
  return ok;
}

}  // namespace

int run_ls(const command_line& cl) {
  if (cl.words.size() > 1) throw tool_error(bad_usage, "ls takes one service at most");
  session s(cl);
  return cl.words.empty() ? list_services(s, cl) : list_instances(s, cl.words[0], cl);
}

int run_describe(const command_line& cl) {
  if (cl.words.size() != 1) throw tool_error(bad_usage, "describe takes a service or a procedure");
  const std::string& what = cl.words[0];
  const std::string service = what.substr(0, what.find('.'));
  session s(cl);
  auto answers = ask_each(s, builtin::describe, service, cl);
  describe_reply d = answers.front().second;  // the first instance's (--instance: that one's)
  if (service != what) {
    std::vector<std::string> names;
    auto it = std::find_if(d.procedures.begin(), d.procedures.end(), [&](const auto& p) {
      names.push_back(p.name);
      return p.name == what;
    });
    if (it == d.procedures.end()) {
      const std::string hint = closest(what, names);
      throw tool_error(not_found, "service '" + service + "' has no procedure '" + what + "'" +
                                      (hint.empty() ? "" : " (" + hint + ")"));
    }
    d.procedures = {*it};
    d.events.clear();
  }
  std::sort(d.procedures.begin(), d.procedures.end(),
            [](auto& a, auto& b) { return a.name < b.name; });
  if (cl.json_output()) {
    std::cout << to_text(as_json(d), 2) << '\n';
    return ok;
  }
  for (const auto& p : d.procedures) {
    std::cout << p.signature << '\n';
    for (std::size_t i = 0; i < p.arguments.size(); ++i)
      std::cout << "  argument " << i + 1 << ": " << p.arguments[i] << '\n';
    std::cout << "  result: " << p.result << '\n';
  }
  for (const auto& e : d.events) std::cout << e.kind << ' ' << e.name << ": " << e.type << '\n';
  return ok;
}

int run_ping(const command_line& cl) {
  if (cl.words.size() != 1) throw tool_error(bad_usage, "ping takes a service");
  const long count = std::max(1L, cl.number("--count", 3));
  session s(cl);
  json out = json::array();
  std::vector<std::vector<std::string>> rows;
  const std::string only = cl.option("--instance");
  for (const auto& i : s.instances_of(cl.words[0])) {
    if (!only.empty() && i.id != only) continue;
    double min = 1e18, max = 0, sum = 0;
    ping_reply last;
    for (long n = 0; n < count; ++n) {
      const auto start = std::chrono::steady_clock::now();
      auto r = s.caller().builtin(builtin::ping, cl.words[0],
                                  {.timeout = cl.timeout(), .instance = i.id});
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      if (!r.has_value()) fail_with(r.error());
      last = r.value();
      min = std::min(min, ms);
      max = std::max(max, ms);
      sum += ms;
    }
    out.push_back({{"instance", i.id},
                   {"min_ms", min},
                   {"avg_ms", sum / count},
                   {"max_ms", max},
                   {"version", last.version},
                   {"uptime_ms", last.uptime_ms}});
    rows.push_back({i.id, milliseconds_text(min), milliseconds_text(sum / count),
                    milliseconds_text(max), last.version,
                    age_text(std::chrono::milliseconds(last.uptime_ms))});
  }
  if (!only.empty() && rows.empty())
    throw tool_error(not_found,
                     "service '" + cl.words[0] + "' has no live instance '" + only + "'");
  if (cl.json_output())
    std::cout << to_text(out) << '\n';
  else
    print_table({"INSTANCE", "MIN", "AVG", "MAX", "VERSION", "UPTIME"}, rows, cl);
  return ok;
}

}  // namespace redwire::tool
