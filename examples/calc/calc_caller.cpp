// Calls the calc service a few times and shows which replica answered each call.
//   calc_caller [redis-url] [--expect-replicas N]
// With --expect-replicas it first waits (up to 10 s) until N replicas are registered, then exits
// non-zero unless N different replicas answered (the demo and the tests use it to check that the
// load is shared).
#include <redwire/redis.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>

#include "../common/example_support.hpp"
#include "calc_api.hpp"

int main(int argc, char** argv) {
  std::size_t expect_replicas = 0;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--expect-replicas") == 0) expect_replicas = std::atoi(argv[i + 1]);

  redwire::redis::transport bus{example::redis_url(argc, argv)};
  redwire::client cli{bus};
  std::set<std::string> replicas;
  if (expect_replicas > 0) {  // replicas started just now may still be on their way
    redwire::registry registry{bus};
    for (int i = 0; i < 100 && registry.instances("calc").size() < expect_replicas; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  try {
    std::printf("calc.add(2, 3) = %d\n", cli.call(calc::add, 2, 3));
    for (int i = 1; i <= 6; ++i) {
      auto [q, r, replica] = cli.call(calc::divmod, 100 + i, 7);
      std::printf("calc.divmod(%d, 7) = (%d, %d)   answered by %s\n", 100 + i, q, r,
                  replica.c_str());
      replicas.insert(replica);
    }
    std::vector<calc::point> square{{0, 0}, {2, 0}, {2, 2}, {0, 2}};
    for (int i = 0; i < 4; ++i) {
      calc::centroid_answer a = cli.call(calc::centroid, square);
      std::printf("calc.centroid(square) = (%g, %g)   answered by %s\n", a.centroid.x, a.centroid.y,
                  a.replica.c_str());
      replicas.insert(a.replica);
    }
    auto zero = cli.try_call(calc::divmod, 1, 0);
    std::printf("calc.divmod(1, 0) -> %s\n", zero ? "?" : zero.error().what());
    // A call for one replica in particular:
    const std::string& first = *replicas.begin();
    auto [q, r, who] = cli.with({.instance = first}).call(calc::divmod, 9, 4);
    std::printf("calc.divmod(9, 4) sent to %s = (%d, %d)   answered by %s\n", first.c_str(), q, r,
                who.c_str());
    if (who != first) return 1;
  } catch (const redwire::rpc_error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::printf("%zu replica(s) answered\n", replicas.size());
  return replicas.size() >= expect_replicas ? 0 : 2;
}
