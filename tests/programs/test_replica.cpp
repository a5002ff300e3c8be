// A calc replica for multi-process tests:  test_replica URL INSTANCE_ID
// Serves calc.add, calc.whoami and calc.sleep; stops cleanly on SIGTERM. calc.sleep records that
// it began and ended (RPUSH started:INSTANCE_ID, finished:INSTANCE_ID) on a connection of its
// own, so that a test knows which calls a replica it kills had in hand.
#include <redwire/redis.hpp>

#include <csignal>
#include <cstdio>
#include <thread>

#include <pthread.h>

#include "calls/test_api.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: test_replica URL INSTANCE_ID\n");
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  redwire::redis::transport bus{argv[1]};
  redwire::redis::transport recorder{argv[1]};
  const std::string id = argv[2];
  redwire::service svc{bus, "calc", {.instance_id = id}};
  svc.bind(test_api::calc::add, [](int a, int b) { return a + b; });
  svc.bind(test_api::calc::whoami, [] { return std::string(redwire::current_call()->instance); });
  svc.bind(test_api::calc::sleep_ms, [&recorder, &id](int ms) {
    recorder.command({"RPUSH", "started:" + id, "1"});
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    recorder.command({"RPUSH", "finished:" + id, "1"});
    return ms;
  });
  svc.start();
  std::printf("ready\n");
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  svc.stop();
  return 0;
}
