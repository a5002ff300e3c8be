// redwire/detail/async_calls.hpp — async calls in flight, recycled by the client that made them.
//
// An async call needs a pending_call (filled in by the reply), a promise for its future, and
// the promise's shared state. The first two are one async_call, which its client takes from a
// free list and gives back once the promise is set; the shared state comes from
// block_recycler. Nothing is allocated per call once a client has warmed up (docs/performance.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../trace.hpp"
#include "pending_calls.hpp"
#include "recycler.hpp"

namespace redwire::detail {

class async_call_pool;

/// What a stop request on a call runs: owner->cancel(id), through a plain function pointer (the
/// owner being a client, which this file does not know).
struct call_canceller {
  void (*cancel)(const void* owner, std::uint64_t id) noexcept;
  const void* owner;
  std::uint64_t id;
  void operator()() const noexcept { cancel(owner, id); }
};

/// An async call in flight: the pending_call (with the procedure's name), its signature, and what
/// completes it: the promise of the caller's future (a std::promise<R>, whose size does not
/// depend on R) or the caller's callback (in place when small enough, else on the heap), built
/// in `storage`.
struct async_call : pending_call {
  static constexpr std::size_t storage_size = 128;

  std::string_view signature;  ///< the caller's, for a signature_mismatch message
  async_call_pool* pool = nullptr;
  // A cancellable call (call_options::stop): its stop callback, and where its request waits,
  // to take it back out (capabilities/withdrawal.hpp).
  std::optional<std::stop_callback<call_canceller>> stop;
  std::string queue, frame;
  /// The client's hooks, when it has any: on_call_end runs as the call completes, with the
  /// trace the call carried and the time since it started (detail/hooked_calls.hpp).
  const call_hooks* hooks = nullptr;
  char traceparent[55];
  std::size_t traceparent_size = 0;
  std::chrono::steady_clock::time_point started{};

  template <class R>
  std::promise<R>& promise() noexcept {
    return object<std::promise<R>>();
  }

  /// Whether an F is kept in `storage` itself (else `storage` holds an F*).
  template <class F>
  static constexpr bool in_place = sizeof(F) <= storage_size &&
                                   alignof(F) <= alignof(std::max_align_t);

  /// The object the call completes: a promise or a callback, built by async_call_pool::start.
  template <class F>
  F& object() noexcept {
    if constexpr (in_place<F>)
      return *std::launder(reinterpret_cast<F*>(storage));
    else
      return **std::launder(reinterpret_cast<F**>(storage));
  }

  template <class F>
  void destroy_object() noexcept {
    if constexpr (in_place<F>)
      object<F>().~F();
    else
      delete &object<F>();
  }

  alignas(std::max_align_t) unsigned char storage[storage_size];
};

class async_call_pool {
 public:
  static constexpr std::size_t kept_calls = 1024;   ///< free calls kept for reuse
  static constexpr std::size_t kept_buffer = 1024;  ///< payload bytes a kept call may hold on to

  async_call_pool() = default;
  async_call_pool(const async_call_pool&) = delete;
  async_call_pool& operator=(const async_call_pool&) = delete;
  /// Every call must have been finished (the client fails its calls in flight first).
  ~async_call_pool() {
    for (async_call* c : free_) delete c;
  }

  /// A call with a fresh promise<R>, completed through `on_complete`. The procedure's name and
  /// signature must outlive the call (they are a procedure<>'s constants).
  template <class R>
  async_call* start(std::string_view procedure, void (*on_complete)(pending_call*),
                    std::string_view signature = {}) {
    async_call* c = start_with<std::promise<R>>(procedure, on_complete, signature,
                                                std::allocator_arg, recycling_allocator<char>{});
    c->wakes_a_waiter = true;
    return c;
  }

  /// A call that holds an F made of `args` (a callback, say), completed through `on_complete`.
  template <class F, class... Args>
  async_call* start_with(std::string_view procedure, void (*on_complete)(pending_call*),
                         std::string_view signature, Args&&... args) {
    async_call* c = take();
    c->procedure = procedure;
    c->signature = signature;
    c->on_complete = on_complete;
    c->wakes_a_waiter = false;
    try {
      if constexpr (async_call::in_place<F>)
        new (c->storage) F(std::forward<Args>(args)...);
      else
        new (c->storage) F*(new F(std::forward<Args>(args)...));
    } catch (...) {
      recycle(c);
      throw;
    }
    return c;
  }

  /// Ends the call's promise (set by now: its future holds the outcome) and keeps the call
  /// for a next one.
  template <class R>
  void finish(async_call* c) noexcept {
    c->destroy_object<std::promise<R>>();
    recycle(c);
  }

  /// Keeps a call whose object is destroyed already for a next one.
  void recycle(async_call* c) noexcept {
    c->stop.reset();  // waits for a stop callback that runs on another thread right now
    c->hooks = nullptr;
    c->error = {};
    c->never_ran = false;
    reset(c->queue);
    reset(c->frame);
    reset(c->payload);
    reset(c->instance);
    {
      std::lock_guard lock(mutex_);
      if (free_.size() < kept_calls) {
        free_.push_back(c);
        return;
      }
    }
    delete c;
  }

  /// Free calls kept (for tests).
  std::size_t kept() const {
    std::lock_guard lock(mutex_);
    return free_.size();
  }

 private:
  async_call* take() {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        async_call* c = free_.back();
        free_.pop_back();
        return c;
      }
      free_.reserve(kept_calls);  // once: giving calls back never allocates
    }
    auto* c = new async_call;
    c->pool = this;
    return c;
  }

  static void reset(std::string& s) noexcept {
    if (s.capacity() > kept_buffer)
      std::string().swap(s);
    else
      s.clear();
  }

  mutable std::mutex mutex_;
  std::vector<async_call*> free_;
};

}  // namespace redwire::detail
