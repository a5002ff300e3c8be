// The hello service: serves hello.greet until Ctrl-C (or SIGTERM).
//   hello_service [redis-url]       (default: $REDWIRE_REDIS_URL, else redis://127.0.0.1:6379)
#include <redwire/redis.hpp>

#include <cstdio>

#include "../common/example_support.hpp"
#include "hello_api.hpp"

int main(int argc, char** argv) {
  sigset_t stop_signals = example::block_stop_signals();
  redwire::redis::transport bus{example::redis_url(argc, argv)};
  redwire::service svc{bus, "hello"};
  svc.bind(hello::greet, [&svc](const std::string& name) {
    return "hello, " + name + " (from " + svc.instance_id() + ")";
  });
  svc.start();
  std::printf("hello service %s is up\n", svc.instance_id().c_str());
  std::fflush(stdout);
  example::wait_for_stop_signal(stop_signals);
  svc.stop();  // finishes the calls in flight
  std::printf("hello service %s stopped\n", svc.instance_id().c_str());
}
