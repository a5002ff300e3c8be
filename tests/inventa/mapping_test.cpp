// Procedure types onto Inventa's list of strings and back.
#include <gtest/gtest.h>

#include <redwire/inventa.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

namespace {

namespace d = redwire::inventa::detail;
using items = std::vector<std::string>;

TEST(inventa_mapping, numbers_travel_as_decimal_text) {
  EXPECT_EQ((d::arguments_to_items<std::int64_t, std::int64_t>(465, 855)), (items{"465", "855"}));
  EXPECT_EQ((d::arguments_to_items<double, int>(0.5, -3)), (items{"0.5", "-3"}));
  EXPECT_EQ((d::arguments_to_items<std::uint64_t>(std::numeric_limits<std::uint64_t>::max())),
            items{"18446744073709551615"});
  std::string why;
  auto v = d::items_to_arguments<std::int64_t, double>(items{"-12", "2.5e3"}, why);
  ASSERT_TRUE(v) << why;
  EXPECT_EQ(std::get<0>(*v), -12);
  EXPECT_EQ(std::get<1>(*v), 2500.0);
}

TEST(inventa_mapping, a_whole_number_written_as_a_float_reads_as_an_integer) {
  std::string why;
  auto v = d::items_to_result<std::int64_t>(items{"42.0"}, why);  // py-inventa's sum prints so
  ASSERT_TRUE(v) << why;
  EXPECT_EQ(*v, 42);
  EXPECT_FALSE(d::items_to_result<std::int64_t>(items{"42.5"}, why));
}

TEST(inventa_mapping, strings_blobs_and_lists) {
  EXPECT_EQ((d::arguments_to_items<std::string_view, std::string>("a|b", std::string("!"))),
            (items{"a|b", "!"}));
  std::vector<std::byte> blob{std::byte{0}, std::byte{0xff}, std::byte{'|'}};
  EXPECT_EQ(d::arguments_to_items<std::vector<std::byte>>(blob), items{std::string("\0\xff|", 3)});
  EXPECT_EQ(d::arguments_to_items<std::vector<std::string>>(items{"x", "y", "z"}),
            (items{"x", "y", "z"}));
  std::string why;
  auto whole = d::items_to_arguments<std::vector<std::string>>(items{"x", "y"}, why);
  ASSERT_TRUE(whole);
  EXPECT_EQ(std::get<0>(*whole), (items{"x", "y"}));
}

TEST(inventa_mapping, results_tuples_and_void) {
  EXPECT_EQ((d::result_to_items<std::tuple<std::int64_t, std::string>>(std::tuple{14, "r"})),
            (items{"14", "r"}));
  std::string why;
  auto t = d::items_to_result<std::tuple<int, int>>(items{"14", "3"}, why);
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, (std::tuple{14, 3}));
  EXPECT_FALSE((d::items_to_result<std::tuple<int, int>>(items{"14"}, why)));
  EXPECT_NE(why.find("expected 2"), std::string::npos);
}

TEST(inventa_mapping, what_does_not_read_says_which_argument_and_why) {
  std::string why;
  EXPECT_FALSE((d::items_to_arguments<std::int64_t, std::int64_t>(items{"1", "x"}, why)));
  EXPECT_EQ(why, "argument 2: not an integer: 'x'");
  EXPECT_FALSE((d::items_to_arguments<std::int64_t, std::int64_t>(items{"1"}, why)));
  EXPECT_EQ(why, "expected 2 arguments, got 1");
  EXPECT_FALSE((d::items_to_arguments<std::int8_t>(items{"300"}, why)));
  EXPECT_EQ(why, "argument 1: out of range: '300'");
  EXPECT_FALSE((d::items_to_arguments<double>(items{""}, why)));
  // Items past the declared ones are ignored, as the libraries do.
  EXPECT_TRUE((d::items_to_arguments<int>(items{"1", "2", "3"}, why)));
  // No argument at all is one empty item on the wire.
  EXPECT_TRUE((d::items_to_arguments<>(items{""}, why)));
}

static_assert(d::item<std::string> && d::item<std::int64_t> && d::item<double> &&
              d::item<std::vector<std::byte>>);
static_assert(!d::item<bool> && !d::item<char> && !d::item<std::vector<int>>);
static_assert(d::result_form<void> && d::result_form<std::tuple<int, std::string>> &&
              d::result_form<std::vector<std::string>>);

}  // namespace
