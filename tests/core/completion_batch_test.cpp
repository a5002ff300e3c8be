// The futures that one read of replies makes ready: held to the end of the read, then made
// ready newest first; a client that goes meanwhile waits for its own, or completes them itself.
#include <redwire/detail/completion_batch.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <thread>
#include <vector>

namespace {

using redwire::detail::completion_batch;

/// A call that records, when completed, its number in `order`.
struct recorded_call : redwire::detail::pending_call {
  recorded_call(int number, std::vector<int>& order, bool future = true)
      : number(number), order(&order) {
    on_complete = [](redwire::detail::pending_call* c) {
      auto* self = static_cast<recorded_call*>(c);
      self->order->push_back(self->number);
    };
    wakes_a_waiter = future;
  }
  int number;
  std::vector<int>* order;
};

TEST(completion_batch, the_futures_of_one_read_are_made_ready_at_its_end_newest_first) {
  completion_batch batch;
  std::atomic<std::size_t> holds{0};
  std::vector<int> order;
  recorded_call a(1, order), b(2, order), c(3, order);
  {
    completion_batch::scope read(batch);
    for (auto* call : {&a, &b, &c}) completion_batch::complete(*call, holds);
    EXPECT_TRUE(order.empty());
    EXPECT_EQ(holds.load(), 3u);
  }
  EXPECT_EQ(order, (std::vector<int>{3, 2, 1}));  // each waiter's oldest call last
  EXPECT_EQ(holds.load(), 0u);
}

TEST(completion_batch, callbacks_and_calls_outside_a_read_complete_at_once) {
  completion_batch batch;
  std::atomic<std::size_t> holds{0};
  std::vector<int> order;
  recorded_call future(1, order), callback(2, order, /*future=*/false);
  completion_batch::complete(future, holds);  // no read open on this thread
  EXPECT_EQ(order, std::vector<int>{1});
  {
    completion_batch::scope read(batch);
    completion_batch::complete(callback, holds);
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
  }
  EXPECT_EQ(holds.load(), 0u);
}

TEST(completion_batch, a_client_going_inside_the_read_completes_its_own_calls_there) {
  completion_batch batch;
  std::atomic<std::size_t> mine{0}, theirs{0};
  std::vector<int> order;
  recorded_call a(1, order), b(2, order), c(3, order);
  {
    completion_batch::scope read(batch);
    completion_batch::complete(a, mine);
    completion_batch::complete(b, theirs);
    completion_batch::complete(c, mine);
    completion_batch::wait_for_release(mine);  // as a client's destructor in a handler does
    EXPECT_EQ(order, (std::vector<int>{3, 1}));
    EXPECT_EQ(mine.load(), 0u);
    EXPECT_EQ(theirs.load(), 1u);
  }
  EXPECT_EQ(order, (std::vector<int>{3, 1, 2}));
}

TEST(completion_batch, a_client_going_on_another_thread_waits_for_the_end_of_the_read) {
  completion_batch batch;
  std::atomic<std::size_t> holds{0};
  std::vector<int> order;
  recorded_call a(1, order);
  std::atomic<bool> deferred{false}, ending{false};
  std::thread reader([&] {
    completion_batch::scope read(batch);
    completion_batch::complete(a, holds);
    deferred = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the client goes meanwhile
    ending = true;
  });
  while (!deferred) std::this_thread::yield();
  completion_batch::wait_for_release(holds);
  EXPECT_TRUE(ending.load());  // it did not return while the read still held its call
  EXPECT_EQ(order, std::vector<int>{1});
  reader.join();
}

}  // namespace
