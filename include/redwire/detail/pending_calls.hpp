// redwire/detail/pending_calls.hpp — the calls a client has sent and not yet seen answered.
//
// One table per client, keyed by call id. Whoever removes an entry from the table (the reply
// reader, a timeout, a failure of the transport) is the only one to complete it: a reply can
// never complete the wrong call, nor the same call twice.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "../errors.hpp"
#include "ring.hpp"
#include "thread_name.hpp"

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ctime>
#endif

namespace redwire::detail {

/// What a sync call waits on: one thread waits (acquire, try_acquire_for), another releases.
/// Not std::binary_semaphore: libstdc++ 12 implements its timed wait by polling with sleeps of
/// half the time waited so far, adding up to 50% to a call's latency. Not a condition variable
/// either: notified under its mutex, the waiter wakes only to block on that mutex (one more
/// context switch per call, and context switches are most of a call's cost). On Linux a futex:
/// release() is one atomic store and one FUTEX_WAKE; waking an address the waiter has already
/// left is harmless (at worst a spurious wake-up, which waits re-check).
class completion_flag {
 public:
  void release() {
#ifdef __linux__
    state_.store(1, std::memory_order_release);
    ::syscall(SYS_futex, word(), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
#else
    std::lock_guard lock(mutex_);
    state_.store(1, std::memory_order_release);
    wake_.notify_one();  // under the lock: the waiter may destroy *this once it has it
#endif
  }

  void acquire() {
    try_acquire_until(std::chrono::steady_clock::time_point::max());
  }

  template <class Rep, class Period>
  bool try_acquire_for(std::chrono::duration<Rep, Period> timeout) {
    return try_acquire_until(std::chrono::steady_clock::now() + timeout);
  }

  bool try_acquire_until(std::chrono::steady_clock::time_point deadline) {
#ifdef __linux__
    for (;;) {
      if (state_.exchange(0, std::memory_order_acquire) == 1) return true;
      timespec relative{};
      timespec* wait_for = nullptr;
      if (deadline != std::chrono::steady_clock::time_point::max()) {
        const auto left = deadline - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero()) return false;
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
        relative.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
        relative.tv_nsec = static_cast<long>(ns % 1'000'000'000);
        wait_for = &relative;
      }
      ::syscall(SYS_futex, word(), FUTEX_WAIT_PRIVATE, 0, wait_for, nullptr, 0);
    }
#else
    std::unique_lock lock(mutex_);
    if (!wake_.wait_until(lock, deadline, [this] { return state_.load() == 1; })) return false;
    state_.store(0);
    return true;
#endif
  }

 private:
#ifdef __linux__
  std::uint32_t* word() {
    return reinterpret_cast<std::uint32_t*>(&state_);
  }
#else
  std::mutex mutex_;
  std::condition_variable wake_;
#endif
  std::atomic<std::uint32_t> state_{0};  // 1: released and not yet acquired
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
};

/// The outcome of a call as it arrived: a payload, or an error code with its message.
struct pending_call {
  errc error{};          ///< errc{} when the call succeeded
  std::string payload;   ///< encoded result, or the error message
  std::string instance;  ///< who answered
  /// The procedure called (a procedure<>'s constant, which outlives the call): the secret that
  /// a reply must be MACed with is its service's, whatever the reply says (reply_gate.hpp).
  std::string_view procedure;
  bool never_ran = false;  ///< failed because its request could not be sent (detail/retry.hpp)
  /// A future's: completed with the others of its read, newest first (completion_batch.hpp).
  bool wakes_a_waiter = false;
  /// Async calls complete through this hook (on the thread that completes them); sync calls
  /// leave it null and wait on `done`.
  void (*on_complete)(pending_call*) = nullptr;
  completion_flag done;

  void complete() {
    if (on_complete)
      on_complete(this);
    else
      done.release();
  }
};

/// Call id -> pending call, as an open-addressing table (linear probing, deletion by backward
/// shift): no allocation per call once it has grown to the calls in flight, where a node-based
/// map allocates a node for every call. Ids are never 0 (0 marks a free slot).
class call_table {
 public:
  call_table() : slots_(16) {}

  void insert(std::uint64_t id, pending_call* call) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    place(id, call);
    ++size_;
  }

