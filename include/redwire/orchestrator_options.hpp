// redwire/orchestrator_options.hpp — how an orchestrator is set up (see orchestrator.hpp); its
// answer to an instance that registers is in admission.hpp.
#pragma once

#include <chrono>
#include <string>

#include "selection.hpp"

namespace redwire {

struct orchestrator_options {
  std::string group{};                        ///< the group it orchestrates
  selection policy = selection::round_robin;  ///< for calls without a key
  std::chrono::milliseconds default_timeout{std::chrono::seconds(5)};
  /// How often membership is read again in full (events do the rest; this catches any missed).
  std::chrono::milliseconds refresh_interval{std::chrono::seconds(1)};
  std::chrono::milliseconds reap_interval{500};  ///< see registry_options
};

}  // namespace redwire
