// tests/support/eventually.hpp — waiting for an event instead of assuming how long it takes.
//
// Tests run on loaded machines (CI: two cores, other jobs beside). A test waits for the event
// itself (a count reached, a handler started) with `eventually`, and fails after `patience`,
// which only a failing test ever waits for. Where a test checks a time redwire promises (a
// timeout, a backoff), it allows `timing_slack` on top, never less.
#pragma once

#include <chrono>
#include <thread>

namespace redwire::test {

/// How long a test waits for something that should come at once before it fails. Far past any
/// delay of a loaded machine; paid only by a test that fails.
inline constexpr std::chrono::milliseconds patience{10'000};

/// How late a thread may run, beside four busy loops on two cores (twice as many runnable
/// threads as cores), past a time redwire promises. The scheduler gives a woken thread a core
/// within a few periods of some 24 ms there; 250 ms is several times that, and still well below
/// the error that the regressions these checks catch would make (a call waiting for a reply
/// that cannot come, a second timeout, a reconnect without backoff).
inline constexpr std::chrono::milliseconds timing_slack{250};

/// Polls `cond` every 2 ms until it holds or `limit` passes; returns its last value.
template <class Condition>
bool eventually(Condition&& cond, std::chrono::milliseconds limit = patience) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return cond();
}

}  // namespace redwire::test
