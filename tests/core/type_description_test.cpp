// Tests of redwire/type_description.hpp: the structural descriptions that signatures and their
// fingerprints are built from. They must not depend on the compiler, and must change with a type.
#include <redwire/codec.hpp>
#include <redwire/detail/bytes.hpp>
#include <redwire/type_description.hpp>

#include <gtest/gtest.h>
#include <cereal/types/vector.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <thread>

namespace {

using redwire::detail::type_description_v;

struct point {
  double x;
  double y;
};
struct point3 {
  double x;
  double y;
  double z;
};
struct order {
  std::uint64_t id;
  std::vector<point> route;
  std::optional<std::string> note;
};
struct empty {};

enum class status : std::uint8_t { open, closed };
enum legacy : unsigned { legacy_a };

struct named_shape {
  static constexpr std::string_view redwire_name = "geo.shape/2";
  std::vector<int> corners;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(corners);
  }
};
class anonymous_shape {
 public:
  template <class Archive>
  void serialize(Archive& archive) {
    archive(corners_);
  }

 private:
  std::vector<int> corners_;
};

template <class T>
std::string_view describe() {
  return type_description_v<T>.view();
}

}  // namespace

TEST(type_description, numbers) {
  EXPECT_EQ(describe<bool>(), "bool");
  EXPECT_EQ(describe<char>(), "char");
  EXPECT_EQ(describe<signed char>(), "i8");
  EXPECT_EQ(describe<std::uint8_t>(), "u8");
  EXPECT_EQ(describe<short>(), "i16");
  EXPECT_EQ(describe<std::uint16_t>(), "u16");
  EXPECT_EQ(describe<int>(), "i32");
  EXPECT_EQ(describe<unsigned>(), "u32");
  EXPECT_EQ(describe<long long>(), "i64");
  EXPECT_EQ(describe<std::int64_t>(), "i64");
  EXPECT_EQ(describe<std::uint64_t>(), "u64");
  EXPECT_EQ(describe<float>(), "f32");
  EXPECT_EQ(describe<double>(), "f64");
  EXPECT_EQ(describe<void>(), "void");
  EXPECT_EQ(describe<std::byte>(), "byte");
}

TEST(type_description, cv_and_references_are_ignored) {
  EXPECT_EQ(describe<const int&>(), "i32");
  EXPECT_EQ(describe<volatile double>(), "f64");
  EXPECT_EQ(describe<std::vector<int>&&>(), "vec<i32>");
}

TEST(type_description, strings_and_containers) {
  EXPECT_EQ(describe<std::string>(), "str");
  EXPECT_EQ(describe<std::string_view>(), "str");
  EXPECT_EQ(describe<const char*>(), "str");
  EXPECT_EQ(describe<std::vector<std::byte>>(), "bytes");
  EXPECT_EQ(describe<std::vector<char>>(), "vec<char>");
  EXPECT_EQ(describe<std::vector<std::string>>(), "vec<str>");
  EXPECT_EQ(describe<std::deque<int>>(), "vec<i32>");
  EXPECT_EQ(describe<std::list<int>>(), "vec<i32>");
  EXPECT_EQ((describe<std::array<float, 4>>()), "arr<f32, 4>");
  EXPECT_EQ(describe<std::set<std::string>>(), "set<str>");
  EXPECT_EQ(describe<std::unordered_set<std::string>>(), "set<str>");
  EXPECT_EQ((describe<std::map<std::string, std::vector<double>>>()), "map<str, vec<f64>>");
  EXPECT_EQ((describe<std::unordered_map<int, bool>>()), "map<i32, bool>");
}

TEST(type_description, optional_variant_pair_tuple) {
  EXPECT_EQ(describe<std::optional<int>>(), "opt<i32>");
  EXPECT_EQ((describe<std::variant<std::monostate, int, std::string>>()), "var<none|i32|str>");
  EXPECT_EQ((describe<std::pair<int, std::string>>()), "pair<i32, str>");
  EXPECT_EQ((describe<std::tuple<int, int>>()), "tup<i32, i32>");
  EXPECT_EQ(describe<std::tuple<>>(), "tup<>");
}

TEST(type_description, chrono_and_enums) {
  EXPECT_EQ(describe<std::chrono::milliseconds>(), "dur<i64, 1/1000>");
  EXPECT_EQ(describe<std::chrono::seconds>(), "dur<i64, 1/1>");
  EXPECT_EQ(describe<std::chrono::minutes>(), "dur<i64, 60/1>");
  EXPECT_EQ(describe<std::chrono::duration<double>>(), "dur<f64, 1/1>");
  EXPECT_EQ(
      (describe<std::chrono::time_point<std::chrono::system_clock, std::chrono::nanoseconds>>()),
      "time<dur<i64, 1/1000000000>>");
  EXPECT_EQ(describe<status>(), "enum<u8>");
  EXPECT_EQ(describe<legacy>(), "enum<u32>");
}

TEST(type_description, aggregates_by_their_fields) {
  EXPECT_EQ(describe<point>(), "{f64, f64}");
  EXPECT_EQ(describe<order>(), "{u64, vec<{f64, f64}>, opt<str>}");
  EXPECT_EQ(describe<empty>(), "{}");
  EXPECT_EQ((describe<std::map<std::string, point>>()), "map<str, {f64, f64}>");
  // one more field, another description (and so another fingerprint)
  EXPECT_NE(describe<point>(), describe<point3>());
  EXPECT_EQ(describe<point3>(), "{f64, f64, f64}");
}

TEST(type_description, cereal_classes_by_their_name) {
  EXPECT_EQ(describe<named_shape>(), "obj<geo.shape/2>");
  EXPECT_EQ(describe<anonymous_shape>(), "obj");
}

TEST(type_description, wire_types) {
  using redwire::wire_type_t;
  static_assert(std::is_same_v<wire_type_t<std::string_view>, std::string>);
  static_assert(std::is_same_v<wire_type_t<const std::string_view&>, std::string>);
  static_assert(std::is_same_v<wire_type_t<const char*>, std::string>);
  static_assert(std::is_same_v<wire_type_t<const char* const&>, std::string>);
  static_assert(std::is_same_v<wire_type_t<const std::vector<int>&>, std::vector<int>>);
  static_assert(std::is_same_v<wire_type_t<point&&>, point>);
  static_assert(std::is_same_v<wire_type_t<int>, int>);
}

// Descriptions are usable at compile time, e.g. to hash into a fingerprint.
static_assert(type_description_v<std::vector<point>> == redwire::fixed_string{"vec<{f64, f64}>"});
static_assert(redwire::detail::fnv1a(type_description_v<point>) !=
              redwire::detail::fnv1a(type_description_v<point3>));

struct holds_pointer {
  int* p;
};
struct holds_thread {
  int id;
  std::thread worker;
};
static_assert(!redwire::serializable<int*>);
static_assert(!redwire::serializable<std::function<int(int)>>);
static_assert(!redwire::serializable<std::thread>);
static_assert(!redwire::serializable<holds_pointer>);
static_assert(!redwire::serializable<holds_thread>);
static_assert(!redwire::serializable<std::vector<holds_pointer>>);
static_assert(!redwire::serializable<std::map<int, std::function<void()>>>);
static_assert(redwire::serializable<order>);
static_assert(redwire::serializable<named_shape>);
