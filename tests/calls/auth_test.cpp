// Per-service shared secrets (service_options::secret, client_options::secret/secrets), on every
// transport: only calls MACed with the service's secret run; the rest get errc::unauthorized.
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

#include <redwire/detail/auth.hpp>

#include "calls/buses.hpp"
#include "calls/test_api.hpp"

using namespace std::chrono_literals;
using namespace test_api;
using redwire::errc;

namespace {

constexpr const char* calc_secret = "calc-secret-8c1f";

/// Replies published to one channel, as raw bytes.
struct inbox {
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::string> got;
  void put(std::string_view bytes) {
    std::lock_guard lock(m);
    got.emplace_back(bytes);
    cv.notify_all();
  }
  std::optional<std::string> next(std::chrono::milliseconds limit) {
    std::unique_lock lock(m);
    if (!cv.wait_for(lock, limit, [&] { return !got.empty(); })) return std::nullopt;
    std::string bytes = std::move(got.front());
    got.pop_front();
    return bytes;
  }
};

std::int64_t ms_from_now(std::chrono::milliseconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             (std::chrono::system_clock::now() + d).time_since_epoch())
      .count();
}

class auth : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    bus_ = make_bus(GetParam());
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
    with_transport([this](auto& t) {
      auto sub = t.subscribe(raw_reply_channel_,
                             [this](std::string_view, std::string_view b) { replies_.put(b); });
      subscription_ = std::make_shared<decltype(sub)>(std::move(sub));
      raw_push_ = [&t](const std::string& bytes) {
        t.push(redwire::detail::service_queue(t.prefix(), "calc"), bytes);
      };
    });
  }
  void TearDown() override {
    subscription_.reset();
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

  /// calc.add(a, b) as a client would send it, replies to raw_reply_channel_; MACed with
  /// `secret` unless it is empty.
  std::string add_frame(int a, int b, std::string_view secret, std::int64_t deadline_ms) {
    redwire::envelope e;
    e.kind = redwire::message_kind::request;
    e.call_id = ++raw_ids_;
    e.fingerprint = calc::add.fingerprint;
    e.deadline_ms = deadline_ms;
    e.procedure = calc::add.name;
    e.reply_to = raw_reply_channel_;
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

  std::unique_ptr<bus> bus_;
  std::unique_ptr<redwire::service> svc_;
  std::atomic<int> runs_{0};
  const std::string raw_reply_channel_ = "rw:test:raw-replies";
  inbox replies_;
  std::shared_ptr<void> subscription_;
  std::function<void(const std::string&)> raw_push_;
  std::uint64_t raw_ids_ = 0;
};

TEST_P(auth, right_secret_runs_the_call) {
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

TEST_P(auth, wrong_secret_is_unauthorized) {
  auto cli = bus_->make_client({.secret = "not-the-secret"});
  auto r = cli->try_call(calc::add, 2, 3);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), errc::unauthorized) << r.error().what();
  auto other = bus_->make_client({.secret = calc_secret, .secrets = {{"calc", "nope"}}});
  EXPECT_EQ(other->try_call(calc::add, 2, 3).error().code(), errc::unauthorized);
  EXPECT_EQ(runs_.load(), 0);
  EXPECT_EQ(svc_->stats().unauthorized, 2u);
}

TEST_P(auth, no_secret_is_unauthorized) {
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

TEST_P(auth, tampered_request_is_unauthorized) {
  const std::string good = add_frame(2, 3, calc_secret, ms_from_now(5s));
  std::string tampered = good;
  tampered.back() = static_cast<char>(tampered.back() ^ 0x01);  // 3 -> 2, the payload's last byte
  raw_push_(tampered);
  auto reply = replies_.next(3s);
  ASSERT_TRUE(reply);
  auto e = redwire::decode_envelope(*reply);
  EXPECT_EQ(e.kind, redwire::message_kind::error_reply);
  EXPECT_EQ(e.error, errc::unauthorized);
  EXPECT_EQ(runs_.load(), 0);

  std::string later = good;  // the deadline is inside the MAC: it cannot be pushed back
  later[21] = static_cast<char>(later[21] ^ 0x40);
  raw_push_(later);
  reply = replies_.next(3s);
  ASSERT_TRUE(reply);
  EXPECT_EQ(redwire::decode_envelope(*reply).error, errc::unauthorized);
  EXPECT_EQ(runs_.load(), 0);

  raw_push_(good);  // the same bytes untouched run, and their reply is MACed for that caller
  reply = replies_.next(3s);
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

TEST_P(auth, captured_request_does_not_run_after_its_deadline) {
  const std::string captured = add_frame(2, 3, calc_secret, ms_from_now(300ms));
  raw_push_(captured);
  ASSERT_TRUE(replies_.next(3s));
  EXPECT_EQ(runs_.load(), 1);
  std::this_thread::sleep_for(400ms);
  raw_push_(captured);  // replayed past its deadline
  drain();
  EXPECT_FALSE(replies_.next(100ms));
  EXPECT_EQ(runs_.load(), 1);
  EXPECT_EQ(svc_->stats().expired, 1u);

  raw_push_(add_frame(2, 3, calc_secret, 0));  // no deadline: could be replayed forever
  auto reply = replies_.next(3s);
  ASSERT_TRUE(reply);
  EXPECT_EQ(redwire::decode_envelope(*reply).error, errc::unauthorized);
  EXPECT_EQ(runs_.load(), 1);
}

TEST_P(auth, reply_without_the_mac_is_dropped_by_the_client) {
  // "audit" has no secret, but this client believes it does: its unMACed replies look forged.
  auto audit = bus_->make_service("audit");
  audit->bind(audit::add, [](int a, int b) { return a + b; });
  audit->start();
  auto cli = bus_->make_client({.secrets = {{"audit", "audit-secret"}}});
  auto r = cli->with({.timeout = 300ms}).try_call(audit::add, 1, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), errc::timeout);
  auto plain = bus_->make_client();
  EXPECT_EQ(plain->call(audit::add, 1, 2), 3);
}

#if REDWIRE_TEST_REDIS
TEST_P(auth, the_secret_is_never_stored_in_redis) {
  auto* r = dynamic_cast<redis_bus*>(bus_.get());
  if (!r) return;  // nothing is stored anywhere on the memory bus
  auto cli = bus_->make_client({.secret = calc_secret});
  for (int i = 0; i < 10; ++i) ASSERT_EQ(cli->call(calc::add, i, i), 2 * i);
  auto& t = r->transport();
  std::string everything;
  for (auto& key : t.command({"KEYS", "*"}).elements) {
    const std::string type = t.command({"TYPE", key.str}).str;
    everything += key.str + "\n";
    redwire::redis::reply value;
    if (type == "string")
      value = t.command({"GET", key.str});
    else if (type == "hash")
      value = t.command({"HGETALL", key.str});
    else if (type == "list")
      value = t.command({"LRANGE", key.str, "0", "-1"});
    else if (type == "zset")
      value = t.command({"ZRANGE", key.str, "0", "-1", "WITHSCORES"});
    else if (type == "set")
      value = t.command({"SMEMBERS", key.str});
    else if (type == "stream")
      value = t.command({"XRANGE", key.str, "-", "+"});
    everything += value.str;
    for (auto& element : value.elements) everything += element.str + "\n";
  }
  EXPECT_FALSE(everything.empty());  // the registry is there
  EXPECT_EQ(everything.find(calc_secret), std::string::npos);
}
#endif

INSTANTIATE_TEST_SUITE_P(transports, auth, ::testing::ValuesIn(bus_kinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
