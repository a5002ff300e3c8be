// bench/connections.cpp — what a deployment costs Redis in connections and memory (issue 20,
// item 5), on a private redis-server, read from INFO before and after:
//   per process   P processes, each with its own transport, one service instance and one client
//                 that has made a sync call and an async call
//   one process   one transport, N instances of one service and N clients, each client having
//                 made a sync call and an async call (one at a time, from one thread)
//   connections [N] [P]      (defaults: 100 and 20)
#include <hiredis/hiredis.h>
#include <sys/wait.h>
#include <unistd.h>

#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "private_redis.hpp"

namespace {

inline constexpr redwire::procedure<"conn.add", int(int, int)> add{};

struct server_facts {
  long long clients = 0, memory = 0;
};

server_facts facts(int port) {
  redisContext* c = redisConnect("127.0.0.1", port);
  if (!c || c->err) throw std::runtime_error("cannot connect to the private redis-server");
  server_facts f;
  for (const char* section : {"clients", "memory"}) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "INFO %s", section));
    const std::string text = r && r->type == REDIS_REPLY_STRING ? r->str : "";
    freeReplyObject(r);
    auto field = [&](const std::string& name) {
      const auto at = text.find(name + ":");
      return at == std::string::npos ? 0LL : std::atoll(text.c_str() + at + name.size() + 1);
    };
    if (std::string(section) == "clients") f.clients = field("connected_clients") - 1;  // us
    if (std::string(section) == "memory") f.memory = field("used_memory");
  }
  redisFree(c);
  return f;
}

// One member of the deployment: a service instance and a client that has called it both ways.
struct member {
  explicit member(redwire::redis::transport& bus) : svc(bus, "conn"), cli(bus) {
    svc.bind(add, [](int a, int b) { return a + b; });
    svc.start();
    if (cli.call(add, 1, 2) != 3 || cli.async_call(add, 2, 2).get() != 4)
      throw std::runtime_error("a call went wrong");
  }
  redwire::service svc;
  redwire::client cli;
};

void report(const char* what, int count, const char* unit, server_facts before,
            server_facts after) {
  const double clients = static_cast<double>(after.clients - before.clients);
  const double memory = static_cast<double>(after.memory - before.memory);
  std::printf("%-13s %4d %-9s %6.0f connections (%5.2f per %s)   %8.0f KiB (%6.1f KiB per %s)\n",
              what, count, unit, clients, clients / count, unit, memory / 1024,
              memory / 1024 / count, unit);
}

// Forks before this process has any thread of redwire's: each child is a fresh process.
void per_process(const bench::private_redis& server, int processes) {
  const server_facts before = facts(server.port());
  std::vector<pid_t> children;
  int ready[2], release[2];
  if (::pipe(ready) != 0 || ::pipe(release) != 0) throw std::runtime_error("pipe failed");
  for (int i = 0; i < processes; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(ready[0]);
      ::close(release[1]);
      int status = 0;
      try {
        redwire::redis::transport bus{server.url()};
        member m{bus};
        (void)!::write(ready[1], "r", 1);
        char c;
        (void)!::read(release[0], &c, 1);  // until the parent closes it
      } catch (const std::exception& e) {
        std::fprintf(stderr, "child: %s\n", e.what());
        status = 1;
      }
      std::_Exit(status);
    }
    children.push_back(pid);
  }
  ::close(ready[1]);
  ::close(release[0]);
  for (int i = 0; i < processes; ++i) {
    char c;
    if (::read(ready[0], &c, 1) != 1) throw std::runtime_error("a child failed");
  }
  report("per process", processes, "process", before, facts(server.port()));
  ::close(release[1]);
  for (pid_t pid : children) ::waitpid(pid, nullptr, 0);
  ::close(ready[0]);
}

void one_process(const bench::private_redis& server, int members) {
  const server_facts before = facts(server.port());
  {
    redwire::redis::transport bus{server.url()};
    std::vector<std::unique_ptr<member>> all;
    for (int i = 0; i < members; ++i) all.push_back(std::make_unique<member>(bus));
    report("one process", members, "member", before, facts(server.port()));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int members = argc > 1 ? std::atoi(argv[1]) : 100;
  const int processes = argc > 2 ? std::atoi(argv[2]) : 20;
  try {
    bench::private_redis server;
    std::printf(
        "a member: one service instance and one client that made a sync and an async "
        "call\n");
    per_process(server, processes);
    one_process(server, members);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "connections: %s\n", e.what());
    return 1;
  }
}