  pending_call* find(std::uint64_t id) const {
    for (std::size_t i = home(id);; i = next(i)) {
      if (slots_[i].id == id) return slots_[i].call;
      if (slots_[i].id == 0) return nullptr;
    }
  }

  /// Removes and returns the call, or nullptr.
  pending_call* erase(std::uint64_t id) {
    std::size_t i = home(id);
    for (;; i = next(i)) {
      if (slots_[i].id == 0) return nullptr;
      if (slots_[i].id == id) break;
    }
    pending_call* call = slots_[i].call;
    // Backward shift: pull later entries of the probe run into the hole, so finds never stop
    // early at it.
    for (std::size_t j = next(i);; j = next(j)) {
      if (slots_[j].id == 0) break;
      const std::size_t h = home(slots_[j].id);
      // Move j into i if its home is not in the cyclic range (i, j].
      if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = {};
    --size_;
    return call;
  }

  template <class F>
  void for_each(F&& f) const {
    for (const auto& s : slots_)
      if (s.id != 0) f(s.call);
  }

  void clear() {
    for (auto& s : slots_) s = {};
    size_ = 0;
  }

  std::size_t size() const noexcept { return size_; }

 private:
  struct slot {
    std::uint64_t id = 0;
    pending_call* call = nullptr;
  };

  std::size_t home(std::uint64_t id) const noexcept {
    return static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ull) >> 16) & (slots_.size() - 1);
  }
  std::size_t next(std::size_t i) const noexcept { return (i + 1) & (slots_.size() - 1); }

  void place(std::uint64_t id, pending_call* call) {
    std::size_t i = home(id);
    while (slots_[i].id != 0) i = next(i);
    slots_[i] = {id, call};
  }

  void grow() {
    std::vector<slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const auto& s : old)
      if (s.id != 0) place(s.id, s.call);
  }

  std::vector<slot> slots_;
  std::size_t size_ = 0;
};

class pending_calls {
 public:
  using clock = std::chrono::steady_clock;

  pending_calls() = default;
  pending_calls(const pending_calls&) = delete;
  pending_calls& operator=(const pending_calls&) = delete;
  ~pending_calls() { stop_timer(); }

  void add(std::uint64_t id, pending_call* call) {
    std::lock_guard lock(mutex_);
    calls_.insert(id, call);
  }

  /// Adds a call that the timer thread fails with errc::timeout at `timeout` from now; returns
  /// the number of calls pending, this one included.
  std::size_t add_with_timeout(std::uint64_t id, pending_call* call,
                               std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    calls_.insert(id, call);
    auto& line = deadlines_[timeout];
    // Calls answered already leave their deadline behind; drop those at the front, so that a
    // line holds about the calls in flight rather than every call of the last `timeout`.
    while (!line.empty() && calls_.find(line.front().id) == nullptr) line.pop_front();
    const auto at = clock::now() + timeout;
    line.push_back({at, id});
    if (!timer_.joinable()) timer_ = std::thread([this] { timer_loop(); });
    if (at < timer_wakes_at_) {  // the timer would sleep past this deadline
      timer_wakes_at_ = at;
      timer_wake_.notify_one();
    }
    return calls_.size();
  }

  /// Runs task(true) on the timer thread `delay` from now, or task(false) when the timer stops
  /// first (the client is going): a retry's backoff (detail/retry.hpp).
  void after(std::chrono::milliseconds delay, std::function<void(bool)> task) {
    std::lock_guard lock(mutex_);
    const auto at = clock::now() + delay;
    if (stopping_) {
      leftover_.push_back(std::move(task));
      return;
    }
    tasks_.emplace(at, std::move(task));
    if (!timer_.joinable()) timer_ = std::thread([this] { timer_loop(); });
    if (at < timer_wakes_at_) {
      timer_wakes_at_ = at;
      timer_wake_.notify_one();
    }
  }

  /// The procedure that call `id` called, or nothing if the call is no longer pending.
  std::optional<std::string_view> procedure_of(std::uint64_t id) const {
    std::lock_guard lock(mutex_);
    const pending_call* call = calls_.find(id);
    if (!call) return std::nullopt;
    return call->procedure;
  }

  /// Removes and returns the call, or nullptr if someone else already took it.
  pending_call* take(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    return calls_.erase(id);
  }

