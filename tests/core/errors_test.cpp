// errc, its category, rpc_error and result<T>.
#include <gtest/gtest.h>

#include <redwire/errors.hpp>

#include <utility>

namespace {

TEST(errors, category_and_names) {
  std::error_code ec = redwire::errc::timeout;
  EXPECT_EQ(ec.category().name(), std::string("redwire"));
  EXPECT_EQ(ec.message(), "timeout");
  EXPECT_EQ(ec, redwire::errc::timeout);
  EXPECT_NE(ec, redwire::errc::unavailable);
  EXPECT_STREQ(redwire::to_string(redwire::errc::remote_exception), "remote_exception");
}

TEST(errors, codes_keep_their_numbers_on_the_wire) {
  using redwire::errc;
  const std::pair<errc, int> codes[] = {{errc::timeout, 1},           {errc::unavailable, 2},
                                        {errc::unknown_procedure, 3}, {errc::signature_mismatch, 4},
                                        {errc::remote_exception, 5},  {errc::bad_message, 6},
                                        {errc::unauthorized, 7},      {errc::too_large, 8},
                                        {errc::cancelled, 9}};
  for (auto [code, number] : codes) EXPECT_EQ(static_cast<int>(code), number) << to_string(code);
  EXPECT_STREQ(redwire::to_string(static_cast<errc>(10)), "unknown_error");  // retired: expired
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
