// redwire/detail/thread_name.hpp — the names redwire's threads carry, so that `top -H`, `ps -L`,
// perf (`--sort comm`) and gdb tell them apart: "rw-" and the thread's role (docs/operations.md).
#pragma once

#if defined(__linux__)
#include <pthread.h>
#endif

#include <thread>
#include <utility>

namespace redwire::detail {

/// Names the calling thread; Linux keeps 15 characters. Nothing where threads have no names.
inline void name_this_thread(const char* name) noexcept {
#if defined(__linux__)
  pthread_setname_np(pthread_self(), name);
#else
  (void)name;
#endif
}

/// A thread named `name` (see name_this_thread) that runs `body`.
template <class F>
std::thread named_thread(const char* name, F&& body) {
  return std::thread([name, body = std::forward<F>(body)]() mutable {
    name_this_thread(name);
    body();
  });
}

}  // namespace redwire::detail
