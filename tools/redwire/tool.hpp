// tools/redwire/tool.hpp — what the subcommands of the `redwire` tool share: the command line
// as parsed, the exit codes, the connection to Redis, and output helpers.
#pragma once

#include <redwire/detail/raw_caller.hpp>
#include <redwire/redis.hpp>
#include <redwire/registry.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "json_codec.hpp"

namespace redwire::tool {

/// Exit codes (`redwire --help`, docs/operations.md).
enum exit_code : int {
  ok = 0,
  call_failed = 1,  ///< the service answered with an error (its errc and message)
  bad_usage = 2,    ///< unknown subcommand or option, arguments that do not match the types
  not_found = 3,    ///< no such service (no live instance), procedure, instance or entry
  no_answer = 4,    ///< no reply in time
  unreachable = 5,  ///< Redis cannot be reached (or refuses the credentials)
};

/// One clear line for the user, and the exit code that goes with it.
struct tool_error : std::runtime_error {
  tool_error(exit_code code, const std::string& message)
      : std::runtime_error(message), code(code) {}
  exit_code code;
};

/// The command line, as parsed: the subcommand, its words, and every --option given.
struct command_line {
  std::string command;
  std::vector<std::string> words;
  std::map<std::string, std::string> options;  // "--json" -> "" for flags

  bool flag(const std::string& name) const { return options.count(name) != 0; }
  std::string option(const std::string& name, std::string fallback = {}) const {
    auto found = options.find(name);
    return found == options.end() ? fallback : found->second;
  }
  bool json_output() const { return flag("--json"); }
  std::chrono::milliseconds timeout() const;
  /// The option as a count; a bad number is bad_usage.
  long number(const std::string& name, long fallback) const;
};

/// What every subcommand talks through.
class session {
 public:
  explicit session(const command_line& cl);

  redis::transport& bus() { return *bus_; }
  registry& reg() { return *registry_; }
  detail::raw_caller& caller() { return *caller_; }
  const std::string& group() const { return group_; }
  std::string scope() const { return detail::group_prefix(bus_->prefix(), group_); }

  /// The live instances of `service`; not_found (with the closest names) if it has none.
  std::vector<instance_info> instances_of(const std::string& service);

 private:
  std::string group_;
  std::unique_ptr<redis::transport> bus_;
  std::unique_ptr<registry> registry_;
  std::unique_ptr<detail::raw_caller> caller_;
};

/// "did you mean 'calc', 'calc2'?" — the candidates closest to `word` (edit distance), or "".
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

/// A built-in of every instance of `service` (or of the one given by --instance), by instance.
template <class B>
std::vector<std::pair<instance_info, typename B::result_type>> ask_each(session& s, const B& b,
                                                                        const std::string& service,
                                                                        const command_line& cl);

/// A described struct (introspection.hpp) as JSON, through its own type description.
template <class T>
json as_json(const T& value) {
  std::string bytes;
  encode_values(bytes, value);
  static const type_node type = parse_type(detail::type_description_v<T>.view());
  std::string_view view = bytes;
  return decode_json(type, view);
}

/// Columns, left-aligned; the header bold when stdout is a terminal (and NO_COLOR is unset).
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows, const command_line& cl);
std::string milliseconds_text(double ms);
std::string age_text(std::chrono::milliseconds age);

/// Turns a failed built-in or call into a tool_error.
[[noreturn]] void fail_with(const rpc_error& e);

int run_ls(const command_line& cl);
int run_describe(const command_line& cl);
int run_ping(const command_line& cl);
int run_stats(const command_line& cl);
int run_call(const command_line& cl);
int run_watch(const command_line& cl);
int run_metrics(const command_line& cl);
int run_tail(const command_line& cl);
int run_dlq(const command_line& cl);

template <class B>
std::vector<std::pair<instance_info, typename B::result_type>> ask_each(session& s, const B& b,
                                                                        const std::string& service,
                                                                        const command_line& cl) {
  std::vector<std::pair<instance_info, typename B::result_type>> out;
  const std::string only = cl.option("--instance");
  bool found = only.empty();
  for (instance_info& i : s.instances_of(service)) {
    if (!only.empty() && i.id != only) continue;
    found = true;
    auto r = s.caller().builtin(b, service, {.timeout = cl.timeout(), .instance = i.id});
    if (!r.has_value()) fail_with(r.error());
    out.emplace_back(std::move(i), std::move(r.value()));
  }
  if (!found)
    throw tool_error(not_found, "service '" + service + "' has no live instance '" + only + "'");
  return out;
}

}  // namespace redwire::tool
