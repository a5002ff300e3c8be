// A calc replica for multi-process tests:  test_replica URL INSTANCE_ID
// Serves calc.add, calc.whoami, calc.sleep and calc.hold; prints "ready" once started; stops
// cleanly on SIGTERM. calc.sleep and calc.hold record that they began (RPUSH started:INSTANCE_ID)
// and calc.sleep that it ended (finished:INSTANCE_ID), on a connection of their own, so that a
// test knows which calls a replica has in hand. calc.hold waits until the key "gate" exists.
#include <redwire/redis.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "calls/test_api.hpp"
#include "support/stop_signal.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: test_replica URL INSTANCE_ID\n");
    return 2;
  }
  const sigset_t stop = redwire::test::block_stop_signals();

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
  svc.bind(test_api::calc::hold, [&recorder, &id](int n) {
    recorder.command({"RPUSH", "started:" + id, "1"});
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (recorder.command({"EXISTS", "gate"}).integer == 0) {  // one connection: polled
      if (std::chrono::steady_clock::now() > give_up) throw std::runtime_error("gate not opened");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return n;
  });
  svc.start();
  std::printf("ready\n");
  std::fflush(stdout);
  redwire::test::wait_for_stop_signal(stop);
  svc.stop();
  return 0;
}
