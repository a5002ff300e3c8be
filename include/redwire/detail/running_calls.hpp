// redwire/detail/running_calls.hpp — the calls an instance is running, so that a caller who
// gives up can stop the handler (call_context::stop).
//
// A caller that cancels a call first takes its request back out of the queue
// (capabilities/withdrawal.hpp). When that finds nothing, an instance has taken the request:
// the caller publishes a cancel frame (envelope.hpp, message_kind::cancel: its call id and its
// own name; MACed where there is a secret) on the service's cancel channel (names.hpp), to which
// every instance of the service listens. The instance running that call requests the stop of
// the handler's std::stop_token. A cancel can overtake its request (popped in a batch, not yet
// started): it is then remembered until its deadline and the call starts stopped. Pub/sub is
// at most once: a cancel lost on the way (the instance reconnecting) stops nothing, and the
// handler runs to its end as it would without it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace redwire::detail {

class running_calls {
 public:
  /// One call in progress, entered for as long as its handler runs (it lives on the worker's
  /// stack, or with a coroutine handler's state). Only a call that its caller can cancel (the
  /// request says so: envelope::cancellable) has a stop state; the others allocate none.
  class entry {
   public:
    entry(running_calls& table, std::string_view caller, std::uint64_t call_id, bool cancellable)
        : table_(table),
          caller_(caller),
          call_id_(call_id),
          stop_(cancellable ? std::stop_source() : std::stop_source(std::nostopstate)) {
      table_.enter(*this);
    }
    ~entry() { table_.leave(*this); }
    entry(const entry&) = delete;
    entry& operator=(const entry&) = delete;

    std::stop_token token() const noexcept { return stop_.get_token(); }

   private:
    friend class running_calls;
    running_calls& table_;
    std::string_view caller_;  // into the request's bytes, which outlive the entry
    std::uint64_t call_id_;
    std::stop_source stop_;
    entry* next_ = nullptr;
    entry* previous_ = nullptr;
  };

  /// The caller `caller` gave up on its call `call_id`: stops it if it runs, else remembers
  /// it until `deadline_ms` (on the deadline clock, read as `now_ms`) in case it starts later.
  void cancel(std::string_view caller, std::uint64_t call_id, std::int64_t deadline_ms,
              std::int64_t now_ms) {
    std::stop_source found;
    {
      std::lock_guard lock(mutex_);
      for (entry* e = head_; e; e = e->next_)
        if (e->call_id_ == call_id && e->caller_ == caller) found = e->stop_;
      if (!found.stop_possible()) {
        remember(caller, call_id, deadline_ms, now_ms);
        return;
      }
    }
    found.request_stop();  // outside the lock: it runs the handler's stop callbacks
  }

  /// Cancels remembered, of calls not seen running (for tests).
  std::size_t remembered() const {
    std::lock_guard lock(mutex_);
    return early_.size();
  }

 private:
  /// Most cancels remembered before their call started; the oldest go first.
  static constexpr std::size_t kept_early = 256;

  struct early_cancel {
    std::string caller;
    std::uint64_t call_id;
    std::int64_t deadline_ms;
  };

  void enter(entry& e) {
    bool stopped = false;
    {
      std::lock_guard lock(mutex_);
      e.next_ = head_;
      if (head_) head_->previous_ = &e;
      head_ = &e;
      stopped = !early_.empty() && forget(e.caller_, e.call_id_);
    }
    if (stopped) e.stop_.request_stop();
  }

  void leave(entry& e) noexcept {
    std::lock_guard lock(mutex_);
    if (e.previous_)
      e.previous_->next_ = e.next_;
    else
      head_ = e.next_;
    if (e.next_) e.next_->previous_ = e.previous_;
  }

  // Called with the lock held.
  void remember(std::string_view caller, std::uint64_t call_id, std::int64_t deadline_ms,
                std::int64_t now_ms) {
    std::erase_if(early_, [&](const early_cancel& c) { return c.deadline_ms < now_ms; });
    if (deadline_ms != 0 && deadline_ms < now_ms) return;  // its request will be dropped
    if (early_.size() >= kept_early) early_.erase(early_.begin());
    early_.push_back({std::string(caller), call_id, deadline_ms});
  }

  // Called with the lock held: true if a cancel of that call came before it started.
  bool forget(std::string_view caller, std::uint64_t call_id) {
    auto it = std::find_if(early_.begin(), early_.end(), [&](const early_cancel& c) {
      return c.call_id == call_id && c.caller == caller;
    });
    if (it == early_.end()) return false;
    early_.erase(it);
    return true;
  }

  mutable std::mutex mutex_;
  entry* head_ = nullptr;
  std::vector<early_cancel> early_;
};

}  // namespace redwire::detail
