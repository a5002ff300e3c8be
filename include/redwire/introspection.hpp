// redwire/introspection.hpp — the procedures every instance answers by itself, without user
// code: "<service>.$ping", "<service>.$stats" and "<service>.$describe" (the `redwire` tool's
// ping, stats and describe; docs/operations.md). A '$' in a procedure name does not compile
// (detail/diagnostics.hpp: procedure_name_is_reserved), so a user can never take these names.
//
//   svc.start();   // answers $ping, $stats and $describe from now on
//   redwire::stats_reply r = svc.stats_report();   // what $stats answers, in process
//
// The replies travel in redwire's codec like any result; their structs are described
// (BOOST_DESCRIBE_STRUCT), so their type descriptions name every field and a generic client
// decodes them by description alone. Each has a fixed signature and fingerprint
// (builtin_procedure), the same for every service.
#pragma once

#include <boost/describe/class.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "detail/bytes.hpp"
#include "fixed_string.hpp"
#include "procedure.hpp"

namespace redwire {

/// What "$ping" answers: who answered, how long it has run, and which redwire it runs.
struct ping_reply {
  std::string service;
  std::string instance;
  std::string version;         ///< redwire's version
  std::int64_t uptime_ms = 0;  ///< since start()
};
BOOST_DESCRIBE_STRUCT(ping_reply, (), (service, instance, version, uptime_ms))

/// One procedure, topic subscription or stream consumer in a "$stats" reply (operation_stats).
struct operation_report {
  std::string name;  ///< "calc.add", "orders.created", "orders.log/billing"
  std::string kind;  ///< "procedure", "topic", "stream"
  std::uint64_t calls = 0;
  // Failures by cause: handlers that threw (errc::remote_exception), requests past their
  // deadline (errc::timeout), arguments or events that did not decode (errc::bad_message).
  std::uint64_t failures = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t bad_messages = 0;
  std::uint64_t dropped = 0;
  std::uint64_t reclaimed = 0;
  std::uint64_t dead_lettered = 0;
  std::uint64_t in_flight = 0;  ///< handlers running now
  std::int64_t p50_ns = 0;
  std::int64_t p90_ns = 0;
  std::int64_t p99_ns = 0;
  std::int64_t max_ns = 0;
  std::uint64_t total_ns = 0;  ///< sum of every handler run's duration
};
BOOST_DESCRIBE_STRUCT(operation_report, (),
                      (name, kind, calls, failures, timeouts, bad_messages, dropped, reclaimed,
                       dead_lettered, in_flight, p50_ns, p90_ns, p99_ns, max_ns, total_ns))

/// What "$stats" answers: the instance's counters (service_stats) and each operation's.
struct stats_reply {
  std::string service;
  std::string instance;
  std::int64_t uptime_ms = 0;
  std::uint32_t workers = 0;       ///< service_options::workers
  std::uint32_t workers_busy = 0;  ///< handlers of procedures running now
  std::uint64_t calls = 0;
  std::uint64_t failures = 0;
  std::uint64_t expired = 0;
  std::uint64_t rejected = 0;  ///< unknown procedure, signature mismatch, bad arguments
  std::uint64_t bad_messages = 0;
  std::uint64_t unauthorized = 0;
  std::vector<operation_report> operations;
};
BOOST_DESCRIBE_STRUCT(stats_reply, (),
                      (service, instance, uptime_ms, workers, workers_busy, calls, failures,
                       expired, rejected, bad_messages, unauthorized, operations))

/// A procedure as "$describe" tells it: its signature and the description of each of its
/// argument and result types (type_description.hpp), from which a client can encode the
/// arguments and decode the result without the C++ declaration.
struct procedure_description {
  std::string name;                    ///< "calc.add"
  std::string signature;               ///< "calc.add(i32, i32) -> i32"
  std::uint64_t fingerprint = 0;       ///< what a call of it must carry
  std::vector<std::string> arguments;  ///< {"i32", "i32"}
  std::string result;                  ///< "i32" ("void": none)
};
BOOST_DESCRIBE_STRUCT(procedure_description, (), (name, signature, fingerprint, arguments, result))

/// A topic the instance subscribes to, or a stream it consumes ("orders.log/billing").
struct event_description {
  std::string name;
  std::string kind;  ///< "topic", "stream"
  std::string type;  ///< the description of the events' type
};
BOOST_DESCRIBE_STRUCT(event_description, (), (name, kind, type))

/// What "$describe" answers.
struct describe_reply {
  std::string service;
  std::string instance;
  std::string version;
  std::vector<procedure_description> procedures;
  std::vector<event_description> events;
};
BOOST_DESCRIBE_STRUCT(describe_reply, (), (service, instance, version, procedures, events))

/// A procedure that every instance of every service answers: called as "<service><Name>"
/// ("calc.$ping") with no argument, it returns an R. Its fingerprint does not depend on the
/// service.
template <fixed_string Name, class R>
struct builtin_procedure {
  using result_type = R;
  /// "$ping": what follows the service's name and its dot.
  static constexpr std::string_view name = Name.view();

 private:
  static constexpr auto signature_storage = detail::signature_text<Name, R>();

 public:
  static constexpr std::string_view signature = signature_storage.view();
  static constexpr std::uint64_t fingerprint = detail::fnv1a(signature);

  /// "calc.$ping"
  static std::string for_service(std::string_view service) {
    return std::string(service) + "." + std::string(name);
  }
};

namespace builtin {
inline constexpr builtin_procedure<"$ping", ping_reply> ping{};
inline constexpr builtin_procedure<"$stats", stats_reply> stats{};
inline constexpr builtin_procedure<"$describe", describe_reply> describe{};
}  // namespace builtin

}  // namespace redwire
