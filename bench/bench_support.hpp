// bench/bench_support.hpp — what the benchmarks and the latency tool share: latency samples
// and their percentiles, a bare hiredis connection for the PING baseline, the bench procedures.
#pragma once

#include <hiredis/hiredis.h>

#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bench {

using clock = std::chrono::steady_clock;

/// The procedures under test: an echo of a byte string (payload sizes) and a small add.
inline constexpr redwire::procedure<"bench.echo", std::string(std::string)> echo{};
inline constexpr redwire::procedure<"bench.add", int(int, int)> add{};

/// Binds the bench procedures on `svc`.
inline void bind_all(redwire::service& svc) {
  svc.bind(echo, [](std::string s) { return s; });
  svc.bind(add, [](int a, int b) { return a + b; });
}

/// Latency samples in nanoseconds, kept as a log-linear histogram in fixed memory (20 KiB,
/// whatever the run length: a 10-minute soak at 100k calls/s must not grow the tool itself):
/// 64 buckets per power of two, so a quantile is exact to within 1.1 %; below 64 ns, exact.
/// Quantiles are reported as the middle of their bucket, clamped to the exact min and max.
class samples {
 public:
  void reserve(std::size_t) {}
  void add(clock::duration d) { add_ns(std::chrono::duration<double, std::nano>(d).count()); }
  void add_ns(double ns) {
    const auto v = ns <= 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(ns);
    ++counts_[bucket_of(v)];
    if (count_ == 0 || ns < min_) min_ = ns;
    if (count_ == 0 || ns > max_) max_ = ns;
    ++count_;
  }
  std::size_t size() const { return count_; }
  void clear() { *this = samples(); }

  /// The q-quantile (0 <= q <= 1), nearest rank, in nanoseconds; 0 without samples.
  double quantile(double q) const {
    if (count_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1) + 0.5);
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < bucket_count; ++b) {
      seen += counts_[b];
      if (seen > rank) return std::clamp(middle_of(b), min_, max_);
    }
    return max_;
  }

  void merge(const samples& other) {
    if (other.count_ == 0) return;
    for (std::size_t b = 0; b < bucket_count; ++b) counts_[b] += other.counts_[b];
    min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
    max_ = count_ == 0 ? other.max_ : std::max(max_, other.max_);
    count_ += other.count_;
  }

 private:
  static constexpr int sub_bits = 6;  // 64 buckets per power of two
  static constexpr std::uint64_t sub = std::uint64_t{1} << sub_bits;
  static constexpr std::size_t bucket_count = (64 - sub_bits + 1) * sub;

  static std::size_t bucket_of(std::uint64_t v) {
    if (v < sub) return static_cast<std::size_t>(v);
    const int msb = 63 - __builtin_clzll(v);  // >= sub_bits
    const int shift = msb - sub_bits;
    return static_cast<std::size_t>((shift + 1) * sub + ((v >> shift) - sub));
  }
  static double middle_of(std::size_t b) {
    if (b < sub) return static_cast<double>(b);
    const int shift = static_cast<int>(b / sub) - 1;
    const double low = static_cast<double>((sub + b % sub) << shift);
    return low + static_cast<double>(std::uint64_t{1} << shift) / 2;
  }

  std::vector<std::uint64_t> counts_ = std::vector<std::uint64_t>(bucket_count);
  std::uint64_t count_ = 0;
  double min_ = 0, max_ = 0;
};

/// A bare hiredis connection to the same server redwire uses: the baseline a call is held to.
/// hiredis here speaks neither TLS nor Sentinel: for rediss:// and redis-sentinel:// URLs the
/// baseline is a PING on one connection of redwire's own (detail::connection), TLS included.
class bare_redis {
 public:
  explicit bare_redis(const redwire::redis::settings& st) {
    if (st.tls.enabled || !st.sentinel.hosts.empty()) {
      redwire::redis::settings own = st;
      own.topology = redwire::redis::detail::make_topology(st);
      own_ = std::make_unique<redwire::redis::detail::connection>(own, "redwire:ping");
      return;
    }
    timeval tv{static_cast<time_t>(st.connect_timeout.count() / 1000),
               static_cast<suseconds_t>(st.connect_timeout.count() % 1000 * 1000)};
    ctx_ = st.unix_path.empty() ? redisConnectWithTimeout(st.host.c_str(), st.port, tv)
                                : redisConnectUnixWithTimeout(st.unix_path.c_str(), tv);
    if (!ctx_ || ctx_->err)
      throw std::runtime_error("cannot connect to " + st.describe() + ": " +
                               (ctx_ ? ctx_->errstr : "out of memory"));
    if (!st.password.empty()) {
      auto* r = static_cast<redisReply*>(
          st.user.empty() ? redisCommand(ctx_, "AUTH %s", st.password.c_str())
                          : redisCommand(ctx_, "AUTH %s %s", st.user.c_str(), st.password.c_str()));
      bool ok = r && r->type != REDIS_REPLY_ERROR;
      if (r) freeReplyObject(r);
      if (!ok) throw std::runtime_error("AUTH failed at " + st.describe());
    }
  }
  bare_redis(const bare_redis&) = delete;
  bare_redis& operator=(const bare_redis&) = delete;
  ~bare_redis() {
    if (ctx_) redisFree(ctx_);
  }
  /// What the baseline is, for the reports.
  const char* kind() const { return own_ ? "one redwire connection" : "bare hiredis"; }

  /// One PING round trip.
  void ping() {
    if (own_) {
      static constexpr std::string_view args[] = {"PING"};
      own_->execute(args, std::chrono::seconds(5));
      return;
    }
    auto* r = static_cast<redisReply*>(redisCommand(ctx_, "PING"));
    if (!r) throw std::runtime_error("PING failed");
    freeReplyObject(r);
  }

 private:
  redisContext* ctx_ = nullptr;
  std::unique_ptr<redwire::redis::detail::connection> own_;
};

/// Two threads handing a value over and the answer back, a mutex and a condition variable each
/// way, notified after unlocking: the hand-off a call through the in-memory transport needs
/// (to a worker and back), done bare. A memory-transport call is held to its cost.
class handoff {
 public:
  handoff() : thread_([this] { serve(); }) {}
  handoff(const handoff&) = delete;
  handoff& operator=(const handoff&) = delete;
  ~handoff() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    asked_cv_.notify_one();
    thread_.join();
  }

  /// Hands x to the other thread and returns its answer (x + 1).
  int round_trip(int x) {
    std::unique_lock lock(mutex_);
    value_ = x;
    asked_ = true;
    lock.unlock();
    asked_cv_.notify_one();
    lock.lock();
    answered_cv_.wait(lock, [this] { return !asked_; });
    return value_;
  }

 private:
  void serve() {
    std::unique_lock lock(mutex_);
    for (;;) {
      asked_cv_.wait(lock, [this] { return asked_ || stop_; });
      if (stop_) return;
      value_ += 1;
      asked_ = false;
      lock.unlock();
      answered_cv_.notify_one();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable asked_cv_, answered_cv_;
  bool asked_ = false, stop_ = false;
  int value_ = 0;
  std::thread thread_;
};

}  // namespace bench
