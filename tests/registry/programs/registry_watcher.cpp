// registry_watcher <redis url> <ms>: prints "watching", then one line "<change> <instance id>"
// per membership event it hears during <ms> milliseconds, then exits.
#include <redwire/redis.hpp>
#include <redwire/registry.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  redwire::redis::transport bus{argv[1]};
  redwire::registry reg{bus, {.reap_interval = std::chrono::milliseconds(200)}};
  auto watch = reg.watch([](const redwire::membership_event& e) {
    std::printf("%s %s\n", std::string(redwire::to_string(e.change)).c_str(),
                e.instance.id.c_str());
    std::fflush(stdout);
  });
  std::printf("watching\n");
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(argv[2])));
}
