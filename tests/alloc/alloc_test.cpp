// Heap allocations per call in the steady state, counted by interposing malloc (and calloc,
// realloc, the aligned forms) for this test binary: C++ operator new, hiredis and every other
// library allocate through them, so nothing escapes the count. Counts cover every thread of the
// process (caller, reply reader, service workers, transport threads), so they are what a call
// really costs. glibc only (forwards to __libc_malloc and friends).
#include <gtest/gtest.h>

#include <redwire/memory.hpp>
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <hiredis/hiredis.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "support/redis_server.hpp"

namespace {
std::atomic<std::uint64_t> allocations{0};
thread_local std::uint64_t allocations_here = 0;

inline void note_allocation() {
  allocations.fetch_add(1, std::memory_order_relaxed);
  ++allocations_here;
}
}  // namespace

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);

void* malloc(std::size_t n) {
  note_allocation();
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  note_allocation();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  note_allocation();
  return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) {
  note_allocation();
  return __libc_memalign(align, n);
}
void* memalign(std::size_t align, std::size_t n) {
  note_allocation();
  return __libc_memalign(align, n);
}
int posix_memalign(void** out, std::size_t align, std::size_t n) {
  note_allocation();
  void* p = __libc_memalign(align, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
}  // extern "C"

namespace {

inline constexpr redwire::procedure<"alloc.add", int(int, int)> add{};

struct per_call {
  double everywhere;  // allocations in the whole process, per call
  double caller;      // on the calling thread, per call
};

template <class Call>
per_call count(Call&& call, int warm_up = 3000, int calls = 5000) {
  for (int i = 0; i < warm_up; ++i) call(i);
  const std::uint64_t before = allocations.load(), before_here = allocations_here;
  for (int i = 0; i < calls; ++i) call(i);
  return {double(allocations.load() - before) / calls,
          double(allocations_here - before_here) / calls};
}

void report(const char* what, per_call c) {
  std::printf(
      "[ measured ] %s: %.2f heap allocations per call in the process, %.2f on the "
      "calling thread\n",
      what, c.everywhere, c.caller);
}

// One allocation per call is left, and it is the payload itself: the request's bytes as the
// service receives them (Redis: the popped reply's copy; memory transport: the queued copy).
// Everything else is reused: the caller's frame buffer, the async call and its promise's
// shared state, the reply buffers, the queues (rings, not deques). The bounds leave 0.2 of
// slack for the background threads (heartbeats). A change that adds one per call fails here.

// The count itself: an allocation made in C by a library (hiredis) is seen.
TEST(allocations, the_counter_sees_what_c_libraries_allocate) {
  const std::uint64_t before = allocations.load();
  redisReader* reader = redisReaderCreate();
  ASSERT_NE(reader, nullptr);
  EXPECT_GT(allocations.load(), before);
  redisReaderFree(reader);
}

TEST(allocations, memory_transport_sync_call) {
  redwire::memory::transport bus;
  redwire::service svc{bus, "alloc", {.workers = 1}};
  svc.bind(add, [](int a, int b) { return a + b; });
  svc.start();
  redwire::client cli{bus};
  auto c = count([&](int i) { ASSERT_EQ(cli.call(add, i, 1), i + 1); });
  report("memory transport, sync call", c);
  EXPECT_LE(c.everywhere, 1.2);  // the request as the queue holds it
}

/// A private redis-server, a service of `workers` serving `add` and a client, each side on its
/// own transport as in separate processes.
struct over_redis {
  explicit over_redis(std::size_t workers) : svc{service_bus, "alloc", {.workers = workers}} {
    svc.bind(add, [](int a, int b) { return a + b; });
    svc.start();
  }
  redwire::test::redis_server server;
  redwire::redis::transport service_bus{server.url()}, caller_bus{server.url()};
  redwire::service svc;
  redwire::client cli{caller_bus};
};

// With the default 4 workers and inboxes: the request as the service pops it, and nothing else.
TEST(allocations, redis_sync_call) {
  over_redis env(4);
  auto& cli = env.cli;
  auto c = count([&](int i) { ASSERT_EQ(cli.call(add, i, 1), i + 1); });
  report("redis transport, sync call", c);
  EXPECT_LE(c.everywhere, 1.2);
  EXPECT_LE(c.caller, 0.1);
}

TEST(allocations, redis_async_call) {
  over_redis env(1);
  auto& cli = env.cli;
  auto c = count([&](int i) { ASSERT_EQ(cli.async_call(add, i, 1).get(), i + 1); });
  report("redis transport, async call", c);
  EXPECT_LE(c.everywhere, 1.2);
  EXPECT_LE(c.caller, 0.1);
}

// Many calls in flight: the calls, their deadlines and the service's queue are reused too.
TEST(allocations, redis_async_calls_in_flight) {
  over_redis env(4);
  auto& cli = env.cli;
  std::vector<std::future<int>> window(64);
  std::vector<int> expected(window.size());
  for (std::size_t i = 0; i < window.size(); ++i) {
    window[i] = cli.async_call(add, int(i), 1);
    expected[i] = int(i) + 1;
  }
  auto c = count(
      [&](int i) {
        const std::size_t slot = static_cast<std::size_t>(i) % window.size();
        ASSERT_EQ(window[slot].get(), expected[slot]);
        window[slot] = cli.async_call(add, i, 1);
        expected[slot] = i + 1;
      },
      20000, 20000);
  for (std::size_t i = 0; i < window.size(); ++i) ASSERT_EQ(window[i].get(), expected[i]);
  report("redis transport, async calls, 64 in flight", c);
  EXPECT_LE(c.everywhere, 1.2);
  EXPECT_LE(c.caller, 0.1);
}

}  // namespace

// The table of calls in flight (detail::call_table) against std::map, on random operations.
TEST(call_table, agrees_with_a_map) {
  redwire::detail::call_table table;
  std::map<std::uint64_t, redwire::detail::pending_call*> model;
  std::vector<redwire::detail::pending_call> calls(64);
  std::uint64_t next_id = 1;
  std::mt19937_64 rng(42);
  for (int step = 0; step < 200000; ++step) {
    if (model.size() < 40 && rng() % 2 == 0) {
      auto* c = &calls[next_id % calls.size()];
      table.insert(next_id, c);
      model[next_id] = c;
      ++next_id;
    } else if (!model.empty()) {
      auto it = model.begin();
      std::advance(it, static_cast<long>(rng() % model.size()));
      ASSERT_EQ(table.erase(it->first), it->second);
      model.erase(it);
    }
    if (step % 97 == 0) {
      for (auto& [id, c] : model) ASSERT_EQ(table.find(id), c);
      ASSERT_EQ(table.find(next_id + 7), nullptr);
      ASSERT_EQ(table.size(), model.size());
    }
  }
}
