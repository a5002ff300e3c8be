// A caller and a service built from different headers: errc::signature_mismatch, with both
// signatures in the message, on every transport (sync calls with and without inboxes, async
// calls). Two declarations of one procedure name, with different types, stand for the two
// headers.
#include <gtest/gtest.h>

#include <boost/describe/class.hpp>

#include <future>
#include <memory>
#include <string>

#include "support/buses.hpp"

using redwire::errc;

// ---- the service's header -----------------------------------------------------------------
namespace current {
struct point {
  double x;
  double y;
};
BOOST_DESCRIBE_STRUCT(point, (), (x, y))

struct plain_point {
  double x;
  double y;
};

inline constexpr redwire::procedure<"pricing.price", double(std::string, int)> price{};
inline constexpr redwire::procedure<"pricing.dist", double(point)> dist{};
inline constexpr redwire::procedure<"pricing.plain", double(plain_point)> plain{};
}  // namespace current

// ---- an older copy of it, as a caller has it ----------------------------------------------
namespace older {
struct point {  // the two fields the other way round
  double y;
  double x;
};
BOOST_DESCRIBE_STRUCT(point, (), (y, x))

struct plain_point {  // the same, undescribed: the fingerprint cannot see it
  double y;
  double x;
};

inline constexpr redwire::procedure<"pricing.price", double(std::string, long)> price{};
inline constexpr redwire::procedure<"pricing.dist", double(point)> dist{};
inline constexpr redwire::procedure<"pricing.plain", double(plain_point)> plain{};
}  // namespace older

namespace {

class signature_mismatch : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    bus_ = redwire::test::make_bus(GetParam());
    svc_ = bus_->make_service("pricing");
    svc_->bind(current::price, [](const std::string&, int n) { return n * 1.5; });
    svc_->bind(current::dist, [](current::point p) { return p.x; });
    svc_->bind(current::plain, [](current::plain_point p) { return p.x; });
    svc_->start();
    cli_ = bus_->make_client();
  }
  void TearDown() override {
    cli_.reset();
    if (svc_) svc_->stop();
  }

  std::unique_ptr<redwire::test::bus> bus_;
  std::unique_ptr<redwire::service> svc_;
  std::unique_ptr<redwire::client> cli_;
};

TEST_P(signature_mismatch, names_both_signatures) {
  auto r = cli_->try_call(older::price, "EUR", 3);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), errc::signature_mismatch);
  EXPECT_EQ(r.error().message(),
            "caller: pricing.price(str, i64) -> f64; service: pricing.price(str, i32) -> f64");
  EXPECT_STREQ(r.error().what(),
               "redwire: pricing.price: signature_mismatch: caller: pricing.price(str, i64) -> "
               "f64; service: pricing.price(str, i32) -> f64");
  EXPECT_EQ(cli_->call(current::price, "EUR", 3), 4.5);
}

TEST_P(signature_mismatch, async_calls_name_both_signatures) {
  std::future<double> f = cli_->async_call(older::price, "EUR", 3);
  try {
    f.get();
    FAIL() << "the call ran";
  } catch (const redwire::rpc_error& e) {
    EXPECT_EQ(e.error(), errc::signature_mismatch);
    EXPECT_EQ(e.message(),
              "caller: pricing.price(str, i64) -> f64; service: pricing.price(str, i32) -> f64");
  }
}

TEST_P(signature_mismatch, swapped_fields_of_a_described_struct) {
  auto r = cli_->try_call(older::dist, older::point{.y = 2.0, .x = 1.0});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), errc::signature_mismatch);
  EXPECT_EQ(r.error().message(),
            "caller: pricing.dist(point{y: f64, x: f64}) -> f64; service: pricing.dist(point{x: "
            "f64, y: f64}) -> f64");
  EXPECT_EQ(cli_->call(current::dist, current::point{.x = 1.0, .y = 2.0}), 1.0);
}

// What the README says the fingerprint cannot catch: an undescribed struct whose same-typed
// fields were swapped travels, and arrives swapped.
TEST_P(signature_mismatch, swapped_fields_of_a_plain_struct_pass_unnoticed) {
  static_assert(older::plain.fingerprint == current::plain.fingerprint);
  EXPECT_EQ(cli_->call(older::plain, older::plain_point{.y = 2.0, .x = 1.0}), 2.0);
}

INSTANTIATE_TEST_SUITE_P(buses, signature_mismatch, ::testing::ValuesIn(redwire::test::bus_kinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
