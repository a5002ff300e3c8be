// redwire/version.hpp — the library's version, as instances publish it in the registry.
#pragma once

#include <string_view>

namespace redwire {

/// "major.minor.patch" of this redwire, the same as the CMake project's VERSION.
inline constexpr std::string_view version = "0.1.0";

}  // namespace redwire
