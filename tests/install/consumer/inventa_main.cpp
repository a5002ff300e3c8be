// Only has to compile and link: proves redwire::inventa brings the Redis transport along.
#include <redwire/inventa.hpp>

#include <cstdint>

inline constexpr redwire::procedure<"calc.sum", std::int64_t(std::int64_t, std::int64_t)> sum{};

int main(int argc, char**) {
  if (argc > 5) {
    redwire::inventa::node n{"redis://127.0.0.1:1", "svc:calc:x", redwire::inventa::role::service};
    n.bind(sum, [](std::int64_t a, std::int64_t b) { return a + b; });
  }
  return 0;
}
