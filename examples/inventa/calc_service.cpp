// A C++ calc service in an Inventa deployment:
//   inventa_calc_service [URL] [--id ID] [--orchestrator svc:orc:]
// Its full id is svc:calc:<ID> (default: the host name, as the Go and Python calc services of
// inventa-examples do). It serves "sum", "calculate-sum" and "divmod", registers with the
// orchestrator (a Go, Python or redwire one: 30 tries of 3 s, as the libraries' examples do),
// heartbeats, and stops on SIGINT or SIGTERM.
#include <redwire/inventa.hpp>

#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "../common/example_support.hpp"
#include "calc_api.hpp"

namespace {

std::string option(int argc, char** argv, const std::string& name, std::string fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return fallback;
}

std::string host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  const sigset_t stop = example::block_stop_signals();
  const std::string id = "svc:calc:" + option(argc, argv, "--id", host_name());
  const std::string orchestrator = option(argc, argv, "--orchestrator", "svc:orc:");

  redwire::inventa::node svc{example::redis_url(argc, argv), id, redwire::inventa::role::service};
  svc.bind(calc::sum, [](std::int64_t a, std::int64_t b) { return a + b; });
  svc.bind(calc::calculate_sum, [](const std::vector<std::string>& items) {
    double total = 0;
    for (const std::string& item : items) total += std::stod(item);  // throws: error reply
    return total;
  });
  svc.bind(calc::divmod, [](std::int64_t a, std::int64_t b) {
    if (b == 0) throw std::domain_error("division by zero");
    return std::tuple{a / b, a % b};
  });
  svc.start();
  std::printf("%s serving sum, calculate-sum, divmod\n", id.c_str());
  std::fflush(stdout);
  try {
    svc.register_with(orchestrator);
    std::printf("%s registered with %s\n", id.c_str(), orchestrator.c_str());
  } catch (const redwire::rpc_error& e) {
    std::printf("%s not registered: %s\n", id.c_str(), e.what());
  }
  std::fflush(stdout);
  example::wait_for_stop_signal(stop);
  return 0;
}
