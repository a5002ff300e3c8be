// A C++ orchestrator of an Inventa deployment, in place of the Go one of inventa-examples:
//   inventa_orchestrator [URL] [--calls N]
// Runs as svc:orc:, admits "calc" and "linalg" instances (others are told "unknown service type
// to register", as the Go example does), reports those that leave, finds running services again
// when it restarts, and every second calls calculate-sum on a calc instance picked at random.
// With --calls N it stops after N answered calls (the self test does).
#include <redwire/inventa.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "../common/example_support.hpp"
#include "calc_api.hpp"

int main(int argc, char** argv) {
  const sigset_t stop = example::block_stop_signals();
  std::atomic<int> calls = -1;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--calls") calls = std::stoi(argv[i + 1]);

  namespace inv = redwire::inventa;
  inv::node orc{example::redis_url(argc, argv),
                "svc:orc:",
                inv::role::orchestrator,
                {.policy = redwire::selection::random}};
  orc.on_registering([](const inv::instance& i) -> redwire::admission {
    std::printf("registering %s\n", i.full_id.c_str());
    std::fflush(stdout);
    if (i.type == "calc" || i.type == "linalg") return true;
    return redwire::admission::reject("unknown service type to register");
  });
  orc.on_unregistering([](const inv::instance& i, bool expired) {
    std::printf("unregistering %s%s\n", i.full_id.c_str(), expired ? " (expired)" : "");
    std::fflush(stdout);
  });
  orc.start();
  std::printf("svc:orc: started\n");
  std::fflush(stdout);

  std::thread caller([&] {
    for (double x = 1; calls != 0; x += 1) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      redwire::result<double> r =
          orc.try_call(calc::calculate_sum, std::vector<std::string>{std::to_string(x), "0.5"});
      if (!r && r.error().error() == redwire::errc::unavailable && orc.instances("calc").empty())
        continue;  // no calc instance yet
      if (r) {
        std::printf("calculate-sum(%g, 0.5) = %g\n", x, *r);
        if (calls > 0) --calls;
      } else {
        std::printf("calculate-sum failed: %s\n", r.error().what());
      }
      std::fflush(stdout);
    }
    ::kill(::getpid(), SIGTERM);
  });
  example::wait_for_stop_signal(stop);
  calls = 0;
  caller.join();
  return 0;
}
