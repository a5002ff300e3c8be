// Per-service shared secrets (service_options::secret, client_options::secret/secrets), on every
// transport: only calls MACed with the service's secret run; the rest get errc::unauthorized.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <redwire/detail/auth.hpp>

#include "calls/raw_wire.hpp"
#include "calls/test_api.hpp"
#include "support/buses.hpp"
#include "support/eventually.hpp"
#include "support/log_capture.hpp"
#if REDWIRE_TEST_REDIS
#include "support/redis_stats.hpp"
#endif

using namespace std::chrono_literals;
using namespace test_api;
using redwire::errc;
using redwire::test::eventually;
using redwire::test::patience;

namespace {

constexpr const char* calc_secret = "calc-secret-8c1f";

std::int64_t ms_from_now(std::chrono::milliseconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             (std::chrono::system_clock::now() + d).time_since_epoch())
      .count();
}

/// A reply to `request` as a service would send it, with `value` as the result, addressed to
/// `caller`; MACed with `secret` unless it is empty. Services name no procedure in a reply; a
/// forger may name any (`procedure`).
std::string reply_frame(const redwire::envelope& request, int value, std::string_view caller,
                        std::string_view secret, std::string_view procedure = {}) {
  redwire::envelope r;
  r.kind = redwire::message_kind::reply;
  r.call_id = request.call_id;
  r.fingerprint = request.fingerprint;
  r.procedure = procedure;
  r.instance = "played-by-the-test";
  r.caller = caller;
  std::string frame;
  redwire::encode_envelope_header(frame, r);
  const std::size_t header_size = frame.size();
  redwire::encode_values(frame, value);
  if (!secret.empty())
    redwire::detail::sign_frame(frame, header_size, redwire::detail::hmac_key{secret});
  return frame;
}

class secured_calls : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    bus_ = redwire::test::make_bus(GetParam());
    // One worker: requests run in the order they were pushed, so a later call that completes
    // proves an earlier rejected one was handled (and its handler not run).
    redwire::service_options options;  // not a designated initializer: g++ 12 then warns
    options.workers = 1;               // (-Wmaybe-uninitialized, wrongly) about its map
    options.secret = calc_secret;
    svc_ = bus_->make_service("calc", std::move(options));
    svc_->bind(calc::add, [this](int a, int b) {
      ++runs_;
      return a + b;
    });
    svc_->bind(calc::reset, [this] { ++runs_; });
    svc_->bind(calc::fail, [this](std::string why) -> int {
      ++runs_;
      throw std::runtime_error(why);
    });
    svc_->start();
    wire_.emplace(*bus_, "calc", "rw:test:raw-replies");
  }
  void TearDown() override {
    wire_.reset();
    svc_.reset();
    bus_.reset();
  }

  /// calc.add(a, b) as a client would send it, replies to the raw wire's channel; MACed with
  /// `secret` unless it is empty.
  std::string add_frame(int a, int b, std::string_view secret, std::int64_t deadline_ms) {
    redwire::envelope e;
    e.kind = redwire::message_kind::request;
    e.call_id = ++raw_ids_;
    e.fingerprint = calc::add.fingerprint;
    e.deadline_ms = deadline_ms;
    e.procedure = calc::add.name;
    e.reply_to = wire_->reply_channel();
    e.caller = "raw-caller";
    e.trace_id = "raw-trace";
    std::string frame;
    redwire::encode_envelope_header(frame, e);
    const std::size_t header_size = frame.size();
    redwire::encode_values(frame, a, b);
    if (!secret.empty())
      redwire::detail::sign_frame(frame, header_size, redwire::detail::hmac_key{secret});
    return frame;
  }

  /// An authorized call that completes: everything pushed before it was handled.
  void drain() {
    auto cli = bus_->make_client({.secret = calc_secret});
    ASSERT_EQ(cli->call(calc::add, 0, 0), 0);
    --runs_;
  }

  std::unique_ptr<redwire::test::bus> bus_;
  std::unique_ptr<redwire::service> svc_;
  std::atomic<int> runs_{0};
  std::optional<raw_wire> wire_;
  std::uint64_t raw_ids_ = 0;
};

TEST_P(secured_calls, right_secret_runs_the_call) {
  auto cli = bus_->make_client({.secret = calc_secret});
  EXPECT_EQ(cli->call(calc::add, 2, 3), 5);
  EXPECT_EQ(cli->async_call(calc::add, 4, 5).get(), 9);
  auto failed = cli->try_call(calc::fail, "boom");  // MACed error replies are accepted too
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), errc::remote_exception);
  cli->notify(calc::reset);
  drain();
  EXPECT_EQ(runs_.load(), 4);
  EXPECT_EQ(svc_->stats().unauthorized, 0u);
  // Per-service secrets override the one for every service.
  auto per_service = bus_->make_client({.secret = "other", .secrets = {{"calc", calc_secret}}});
  EXPECT_EQ(per_service->call(calc::add, 1, 1), 2);
}

