// redwire/orchestrator_options.hpp — how an orchestrator is set up, and what on_registering
// answers (see orchestrator.hpp).
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "selection.hpp"

namespace redwire {

/// on_registering's answer. A bool converts: `return i.cpus >= 4;`
struct admission {
  admission(bool accepted = true) : accepted(accepted) {}  // NOLINT: implicit on purpose
  static admission accept() { return admission(true); }
  static admission reject(std::string reason) {
    admission a(false);
    a.reason = std::move(reason);
    return a;
  }
  bool accepted = true;
  std::string reason{};  ///< told to the rejected instance, which logs it
};

struct orchestrator_options {
  std::string group{};                        ///< the group it orchestrates
  selection policy = selection::round_robin;  ///< for calls without a key
  std::chrono::milliseconds default_timeout{std::chrono::seconds(5)};
  /// How often membership is read again in full (events do the rest; this catches any missed).
  std::chrono::milliseconds refresh_interval{std::chrono::seconds(1)};
  std::chrono::milliseconds reap_interval{500};  ///< see registry_options
};

}  // namespace redwire
