// redwire/redis/broker_clock.hpp — the time as Redis sees it (redwire::broker_clock_transport).
//
// The offset between this host's clock and Redis's comes from TIME: asked once, on the first
// reading, with a round trip that the reading waits for; then every `refresh` in the
// background, on the shared command connection (a reading never waits for it). The offset is
// Redis's time minus the local time at the middle of the round trip. When Redis cannot be asked,
// the last offset stays (the local clock, 0, until one is known).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "command_connection.hpp"
#include "command_router.hpp"
#include "resp.hpp"
#include "streams.hpp"

namespace redwire::redis::detail {

class broker_clock {
 public:
  using clock = std::chrono::system_clock;
  static constexpr std::chrono::seconds refresh{5};

  explicit broker_clock(std::shared_ptr<command_connection> commands)
      : commands_(std::move(commands)) {}

  // One reading of the local clock (every request reads this clock once: docs/performance.md).
  // A local clock that steps, either way, by more than `refresh` asks again at once.
  clock::time_point now() {
    if (!known_.load(std::memory_order_acquire)) learn_now();
    const auto local = clock::now();
    const std::int64_t at = nanoseconds_of(local);
    const std::int64_t since = at - asked_at_.load(std::memory_order_relaxed);
    if ((since > refresh_ns || since < -refresh_ns) && !asking_.exchange(true)) {
      asked_at_.store(at, std::memory_order_relaxed);
      ask_behind();
    }
    return local + std::chrono::microseconds(offset_us_.load(std::memory_order_relaxed));
  }

  /// The offset learnt (Redis's time minus this host's), for tests and diagnostics.
  std::chrono::microseconds offset() const {
    return std::chrono::microseconds(offset_us_.load(std::memory_order_relaxed));
  }

 private:
  static std::int64_t nanoseconds_of(clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  }
  static constexpr std::int64_t refresh_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(refresh).count();

  // The first reading waits for TIME (once: others wait for the one asking).
  void learn_now() {
    std::lock_guard lock(first_);
    if (known_.load(std::memory_order_acquire)) return;
    const auto sent = clock::now();
    asked_at_.store(nanoseconds_of(sent));
    try {
      std::string_view args[] = {"TIME"};
      note(round_trip(*commands_, args, "TIME"), sent, clock::now());
    } catch (const std::exception&) {
      // Redis cannot be asked now: the local clock until a later reading learns better.
    }
    known_.store(true, std::memory_order_release);
  }

  void ask_behind() {
    const auto sent = clock::now();
    try {
      std::string_view args[] = {"TIME"};
      // The transport stops its command connection (which ends this callback) before the
      // clock goes.
      commands_->send(args, "TIME", [this, sent](reply&& r) {
        if (!r.is_error()) note(r, sent, clock::now());
        asking_.store(false);
      });
    } catch (const std::exception&) {
      asking_.store(false);
    }
  }

  // TIME answers [seconds, microseconds], as strings.
  void note(const reply& r, clock::time_point sent, clock::time_point received) {
    if (r.elements.size() != 2) return;
    const std::int64_t redis_us =
        std::stoll(r.elements[0].str) * 1'000'000 + std::stoll(r.elements[1].str);
    const auto middle = sent + (received - sent) / 2;
    const std::int64_t local_us =
        std::chrono::duration_cast<std::chrono::microseconds>(middle.time_since_epoch()).count();
    offset_us_.store(redis_us - local_us, std::memory_order_relaxed);
  }

  std::shared_ptr<command_connection> commands_;
  std::mutex first_;
  std::atomic<bool> known_{false}, asking_{false};
  std::atomic<std::int64_t> asked_at_{0};  // this host's clock, ns
  std::atomic<std::int64_t> offset_us_{0};
};

}  // namespace redwire::redis::detail
