// Bad input in a request queue, on every transport: a request whose argument claims 4 GiB is
// refused as too_large; bytes that are not redwire are counted and dropped; the worker goes on.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "calls/raw_wire.hpp"
#include "calls/test_api.hpp"
#include "support/buses.hpp"
#include "support/eventually.hpp"
#include "support/log_capture.hpp"

using namespace std::chrono_literals;
using namespace test_api;
using redwire::errc;

namespace {

class hostile_input : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    bus_ = redwire::test::make_bus(GetParam());
    svc_ = bus_->make_service("calc", {.workers = 1});
    svc_->bind(calc::echo, [this](std::string s) {
      ++runs_;
      return s;
    });
    svc_->bind(calc::add, [](int a, int b) { return a + b; });
    svc_->start();
    cli_ = bus_->make_client();
    wire_.emplace(*bus_, "calc", "rw:test:hostile-replies");
  }
  void TearDown() override {
    wire_.reset();
    cli_.reset();
    svc_.reset();
    bus_.reset();
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
    e.reply_to = wire_->reply_channel();
    std::string frame;
    redwire::encode_envelope_header(frame, e);
    return frame + payload;
  }

  std::unique_ptr<redwire::test::bus> bus_;
  std::unique_ptr<redwire::service> svc_;
  std::unique_ptr<redwire::client> cli_;
  std::atomic<int> runs_{0};
  std::optional<raw_wire> wire_;
};

TEST_P(hostile_input, argument_claiming_4_gib_is_too_large) {
  std::string payload;
  redwire::detail::output(payload).write_varint(std::uint64_t{4} << 30);
  payload += "abc";
  wire_->push(echo_frame(payload));
  auto reply = wire_->next_reply();
  ASSERT_TRUE(reply);
  auto e = redwire::decode_envelope(*reply);
  EXPECT_EQ(e.kind, redwire::message_kind::error_reply);
  EXPECT_EQ(e.error, errc::too_large) << e.payload;
  EXPECT_EQ(runs_.load(), 0);
  EXPECT_EQ(cli_->call(calc::echo, "still here"), "still here");
}

// Bytes that are not a redwire request are counted, logged (one line each, naming the
// instance) and dropped; a request whose arguments do not decode gets a bad_message reply. The
// worker goes on to the next call.
TEST_P(hostile_input, garbage_is_counted_and_the_worker_goes_on) {
  redwire::test::log_capture log;
  wire_->push("not redwire at all");
  wire_->push(std::string("RW\x01\x01", 4));                           // truncated header
  wire_->push(echo_frame("").substr(0, 40) + std::string(1, '\xff'));  // a field past the end
  wire_->push(
      echo_frame(std::string("\x05"
                             "ab",
                             3)));  // argument truncated
  auto reply = wire_->next_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(redwire::decode_envelope(*reply).error, errc::bad_message);
  EXPECT_EQ(cli_->call(calc::add, 2, 3), 5);
  EXPECT_EQ(svc_->stats().bad_messages, 3u);
  EXPECT_EQ(svc_->stats().rejected, 1u);  // the request whose argument is cut short
  EXPECT_EQ(runs_.load(), 0);
  EXPECT_EQ(log.count({svc_->instance_id(), "dropped bytes that are not a redwire request"}), 3)
      << "what was logged:\n"
      << testing::PrintToString(log.lines());
}

INSTANTIATE_TEST_SUITE_P(transports, hostile_input, ::testing::ValuesIn(redwire::test::bus_kinds()),
                         redwire::test::bus_name{});

}  // namespace
