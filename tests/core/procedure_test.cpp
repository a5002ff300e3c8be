// procedure<>: names, readable signatures and structural fingerprints.
#include <gtest/gtest.h>

#include <redwire/procedure.hpp>

#include <string>
#include <tuple>
#include <vector>

namespace {

struct point {
  double x;
  double y;
};
struct point3 {
  double x;
  double y;
  double z;
};

inline constexpr redwire::procedure<"calc.add", int(int, int)> add{};
inline constexpr redwire::procedure<"calc.add", long(int, int)> add_long{};
inline constexpr redwire::procedure<"calc.centroid", point(std::vector<point>)> centroid{};
inline constexpr redwire::procedure<"calc.centroid", point3(std::vector<point3>)> centroid3{};
inline constexpr redwire::procedure<"calc.divmod", std::tuple<int, int>(int, int)> divmod{};
inline constexpr redwire::procedure<"calc.reset", void()> reset{};

TEST(procedure, name_and_service) {
  static_assert(add.name == "calc.add");
  static_assert(add.service == "calc");
  static_assert(decltype(add)::arity == 2);
  static_assert(std::is_same_v<decltype(add)::result_type, int>);
}

TEST(procedure, readable_signature) {
  EXPECT_EQ(add.signature, "calc.add(i32, i32) -> i32");
  EXPECT_EQ(reset.signature, "calc.reset() -> void");
  EXPECT_EQ(centroid.signature, "calc.centroid(vec<{f64, f64}>) -> {f64, f64}");
  EXPECT_EQ(divmod.signature, "calc.divmod(i32, i32) -> tup<i32, i32>");
}

TEST(procedure, fingerprint_follows_structure) {
  static_assert(add.fingerprint != add_long.fingerprint, "result type is part of it");
  static_assert(centroid.fingerprint != centroid3.fingerprint, "a field more changes it");
  // Pinned: the numbers every build must agree on (a caller and a service built apart, by
  // g++ and by clang), worked out once outside this code: FNV-1a 64 of the signature text.
  EXPECT_EQ(add.fingerprint, 0xf53a6658b3f04ba7ull);
  EXPECT_EQ(add_long.fingerprint, 0xf5294e58b3e1afacull);
  EXPECT_EQ(centroid.fingerprint, 0x0977b5c7221273f4ull);
  // FNV-1a's own known answers (its offset basis, and "a").
  EXPECT_EQ(redwire::detail::fnv1a(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(redwire::detail::fnv1a("a"), 0xaf63dc4c8601ec8cull);
}

TEST(procedure, const_ref_and_value_declare_the_same_wire) {
  constexpr redwire::procedure<"x.f", int(const std::string&)> by_ref{};
  constexpr redwire::procedure<"x.f", int(std::string)> by_value{};
  static_assert(by_ref.fingerprint == by_value.fingerprint);
}

}  // namespace
