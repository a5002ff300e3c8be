// redwire/admission.hpp — an orchestrator's answer to an instance that registers: admitted, or
// rejected with a reason that the instance is told. A bool converts: `return i.cpus >= 4;`
#pragma once

#include <string>
#include <utility>

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

}  // namespace redwire
