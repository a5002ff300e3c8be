// redwire/metrics.hpp — counters and durations per procedure, topic and stream of a service.
//
//   for (const redwire::operation_stats& s : svc.metrics())
//     std::printf("%s: %llu calls, p99 %lld us\n", s.name.c_str(), s.calls, s.p99.count() / 1000);
//
// Recording costs two clock reads and a few relaxed atomic increments: no lock, no allocation.
// Durations go to a fixed log-scale histogram (four buckets per power of two), so p50 and p99
// are exact to within 19 % (each is reported as the upper bound of its bucket).
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redwire {

enum class operation_kind { procedure, topic, stream };

constexpr const char* to_string(operation_kind k) noexcept {
  switch (k) {
    case operation_kind::procedure:
      return "procedure";
    case operation_kind::topic:
      return "topic";
    case operation_kind::stream:
      return "stream";
  }
  return "?";
}

/// A snapshot of one operation's counters since the service was made.
struct operation_stats {
  std::string name;  ///< "calc.add", "orders.created", "orders.log/billing" (stream/group)
  operation_kind kind = operation_kind::procedure;
  std::uint64_t calls = 0;     ///< handler runs (a retried stream entry counts once per run)
  std::uint64_t failures = 0;  ///< handler runs that threw
  /// Procedures: requests dropped because their deadline had passed, plus handlers that
  /// finished after it. Events: none.
  std::uint64_t timeouts = 0;
  std::uint64_t bad_messages = 0;   ///< events whose bytes did not decode or did not match
  std::uint64_t dropped = 0;        ///< topic events lost because the handler fell behind
  std::uint64_t reclaimed = 0;      ///< stream entries claimed from a consumer that went quiet
  std::uint64_t dead_lettered = 0;  ///< stream entries moved to the dead-letter stream
  std::chrono::nanoseconds p50{0}, p99{0}, max{0};  ///< handler durations
  std::chrono::nanoseconds p90{0};
  std::chrono::nanoseconds total{0};  ///< sum of every run's duration
  std::uint64_t in_flight = 0;        ///< handlers running now
};

namespace detail {

/// Durations in nanoseconds, counted in 252 log-scale buckets of relaxed atomics.
class duration_histogram {
 public:
  static constexpr std::size_t bucket_count = 252;

  void record(std::uint64_t ns) noexcept {
    buckets_[bucket_of(ns)].fetch_add(1, std::memory_order_relaxed);
    std::uint64_t seen = max_.load(std::memory_order_relaxed);
    while (ns > seen && !max_.compare_exchange_weak(seen, ns, std::memory_order_relaxed)) {
    }
  }

  /// The duration below which a fraction q of the recorded ones fall (upper bucket bound).
  std::uint64_t quantile(double q) const noexcept {
    std::array<std::uint64_t, bucket_count> counts;
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < bucket_count; ++i)
      total += counts[i] = buckets_[i].load(std::memory_order_relaxed);
    if (total == 0) return 0;
    auto target = static_cast<std::uint64_t>(q * static_cast<double>(total));
    if (target < 1) target = 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
      seen += counts[i];
      if (seen >= target) return std::min(upper_bound_of(i), max());
    }
    return max();
  }

  std::uint64_t max() const noexcept { return max_.load(std::memory_order_relaxed); }

  static constexpr std::size_t bucket_of(std::uint64_t ns) noexcept {
    if (ns < 4) return static_cast<std::size_t>(ns);
    const int msb = 63 - std::countl_zero(ns);
    const auto sub = static_cast<std::size_t>((ns >> (msb - 2)) & 3);
    return 4 * static_cast<std::size_t>(msb - 1) + sub;
  }
  static constexpr std::uint64_t upper_bound_of(std::size_t bucket) noexcept {
    if (bucket < 4) return bucket;
    const int msb = static_cast<int>(bucket / 4) + 1;
    const std::uint64_t sub = bucket % 4;
    const std::uint64_t lower = (4 + sub) << (msb - 2);
    return lower + (std::uint64_t{1} << (msb - 2)) - 1;
  }

 private:
  std::array<std::atomic<std::uint64_t>, bucket_count> buckets_{};
  std::atomic<std::uint64_t> max_{0};
};

