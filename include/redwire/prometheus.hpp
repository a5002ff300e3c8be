// redwire/prometheus.hpp — a service's metrics in the Prometheus text exposition format
// (version 0.0.4), for users who serve their own /metrics endpoint:
//
//   std::string body = redwire::prometheus_text(svc);          // one instance, in process
//   std::string all = redwire::prometheus_text(reports);       // several $stats replies
//
// Content type: "text/plain; version=0.0.4". Families (every sample labelled with service and
// instance; per operation also procedure, the name of the procedure, topic or stream/group):
//
//   redwire_calls_total{procedure, kind, outcome}   counter: outcome ok, remote_exception
//       (handler threw), timeout (past its deadline: dropped, or finished late — such a late
//       run also counts as ok), bad_message (arguments or event that did not decode)
//   redwire_handler_duration_seconds{procedure, kind, quantile}   summary: 0.5, 0.9, 0.99,
//       with _sum and _count
//   redwire_in_flight{procedure, kind}              gauge: handlers running now
//   redwire_event_incidents_total{procedure, kind, incident}   counter: dropped, reclaimed,
//       dead_lettered (topics and streams)
//   redwire_requests_refused_total{reason}          counter: expired, rejected, bad_message,
//       unauthorized (the instance's own counters: service_stats)
//   redwire_uptime_seconds, redwire_workers, redwire_workers_busy   gauges
//
// The `redwire metrics` tool serves the same text gathered from every instance's $stats.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "introspection.hpp"
#include "service.hpp"

namespace redwire {

namespace detail {

/// A label value with \, " and newline escaped.
inline void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

/// Builds one family: HELP and TYPE once, then its samples.
class prometheus_family {
 public:
  prometheus_family(std::string& out, std::string_view name, std::string_view type,
                    std::string_view help)
      : out_(out), name_(name) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }

  /// name<suffix>{service="..",instance="..",k="v",...} value
  void sample(const stats_reply& r,
              std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
              double value, std::string_view suffix = {}) {
    out_.append(name_).append(suffix).append("{service=\"");
    append_label_value(out_, r.service);
    out_.append("\",instance=\"");
    append_label_value(out_, r.instance);
    out_.push_back('"');
    for (const auto& [k, v] : labels) {
      out_.append(",").append(k).append("=\"");
      append_label_value(out_, v);
      out_.push_back('"');
    }
    char number[32];
    const bool whole = value > -1e15 && value < 1e15 &&
                       value == static_cast<double>(static_cast<std::int64_t>(value));
    std::snprintf(number, sizeof number, whole ? "%.0f" : "%.9g", value);
    out_.append("} ").append(number).append("\n");
  }

 private:
  std::string& out_;
  std::string_view name_;
};

inline void render_operations(std::string& out, const std::vector<stats_reply>& reports) {
  prometheus_family calls(out, "redwire_calls_total", "counter",
                          "Requests and events handled, by outcome.");
  for (const auto& r : reports)
    for (const auto& o : r.operations) {
      const auto s = [&](std::string_view outcome, std::uint64_t n) {
        calls.sample(r, {{"procedure", o.name}, {"kind", o.kind}, {"outcome", outcome}},
                     static_cast<double>(n));
      };
      s("ok", o.calls - o.failures);
      s("remote_exception", o.failures);
      s("timeout", o.timeouts);
      s("bad_message", o.bad_messages);
    }
  prometheus_family durations(out, "redwire_handler_duration_seconds", "summary",
                              "Handler run times (quantiles exact to within 19 %).");
  for (const auto& r : reports)
    for (const auto& o : r.operations) {
      const auto q = [&](std::string_view quantile, std::int64_t ns) {
        durations.sample(r, {{"procedure", o.name}, {"kind", o.kind}, {"quantile", quantile}},
                         static_cast<double>(ns) / 1e9);
      };
      q("0.5", o.p50_ns);
      q("0.9", o.p90_ns);
      q("0.99", o.p99_ns);
      durations.sample(r, {{"procedure", o.name}, {"kind", o.kind}},
                       static_cast<double>(o.total_ns) / 1e9, "_sum");
      durations.sample(r, {{"procedure", o.name}, {"kind", o.kind}}, static_cast<double>(o.calls),
                       "_count");
    }
  prometheus_family flying(out, "redwire_in_flight", "gauge", "Handlers running now.");
  for (const auto& r : reports)
    for (const auto& o : r.operations)
      flying.sample(r, {{"procedure", o.name}, {"kind", o.kind}}, static_cast<double>(o.in_flight));
  prometheus_family incidents(out, "redwire_event_incidents_total", "counter",
                              "Events dropped (slow handler), reclaimed or dead-lettered.");
  for (const auto& r : reports)
    for (const auto& o : r.operations) {
      if (o.kind == "procedure") continue;
      for (const auto& [incident, n] :
           {std::pair<std::string_view, std::uint64_t>{"dropped", o.dropped},
            {"reclaimed", o.reclaimed},
            {"dead_lettered", o.dead_lettered}})
        incidents.sample(r, {{"procedure", o.name}, {"kind", o.kind}, {"incident", incident}},
                         static_cast<double>(n));
    }
}

inline void render_instances(std::string& out, const std::vector<stats_reply>& reports) {
  prometheus_family refused(out, "redwire_requests_refused_total", "counter",
                            "Requests an instance did not run, by reason.");
  for (const auto& r : reports)
    for (const auto& [reason, n] :
         {std::pair<std::string_view, std::uint64_t>{"expired", r.expired},
          {"rejected", r.rejected},
          {"bad_message", r.bad_messages},
          {"unauthorized", r.unauthorized}})
      refused.sample(r, {{"reason", reason}}, static_cast<double>(n));
  prometheus_family uptime(out, "redwire_uptime_seconds", "gauge", "Time since start().");
  for (const auto& r : reports) uptime.sample(r, {}, static_cast<double>(r.uptime_ms) / 1e3);
  prometheus_family workers(out, "redwire_workers", "gauge", "Worker threads.");
  for (const auto& r : reports) workers.sample(r, {}, r.workers);
  prometheus_family busy(out, "redwire_workers_busy", "gauge", "Workers running a handler now.");
  for (const auto& r : reports) busy.sample(r, {}, r.workers_busy);
}

}  // namespace detail

/// The metrics of the instances whose $stats replies are `reports`, in the Prometheus text
/// format (each family once, its samples for every instance).
inline std::string prometheus_text(const std::vector<stats_reply>& reports) {
  std::string out;
  detail::render_operations(out, reports);
  detail::render_instances(out, reports);
  return out;
}

/// The metrics of one service instance, in the Prometheus text format.
///   std::string body = redwire::prometheus_text(svc);
inline std::string prometheus_text(const service& svc) {
  return prometheus_text(std::vector<stats_reply>{svc.stats_report()});
}

}  // namespace redwire
