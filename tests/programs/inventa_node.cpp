// An Inventa node for the multi-process tests:
//   inventa_node URL FULL_ID orchestrator       admits every instance; serves "instances" and
//                                               "unregistered" (full ids, raw lists)
//   inventa_node URL FULL_ID service ORC_ID     serves calc.sum and "whoami"; registers with ORC_ID
// Short timers (2 s TTL, 250 ms sweeps): every peer of these tests is redwire. Prints "ready"
// once started (a service: once registered); stops cleanly on SIGTERM.
#include <redwire/inventa.hpp>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "inventa/inventa_api.hpp"
#include "support/stop_signal.hpp"

int main(int argc, char** argv) {
  const bool orchestrator = argc >= 4 && std::string(argv[3]) == "orchestrator";
  if (argc < 4 || (!orchestrator && argc < 5)) {
    std::fprintf(stderr, "usage: inventa_node URL FULL_ID orchestrator | service ORC_ID\n");
    return 2;
  }
  const sigset_t stop = redwire::test::block_stop_signals();

  namespace inv = redwire::inventa;
  inv::node n{argv[1], argv[2], orchestrator ? inv::role::orchestrator : inv::role::service,
              inventa_test::fast()};
  std::mutex m;
  std::vector<std::string> unregistered;
  if (orchestrator) {
    n.on_unregistering([&](const inv::instance& i, bool) {
      std::lock_guard lk(m);
      unregistered.push_back(i.full_id);
    });
    n.bind_raw("instances", [&](std::vector<std::string>) {
      std::vector<std::string> ids;
      for (const inv::instance& i : n.instances()) ids.push_back(i.full_id);
      return ids;
    });
    n.bind_raw("unregistered", [&](std::vector<std::string>) {
      std::lock_guard lk(m);
      return unregistered;
    });
  } else {
    n.bind(calc::sum, [](std::int64_t a, std::int64_t b) { return a + b; });
    n.bind_raw("whoami", [&](std::vector<std::string>) {
      return std::vector<std::string>{n.self().full_id};
    });
  }
  n.start();
  if (!orchestrator) n.register_with(argv[4], {.tries = 30, .timeout = std::chrono::seconds(1)});
  std::printf("ready\n");
  std::fflush(stdout);
  redwire::test::wait_for_stop_signal(stop);
  n.stop();
  return 0;
}
