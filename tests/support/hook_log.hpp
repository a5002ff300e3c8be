// tests/support/hook_log.hpp — what call hooks saw, one line per hook:
//   "start calc.add <trace id> ok", "end calc.add <trace id> timeout"
// and, with note_timing, " timed" after an event that carries a duration.
#pragma once

#include <redwire/redwire.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

namespace redwire::test {

struct hook_log {
  enum class timing { ignored, noted };
  explicit hook_log(timing t = timing::ignored) : note_timing(t == timing::noted) {}

  const bool note_timing;
  std::mutex m;
  std::vector<std::string> lines;

  void add(const char* what, const redwire::call_event& e) {
    std::lock_guard lock(m);
    lines.push_back(std::string(what) + " " + std::string(e.procedure) + " " +
                    std::string(e.trace_id) + " " +
                    (e.outcome == redwire::errc{} ? "ok" : redwire::to_string(e.outcome)) +
                    (note_timing && e.duration > std::chrono::nanoseconds(0) ? " timed" : ""));
  }
  std::vector<std::string> copy() {
    std::lock_guard lock(m);
    return lines;
  }
  /// Hooks that log both ends of every call.
  redwire::call_hooks hooks() {
    return {.on_call_start = [this](const redwire::call_event& e) { add("start", e); },
            .on_call_end = [this](const redwire::call_event& e) { add("end", e); }};
  }
};

}  // namespace redwire::test
