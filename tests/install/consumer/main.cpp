#include <redwire/memory.hpp>
#include <redwire/redwire.hpp>

inline constexpr redwire::procedure<"calc.add", int(int, int)> add{};

int main() {
  redwire::memory::transport bus;
  redwire::service svc{bus, "calc"};
  svc.bind(add, [](int a, int b) { return a + b; });
  svc.start();
  redwire::client cli{bus};
  return cli.call(add, 2, 3) == 5 ? 0 : 1;
}