/// The live counters of one operation. Addresses are stable for the registry's lifetime.
class operation_metrics {
 public:
  operation_metrics(std::string name, operation_kind kind, std::string description = {})
      : name_(std::move(name)), kind_(kind), description_(std::move(description)) {}

  /// One handler run that took `elapsed`.
  void record(std::chrono::steady_clock::duration elapsed, bool failed) noexcept {
    calls.fetch_add(1, std::memory_order_relaxed);
    if (failed) failures.fetch_add(1, std::memory_order_relaxed);
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
    durations.record(ns > 0 ? static_cast<std::uint64_t>(ns) : 0);
    total_ns.fetch_add(ns > 0 ? static_cast<std::uint64_t>(ns) : 0, std::memory_order_relaxed);
  }

  operation_stats snapshot() const {
    operation_stats s;
    s.name = name_;
    s.kind = kind_;
    s.calls = calls.load(std::memory_order_relaxed);
    s.failures = failures.load(std::memory_order_relaxed);
    s.timeouts = timeouts.load(std::memory_order_relaxed);
    s.bad_messages = bad_messages.load(std::memory_order_relaxed);
    s.dropped = dropped.load(std::memory_order_relaxed);
    s.reclaimed = reclaimed.load(std::memory_order_relaxed);
    s.dead_lettered = dead_lettered.load(std::memory_order_relaxed);
    s.p50 = std::chrono::nanoseconds(durations.quantile(0.50));
    s.p99 = std::chrono::nanoseconds(durations.quantile(0.99));
    s.max = std::chrono::nanoseconds(durations.max());
    s.p90 = std::chrono::nanoseconds(durations.quantile(0.90));
    s.total = std::chrono::nanoseconds(total_ns.load(std::memory_order_relaxed));
    s.in_flight = in_flight.load(std::memory_order_relaxed);
    return s;
  }

  const std::string& name() const noexcept { return name_; }
  operation_kind kind() const noexcept { return kind_; }
  /// The type description of what it handles (events; procedures: empty).
  const std::string& description() const noexcept { return description_; }

  std::atomic<std::uint64_t> calls{0}, failures{0}, timeouts{0}, bad_messages{0}, dropped{0},
      reclaimed{0}, dead_lettered{0}, in_flight{0}, total_ns{0};
  duration_histogram durations;

 private:
  std::string name_;
  operation_kind kind_;
  std::string description_;
};

/// The operations of one service. add() while configuring; record through the returned
/// reference from any thread; snapshot() from any thread.
class metrics_registry {
 public:
  /// The counters for (name, kind), made on first use.
  operation_metrics& add(std::string_view name, operation_kind kind,
                         std::string_view description = {}) {
    std::lock_guard lock(mutex_);
    for (auto& m : operations_)
      if (m.name() == name && m.kind() == kind) return m;
    return operations_.emplace_back(std::string(name), kind, std::string(description));
  }

  /// (name, kind, description) of every operation, in the order they were added.
  template <class F>
  void for_each(F&& visit) const {
    std::lock_guard lock(mutex_);
    for (auto& m : operations_) visit(m);
  }

  std::vector<operation_stats> snapshot() const {
    std::lock_guard lock(mutex_);
    std::vector<operation_stats> out;
    out.reserve(operations_.size());
    for (auto& m : operations_) out.push_back(m.snapshot());
    return out;
  }

  std::optional<operation_stats> snapshot(std::string_view name) const {
    std::lock_guard lock(mutex_);
    for (auto& m : operations_)
      if (m.name() == name) return m.snapshot();
    return std::nullopt;
  }

 private:
  mutable std::mutex mutex_;
  std::deque<operation_metrics> operations_;  // a deque never moves what it holds
};

}  // namespace detail
}  // namespace redwire
