// One replica of the calc service. Run two or more: they share the service's queue.
//   calc_service [redis-url] [--instance NAME]
#include <redwire/redis.hpp>

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "../common/example_support.hpp"
#include "calc_api.hpp"

int main(int argc, char** argv) {
  sigset_t stop_signals = example::block_stop_signals();
  redwire::service_options options;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--instance") == 0) options.instance_id = argv[i + 1];

  redwire::redis::transport bus{example::redis_url(argc, argv)};
  redwire::service svc{bus, "calc", options};
  const std::string me = svc.instance_id();

  svc.bind(calc::add, [](int a, int b) { return a + b; });
  svc.bind(calc::centroid, [&me](const std::vector<calc::point>& corners) {
    calc::point c{0, 0};
    for (const auto& p : corners) {
      c.x += p.x / corners.size();
      c.y += p.y / corners.size();
    }
    return calc::centroid_answer{c, me};
  });
  svc.bind(calc::divmod, [&me](int a, int b) {
    if (b == 0) throw std::domain_error("division by zero");
    return std::tuple{a / b, a % b, me};
  });

  svc.start();
  std::printf("calc replica %s is up\n", me.c_str());
  std::fflush(stdout);
  example::wait_for_stop_signal(stop_signals);
  svc.stop();
  std::printf("calc replica %s stopped\n", me.c_str());
}
