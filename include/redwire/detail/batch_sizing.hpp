// redwire/detail/batch_sizing.hpp — how many requests a service instance takes per pop, and
// whether a batch is fast enough for one worker to keep or for its replies to wait for each
// other: decisions from moving averages of handler run time and request size (worker_pool.hpp).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace redwire::detail {

class batch_sizing {
 public:
  /// Replies of a batch wait for its others (corking) while handlers average under this.
  static constexpr std::int64_t hold_below_ns = 50'000;
  /// Fast handlers: a pop may take what the workers finish within this.
  static constexpr std::int64_t window_ns = 200'000;
  /// Large requests: a pop takes about this many bytes at most (at the average request size).
  static constexpr std::int64_t pop_bytes = 4 << 20;

  /// How many to take in one pop. Take no more than the idle workers can start: what this
  /// instance takes, replicas cannot, so an instance that over-takes leaves its replicas idle
  /// while requests wait. Except when handlers are fast: then a batch that the workers finish
  /// within window_ns waits less than a replica's pop round trip would, and one pop instead of
  /// one per request is what lets an instance serve 100k calls/s (docs/performance.md). Never
  /// more than `most` (the batch size; half of it unless the last pop got all it asked for: a
  /// backlog), nor than `room` (in flight), nor than pop_bytes holds. Taking all of a short
  /// queue at once leaves a replica nothing, and then the two take turns instead of overlapping.
  std::size_t limit(std::size_t ready, std::size_t idle, std::size_t workers, std::size_t most,
                    std::size_t room) const {
    std::size_t take = idle > ready ? idle - ready : 1;
    if (run_ns_ > 0) {
      const auto by_time =
          static_cast<std::size_t>(static_cast<std::int64_t>(workers) * window_ns / run_ns_);
      if (by_time > ready) take = std::max(take, by_time - ready);
    }
    if (bytes_ > 0)
      take =
          std::min(take, static_cast<std::size_t>(std::max<std::int64_t>(1, pop_bytes / bytes_)));
    if (!full_) most = std::max<std::size_t>(1, most / 2);  // no backlog seen: half
    return std::max<std::size_t>(1, std::min({most, take, room}));
  }

  /// Whether one worker runs `ready` requests within `window` at the average run time.
  bool keeps(std::size_t ready, std::chrono::microseconds window) const {
    return run_ns_ > 0 &&
           static_cast<std::int64_t>(ready) * run_ns_ <= std::chrono::nanoseconds(window).count();
  }

  /// Whether the replies of a batch wait for each other (see hold_below_ns).
  bool holds() const { return run_ns_ > 0 && run_ns_ < hold_below_ns; }

  /// A handler ran for `ran`.
  void ran(std::chrono::steady_clock::duration ran) {
    average(run_ns_, std::chrono::duration_cast<std::chrono::nanoseconds>(ran).count());
  }

  /// A pop asked for `asked` and got `got` requests of `bytes` in all (all it asked for: there
  /// may be more waiting).
  void popped(std::size_t asked, std::size_t got, std::size_t bytes) {
    full_ = got >= asked && asked > 1;
    if (got > 0) average(bytes_, static_cast<std::int64_t>(bytes / got));
  }

 private:
  // A moving average over about the last 8 (0 until the first).
  static void average(std::int64_t& avg, std::int64_t x) {
    x = std::max<std::int64_t>(1, x);
    avg = avg == 0 ? x : avg + (x - avg) / 8;
  }

  std::int64_t run_ns_ = 0;  // handler run time
  std::int64_t bytes_ = 0;   // request size
  bool full_ = false;        // the last pop got all it asked for
};

}  // namespace redwire::detail
