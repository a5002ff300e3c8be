// bench/bench_support.hpp — what the benchmarks and the latency tool share: latency samples
// and their percentiles, a bare hiredis connection for the PING baseline, the bench procedures.
#pragma once

#include <hiredis/hiredis.h>

#include <redwire/redwire.hpp>
#include <redwire/redis.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
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

/// Latency samples in nanoseconds; percentiles by sorting (fine for the sample counts here).
class samples {
 public:
  void reserve(std::size_t n) { ns_.reserve(n); }
  void add(clock::duration d) { ns_.push_back(std::chrono::duration<double, std::nano>(d).count()); }
  void add_ns(double ns) { ns_.push_back(ns); }
  std::size_t size() const { return ns_.size(); }
  void clear() { ns_.clear(); sorted_ = false; }

  /// The q-quantile (0 <= q <= 1), nearest rank, in nanoseconds; 0 without samples.
  double quantile(double q) {
    if (ns_.empty()) return 0;
    if (!sorted_) {
      std::sort(ns_.begin(), ns_.end());
      sorted_ = true;
    }
    auto rank = static_cast<std::size_t>(q * static_cast<double>(ns_.size() - 1) + 0.5);
    return ns_[std::min(rank, ns_.size() - 1)];
  }

  void merge(const samples& other) {
    ns_.insert(ns_.end(), other.ns_.begin(), other.ns_.end());
    sorted_ = false;
  }

 private:
  std::vector<double> ns_;
  bool sorted_ = false;
};

/// A bare hiredis connection to the same server redwire uses: the baseline a call is held to.
class bare_redis {
 public:
  explicit bare_redis(const redwire::redis::settings& st) {
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

  /// One PING round trip.
  void ping() {
    auto* r = static_cast<redisReply*>(redisCommand(ctx_, "PING"));
    if (!r) throw std::runtime_error("PING failed");
    freeReplyObject(r);
  }

 private:
  redisContext* ctx_ = nullptr;
};

}  // namespace bench
