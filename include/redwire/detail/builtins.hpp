// redwire/detail/builtins.hpp — how an instance answers the built-in procedures of
// introspection.hpp ($ping, $stats, $describe) from what it knows of itself: its names, its
// start time, its dispatcher (procedures and their type descriptions, counters) and its metrics
// (one entry per procedure, topic subscription and stream consumer).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "../codec.hpp"
#include "../introspection.hpp"
#include "../metrics.hpp"
#include "../version.hpp"
#include "dispatch.hpp"

namespace redwire::detail {

/// What the built-ins read. Owned by the service; it outlives the dispatcher that points to it.
struct introspection_sources {
  std::string service;
  std::string instance;
  std::uint32_t workers = 0;
  const metrics_registry* metrics = nullptr;
  const dispatcher* dispatch = nullptr;
  /// steady_clock ms at the last start(); 0 before it.
  std::atomic<std::int64_t> started_ms{0};

  std::int64_t uptime_ms() const {
    const std::int64_t started = started_ms.load(std::memory_order_relaxed);
    return started == 0 ? 0 : now_ms() - started;
  }
  static std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

inline operation_report to_report(const operation_stats& s) {
  operation_report r;
  r.name = s.name;
  r.kind = to_string(s.kind);
  r.calls = s.calls;
  r.failures = s.failures;
  r.timeouts = s.timeouts;
  r.bad_messages = s.bad_messages;
  r.dropped = s.dropped;
  r.reclaimed = s.reclaimed;
  r.dead_lettered = s.dead_lettered;
  r.in_flight = s.in_flight;
  r.p50_ns = s.p50.count();
  r.p90_ns = s.p90.count();
  r.p99_ns = s.p99.count();
  r.max_ns = s.max.count();
  r.total_ns = static_cast<std::uint64_t>(s.total.count());
  return r;
}

inline stats_reply make_stats_reply(const introspection_sources& in) {
  stats_reply r;
  r.service = in.service;
  r.instance = in.instance;
  r.uptime_ms = in.uptime_ms();
  r.workers = in.workers;
  const dispatch_counters& c = in.dispatch->counters();
  r.calls = c.calls.load();
  r.failures = c.failures.load();
  r.expired = c.expired.load();
  r.rejected = c.rejected.load();
  r.bad_messages = c.bad_messages.load();
  r.unauthorized = c.unauthorized.load();
  for (const operation_stats& s : in.metrics->snapshot()) {
    if (s.kind == operation_kind::procedure)
      r.workers_busy += static_cast<std::uint32_t>(s.in_flight);
    r.operations.push_back(to_report(s));
  }
  return r;
}

inline describe_reply make_describe_reply(const introspection_sources& in) {
  describe_reply r;
  r.service = in.service;
  r.instance = in.instance;
  r.version = std::string(redwire::version);
  r.procedures = in.dispatch->descriptions();
  in.metrics->for_each([&](const operation_metrics& m) {
    if (m.kind() != operation_kind::procedure)
      r.events.push_back({m.name(), to_string(m.kind()), m.description()});
  });
  return r;
}

/// Makes `d` answer $ping, $stats and $describe from `in`.
inline void bind_builtins(dispatcher& d, const introspection_sources& in) {
  d.bind_builtin(builtin::ping.name, builtin::ping.fingerprint, [&in](std::string& out) {
    encode_values(
        out, ping_reply{in.service, in.instance, std::string(redwire::version), in.uptime_ms()});
  });
  d.bind_builtin(builtin::stats.name, builtin::stats.fingerprint,
                 [&in](std::string& out) { encode_values(out, make_stats_reply(in)); });
  d.bind_builtin(builtin::describe.name, builtin::describe.fingerprint,
                 [&in](std::string& out) { encode_values(out, make_describe_reply(in)); });
}

}  // namespace redwire::detail
