// tools/redwire/main.cpp — the `redwire` command-line tool: see and poke a running deployment
// (docs/operations.md). The command line, the help texts, and the exit codes.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>

#include "latency.hpp"
#include "tool.hpp"

namespace {

using namespace redwire::tool;

constexpr const char* global_help = R"(redwire — see and poke a running redwire deployment

usage: redwire <command> [arguments] [options]

commands:
  ls [service]                      services, instances and procedures; one service's instances
  describe <service>[.<procedure>]  signatures and type descriptions
  ping <service>                    each instance's round trip (min/avg/max over --count pings)
  stats <service>                   the counters of every instance, and their sum
  call <service.procedure> [args]   call it: arguments as JSON (plain words for strings)
  watch                             membership events (joined, left, expired) as they happen
  tail <topic|stream> [group]       events as they are published, decoded to JSON; with a
                                    consumer group, from where that group stands
  dlq <stream> <group>              dead letters: list, --replay ID|--all, --drop ID
  metrics --listen HOST:PORT        serve /metrics over HTTP in the Prometheus text format
  bench [options]                   the latency tool (redwire-latency): calls through your Redis,
                                    p50/p90/p99, calls/s, against a PING; its own options
                                    (`redwire bench --help`), --url from $REDWIRE_REDIS_URL too

options (every command but bench, whose options are its own):
  --url URL        Redis (default $REDWIRE_REDIS_URL, else redis://127.0.0.1:6379); every URL
                   form of the transport: redis://, rediss://, unix://, redis-sentinel://
  --group G        the services' group (service_options::group)
  --prefix P       the key prefix (default rw)
  --timeout MS     how long to wait for each answer (default 2000)
  --json           JSON instead of tables (one document, or one line per event)
  --no-color       no colour even on a terminal (so does NO_COLOR)
  -h, --help       help; `redwire <command> --help` for a command's

exit codes:
  0  done
  1  the service answered with an error (printed with its errc)
  2  bad usage: unknown command or option, arguments that do not match the procedure's types
  3  not found: no live instance of the service, no such procedure, instance or entry
  4  no answer in time
  5  Redis cannot be reached
)";

struct command_spec {
  const char* name;
  int (*run)(const command_line&);
  std::set<std::string> valued;  // options that take a value (besides the global ones)
  std::set<std::string> flags;
  const char* help;
};

const std::vector<command_spec>& commands() {
  static const std::vector<command_spec> all = {
      {"ls",
       run_ls,
       {},
       {},
       "usage: redwire ls [service]\n\n"
       "Without a service: each service with live instances, how many, and its procedures.\n"
       "With one: its instances with host, pid, redwire version, age, last heartbeat and when\n"
       "their record expires unless they beat again.\n"},
      {"describe",
       run_describe,
       {"--instance"},
       {},
       "usage: redwire describe <service>[.<procedure>] [--instance ID]\n\n"
       "Asks an instance ($describe) for its procedures' signatures and the type description of\n"
       "each argument and result, and for the topics and streams it handles.\n"},
      {"ping",
       run_ping,
       {"--count", "--instance"},
       {},
       "usage: redwire ping <service> [--count N] [--instance ID]\n\n"
       "Pings ($ping) each live instance N times (default 3): min/avg/max round trip, version,\n"
       "uptime.\n"},
      {"stats",
       run_stats,
       {"--instance"},
       {},
       "usage: redwire stats <service> [--instance ID]\n\n"
       "Each instance's counters ($stats) per procedure, topic and stream: calls, failures by\n"
       "cause, handlers in flight, p50/p90/p99; workers busy; requests waiting in the queues.\n"
       "Then the sum over instances (percentiles: the largest instance's).\n"},
      {"call",
       run_call,
       {"--instance", "--key"},
       {},
       "usage: redwire call <service.procedure> [arg...] [--instance ID] [--key K]\n\n"
       "Each argument is JSON ('[[0,0],[4,0]]', '{\"x\": 1}', 3, true, null) or, for a string\n"
       "or an enumerator, a plain word. The result is printed as JSON; with --json, an object\n"
       "with the procedure, the instance that answered and the time taken. Forms: "
       "docs/operations.md.\n"},
      {"watch",
       run_watch,
       {"--count"},
       {},
       "usage: redwire watch [--count N]\n\n"
       "Prints each membership event (joined, left, expired) as it happens, until interrupted\n"
       "or N events.\n"},
      {"tail",
       run_tail,
       {"--count"},
       {},
       "usage: redwire tail <topic|stream> [group] [--count N]\n\n"
       "Prints each event published to the topic, or appended to the stream from now on,\n"
       "decoded to JSON by the type that the services handling it describe. With a consumer\n"
       "group of the stream (a word, as for dlq: --group stays the services' group), starts\n"
       "from the last entry handed to that group: what the group has still to get, then what\n"
       "comes. It reads beside the group, not in it: nothing is claimed or acknowledged.\n"},
      {"dlq",
       run_dlq,
       {"--replay", "--drop", "--count"},
       {"--all"},
       "usage: redwire dlq <stream> <group> [--replay ID | --all] [--drop ID] [--count N]\n\n"
       "Lists the entries that consumer group <group> gave up on (oldest first, --count of them,\n"
       "default 100); --replay ID appends one to the stream again and removes it from the dead\n"
       "letters (--all: every one); --drop ID removes one.\n"},
      {"metrics",
       run_metrics,
       {"--listen", "--count"},
       {},
       "usage: redwire metrics --listen HOST:PORT [--count N]\n\n"
       "Serves http://HOST:PORT/metrics in the Prometheus text format, gathered on each scrape\n"
       "from the $stats of every live instance of every service (labels: service, instance,\n"
       "procedure, kind, outcome). Port 0: one the kernel picks; the address is printed.\n"
       "--count N: stop after N scrapes.\n"},
  };
  return all;
}

const std::set<std::string> global_valued = {"--url", "--group", "--prefix", "--timeout"};
const std::set<std::string> global_flags = {"--json", "--no-color"};

/// Parses argv into the command line; throws tool_error(bad_usage).
command_line parse(int argc, char** argv, const command_spec*& spec, bool& help) {
  command_line cl;
  bool options_end = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!options_end && arg == "--") {
      options_end = true;
    } else if (!options_end && (arg == "-h" || arg == "--help")) {
      help = true;
    } else if (!options_end && arg.starts_with("--")) {
      std::string value;
      const auto eq = arg.find('=');
      const bool inline_value = eq != std::string::npos;
      if (inline_value) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
      const bool valued = global_valued.count(arg) || (spec && spec->valued.count(arg));
      const bool flag = global_flags.count(arg) || (spec && spec->flags.count(arg));
      if (!valued && !flag)
        throw tool_error(bad_usage,
                         "unknown option " + arg +
                             (spec ? " for 'redwire " + std::string(spec->name) + "'" : "") +
                             " (see redwire " + (spec ? spec->name + std::string(" ") : "") +
                             "--help)");
      if (valued && !inline_value) {
        if (i + 1 >= argc) throw tool_error(bad_usage, arg + " needs a value");
        value = argv[++i];
      }
      if (flag && inline_value) throw tool_error(bad_usage, arg + " takes no value");
      cl.options[arg] = value;
    } else if (cl.command.empty()) {
      cl.command = arg;
      for (const auto& c : commands())
        if (cl.command == c.name) spec = &c;
      if (!spec && !help && arg == "bench")
        throw tool_error(bad_usage,
                         "bench comes first, its options after it: redwire bench --url ...");
      if (!spec && !help) {
        std::vector<std::string> names = {"bench"};
        for (const auto& c : commands()) names.emplace_back(c.name);
        const std::string hint = closest(arg, names);
        throw tool_error(bad_usage, "unknown command '" + arg + "'" +
                                        (hint.empty() ? "" : " (" + hint + ")") +
                                        "; see redwire --help");
      }
    } else {
      cl.words.push_back(arg);
    }
  }
  return cl;
}

