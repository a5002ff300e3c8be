// Bad input in a request queue, on every transport: a request whose argument claims 4 GiB is
// refused as too_large; bytes that are not redwire are counted and dropped; the worker goes on.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "calls/buses.hpp"
#include "calls/test_api.hpp"

using namespace std::chrono_literals;
using namespace test_api;
using redwire::errc;

namespace {

class hostile_input : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    bus_ = make_bus(GetParam());
    svc_ = bus_->make_service("calc", {.workers = 1});
    svc_->bind(calc::echo, [this](std::string s) {
      ++runs_;
      return s;
    });
    svc_->bind(calc::add, [](int a, int b) { return a + b; });
    svc_->start();
    cli_ = bus_->make_client();
    with_transport([this](auto& t) {
      auto sub = t.subscribe(reply_channel_, [this](std::string_view, std::string_view b) {
        std::lock_guard lock(m_);
        replies_.emplace_back(b);
        cv_.notify_all();
      });
      subscription_ = std::make_shared<decltype(sub)>(std::move(sub));
      push_ = [&t](const std::string& bytes) {
        t.push(redwire::detail::service_queue(t.prefix(), "calc"), bytes);
      };
    });
  }
  void TearDown() override {
    subscription_.reset();
    cli_.reset();
    svc_.reset();
    bus_.reset();
  }

  template <class F>
  void with_transport(F&& f) {
    if (auto* m = dynamic_cast<memory_bus*>(bus_.get())) return f(m->transport());
#if REDWIRE_TEST_REDIS
    if (auto* r = dynamic_cast<redis_bus*>(bus_.get())) return f(r->transport());
#endif
    FAIL() << "a bus this test does not know";
  }

  std::string echo_frame(const std::string& payload) {
    redwire::envelope e;
    e.kind = redwire::message_kind::request;
    e.call_id = 1;
    e.fingerprint = calc::echo.fingerprint;
    e.deadline_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        (std::chrono::system_clock::now() + 10s).time_since_epoch())
                        .count();
    e.procedure = calc::echo.name;
    e.reply_to = reply_channel_;
    std::string frame;
    redwire::encode_envelope_header(frame, e);
    return frame + payload;
  }

  std::optional<std::string> next_reply() {
    std::unique_lock lock(m_);
    if (!cv_.wait_for(lock, 5s, [&] { return !replies_.empty(); })) return std::nullopt;
    std::string r = std::move(replies_.front());
    replies_.pop_front();
    return r;
  }

  std::unique_ptr<bus> bus_;
  std::unique_ptr<redwire::service> svc_;
  std::unique_ptr<redwire::client> cli_;
  std::atomic<int> runs_{0};
  const std::string reply_channel_ = "rw:test:hostile-replies";
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::string> replies_;
  std::shared_ptr<void> subscription_;
  std::function<void(const std::string&)> push_;
};

TEST_P(hostile_input, argument_claiming_4_gib_is_too_large) {
  std::string payload;
  redwire::detail::output(payload).write_varint(std::uint64_t{4} << 30);
  payload += "abc";
  push_(echo_frame(payload));
  auto reply = next_reply();
  ASSERT_TRUE(reply);
  auto e = redwire::decode_envelope(*reply);
  EXPECT_EQ(e.kind, redwire::message_kind::error_reply);
  EXPECT_EQ(e.error, errc::too_large) << e.payload;
  EXPECT_EQ(runs_.load(), 0);
  EXPECT_EQ(cli_->call(calc::echo, "still here"), "still here");
}

TEST_P(hostile_input, garbage_is_counted_and_the_worker_goes_on) {
  push_("not redwire at all");
  push_(std::string("RW\x01\x01", 4));                           // truncated header
  push_(echo_frame("").substr(0, 40) + std::string(1, '\xff'));  // a field past the end
  push_(
      echo_frame(std::string("\x05"
                             "ab",
                             3)));  // argument truncated
  auto reply = next_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(redwire::decode_envelope(*reply).error, errc::bad_message);
  EXPECT_EQ(cli_->call(calc::add, 2, 3), 5);
  EXPECT_EQ(svc_->stats().bad_messages, 3u);
  EXPECT_EQ(runs_.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(transports, hostile_input, ::testing::ValuesIn(bus_kinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
