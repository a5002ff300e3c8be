// redwire/log.hpp — where redwire reports what it cannot throw: dropped messages, reconnects,
// handler failures. By default warnings and errors go to stderr; set_log_sink replaces that.
//
//   redwire::set_log_sink([](redwire::log_level l, std::string_view text) { my_log(l, text); });
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace redwire {

enum class log_level { debug, info, warning, error };

constexpr const char* to_string(log_level l) noexcept {
  switch (l) {
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warning:
      return "warning";
    case log_level::error:
      return "error";
  }
  return "?";
}

using log_sink = std::function<void(log_level, std::string_view)>;

namespace detail {
struct log_state {
  std::mutex mutex;
  std::shared_ptr<const log_sink> sink;
};
inline log_state& log_registry() {
  static log_state state;
  return state;
}
}  // namespace detail

/// Replaces the sink for the whole process; an empty function restores the default (stderr).
inline void set_log_sink(log_sink sink) {
  auto& s = detail::log_registry();
  std::lock_guard lock(s.mutex);
  s.sink = sink ? std::make_shared<const log_sink>(std::move(sink)) : nullptr;
}

/// Reports one line through the current sink.
inline void log(log_level level, std::string_view text) {
  auto& s = detail::log_registry();
  std::shared_ptr<const log_sink> sink;
  {
    std::lock_guard lock(s.mutex);
    sink = s.sink;
  }
  if (sink) {
    (*sink)(level, text);
  } else if (level >= log_level::warning) {
    std::fprintf(stderr, "redwire %s: %.*s\n", to_string(level), static_cast<int>(text.size()),
                 text.data());
  }
}

}  // namespace redwire
