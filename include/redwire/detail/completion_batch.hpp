// redwire/detail/completion_batch.hpp — the futures that one read of replies makes ready, made
// ready together, newest first.
//
// A caller that keeps many calls in flight waits on the oldest. Made ready one by one, each
// future wakes its waiter, which runs (on two cores, often in place of the reader), takes that
// one value, and blocks again on the next, not ready yet: a context switch per call. Made
// ready newest first at the end of the read, only the last one set (each caller's oldest)
// wakes its waiter, and the waiter then finds all the others ready.
//
// A reader opens a batch around what it delivers from one read (completion_batch::scope); a
// client's reply handler defers a future's completion to it (complete). Only futures are deferred:
// a callback wakes nobody, and runs at once, in the order the replies came. Without a batch
// open on the thread (other transports, tests), complete() completes at once.
//
// A deferred call was taken out of its client's table already (no timeout nor cancel can reach
// it), so the client must not go before it is completed: each deferral counts in the client's
// `holds`, which its destructor waits to see at zero (wait_for_release). That wait is at most
// the rest of one read's delivery, and happens only to a client going while its replies are
// being delivered.
#pragma once

#include <atomic>
#include <cstddef>
#include <thread>
#include <utility>
#include <vector>

#include "../log.hpp"
#include "pending_calls.hpp"

namespace redwire::detail {

class completion_batch {
 public:
  /// Makes `batch` the open one of this thread while it lives; completes what was deferred to it
  /// when it ends.
  class scope {
   public:
    explicit scope(completion_batch& batch) noexcept : batch_(batch), outer_(current()) {
      current() = &batch_;
    }
    ~scope() {
      current() = outer_;
      batch_.complete_all();
    }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

   private:
    completion_batch& batch_;
    completion_batch* outer_;
  };

  /// Completes `call` now, or, if it is a future's and a batch is open on this thread, when the
  /// batch ends. `holds` counts the client's deferred calls until they are complete.
  static void complete(pending_call& call, std::atomic<std::size_t>& holds) {
    completion_batch* b = call.wakes_a_waiter ? current() : nullptr;
    if (b) {
      try {
        b->calls_.emplace_back(&call, &holds);
        holds.fetch_add(1, std::memory_order_relaxed);
        return;
      } catch (...) {  // no room: complete it now, as without a batch
      }
    }
    call.complete();
  }

  /// Waits until no call counted in `holds` awaits completion in a batch. On the thread whose
  /// batch holds them (a client going inside a handler), completes them now instead.
  static void wait_for_release(std::atomic<std::size_t>& holds) noexcept {
    if (completion_batch* b = current()) b->complete_held_by(holds);
    while (holds.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  }

 private:
  static completion_batch*& current() noexcept {
    thread_local completion_batch* open = nullptr;
    return open;
  }

  // Newest first: each waiter's oldest call, the one it waits on, is set last.
  void complete_all() noexcept {
    while (!calls_.empty()) {
      auto [call, holds] = calls_.back();
      calls_.pop_back();
      release(*call, *holds);
    }
  }

  void complete_held_by(std::atomic<std::size_t>& holds) noexcept {
    for (std::size_t i = calls_.size(); i-- > 0;) {
      if (calls_[i].second != &holds) continue;
      pending_call* call = calls_[i].first;
      calls_.erase(calls_.begin() + static_cast<std::ptrdiff_t>(i));
      release(*call, holds);
    }
  }

  static void release(pending_call& call, std::atomic<std::size_t>& holds) noexcept {
    try {
      call.complete();  // a future's completion catches what it can throw (call_outcome.hpp)
    } catch (...) {
      log(log_level::warning, "redwire: completing an async call threw");
    }
    holds.fetch_sub(1, std::memory_order_release);  // the last touch: its client may go now
  }

  std::vector<std::pair<pending_call*, std::atomic<std::size_t>*>> calls_;
};

}  // namespace redwire::detail
