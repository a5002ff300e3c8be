// redwire/selection.hpp — how an orchestrator picks among the live instances of a service
// (orchestrator_options::policy). Calls that carry a key ignore it: they go where the key maps.
#pragma once

namespace redwire {

/// How orchestrator::call picks an instance for a call without a key.
enum class selection {
  round_robin,        ///< each instance in turn
  random,             ///< uniformly at random
  least_outstanding,  ///< the one with the fewest calls of this orchestrator in flight
};

}  // namespace redwire
