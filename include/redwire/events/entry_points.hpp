// redwire/events/entry_points.hpp — what service::subscribe() and service::consume() call.
// Declared here, before the service is; defined in topic_subscription.hpp and
// stream_consumer.hpp, which service.hpp includes at its end (they build on service_component).
#pragma once

#include <string>

#include "../stream.hpp"
#include "../topic.hpp"

namespace redwire::detail {

/// Adds a component that subscribes `handler` to a topic or topic_pattern.
template <class Owner, class Declaration, class F>
void add_topic_subscription(Owner& owner, const Declaration& declaration, F&& handler,
                            subscribe_options options);

/// Adds a component that consumes a stream in consumer group `group`.
template <class Owner, class Declaration, class F>
void add_stream_consumer(Owner& owner, const Declaration& declaration, std::string group,
                         F&& handler, consume_options options);

}  // namespace redwire::detail
