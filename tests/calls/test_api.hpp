// Procedures shared by the typed-call suite, as a real project would declare them.
#pragma once

#include <redwire/redwire.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

namespace test_api {

struct point {
  double x;
  double y;
};

struct order {
  std::string id;
  std::vector<point> route;
  std::optional<std::int64_t> priority;
  std::map<std::string, std::string> tags;
};

namespace calc {
inline constexpr redwire::procedure<"calc.add", int(int, int)> add{};
inline constexpr redwire::procedure<"calc.centroid", point(std::vector<point>)> centroid{};
inline constexpr redwire::procedure<"calc.divmod", std::tuple<int, int>(int, int)> divmod{};
inline constexpr redwire::procedure<"calc.reset", void()> reset{};
inline constexpr redwire::procedure<"calc.fail", int(std::string)> fail{};
inline constexpr redwire::procedure<"calc.sleep", int(int)> sleep_ms{};
// Waits until the test opens its gate (support/gate.hpp), then returns its argument.
inline constexpr redwire::procedure<"calc.hold", int(int)> hold{};
inline constexpr redwire::procedure<"calc.echo", std::string(std::string_view)> echo{};
inline constexpr redwire::procedure<"calc.blob", std::vector<std::byte>(std::vector<std::byte>)>
    blob{};
inline constexpr redwire::procedure<"calc.whoami", std::string()> whoami{};
inline constexpr redwire::procedure<"calc.trace", std::string()> trace{};
inline constexpr redwire::procedure<"calc.record", void(std::string, int)> record{};
inline constexpr redwire::procedure<"calc.order", order(order)> round_trip{};
inline constexpr redwire::procedure<"calc.nested", int(int, int)> nested{};
inline constexpr redwire::procedure<"calc.not_served", int(int)> not_served{};
}  // namespace calc

// The same name as calc::add, declared with other types: a caller built against an older header.
namespace stale {
inline constexpr redwire::procedure<"calc.add", long(int, int)> add{};
}

namespace audit {
inline constexpr redwire::procedure<"audit.trace", std::string()> trace{};
inline constexpr redwire::procedure<"audit.add", int(int, int)> add{};
}  // namespace audit

}  // namespace test_api
