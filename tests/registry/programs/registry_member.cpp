// registry_member <redis url> <instance id> <ttl ms>: one instance of "calc" that registers,
// prints "ready", and beats until it is killed.
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

inline constexpr redwire::procedure<"calc.add", int(int, int)> add{};

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  redwire::redis::transport bus{argv[1]};
  redwire::service svc{bus,
                       "calc",
                       {.instance_id = argv[2],
                        .registration = {.ttl = std::chrono::milliseconds(std::stoi(argv[3]))}}};
  svc.bind(add, [](int a, int b) { return a + b; });
  svc.start();
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}
