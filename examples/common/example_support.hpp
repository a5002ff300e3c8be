// Small helpers shared by the example programs (not part of the library).
#pragma once

#include <csignal>
#include <cstdlib>
#include <string>

#include <pthread.h>

namespace example {

/// The Redis to talk to: the first argument, else $REDWIRE_REDIS_URL, else the local default.
inline std::string redis_url(int argc, char** argv, int position = 1) {
  if (argc > position && std::string(argv[position]).rfind("--", 0) != 0) return argv[position];
  if (const char* env = std::getenv("REDWIRE_REDIS_URL"); env && *env) return env;
  return "redis://127.0.0.1:6379";
}

/// Blocks SIGINT and SIGTERM for every thread started afterwards; call first thing in main.
inline sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

/// Waits for SIGINT or SIGTERM (blocked beforehand with block_stop_signals()).
inline int wait_for_stop_signal(const sigset_t& set) {
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

}  // namespace example
