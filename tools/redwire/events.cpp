// tools/redwire/events.cpp — watch (membership events), tail (topic events and stream
// entries as they come) and dlq (a consumer group's dead letters: list, replay, drop).
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <map>
#include <mutex>

#include <redwire/events/frame.hpp>
#include <redwire/events/names.hpp>

#include "tool.hpp"

namespace redwire::tool {
namespace {

std::atomic<bool> interrupted{false};

void on_signal(int) {
  interrupted = true;
}

/// Counts printed lines; wakes the main thread at the count or on Ctrl-C.
struct printer {
  std::mutex mutex;
  std::condition_variable done;
  long printed = 0;
  long limit = 0;  // 0: none

  void line(const std::string& text) {
    std::lock_guard lock(mutex);
    if (limit != 0 && printed >= limit) return;
    std::cout << text << std::endl;
    ++printed;
    done.notify_all();
  }
  void wait() {
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::unique_lock lock(mutex);
    while (!interrupted && (limit == 0 || printed < limit))
      done.wait_for(lock, std::chrono::milliseconds(100));
  }
};

/// The type description of the events of `name` (a topic, or a stream), as the services
/// handling it describe them; empty when none does.
std::string event_type(session& s, const std::string& name, const command_line& cl) {
  for (const std::string& service : s.reg().services()) {
    auto d = s.caller().builtin(builtin::describe, service, {.timeout = cl.timeout()});
    if (!d.has_value()) continue;
    for (const auto& e : d.value().events)
      if (e.name == name || e.name.starts_with(name + "/")) return e.type;
  }
  return {};
}

json event_json(std::string_view bytes, const std::string& type, const std::string& id) {
  detail::event_frame f = detail::decode_event_frame(bytes);
  json out = {{"name", f.name}};
  if (!id.empty()) out["id"] = id;
  out["published_ms"] = f.published_ms;
  out["trace"] = f.trace_id;
  out["source"] = f.source;
  std::string_view payload = f.payload;
  if (type.empty()) {
    std::string h;
    for (unsigned char c : payload) {
      h += "0123456789abcdef"[c >> 4];
      h += "0123456789abcdef"[c & 15];
    }
    out["value_hex"] = h;
  } else {
    out["value"] = decode_json(parse_type(type), payload);
  }
  return out;
}

std::string event_line(const json& e, const command_line& cl) {
  if (cl.json_output()) return to_text(e);
  return std::string(e.contains("id") ? e["id"].get<std::string>() + " " : "") +
         e["name"].get<std::string>() + " " +
         to_text(e.contains("value") ? e["value"] : e["value_hex"]);
}

/// The last entry id that consumer group `group` of stream `key` was handed, and the line that
/// says where it stands; not_found (with the groups there are) when the stream has no such group.
std::string group_position(session& s, const std::string& key, const std::string& name,
                           const std::string& group, std::string& said) {
  auto groups = s.bus().command({"XINFO", "GROUPS", key});
  std::vector<std::string> names;
  for (const auto& g : groups.elements) {
    std::map<std::string, std::string> field;  // name, consumers, pending, last-delivered-id, lag
    for (std::size_t i = 0; i + 1 < g.elements.size(); i += 2)
      field[g.elements[i].str] = g.elements[i + 1].is_integer()
                                     ? std::to_string(g.elements[i + 1].integer)
                                     : g.elements[i + 1].str;
    names.push_back(field["name"]);
    if (field["name"] != group) continue;
    said = " from where group '" + group + "' stands (last handed " + field["last-delivered-id"] +
           ", " + field["pending"] + " unacknowledged" +
           (field["lag"].empty() ? "" : ", " + field["lag"] + " not handed yet") + ")";
    return field["last-delivered-id"];
  }
  const std::string hint = closest(group, names);
  throw tool_error(not_found, "stream '" + name + "' has no consumer group '" + group + "'" +
                                  (hint.empty() ? "" : " (" + hint + ")"));
}

/// Entries appended to the stream from now on or, with a consumer group, from the group's last
/// handed entry on: what the group has still to get, then what comes. Read with XREAD, not as a
/// member of the group: its consumers are not disturbed, nothing is claimed or acknowledged.
void tail_stream(session& s, const std::string& name, const std::string& group,
                 const std::string& type, printer& out, const command_line& cl) {
  const std::string key = detail::stream_key(s.bus().prefix(), name);
  std::string last, said;
  if (!group.empty()) {
    last = group_position(s, key, name, group, said);
  } else {
    // From the newest entry now (not "$" at each read: what comes between two reads counts).
    auto newest = s.bus().command({"XREVRANGE", key, "+", "-", "COUNT", "1"});
    last = newest.elements.empty() ? "0-0" : newest.elements[0].elements.at(0).str;
  }
  std::cerr << "redwire: tailing stream '" << name << "'" << said << " (Ctrl-C to stop)"
            << std::endl;
  while (!interrupted && (out.limit == 0 || out.printed < out.limit)) {
    auto r = s.bus().command({"XREAD", "COUNT", "100", "BLOCK", "200", "STREAMS", key, last});
    if (!r.is_array()) continue;
    for (auto& stream : r.elements)
      for (auto& entry : stream.elements.at(1).elements) {
        last = entry.elements.at(0).str;
        auto& fields = entry.elements.at(1).elements;
        for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
          if (fields[i].str != "rw") continue;
          try {
            out.line(event_line(event_json(fields[i + 1].str, type, last), cl));
          } catch (const std::exception& e) {  // one bad entry does not end the tail
            std::cerr << "redwire: entry " << last << " does not decode: " << e.what() << std::endl;
          }
        }
      }
  }
}

}  // namespace

