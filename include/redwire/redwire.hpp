// redwire/redwire.hpp — everything a service or a caller needs, in one include.
// The parts are small headers of their own; include those alone if you prefer.
#pragma once

#include "client.hpp"        // client, call_options, client_view
#include "codec.hpp"         // serializable, encode_values, decode_values, wire_type_t
#include "context.hpp"       // current_call()
#include "envelope.hpp"      // the wire frame
#include "errors.hpp"        // errc, rpc_error, result<T>
#include "log.hpp"           // set_log_sink
#include "metrics.hpp"       // operation_stats: per procedure, topic and stream
#include "orchestrator.hpp"  // orchestrator, admission: admits instances, routes calls to them
#include "procedure.hpp"     // procedure<"name", R(Args...)>
#include "registry.hpp"      // registry, instance_info, membership events: who is out there
#include "selection.hpp"     // selection: the orchestrator's policies
#include "service.hpp"       // service, service_options
#include "stream.hpp"        // stream<"name", T>: durable, consumer groups
#include "topic.hpp"         // topic<"name", T>, topic_pattern: pub/sub
#include "transport.hpp"     // the transport concept
