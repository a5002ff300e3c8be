// redwire/detail/component.hpp — a part of a service instance that runs beside its request
// workers (the heartbeat, topic subscriptions, stream consumers), and what it gets from the
// instance. Components know the instance only through instance_context, never through
// redwire::service, so that service.hpp can include them and not the other way round.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "../instance_info.hpp"
#include "../metrics.hpp"
#include "any_transport.hpp"

namespace redwire::detail {

/// The instance a component belongs to. It outlives every run of its components.
struct instance_context {
  any_transport& bus;
  metrics_registry& metrics;  ///< where components count what they do
  std::string service;        ///< "calc"
  std::string instance_id;    ///< "calc-host-123-a1b2c3"
  std::string group;          ///< service_options::group
  std::string scope;          ///< prefix of every name: the transport's prefix and the group
  bool log_every_call = false;
  std::vector<procedure_info> procedures;  ///< what the instance serves (fixed once started)
  /// Stops the whole instance, from any thread — a component's own included (the component's
  /// stop() then runs on that thread, before the workers drain).
  std::function<void()> stop_instance;
};

/// Components start after the workers, in the order they were added, and stop before them, in
/// reverse order. start() and stop() come in pairs; a component may be started again.
class component {
 public:
  virtual ~component() = default;
  virtual void start(const instance_context& instance) = 0;
  /// Finishes what was taken, then returns.
  virtual void stop() = 0;
};

}  // namespace redwire::detail