  /// Completes every pending call with `error` (the transport lost replies, or shutdown).
  void fail_all(errc error, const std::string& message) {
    std::vector<pending_call*> taken;
    {
      std::lock_guard lock(mutex_);
      taken.reserve(calls_.size());
      calls_.for_each([&](pending_call* call) { taken.push_back(call); });
      calls_.clear();
    }
    for (pending_call* call : taken) {
      call->error = error;
      call->payload = message;
      call->complete();
    }
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return calls_.size();
  }

  /// How the timer words the message of a call it fails: "no reply within <timeout> ms" unless
  /// set (the client adds what the registry knows). Runs on the timer thread; set it before
  /// the first call.
  using timeout_wording =
      std::function<std::string(pending_call&, std::chrono::milliseconds timeout)>;
  void word_timeouts(timeout_wording wording) { wording_ = std::move(wording); }

  /// Stops the timer thread; tasks that have not run are told so (task(false)), here.
  void stop_timer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    timer_wake_.notify_all();
    if (timer_.joinable() && timer_.get_id() != std::this_thread::get_id()) timer_.join();
    std::vector<std::function<void(bool)>> unrun;
    {
      std::lock_guard lock(mutex_);
      for (auto& [at, task] : tasks_) unrun.push_back(std::move(task));
      tasks_.clear();
      for (auto& task : leftover_) unrun.push_back(std::move(task));
      leftover_.clear();
    }
    for (auto& task : unrun) task(false);
  }

 private:
  struct deadline {
    clock::time_point at;
    std::uint64_t id;
  };

  // Deadlines of calls with the same timeout are made in time order, so one FIFO per distinct
  // timeout keeps them sorted for free: the timer looks only at the front of each.
  void timer_loop() {
    name_this_thread("rw-timer");
    std::unique_lock lock(mutex_);
    std::vector<std::pair<pending_call*, std::chrono::milliseconds>> expired;
    std::vector<std::function<void(bool)>> due;  // tasks of after()
    while (!stopping_) {
      auto now = clock::now();
      auto next = clock::time_point::max();
      for (auto it = deadlines_.begin(); it != deadlines_.end();) {
        auto& line = it->second;
        while (!line.empty() &&
               (line.front().at <= now || calls_.find(line.front().id) == nullptr)) {
          if (pending_call* found = calls_.erase(line.front().id))
            expired.emplace_back(found, it->first);
          line.pop_front();
        }
        if (line.empty()) {
          // Kept for reuse (no allocation per call), unless timeouts vary a lot.
          it = deadlines_.size() > kept_lines ? deadlines_.erase(it) : std::next(it);
        } else {
          next = std::min(next, line.front().at);
          ++it;
        }
      }
      while (!tasks_.empty() && tasks_.begin()->first <= now) {
        due.push_back(std::move(tasks_.begin()->second));
        tasks_.erase(tasks_.begin());
      }
      if (!tasks_.empty()) next = std::min(next, tasks_.begin()->first);
      if (!expired.empty() || !due.empty()) {
        lock.unlock();
        for (auto& task : due) task(true);
        due.clear();
        for (auto [call, timeout] : expired) {
          call->error = errc::timeout;
          call->payload = wording_ ? wording_(*call, timeout)
                                   : "no reply within " + std::to_string(timeout.count()) + " ms";
          call->complete();
        }
        expired.clear();
        lock.lock();
        continue;
      }
      timer_wakes_at_ = next;
      if (next == clock::time_point::max())
        timer_wake_.wait(lock);
      else
        timer_wake_.wait_until(lock, next);
    }
  }

  static constexpr std::size_t kept_lines = 8;

  mutable std::mutex mutex_;
  call_table calls_;
  std::map<std::chrono::milliseconds, ring<deadline>> deadlines_;
  std::multimap<clock::time_point, std::function<void(bool)>> tasks_;  // after()
  std::vector<std::function<void(bool)>> leftover_;                    // after() once stopping
  std::condition_variable timer_wake_;
  clock::time_point timer_wakes_at_ = clock::time_point::min();  // set by the timer (under mutex_)
  std::thread timer_;
  bool stopping_ = false;
  timeout_wording wording_;
};

}  // namespace redwire::detail
