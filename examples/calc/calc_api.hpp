// calc_api.hpp — the contract between the calc service's replicas and their callers.
#pragma once

#include <redwire/redwire.hpp>

#include <string>
#include <tuple>
#include <vector>

namespace calc {

struct point {  // a plain aggregate: serialized by reflection, no code needed
  double x;
  double y;
};

struct centroid_answer {
  point centroid;
  std::string replica;  // which instance computed it
};

inline constexpr redwire::procedure<"calc.add", int(int, int)> add{};
/// The centroid of a polygon's corners, and who computed it.
inline constexpr redwire::procedure<"calc.centroid", centroid_answer(std::vector<point>)>
    centroid{};
/// (quotient, remainder, replica); throws on division by zero.
inline constexpr redwire::procedure<"calc.divmod", std::tuple<int, int, std::string>(int, int)>
    divmod{};

}  // namespace calc
