// Structs described with BOOST_DESCRIBE_STRUCT: their name and their fields' names go into the
// type description, so into fingerprints, where a plain aggregate is known by its fields'
// types alone. The codec is the same for both. The texts and fingerprints are pinned literally,
// so that this file, built by g++ and by clang, proves they agree.
#include <redwire/codec.hpp>
#include <redwire/detail/bytes.hpp>
#include <redwire/procedure.hpp>
#include <redwire/type_description.hpp>

#include <gtest/gtest.h>
#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace geo {
struct point {
  double x;
  double y;
};
BOOST_DESCRIBE_STRUCT(point, (), (x, y))

/// The same struct in an older header: its two fields declared the other way round.
struct point_swapped {
  double y;
  double x;
};
BOOST_DESCRIBE_STRUCT(point_swapped, (), (y, x))

struct point_renamed {
  double x;
  double z;
};
BOOST_DESCRIBE_STRUCT(point_renamed, (), (x, z))

/// Listed out of order: the names still follow the declaration (the order fields travel in).
struct listed_backwards {
  std::uint64_t id;
  std::string label;
};
BOOST_DESCRIBE_STRUCT(listed_backwards, (), (label, id))

struct versioned {
  static constexpr std::string_view redwire_name = "geo.versioned/2";
  std::int32_t level;
};
BOOST_DESCRIBE_STRUCT(versioned, (), (level))

struct nothing {};
BOOST_DESCRIBE_STRUCT(nothing, (), ())

template <class T>
struct box {
  T value;
};
BOOST_DESCRIBE_STRUCT(box<std::string>, (), (value))
}  // namespace geo

namespace {

struct plain_point {
  double x;
  double y;
};
struct plain_swapped {
  double y;
  double x;
};
struct plain_route {
  std::uint64_t id;
  std::vector<plain_point> stops;
  std::optional<std::string> note;
};

struct route {
  std::uint64_t id;
  std::vector<geo::point> stops;
  std::optional<std::string> note;
};
BOOST_DESCRIBE_STRUCT(route, (), (id, stops, note))

/// Plain, holding a described one: the outer stays positional, the inner is named.
struct leg {
  geo::point from;
  geo::point to;
};

enum class status : std::uint8_t { open, closed };
struct named_shape {
  static constexpr std::string_view redwire_name = "geo.shape/2";
  std::vector<int> corners;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(corners);
  }
};

template <class T>
std::string_view description_of() {
  return redwire::detail::type_description_v<T>.view();
}

}  // namespace

TEST(described_types, name_and_field_names) {
  EXPECT_EQ(description_of<geo::point>(), "point{x: f64, y: f64}");
  EXPECT_EQ(description_of<geo::point_swapped>(), "point_swapped{y: f64, x: f64}");
  EXPECT_EQ(description_of<route>(),
            "route{id: u64, stops: vec<point{x: f64, y: f64}>, note: opt<str>}");
  EXPECT_EQ(description_of<geo::nothing>(), "nothing{}");
  EXPECT_EQ((description_of<std::map<std::string, geo::point>>()),
            "map<str, point{x: f64, y: f64}>");
  EXPECT_EQ(description_of<leg>(), "{point{x: f64, y: f64}, point{x: f64, y: f64}}");
}

TEST(described_types, undescribed_aggregates_are_known_by_their_fields_alone) {
  EXPECT_EQ(description_of<plain_point>(), "{f64, f64}");
  EXPECT_EQ(description_of<plain_swapped>(), "{f64, f64}");  // what the fingerprint cannot see
}

TEST(described_types, names_follow_the_declaration_not_the_list) {
  EXPECT_EQ(description_of<geo::listed_backwards>(), "listed_backwards{id: u64, label: str}");
}

TEST(described_types, name_is_redwire_name_or_the_unqualified_class_name) {
  EXPECT_EQ(description_of<geo::versioned>(), "geo.versioned/2{level: i32}");
  // Template arguments are left out of the name: the fields say what they change.
  EXPECT_EQ(description_of<geo::box<std::string>>(), "box{value: str}");
  // A cereal class is still known by its redwire_name (its fields are its serialize()'s).
  EXPECT_EQ(description_of<named_shape>(), "obj<geo.shape/2>");
}

