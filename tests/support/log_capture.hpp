// tests/support/log_capture.hpp — what redwire logs while a test runs, for tests that check a
// line is logged. Replaces the process's log sink while it lives (warnings and errors are still
// printed to stderr), and restores the default after.
#pragma once

#include <redwire/log.hpp>

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace redwire::test {

class log_capture {
 public:
  log_capture() {
    redwire::set_log_sink([lines = lines_](redwire::log_level level, std::string_view text) {
      if (level >= redwire::log_level::warning)
        std::fprintf(stderr, "redwire %s: %.*s\n", redwire::to_string(level),
                     static_cast<int>(text.size()), text.data());
      std::lock_guard lock(lines->mutex);
      lines->text.emplace_back(text);
    });
  }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;
  ~log_capture() { redwire::set_log_sink({}); }

  /// Lines logged so far that contain every one of `parts`.
  int count(std::initializer_list<std::string_view> parts) const {
    std::lock_guard lock(lines_->mutex);
    int n = 0;
    for (const auto& line : lines_->text) {
      bool all = true;
      for (auto part : parts) all = all && line.find(part) != std::string::npos;
      n += all;
    }
    return n;
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(lines_->mutex);
    return lines_->text;
  }

 private:
  struct shared_lines {  // shared with the sink: a log call may still run as this goes
    std::mutex mutex;
    std::vector<std::string> text;
  };
  std::shared_ptr<shared_lines> lines_ = std::make_shared<shared_lines>();
};

}  // namespace redwire::test
