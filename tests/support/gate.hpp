// tests/support/gate.hpp — holds handlers until the test lets them go.
//
// A test that needs a handler busy while it looks at something makes the handler pass a gate:
// it knows when the handler is inside (wait_inside), and the handler stays there until open().
// No sleep stands in for "long enough". A handler gives up after `patience`, so that a failing
// test ends instead of hanging.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "support/eventually.hpp"

namespace redwire::test {

class gate {
 public:
  /// Called by a handler: counts it in, then waits until open(). Returns false if the gate was
  /// not opened within `limit`.
  bool pass(std::chrono::milliseconds limit = patience) {
    std::unique_lock lock(m_);
    ++inside_;
    cv_.notify_all();
    const bool opened = cv_.wait_for(lock, limit, [&] { return open_; });
    --inside_;
    ++passed_;
    cv_.notify_all();
    return opened;
  }
  /// Lets every handler waiting, and every later one, through.
  void open() {
    std::lock_guard lock(m_);
    open_ = true;
    cv_.notify_all();
  }
  /// Holds the next handlers again (those still inside when it was open have gone through).
  void close() {
    std::lock_guard lock(m_);
    open_ = false;
  }
  /// Waits until `n` handlers are inside at once; false after `limit`.
  bool wait_inside(int n, std::chrono::milliseconds limit = patience) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, limit, [&] { return inside_ >= n; });
  }
  int inside() const {
    std::lock_guard lock(m_);
    return inside_;
  }
  /// Handlers that went through (opened or given up).
  int passed() const {
    std::lock_guard lock(m_);
    return passed_;
  }

 private:
  mutable std::mutex m_;
  std::condition_variable cv_;
  bool open_ = false;
  int inside_ = 0;
  int passed_ = 0;
};

/// Counts releases; a waiter takes one. For "the handler has started" and "the stop came".
class signal {
 public:
  void release() {
    std::lock_guard lock(m_);
    ++released_;
    cv_.notify_all();
  }
  /// Takes one release, waiting for it up to `limit`; false if none came.
  bool wait_for(std::chrono::milliseconds limit) {
    std::unique_lock lock(m_);
    if (!cv_.wait_for(lock, limit, [&] { return taken_ < released_; })) return false;
    ++taken_;
    return true;
  }
  /// Releases so far.
  int count() const {
    std::lock_guard lock(m_);
    return released_;
  }

 private:
  mutable std::mutex m_;
  std::condition_variable cv_;
  int released_ = 0, taken_ = 0;
};

/// Opens a gate when it goes out of scope: declared after the services whose handlers pass the
/// gate, it lets them finish before they stop, however the test ends.
class open_at_exit {
 public:
  explicit open_at_exit(gate& g) : g_(g) {}
  open_at_exit(const open_at_exit&) = delete;
  open_at_exit& operator=(const open_at_exit&) = delete;
  ~open_at_exit() { g_.open(); }

 private:
  gate& g_;
};

}  // namespace redwire::test
