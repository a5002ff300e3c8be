// tools/redwire/stats.cpp — `redwire stats`: every instance's $stats, the requests waiting in
// the queues (LLEN), and the sum over instances.
#include <algorithm>
#include <iostream>

#include "tool.hpp"

namespace redwire::tool {
namespace {

long long queue_length(session& s, const std::string& queue) {
  return s.bus().command({"LLEN", queue}).integer;
}

std::string ms(std::int64_t ns) {
  return milliseconds_text(static_cast<double>(ns) / 1e6);
}

std::vector<std::string> row(const std::string& who, const operation_report& o) {
  return {who,
          o.name,
          o.kind,
          std::to_string(o.calls),
          std::to_string(o.failures),
          std::to_string(o.timeouts),
          std::to_string(o.bad_messages),
          std::to_string(o.in_flight),
          ms(o.p50_ns),
          ms(o.p90_ns),
          ms(o.p99_ns)};
}

/// Counters summed by operation; percentiles: the largest of the instances'.
std::vector<operation_report> summed(const std::vector<stats_reply>& replies) {
  std::vector<operation_report> out;
  for (const auto& r : replies)
    for (const auto& o : r.operations) {
      auto it = std::find_if(out.begin(), out.end(),
                             [&](auto& x) { return x.name == o.name && x.kind == o.kind; });
      if (it == out.end()) {
        out.push_back(o);
        continue;
      }
      it->calls += o.calls;
      it->failures += o.failures;
      it->timeouts += o.timeouts;
      it->bad_messages += o.bad_messages;
      it->dropped += o.dropped;
      it->reclaimed += o.reclaimed;
      it->dead_lettered += o.dead_lettered;
      it->in_flight += o.in_flight;
      it->total_ns += o.total_ns;
      it->p50_ns = std::max(it->p50_ns, o.p50_ns);
      it->p90_ns = std::max(it->p90_ns, o.p90_ns);
      it->p99_ns = std::max(it->p99_ns, o.p99_ns);
      it->max_ns = std::max(it->max_ns, o.max_ns);
    }
  return out;
}

}  // namespace

int run_stats(const command_line& cl) {
  if (cl.words.size() != 1) throw tool_error(bad_usage, "stats takes a service");
  const std::string& service = cl.words[0];
  session s(cl);
  auto answers = ask_each(s, builtin::stats, service, cl);
  const long long waiting = queue_length(s, detail::service_queue(s.scope(), service));
  std::vector<stats_reply> replies;
  json instances = json::array();
  std::vector<std::vector<std::string>> rows;
  std::uint32_t workers = 0, busy = 0;
  for (auto& [info, r] : answers) {
    json one = as_json(r);
    one["queue"] = queue_length(s, detail::instance_queue(s.scope(), service, info.id));
    instances.push_back(std::move(one));
    for (const auto& o : r.operations) rows.push_back(row(r.instance, o));
    workers += r.workers;
    busy += r.workers_busy;
    replies.push_back(std::move(r));
  }
  const auto total = summed(replies);
  if (cl.json_output()) {
    json sum = json::array();
    for (const auto& o : total) sum.push_back(as_json(o));
    std::cout << to_text(json{{"service", service},
                              {"queue", waiting},
                              {"instances", instances},
                              {"total", sum}},
                         2)
              << '\n';
    return ok;
  }
  if (answers.size() > 1)
    for (const auto& o : total)
      rows.push_back(row("(all " + std::to_string(answers.size()) + ")", o));
  print_table({"INSTANCE", "OPERATION", "KIND", "CALLS", "FAILED", "TIMEOUTS", "BAD", "IN FLIGHT",
               "P50", "P90", "P99"},
              rows, cl);
  std::cout << "workers busy: " << busy << " of " << workers
            << "; waiting in the service queue: " << waiting << '\n';
  return ok;
}

}  // namespace redwire::tool
