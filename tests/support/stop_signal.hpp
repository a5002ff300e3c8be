// The test programs (tests/programs) run until the test that started them sends SIGTERM.
#pragma once

#include <pthread.h>

#include <csignal>

namespace redwire::test {

/// Blocks SIGINT and SIGTERM in this thread and the threads it starts later (call it first in
/// main), so that wait_for_stop_signal() can take them.
inline sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

/// Waits for SIGINT or SIGTERM, blocked beforehand with block_stop_signals().
inline void wait_for_stop_signal(const sigset_t& set) {
  int signal = 0;
  sigwait(&set, &signal);
}

}  // namespace redwire::test
