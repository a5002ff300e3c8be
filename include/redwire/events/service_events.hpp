// redwire/events/service_events.hpp — the service side of events: topic subscriptions and
// stream consumers. service.hpp includes this at its end; including it alone works too.
#pragma once

#include "../service.hpp"
#include "stream_consumer.hpp"
#include "topic_subscription.hpp"
