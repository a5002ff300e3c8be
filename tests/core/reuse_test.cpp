// The pieces that let a call run without allocating: the ring queue, the block recycler behind
// async calls' promises, the pool of async calls, and the frame buffer of each thread.
#include <gtest/gtest.h>

#include <redwire/client.hpp>
#include <redwire/detail/async_calls.hpp>
#include <redwire/detail/recycler.hpp>
#include <redwire/detail/ring.hpp>

#include <deque>
#include <future>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/test_thread.hpp"

namespace {

using redwire::detail::ring;

TEST(ring, agrees_with_a_deque) {
  ring<std::string> r;
  std::deque<std::string> model;
  std::mt19937 rng(7);
  for (int step = 0; step < 100000; ++step) {
    switch (rng() % 4) {
      case 0:
      case 1:
        if (model.size() < 300) {
          r.push_back(std::to_string(step));
          model.push_back(std::to_string(step));
        }
        break;
      case 2:
        r.push_front("f" + std::to_string(step));
        model.push_front("f" + std::to_string(step));
        break;
      default:
        if (!model.empty()) {
          ASSERT_EQ(r.front(), model.front());
          r.pop_front();
          model.pop_front();
        }
    }
    ASSERT_EQ(r.size(), model.size());
    if (!model.empty()) {
      ASSERT_EQ(r.front(), model.front());
      ASSERT_EQ(r.back(), model.back());
    }
    if (step % 1000 == 0) {
      for (std::size_t i = 0; i < model.size(); ++i) ASSERT_EQ(r[i], model[i]);
    }
  }
  r.clear();
  EXPECT_TRUE(r.empty());
}

TEST(ring, keeps_its_storage_and_releases_what_it_pops) {
  ring<std::shared_ptr<int>> r;
  auto held = std::make_shared<int>(1);
  for (int i = 0; i < 20; ++i) r.push_back(held);
  const std::size_t capacity = r.capacity();
  EXPECT_GE(capacity, 20u);
  for (int round = 0; round < 1000; ++round) {  // a steady flow: no growth
    r.push_back(held);
    r.pop_front();
  }
  EXPECT_EQ(r.capacity(), capacity);
  while (!r.empty()) r.pop_front();
  EXPECT_EQ(held.use_count(), 1);  // popped slots let go of their values
}

TEST(block_recycler, gives_freed_blocks_out_again_and_keeps_a_bounded_number) {
  auto& pool = redwire::detail::block_recycler::instance();
  void* a = pool.take(40);
  pool.give(a, 40);
  void* b = pool.take(60);  // same 64-byte class: the block just freed
  EXPECT_EQ(a, b);
  pool.give(b, 60);

  std::vector<void*> many;
  const std::size_t n = redwire::detail::block_recycler::kept_per_class + 100;
  for (std::size_t i = 0; i < n; ++i) many.push_back(pool.take(200));
  EXPECT_EQ(std::set<void*>(many.begin(), many.end()).size(), n);  // all distinct
  for (void* p : many) pool.give(p, 200);
  EXPECT_EQ(pool.kept(200), redwire::detail::block_recycler::kept_per_class);

  void* large = pool.take(100000);  // beyond the classes: plain heap
  pool.give(large, 100000);
}

TEST(block_recycler, blocks_taken_on_one_thread_may_be_freed_on_another) {
  auto& pool = redwire::detail::block_recycler::instance();
  std::vector<void*> blocks;
  for (int i = 0; i < 1000; ++i) blocks.push_back(pool.take(100));
  redwire::test::test_thread other([&] {
    for (void* p : blocks) pool.give(p, 100);
  });
  redwire::test::test_thread taker([&] {
    for (int i = 0; i < 1000; ++i) pool.give(pool.take(120), 120);
  });
  other.join();
  taker.join();
  EXPECT_GE(pool.kept(100), 1000u);
}

// The promise of every async call is built with this allocator.
TEST(block_recycler, backs_promises_of_any_result_type) {
  struct alignas(64) wide {
    char bytes[64];
  };
  for (int i = 0; i < 100; ++i) {
    std::promise<std::string> text(std::allocator_arg,
                                   redwire::detail::recycling_allocator<char>{});
    auto f = text.get_future();
    text.set_value(std::string(1000, 'x'));
    EXPECT_EQ(f.get().size(), 1000u);

    std::promise<wide> aligned(std::allocator_arg, redwire::detail::recycling_allocator<char>{});
    auto g = aligned.get_future();
    aligned.set_value(wide{{7}});
    EXPECT_EQ(g.get().bytes[0], 7);
  }
}

void complete_int(redwire::detail::pending_call* base) {
  auto* call = static_cast<redwire::detail::async_call*>(base);
  call->promise<int>().set_value(static_cast<int>(call->payload.size()));
  call->pool->finish<int>(call);
}

TEST(async_call_pool, recycles_calls_and_drops_large_buffers) {
  redwire::detail::async_call_pool pool;
  auto* first = pool.start<int>("p.a", &complete_int);
  auto f1 = first->promise<int>().get_future();
  first->payload.assign(5000, 'x');
  first->complete();
  EXPECT_EQ(f1.get(), 5000);
  EXPECT_EQ(pool.kept(), 1u);

  auto* second = pool.start<int>("p.b", &complete_int);
  EXPECT_EQ(second, first);  // the same call, reused
  EXPECT_EQ(second->procedure, "p.b");
  EXPECT_TRUE(second->payload.empty());
  EXPECT_LE(second->payload.capacity(), redwire::detail::async_call_pool::kept_buffer);
  auto f2 = second->promise<int>().get_future();
  second->payload = "abc";
  second->complete();
  EXPECT_EQ(f2.get(), 3);

  std::vector<redwire::detail::async_call*> calls;
  std::vector<std::future<int>> futures;
  for (std::size_t i = 0; i < redwire::detail::async_call_pool::kept_calls + 10; ++i) {
    calls.push_back(pool.start<int>("p.c", &complete_int));
    futures.push_back(calls.back()->promise<int>().get_future());
  }
  for (auto* c : calls) c->complete();
  for (auto& f : futures) EXPECT_EQ(f.get(), 0);
  EXPECT_EQ(pool.kept(), redwire::detail::async_call_pool::kept_calls);
}

TEST(frame_buffer, is_kept_per_thread_and_fresh_when_nested) {
  const char* kept_data = nullptr;
  {
    redwire::detail::frame_buffer outer;
    outer.bytes().assign(100, 'a');
    kept_data = outer.bytes().data();
    {
      redwire::detail::frame_buffer nested;  // a frame built while another is in use
      EXPECT_TRUE(nested.bytes().empty());
      EXPECT_NE(nested.bytes().data(), kept_data);
      nested.bytes() = "inner";
    }
    EXPECT_EQ(outer.bytes(), std::string(100, 'a'));
  }
  {
    redwire::detail::frame_buffer again;
    EXPECT_TRUE(again.bytes().empty());
    EXPECT_EQ(again.bytes().data(), kept_data);  // the same storage, cleared
    again.bytes().assign(1 << 20, 'b');          // grows past what is kept
  }
  {
    redwire::detail::frame_buffer after;
    EXPECT_LT(after.bytes().capacity(), std::size_t{1} << 20);
  }
  redwire::test::test_thread([&] {
    redwire::detail::frame_buffer elsewhere;  // another thread: its own buffer
    EXPECT_NE(elsewhere.bytes().data(), kept_data);
  }).join();
}

}  // namespace
