// The README's quick start, as a program: a service and a caller in one process, on the
// in-memory transport. Swap the transport for redwire::redis::transport and the same code runs
// across processes and machines.
#include <redwire/memory.hpp>
#include <redwire/redwire.hpp>

#include <cstdio>
#include <stdexcept>
#include <tuple>
#include <vector>

// calc_api.hpp — shared by the service and every caller
struct point {
  double x;
  double y;
};
namespace calc {
inline constexpr redwire::procedure<"calc.add", int(int, int)> add{};
inline constexpr redwire::procedure<"calc.centroid", point(std::vector<point>)> centroid{};
inline constexpr redwire::procedure<"calc.divmod", std::tuple<int, int>(int, int)> divmod{};
}  // namespace calc

int main() {
  redwire::memory::transport bus;

  // the service
  redwire::service svc{bus, "calc"};
  svc.bind(calc::add, [](int a, int b) { return a + b; });
  svc.bind(calc::centroid, [](const std::vector<point>& ps) {
    point c{0, 0};
    for (const point& p : ps) c = {c.x + p.x / ps.size(), c.y + p.y / ps.size()};
    return c;
  });
  svc.bind(calc::divmod, [](int a, int b) {
    if (b == 0) throw std::domain_error("division by zero");  // travels back to the caller
    return std::tuple{a / b, a % b};
  });
  svc.start();

  // a caller
  redwire::client cli{bus};
  int sum = cli.call(calc::add, 2, 3);
  point c = cli.call(calc::centroid, std::vector<point>{{0, 0}, {4, 0}, {4, 4}, {0, 4}});
  auto [q, r] = cli.call(calc::divmod, 17, 5);
  redwire::result<std::tuple<int, int>> bad = cli.try_call(calc::divmod, 1, 0);  // never throws

  std::printf("2 + 3 = %d\n", sum);
  std::printf("centroid = (%g, %g)\n", c.x, c.y);
  std::printf("17 divmod 5 = (%d, %d)\n", q, r);
  std::printf("1 divmod 0: %s\n", bad ? "?" : bad.error().what());
  svc.stop();
  return sum == 5 && c.x == 2 && c.y == 2 && q == 3 && r == 2 &&
                 bad.error().code() == redwire::errc::remote_exception
             ? 0
             : 1;
}