TEST_P(secured_calls, wrong_secret_is_unauthorized) {
  auto cli = bus_->make_client({.secret = "not-the-secret"});
  auto r = cli->try_call(calc::add, 2, 3);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), errc::unauthorized) << r.error().what();
  auto other = bus_->make_client({.secret = calc_secret, .secrets = {{"calc", "nope"}}});
  EXPECT_EQ(other->try_call(calc::add, 2, 3).error().code(), errc::unauthorized);
  EXPECT_EQ(runs_.load(), 0);
  EXPECT_EQ(svc_->stats().unauthorized, 2u);
}

TEST_P(secured_calls, no_secret_is_unauthorized) {
  auto cli = bus_->make_client();
  auto r = cli->try_call(calc::add, 2, 3);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), errc::unauthorized);
  EXPECT_NE(std::string(r.error().what()).find("no token"), std::string::npos) << r.error().what();
  cli->notify(calc::reset);  // no reply to carry the refusal: dropped and counted
  drain();
  EXPECT_EQ(runs_.load(), 0);
  EXPECT_EQ(svc_->stats().unauthorized, 2u);
}

TEST_P(secured_calls, tampered_request_is_unauthorized) {
  const std::string good = add_frame(2, 3, calc_secret, ms_from_now(5s));
  std::string tampered = good;
  tampered.back() = static_cast<char>(tampered.back() ^ 0x01);  // 3 -> 2, the payload's last byte
  wire_->push(tampered);
  auto reply = wire_->next_reply(patience);
  ASSERT_TRUE(reply);
  auto e = redwire::decode_envelope(*reply);
  EXPECT_EQ(e.kind, redwire::message_kind::error_reply);
  EXPECT_EQ(e.error, errc::unauthorized);
  EXPECT_EQ(runs_.load(), 0);

  std::string later = good;  // the deadline is inside the MAC: it cannot be pushed back
  later[21] = static_cast<char>(later[21] ^ 0x40);
  wire_->push(later);
  reply = wire_->next_reply(patience);
  ASSERT_TRUE(reply);
  EXPECT_EQ(redwire::decode_envelope(*reply).error, errc::unauthorized);
  EXPECT_EQ(runs_.load(), 0);

  wire_->push(good);  // the same bytes untouched run, and their reply is MACed for that caller
  reply = wire_->next_reply(patience);
  ASSERT_TRUE(reply);
  e = redwire::decode_envelope(*reply);
  ASSERT_EQ(e.kind, redwire::message_kind::reply);
  EXPECT_EQ(std::get<0>(redwire::decode_values<int>(e.payload)), 5);
  EXPECT_EQ(e.caller, "raw-caller");
  EXPECT_EQ(redwire::detail::check_frame(*reply, e, redwire::detail::hmac_key{calc_secret}),
            nullptr);
  EXPECT_EQ(runs_.load(), 1);
  EXPECT_EQ(svc_->stats().unauthorized, 2u);
}

TEST_P(secured_calls, captured_request_does_not_run_after_its_deadline) {
  // Long enough for the first push to be taken in time on a loaded machine.
  const std::int64_t deadline_ms = ms_from_now(1s);
  const std::string captured = add_frame(2, 3, calc_secret, deadline_ms);
  wire_->push(captured);
  ASSERT_TRUE(wire_->next_reply(patience));
  EXPECT_EQ(runs_.load(), 1);
  // Until its deadline has passed, with room for the service's reading of the broker clock
  // (this host's clock plus an offset learnt from TIME, good to half a round trip: a few ms
  // under ASan on a loaded machine, where a 1 ms margin once let the replay run).
  std::this_thread::sleep_until(
      std::chrono::system_clock::time_point(std::chrono::milliseconds(deadline_ms + 100)));
  wire_->push(captured);  // replayed past its deadline
  drain();
  EXPECT_FALSE(wire_->next_reply(100ms));
  EXPECT_EQ(runs_.load(), 1);
  EXPECT_EQ(svc_->stats().expired, 1u);

  wire_->push(add_frame(2, 3, calc_secret, 0));  // no deadline: could be replayed forever
  auto reply = wire_->next_reply(patience);
  ASSERT_TRUE(reply);
  EXPECT_EQ(redwire::decode_envelope(*reply).error, errc::unauthorized);
  EXPECT_EQ(runs_.load(), 1);
}

