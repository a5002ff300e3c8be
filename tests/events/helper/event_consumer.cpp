// A consumer process for the at-least-once test (consumer_kill_test.cpp):
//   event_consumer <redis url> <consumer name> [stall-after N]
// consumes stream "kill.log" in group "workers" and records each value it handled with RPUSH
// kill:processed. With stall-after N it handles N entries, then, on the next one, records its
// name in kill:stalled and hangs in the middle of its batch until it is killed.
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "events/event_api.hpp"

using events_test::kill_log;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: event_consumer <url> <consumer> [stall-after N]\n");
    return 2;
  }
  const std::string url = argv[1], consumer = argv[2];
  const int stall_after = argc >= 5 ? std::atoi(argv[4]) : -1;
  redwire::redis::transport bus{url};
  redwire::redis::transport recorder{url};  // its own connection for the test's bookkeeping
  redwire::service svc{bus, "workers"};
  int handled = 0;
  redwire::consume_options o;
  o.consumer = consumer;
  o.batch_size = 10;
  o.block = std::chrono::milliseconds(100);
  o.claim_idle = std::chrono::milliseconds(500);
  o.claim_interval = std::chrono::milliseconds(100);
  svc.consume(
      kill_log, "workers",
      [&](int value) {
        if (stall_after >= 0 && handled == stall_after) {
          recorder.command({"RPUSH", "kill:stalled", consumer});
          for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));  // killed here
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        const std::string text = std::to_string(value);
        recorder.command({"RPUSH", "kill:processed", text});
        ++handled;
      },
      o);
  svc.run();
}
