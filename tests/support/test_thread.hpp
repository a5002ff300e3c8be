// tests/support/test_thread.hpp — threads that tests start.
//
// An exception escaping a bare std::thread ends the whole test binary (std::terminate) without
// naming the test. A test_thread catches it and reports it as a failure of the test running,
// and joins on destruction.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <thread>
#include <utility>

namespace redwire::test {

class test_thread {
 public:
  template <class Body>
  explicit test_thread(Body&& body)
      : thread_([body = std::forward<Body>(body)]() mutable {
          try {
            body();
          } catch (const std::exception& e) {
            ADD_FAILURE() << "a thread of this test threw: " << e.what();
          } catch (...) {
            ADD_FAILURE() << "a thread of this test threw something that is not a std::exception";
          }
        }) {}
  test_thread(test_thread&&) noexcept = default;
  test_thread& operator=(test_thread&& other) noexcept {
    join();
    thread_ = std::move(other.thread_);
    return *this;
  }
  ~test_thread() { join(); }

  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

}  // namespace redwire::test