int run_watch(const command_line& cl) {
  if (!cl.words.empty()) throw tool_error(bad_usage, "watch takes no argument");
  session s(cl);
  printer out;
  out.limit = cl.number("--count", 0);
  auto watch = s.reg().watch([&](const membership_event& e) {
    const auto& i = e.instance;
    if (cl.json_output())
      out.line(to_text(json{{"event", to_string(e.change)},
                            {"service", i.service},
                            {"instance", i.id},
                            {"host", i.host},
                            {"pid", i.pid}}));
    else
      out.line(std::string(to_string(e.change)) + " " + i.service + " " + i.id +
               (i.host.empty() ? "" : " on " + i.host + " pid " + std::to_string(i.pid)));
  });
  std::cerr << "redwire: watching" << (s.group().empty() ? "" : " group '" + s.group() + "'")
            << " (Ctrl-C to stop)" << std::endl;
  out.wait();
  return ok;
}

int run_tail(const command_line& cl) {
  if (cl.words.empty() || cl.words.size() > 2)
    throw tool_error(bad_usage, "tail takes a topic, or a stream and optionally a consumer group");
  const std::string& name = cl.words[0];
  const std::string group = cl.words.size() == 2 ? cl.words[1] : std::string();
  session s(cl);
  printer out;
  out.limit = cl.number("--count", 0);
  const std::string type = event_type(s, name, cl);
  if (type.empty())
    std::cerr << "redwire: no live service handles '" << name << "': values are shown as hex"
              << std::endl;
  const bool stream =
      s.bus().command({"EXISTS", detail::stream_key(s.bus().prefix(), name)}).integer == 1;
  if (stream) {
    tail_stream(s, name, group, type, out, cl);
    return ok;
  }
  if (!group.empty())
    throw tool_error(not_found, "no stream '" + name + "': a consumer group is a stream's");
  auto sub = s.bus().subscribe(
      detail::topic_channel(s.bus().prefix(), name),
      [&](std::string_view, std::string_view bytes) {
        try {
          out.line(event_line(event_json(bytes, type, {}), cl));
        } catch (const std::exception& e) {
          std::cerr << "redwire: an event that does not decode: " << e.what() << std::endl;
        }
      },
      [] {
        std::cerr << "redwire: the connection was interrupted: events may have been missed"
                  << std::endl;
      });
  std::cerr << "redwire: tailing topic '" << name << "' (Ctrl-C to stop)" << std::endl;
  out.wait();
  return ok;
}

int run_dlq(const command_line& cl) {
  if (cl.words.size() != 2) throw tool_error(bad_usage, "dlq takes a stream and a consumer group");
  const std::string &name = cl.words[0], &group = cl.words[1];
  session s(cl);
  const std::string stream = detail::stream_key(s.bus().prefix(), name);
  const std::string dead = detail::dead_letter_key(s.bus().prefix(), name, group);
  const std::string count = std::to_string(cl.number("--count", 100));
  auto entries = s.bus().command({"XRANGE", dead, "-", "+", "COUNT", count});
  const std::string replay = cl.option("--replay"), drop = cl.option("--drop");
  if (!replay.empty() || cl.flag("--all") || !drop.empty()) {
    long moved = 0;
    for (auto& entry : entries.elements) {
      const std::string& id = entry.elements.at(0).str;
      const bool take = cl.flag("--all") || id == replay;
      if (!take && id != drop) continue;
      auto& fields = entry.elements.at(1).elements;
      if (take)
        for (std::size_t i = 0; i + 1 < fields.size(); i += 2)
          if (fields[i].str == "rw")
            s.bus().command({"XADD", stream, "*", "rw", fields[i + 1].str});
      s.bus().command({"XDEL", dead, id});
      ++moved;
      std::cout << (take ? "replayed " : "dropped ") << id << '\n';
    }
    if (moved == 0)
      throw tool_error(not_found, "no dead letter " + (replay.empty() ? drop : replay) +
                                      " of group '" + group + "' on stream '" + name + "'");
    return ok;
  }
  const std::string type = event_type(s, name, cl);
  json out = json::array();
  for (auto& entry : entries.elements) {
    auto& fields = entry.elements.at(1).elements;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2)
      if (fields[i].str == "rw") {
        json e = event_json(fields[i + 1].str, type, entry.elements.at(0).str);
        if (cl.json_output())
          out.push_back(std::move(e));
        else
          std::cout << event_line(e, cl) << '\n';
      }
  }
  if (cl.json_output()) std::cout << to_text(out) << '\n';
  return ok;
}

}  // namespace redwire::tool
