// library — the users' command-line tool.
//   library [url] add <isbn> <copies> <title...>     put copies of a book in the catalogue
//   library [url] borrow <user> <isbn>               ask to borrow; prints the outcome
//   library [url] return <user> <isbn>               bring a book back
//   library [url] show <isbn>                        copies, available, on the shelf
//   library [url] loans <user>                       what a user has borrowed
//   library [url] burst <n>                          n users borrow at once (to watch several
//                                                    lending instances share the work)
// The url may be left out ($REDWIRE_REDIS_URL, else redis://127.0.0.1:6379).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include "../common/example_support.hpp"
#include "library_api.hpp"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: library [url] add <isbn> <copies> <title...> | borrow <user> <isbn> |\n"
               "       return <user> <isbn> | show <isbn> | loans <user> | burst <n>\n");
  return 2;
}

/// Waits for the outcome the lending service writes under the request id.
std::string wait_for_outcome(redwire::redis::transport& bus, const std::string& request_id,
                             std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = bus.command({"GET", library::outcome_key(request_id)});
    if (!r.is_nil()) return r.str;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "no answer: is a lending service running?";
}

std::string new_request_id() {
  static std::mt19937_64 engine{std::random_device{}()};
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(engine()));
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  int first = 1;
  if (argc > 1 && std::string(argv[1]).find("://") != std::string::npos) first = 2;
  const std::string url = first == 2 ? argv[1] : example::redis_url(1, argv);
  std::vector<std::string> args(argv + first, argv + argc);
  if (args.empty()) return usage();
  const std::string& command = args[0];

  redwire::redis::transport bus{url};
  redwire::client cli{bus};

  if (command == "add" && args.size() >= 4) {
    std::string title = args[3];
    for (std::size_t i = 4; i < args.size(); ++i) title += " " + args[i];
    bus.command({"HSET", library::book_key(args[1]), "title", title, "copies", args[2], "available",
                 args[2], "on_shelf", args[2]});
    std::printf("added %s copies of %s (%s)\n", args[2].c_str(), args[1].c_str(), title.c_str());
  } else if ((command == "borrow" || command == "return") && args.size() == 3) {
    library::request r{new_request_id(), args[1], args[2], command};
    cli.append(library::requests, r);
    std::printf("%s %s %s: %s\n", r.user.c_str(), command.c_str(), r.isbn.c_str(),
                wait_for_outcome(bus, r.id).c_str());
  } else if (command == "show" && args.size() == 2) {
    auto r = bus.command({"HGETALL", library::book_key(args[1])});
    if (r.elements.empty()) {
      std::printf("%s: no such book\n", args[1].c_str());
      return 1;
    }
    std::printf("%s:", args[1].c_str());
    for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2)
      std::printf(" %s=%s", r.elements[i].str.c_str(), r.elements[i + 1].str.c_str());
    std::printf("\n");
  } else if (command == "loans" && args.size() == 2) {
    auto r = bus.command({"SMEMBERS", library::loans_key(args[1])});
    std::printf("%s has %zu:", args[1].c_str(), r.elements.size());
    for (auto& e : r.elements) std::printf(" %s", e.str.c_str());
    std::printf("\n");
  } else if (command == "burst" && args.size() == 2) {
    const int n = std::atoi(args[1].c_str());
    bus.command({"HSET", library::book_key("burst"), "title", "Many copies", "copies",
                 std::to_string(n), "available", std::to_string(n), "on_shelf", std::to_string(n)});
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      ids.push_back(new_request_id());
      cli.append(library::requests,
                 library::request{ids.back(), "reader" + std::to_string(i), "burst", "borrow"});
    }
    int lent = 0;
    for (auto& id : ids) lent += wait_for_outcome(bus, id) == "ok: lent";
    std::printf("burst: %d of %d lent\n", lent, n);
    return lent == n ? 0 : 1;
  } else {
    return usage();
  }
  return 0;
}
