// Starting a service that runs already is a mistake, reported at once; run() after start()
// waits as before, and a stopped service starts again.
#include <redwire/memory.hpp>
#include <redwire/redwire.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

inline constexpr redwire::procedure<"calc.twice", int(int)> twice{};

TEST(service_start, a_second_start_throws_and_names_the_service) {
  redwire::memory::transport bus;
  redwire::service svc{bus, "calc"};
  svc.bind(twice, [](int x) { return 2 * x; });
  svc.start();
  try {
    svc.start();
    ADD_FAILURE() << "a second start() was accepted";
  } catch (const std::logic_error& e) {
    EXPECT_EQ(std::string(e.what()), "redwire: service 'calc' already started");
  }
  redwire::client cli{bus};
  EXPECT_EQ(cli.call(twice, 21), 42);  // the running service is not disturbed
}

TEST(service_start, run_after_start_waits_for_stop) {
  redwire::memory::transport bus;
  redwire::service svc{bus, "calc"};
  svc.bind(twice, [](int x) { return 2 * x; });
  svc.start();
  std::atomic<bool> returned{false};
  std::thread runner([&] {
    svc.run();  // already started: it only waits
    returned = true;
  });
  redwire::client cli{bus};
  EXPECT_EQ(cli.call(twice, 2), 4);
  EXPECT_FALSE(returned);
  // A runner thread scheduled only after a stop() would start the service again (run() starts
  // a stopped service), and wait for the next stop(): stop until it has returned.
  while (!returned) {
    svc.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  runner.join();
}

TEST(service_start, a_stopped_service_starts_again) {
  redwire::memory::transport bus;
  redwire::service svc{bus, "calc"};
  svc.bind(twice, [](int x) { return 2 * x; });
  svc.start();
  svc.stop();
  EXPECT_NO_THROW(svc.start());
  redwire::client cli{bus};
  EXPECT_EQ(cli.call(twice, 5), 10);
}

}  // namespace
