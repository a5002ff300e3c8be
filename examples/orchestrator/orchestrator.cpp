// orchestrator — a live table of services and instances as replicas join and leave.
//
//   ./orchestrator                          # a self-contained demo, in one process (memory)
//   ./orchestrator --watch redis://host:6379 # watch a real deployment until Ctrl-C
//                                            # (start and stop calc_service replicas meanwhile)
//
// The orchestrator admits instances (here: it turns away those whose metadata says
// "canary=yes"), routes calc.add to the admitted replicas in turn, and prints the table
// again whenever membership changes.
#include <redwire/memory.hpp>
#include <redwire/orchestrator.hpp>
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>
#include <redwire/registry.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "../calc/calc_api.hpp"
#include "../common/example_support.hpp"

namespace {

std::string clock_time(std::chrono::system_clock::time_point t) {
  std::time_t s = std::chrono::system_clock::to_time_t(t);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", std::localtime(&s));
  return text;
}

void print_table(redwire::registry& reg, const std::string& why) {
  std::printf("\n== %s\n%-10s %-28s %-12s %7s %5s %-8s %s\n", why.c_str(), "service", "instance",
              "host", "pid", "cpus", "started", "procedures");
  for (const auto& service : reg.services())
    for (const auto& i : reg.instances(service))
      std::printf("%-10s %-28s %-12s %7lld %5u %-8s %zu\n", i.service.c_str(), i.id.c_str(),
                  i.host.substr(0, 12).c_str(), static_cast<long long>(i.pid), i.cpus,
                  clock_time(i.start_time).c_str(), i.procedures.size());
  std::fflush(stdout);
}

std::unique_ptr<redwire::service> replica(auto& bus, std::string id, bool canary = false) {
  redwire::service_options o{.instance_id = std::move(id)};
  if (canary) o.registration.metadata["canary"] = "yes";
  auto svc = std::make_unique<redwire::service>(bus, "calc", o);
  svc->bind(calc::add, [](int a, int b) { return a + b; });
  svc->bind(calc::divmod, [](int a, int b) {
    return std::tuple{a / b, a % b, std::string(redwire::current_call()->instance)};
  });
  svc->start();
  return svc;
}

template <class Bus>
void orchestrate(Bus& bus, bool demo) {
  redwire::registry table{bus};
  redwire::orchestrator orc{bus, {.policy = redwire::selection::round_robin}};
  orc.on_registering([](const redwire::instance_info& i) -> redwire::admission {
    if (i.metadata.count("canary")) return redwire::admission::reject("no canaries today");
    return true;
  });
  orc.on_unregistering([](const redwire::instance_info& i, bool expired) {
    std::printf("-- %s %s\n", i.id.c_str(), expired ? "expired" : "left");
  });
  orc.start();
  auto watch = table.watch([&](const redwire::membership_event& e) {
    std::printf("-- event: %s %s\n", std::string(redwire::to_string(e.change)).c_str(),
                e.instance.id.c_str());
    std::fflush(stdout);
  });

  if (!demo) {  // watch a real deployment: print the table every second while it changes
    const sigset_t stop = example::block_stop_signals();
    std::thread printer([&] {
      std::string last;
      for (;;) {
        std::string now;
        for (const auto& s : table.services())
          for (const auto& i : table.instances(s)) now += i.id + ",";
        if (now != last) print_table(table, "membership changed");
        last = now;
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    });
    printer.detach();
    example::wait_for_stop_signal(stop);
    return;
  }

  std::vector<std::unique_ptr<redwire::service>> replicas;
  for (const char* id : {"calc-a", "calc-b", "calc-c"}) {
    replicas.push_back(replica(bus, id));
    print_table(table, std::string(id) + " joined");
  }
  replicas.push_back(replica(bus, "calc-canary", true));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // it is told, and stops
  print_table(table, "calc-canary was turned away");

  std::map<std::string, int> answered;
  for (int i = 0; i < 9; ++i) ++answered[std::get<2>(orc.call(calc::divmod, 7, 2))];
  std::printf("\n9 calls through the orchestrator (round robin):");
  for (const auto& [id, n] : answered) std::printf(" %s=%d", id.c_str(), n);
  std::printf("\ncalls with key user-42 go to:");
  for (int i = 0; i < 3; ++i)
    std::printf(" %s", std::get<2>(orc.with({.key = "user-42"}).call(calc::divmod, 7, 2)).c_str());
  std::printf("\n");

  replicas[1]->stop();
  print_table(table, "calc-b left");
  replicas[0]->stop();
  print_table(table, "calc-a left");
  std::printf("\n%d\n", orc.call(calc::add, 20, 22));
}

}  // namespace

int main(int argc, char** argv) {
  const bool watch = argc > 1 && std::string(argv[1]) == "--watch";
  if (watch) {
    redwire::redis::transport bus{example::redis_url(argc, argv, 2)};
    orchestrate(bus, false);
  } else {
    redwire::memory::transport bus;
    orchestrate(bus, true);
  }
}
