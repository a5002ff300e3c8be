// The calc procedures of the Inventa example, as redwire declares them. On the wire each is the
// Inventa method named after "calc.": "sum", "divmod", and "calculate-sum", the method the Go
// orchestrator of inventa-examples calls.
#pragma once

#include <redwire/procedure.hpp>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

namespace calc {
inline constexpr redwire::procedure<"calc.sum", std::int64_t(std::int64_t, std::int64_t)> sum{};
/// Every item a number; their sum (as the Go orchestrator of inventa-examples asks for it).
inline constexpr redwire::procedure<"calc.calculate-sum", double(std::vector<std::string>)>
    calculate_sum{};
inline constexpr redwire::procedure<"calc.divmod", std::tuple<std::int64_t, std::int64_t>(
                                                       std::int64_t, std::int64_t)>
    divmod{};
}  // namespace calc
