// errc, its category, rpc_error and result<T>.
#include <gtest/gtest.h>

#include <redwire/errors.hpp>

namespace {

TEST(errors, category_and_names) {
  std::error_code ec = redwire::errc::timeout;
  EXPECT_EQ(ec.category().name(), std::string("redwire"));
  EXPECT_EQ(ec.message(), "timeout");
  EXPECT_EQ(ec, redwire::errc::timeout);
  EXPECT_NE(ec, redwire::errc::unavailable);
  EXPECT_STREQ(redwire::to_string(redwire::errc::remote_exception), "remote_exception");
}

TEST(errors, rpc_error_carries_everything) {
  redwire::rpc_error e(redwire::errc::remote_exception, "division by zero", "calc.div", "calc-1");
  EXPECT_EQ(e.code(), redwire::errc::remote_exception);
  EXPECT_EQ(e.error(), redwire::errc::remote_exception);
  EXPECT_EQ(e.message(), "division by zero");
  EXPECT_EQ(e.procedure(), "calc.div");
  EXPECT_EQ(e.instance(), "calc-1");
  EXPECT_EQ(std::string(e.what()), "redwire: calc.div: remote_exception: division by zero");
}

TEST(errors, result_holds_value_or_error) {
  redwire::result<int> ok = 5;
  EXPECT_TRUE(ok);
  EXPECT_EQ(*ok, 5);
  EXPECT_EQ(ok.value_or(9), 5);
  redwire::result<int> bad = redwire::rpc_error(redwire::errc::timeout, "late");
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.value_or(9), 9);
  EXPECT_EQ(bad.error().code(), redwire::errc::timeout);
  EXPECT_THROW(bad.value(), redwire::rpc_error);
  redwire::result<void> done;
  EXPECT_TRUE(done);
  redwire::result<void> failed = redwire::rpc_error(redwire::errc::cancelled, "");
  EXPECT_FALSE(failed);
  EXPECT_THROW(failed.value(), redwire::rpc_error);
}

}  // namespace
