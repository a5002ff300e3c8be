// hello_api.hpp — the contract between the hello service and its callers.
#pragma once

#include <redwire/redwire.hpp>

#include <string>

namespace hello {
/// greet("world") -> "hello, world (from <instance>)"
inline constexpr redwire::procedure<"hello.greet", std::string(std::string)> greet{};
}  // namespace hello