/// `redwire bench ...`: the latency tool on the same words, which are its options, not ours
/// (its --json names a file). The URL defaults to $REDWIRE_REDIS_URL, as for every command.
int run_bench(int argc, char** argv) {
  std::vector<char*> args(argv + 1, argv + argc);  // "bench" stands where the program name was
  bool has_server = false;
  for (char* a : args)
    if (std::strncmp(a, "--url", 5) == 0 || std::strncmp(a, "--private", 9) == 0) has_server = true;
  const char* env = std::getenv("REDWIRE_REDIS_URL");
  std::string url_option = "--url", url = env ? env : "";
  if (!has_server && !url.empty()) {
    args.push_back(url_option.data());
    args.push_back(url.data());
  }
  args.push_back(nullptr);
  return redwire::latency::run(static_cast<int>(args.size()) - 1, args.data(), "redwire bench");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "bench") == 0) return run_bench(argc, argv);
  try {
    const command_spec* spec = nullptr;
    bool help = false;
    command_line cl = parse(argc, argv, spec, help);
    if (help || cl.command.empty()) {
      std::cout << (spec ? spec->help : global_help);
      return help ? ok : bad_usage;
    }
    return spec->run(cl);
  } catch (const tool_error& e) {
    std::cerr << "redwire: " << e.what() << '\n';
    return e.code;
  } catch (const redwire::transport_error& e) {
    std::cerr << "redwire: Redis: " << e.what() << '\n';
    return unreachable;
  } catch (const std::exception& e) {
    std::cerr << "redwire: " << e.what() << '\n';
    return call_failed;
  }
}