TEST(described_types, swapped_or_renamed_fields_change_the_fingerprint) {
  constexpr redwire::procedure<"geo.move", geo::point(geo::point)> move{};
  constexpr redwire::procedure<"geo.move", geo::point_swapped(geo::point_swapped)> move_swapped{};
  constexpr redwire::procedure<"geo.move", geo::point_renamed(geo::point_renamed)> move_renamed{};
  constexpr redwire::procedure<"geo.move", plain_point(plain_point)> move_plain{};
  constexpr redwire::procedure<"geo.move", plain_swapped(plain_swapped)> move_plain_swapped{};
  static_assert(move.fingerprint != move_swapped.fingerprint);
  static_assert(move.fingerprint != move_renamed.fingerprint);
  static_assert(move.fingerprint != move_plain.fingerprint, "describing a struct changes it");
  static_assert(move_plain.fingerprint == move_plain_swapped.fingerprint, "documented blind spot");
  EXPECT_EQ(move.signature, "geo.move(point{x: f64, y: f64}) -> point{x: f64, y: f64}");
  EXPECT_EQ(move_swapped.signature,
            "geo.move(point_swapped{y: f64, x: f64}) -> point_swapped{y: f64, x: f64}");
}

// The same numbers under every compiler: FNV-1a of the texts above.
TEST(described_types, fingerprints_are_pinned) {
  constexpr redwire::procedure<"geo.move", geo::point(geo::point)> move{};
  constexpr redwire::procedure<"geo.plan", std::tuple<std::uint64_t, status>(route, leg)> plan{};
  EXPECT_EQ(move.fingerprint, 0x08eb820617a4c60full);
  EXPECT_EQ(plan.signature,
            "geo.plan(route{id: u64, stops: vec<point{x: f64, y: f64}>, note: opt<str>}, "
            "{point{x: f64, y: f64}, point{x: f64, y: f64}}) -> tup<u64, enum<u8>>");
  EXPECT_EQ(plan.fingerprint, 0x65a7d865a1971876ull);
}

// Undescribed types keep the text and the fingerprint that deployed services already have.
TEST(described_types, undescribed_fingerprints_are_unchanged) {
  using point = plain_point;
  constexpr redwire::procedure<"calc.add", int(int, int)> add{};
  constexpr redwire::procedure<"calc.centroid", point(std::vector<point>)> centroid{};
  constexpr redwire::procedure<"shop.place", std::tuple<std::uint64_t, status>(
                                                 plain_route, std::map<std::string, point>)>
      place{};
  constexpr redwire::procedure<"geo.draw", void(named_shape, std::string_view)> draw{};
  constexpr redwire::procedure<"pricing.price", double(std::string, long)> price{};
  EXPECT_EQ(add.fingerprint, 0xf53a6658b3f04ba7ull);
  EXPECT_EQ(centroid.signature, "calc.centroid(vec<{f64, f64}>) -> {f64, f64}");
  EXPECT_EQ(centroid.fingerprint, 0x0977b5c7221273f4ull);
  EXPECT_EQ(place.signature,
            "shop.place({u64, vec<{f64, f64}>, opt<str>}, map<str, {f64, f64}>) -> tup<u64, "
            "enum<u8>>");
  EXPECT_EQ(place.fingerprint, 0x7b00c8a6514a7f64ull);
  EXPECT_EQ(draw.fingerprint, 0x24f20b3e23a44f3full);
  EXPECT_EQ(price.fingerprint, 0xc4f81ad6a221a814ull);
}

TEST(described_types, travel_exactly_like_plain_aggregates) {
  static_assert(redwire::serializable<geo::point> && redwire::serializable<route>);
  std::string described, plain;
  redwire::encode_values(described, geo::point{1.5, -2.0}, geo::listed_backwards{7, "seven"});
  redwire::encode_values(plain, plain_point{1.5, -2.0}, std::uint64_t{7}, std::string("seven"));
  EXPECT_EQ(described, plain);
  auto [p, l] = redwire::decode_values<geo::point, geo::listed_backwards>(described);
  EXPECT_EQ(p.x, 1.5);
  EXPECT_EQ(p.y, -2.0);
  EXPECT_EQ(l.id, 7u);
  EXPECT_EQ(l.label, "seven");
}

// Enums described with BOOST_DESCRIBE_ENUM carry their enumerators (names and values, negative
// ones too), so that a tool can show and read them by name; others only their underlying type.
namespace paint {
enum class shade : std::int8_t { dark = -2, plain = 0, light = 3 };
BOOST_DESCRIBE_ENUM(shade, dark, plain, light)
enum class bare : std::uint16_t { a, b };
}  // namespace paint

TEST(described_types, described_enums_carry_their_enumerators) {
  EXPECT_EQ(redwire::detail::type_description_v<paint::shade>.view(),
            "enum<i8>{dark=-2, plain=0, light=3}");
  EXPECT_EQ(redwire::detail::type_description_v<paint::bare>.view(), "enum<u16>");
  EXPECT_EQ((redwire::detail::type_description_v<std::vector<paint::shade>>.view()),
            "vec<enum<i8>{dark=-2, plain=0, light=3}>");
}