// A client holding a service's secret believes only replies MACed with it and addressed to
// itself. Here the test plays the "audit" service: it takes each request off the queue and
// answers it first with forged replies (no MAC, another result; one naming audit.add, one
// naming a procedure of a service without a secret, one naming none), then with a MACed one for
// another client, then with the real one. The forgeries are dropped and logged, the call goes
// on waiting, and ends with the real answer — sync calls and async ones.
TEST_P(secured_calls, forged_replies_are_dropped_and_the_call_waits_for_the_real_one) {
  constexpr const char* audit_secret = "audit-secret-51d2";
  redwire::test::log_capture log;
  auto cli = bus_->make_client({.default_timeout = 30s, .secrets = {{"audit", audit_secret}}});
  redwire::test::with_transport(*bus_, [&](auto& t) {
    auto reader = t.open_reader({redwire::detail::service_queue(t.prefix(), "audit")});
    for (bool async : {false, true}) {
      SCOPED_TRACE(async ? "async call" : "sync call");
      const int forged_before = log.count({"dropped a reply to audit.add", "not authentic"});
      const int other_before = log.count({"dropped a reply to audit.add", "another client"});
      auto answer =
          async ? cli->async_call(audit::add, 2, 3)
                : std::async(std::launch::async, [&] { return cli->call(audit::add, 2, 3); });
      std::vector<std::string> requests;
      ASSERT_TRUE(eventually([&] {
        reader.pop(requests, 1, 50ms);
        return !requests.empty();
      }));
      const redwire::envelope request = redwire::decode_envelope(requests.front());
      ASSERT_EQ(request.procedure, "audit.add");
      const std::string reply_to(request.reply_to);
      t.publish(reply_to, reply_frame(request, 99, request.caller, "", "audit.add"));  // no MAC
      t.publish(reply_to, reply_frame(request, 97, request.caller, "", "calc.add"));
      t.publish(reply_to, reply_frame(request, 96, request.caller, ""));
      t.publish(reply_to, reply_frame(request, 98, "another-client", audit_secret));
      ASSERT_TRUE(eventually([&] {
        return log.count({"dropped a reply to audit.add", "not authentic"}) == forged_before + 4;
      })) << "the forged replies did not reach the client";
      EXPECT_EQ(log.count({"dropped a reply to audit.add", "another client"}), other_before + 1);
      EXPECT_EQ(answer.wait_for(0s), std::future_status::timeout) << "a forgery was taken";
      t.publish(reply_to, reply_frame(request, 5, request.caller, audit_secret));
      ASSERT_EQ(answer.wait_for(patience), std::future_status::ready);
      EXPECT_EQ(answer.get(), 5);
    }
  });
  EXPECT_EQ(cli->in_flight(), 0u);
}

INSTANTIATE_TEST_SUITE_P(transports, secured_calls, ::testing::ValuesIn(redwire::test::bus_kinds()),
                         redwire::test::bus_name{});

#if REDWIRE_TEST_REDIS
// Redis only: the memory transport stores nothing outside the process. Reads every key of every
// type whole (support/redis_stats.hpp) while Redis holds a registered service with the secret,
// a MACed request waiting in a queue and a stream entry, and finds the secret in none.
TEST(secured_calls_on_redis, the_secret_is_never_stored_in_redis) {
  redwire::test::redis_bus bus;
  auto cli = bus.make_client({.default_timeout = 30s, .secret = calc_secret});
  redwire::service_options secured;  // not a designated initializer: see secured_calls::SetUp
  secured.secret = calc_secret;
  {
    auto calc = bus.make_service("calc", secured);
    calc->bind(calc::add, [](int a, int b) { return a + b; });
    calc->start();
    for (int i = 0; i < 10; ++i) ASSERT_EQ(cli->call(calc::add, i, i), 2 * i);
  }
  secured.instance_id = "audit-1";
  auto registered = bus.make_service("audit", secured);
  registered->bind(audit::add, [](int a, int b) { return a + b; });
  registered->start();
  ASSERT_EQ(cli->call(audit::add, 1, 2), 3);
  auto queued = cli->async_call(calc::add, 40, 2);  // nobody serves calc now: it waits
  static constexpr redwire::stream<"calc.audit", std::string> audit_log{};
  cli->append(audit_log, std::string("an entry"));
  ASSERT_TRUE(eventually([&] { return !bus.leftovers().empty(); }));
  const std::string stored = redwire::test::everything_stored(bus.transport());
  EXPECT_NE(stored.find("calc.add"), std::string::npos) << "no queued request was read";
  EXPECT_NE(stored.find("audit-1"), std::string::npos) << "no registry record was read";
  EXPECT_NE(stored.find("an entry"), std::string::npos) << "no stream entry was read";
  EXPECT_EQ(stored.find(calc_secret), std::string::npos);
}
#endif

}  // namespace
