// Procedures and helpers shared by the Inventa tests.
#pragma once

#include <redwire/inventa.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "support/redis_server.hpp"

namespace calc {
inline constexpr redwire::procedure<"calc.sum", std::int64_t(std::int64_t, std::int64_t)> sum{};
inline constexpr redwire::procedure<"calc.divmod", std::tuple<std::int64_t, std::int64_t>(
                                                       std::int64_t, std::int64_t)>
    divmod{};
inline constexpr redwire::procedure<"calc.echo", std::string(std::string)> echo{};
inline constexpr redwire::procedure<"calc.echo_all",
                                    std::vector<std::string>(std::vector<std::string>)>
    echo_all{};
inline constexpr redwire::procedure<"calc.size", std::uint64_t(std::vector<std::byte>)> size{};
inline constexpr redwire::procedure<"calc.nothing", void()> nothing{};
inline constexpr redwire::procedure<"calc.fail", std::int64_t(std::string)> fail{};
inline constexpr redwire::procedure<"calc.sleep_ms", std::int64_t(std::int64_t)> sleep_ms{};
inline constexpr redwire::procedure<"calc.twice", std::int64_t(std::string, std::int64_t)> twice{};
}  // namespace calc

namespace inventa_test {

namespace inv = redwire::inventa;
using namespace std::chrono_literals;

/// Timers short enough for tests (only where every peer is redwire).
inline inv::node_options fast() {
  inv::node_options o;
  o.heartbeat_interval = 200ms;
  o.ttl = std::chrono::seconds(2);
  o.liveness_interval = 250ms;
  o.default_timeout = 10s;
  return o;
}

/// Binds the calc procedures (twice calls `target`'s sum twice: a nested call).
inline void bind_calc(inv::node& n) {
  n.bind(calc::sum, [](std::int64_t a, std::int64_t b) { return a + b; });
  n.bind(calc::divmod, [](std::int64_t a, std::int64_t b) {
    if (b == 0) throw std::domain_error("division by zero");
    return std::tuple{a / b, a % b};
  });
  n.bind(calc::echo, [](std::string s) { return s; });
  n.bind(calc::echo_all, [](std::vector<std::string> v) { return v; });
  n.bind(calc::size, [](const std::vector<std::byte>& b) { return std::uint64_t(b.size()); });
  n.bind(calc::nothing, [] {});
  n.bind(calc::fail, [](std::string why) -> std::int64_t { throw std::runtime_error(why); });
  n.bind(calc::sleep_ms, [](std::int64_t ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
  });
  n.bind(calc::twice, [&n](std::string target, std::int64_t x) {
    return n.call(target, calc::sum, x, x) + n.call(target, calc::sum, x, x);
  });
}

/// A unique suffix per test, so that tests sharing one Redis never see each other.
inline std::string unique(const char* what) {
  static int n = 0;
  return std::string(what) + std::to_string(++n) + "x" + std::to_string(::getpid());
}

}  // namespace inventa_test
