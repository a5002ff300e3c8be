// redwire/detail/async_calls.hpp — async calls in flight, recycled by the client that made them.
//
// An async call needs a pending_call (filled in by the reply), a promise for its future, and
// the promise's shared state. The first two are one async_call, which its client takes from a
// free list and gives back once the promise is set; the shared state comes from
// block_recycler. Nothing is allocated per call once a client has warmed up (docs/performance.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <future>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "../trace.hpp"
#include "pending_calls.hpp"
#include "recycler.hpp"

namespace redwire::detail {

class async_call_pool;

/// An async call in flight: the pending_call, the procedure's name and signature, and the
/// promise of the caller's future, a std::promise<R> constructed in place (its size does not
/// depend on R).
struct async_call : pending_call {
  std::string_view procedure;
  std::string_view signature;  ///< the caller's, for a signature_mismatch message
  async_call_pool* pool = nullptr;
  /// The client's hooks, when it has any: on_call_end runs as the call completes, with the
  /// trace the call carried and the time since it started (detail/hooked_calls.hpp).
  const call_hooks* hooks = nullptr;
  char traceparent[55];
  std::size_t traceparent_size = 0;
  std::chrono::steady_clock::time_point started{};

  template <class R>
  std::promise<R>& promise() noexcept {
    return *std::launder(reinterpret_cast<std::promise<R>*>(storage));
  }

  alignas(std::promise<int>) unsigned char storage[sizeof(std::promise<int>)];
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
    static_assert(sizeof(std::promise<R>) <= sizeof(async_call::storage) &&
                  alignof(std::promise<R>) <= alignof(async_call));
    async_call* c = take();
    c->procedure = procedure;
    c->signature = signature;
    c->on_complete = on_complete;
    new (c->storage) std::promise<R>(std::allocator_arg, recycling_allocator<char>{});
    return c;
  }

  /// Ends the call's promise (set by now: its future holds the outcome) and keeps the call
  /// for a next one.
  template <class R>
  void finish(async_call* c) noexcept {
    c->promise<R>().~promise();
    c->hooks = nullptr;
    c->error = {};
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
