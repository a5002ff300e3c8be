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
// The largest block asked for since a test set them to 0: by any thread, by this one.
std::atomic<std::size_t> largest{0};
thread_local std::size_t largest_here = 0;

inline void note_allocation(std::size_t bytes) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  ++allocations_here;
  if (bytes > largest_here) largest_here = bytes;
  for (std::size_t seen = largest.load(std::memory_order_relaxed);
       bytes > seen && !largest.compare_exchange_weak(seen, bytes, std::memory_order_relaxed);) {
  }
}
}  // namespace

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);

void* malloc(std::size_t n) {
  note_allocation(n);
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  note_allocation(n * size);
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  note_allocation(n);
  return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) {
  note_allocation(n);
  return __libc_memalign(align, n);
}
void* memalign(std::size_t align, std::size_t n) {
  note_allocation(n);
  return __libc_memalign(align, n);
}
int posix_memalign(void** out, std::size_t align, std::size_t n) {
  note_allocation(n);
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

inline constexpr redwire::procedure<"alloc.echo", std::string(std::string)> echo{};

/// Runs `decode`, which must fail as too_large (or, where it says so, bad_message); returns the
/// largest block this thread asked for meanwhile.
template <class Decode>
std::size_t largest_block_while_refusing(Decode&& decode, bool bad_message_too = false) {
  largest_here = 0;
  try {
    decode();
    ADD_FAILURE() << "a claim of 4 GiB decoded";
  } catch (const std::system_error& e) {
    const auto code = static_cast<redwire::errc>(e.code().value());
    EXPECT_TRUE(code == redwire::errc::too_large ||
                (bad_message_too && code == redwire::errc::bad_message))
        << e.what();
  }
  return largest_here;
}

// "A length or count that claims 4 GiB is refused as too_large before anything is allocated"
// (docs/reliability.md): decoding one never asks for a block of more than 64 KiB — room for
// the exception and its message, and 65536 times less than the claim. Through a service on the
// memory transport, no thread of the process asks for more than 1 MiB meanwhile (the others
// only beat and wait).
TEST(allocations, a_4_gib_claim_is_refused_before_anything_is_allocated) {
  std::string four_gib;
  redwire::detail::output(four_gib).write_varint(std::uint64_t{4} << 30);
  four_gib += "abc";
  constexpr std::size_t small = 64 << 10;
  using redwire::decode_values;
  EXPECT_LT(largest_block_while_refusing([&] { (void)decode_values<std::string>(four_gib); }),
            small);
  EXPECT_LT(largest_block_while_refusing(
                [&] { (void)decode_values<std::vector<std::string>>(four_gib); }),
            small);
  EXPECT_LT(
      largest_block_while_refusing([&] { (void)decode_values<std::vector<std::byte>>(four_gib); }),
      small);
  EXPECT_LT(largest_block_while_refusing(
                [&] { (void)decode_values<std::vector<std::int64_t>>(four_gib); }, true),
            small);
  EXPECT_LT(largest_block_while_refusing(
                [&] { (void)decode_values<std::map<int, std::string>>(four_gib); }, true),
            small);

  redwire::memory::transport bus;
  redwire::service svc{bus, "alloc", {.workers = 1}};
  std::atomic<int> runs{0};
  svc.bind(echo, [&runs](std::string text) {
    ++runs;
    return text;
  });
  svc.start();
  std::promise<std::string> reply;
  auto replied = reply.get_future();
  auto sub = bus.subscribe("alloc-test:replies", [&reply](std::string_view, std::string_view b) {
    reply.set_value(std::string(b));
  });
  redwire::envelope e;
  e.kind = redwire::message_kind::request;
  e.call_id = 1;
  e.fingerprint = echo.fingerprint;
  e.procedure = echo.name;
  e.reply_to = "alloc-test:replies";
  std::string frame;
  redwire::encode_envelope_header(frame, e);
  frame += four_gib;
  largest = 0;
  bus.push("rw:{alloc}:q", frame);
  ASSERT_EQ(replied.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_LT(largest.load(), std::size_t{1} << 20);
  const std::string bytes = replied.get();
  const redwire::envelope answer = redwire::decode_envelope(bytes);
  EXPECT_EQ(answer.kind, redwire::message_kind::error_reply);
  EXPECT_EQ(answer.error, redwire::errc::too_large);
  EXPECT_EQ(runs.load(), 0);
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
