// redwire/inventa.hpp — redwire speaking Inventa: C++ services and orchestrators that join an
// Inventa deployment (go-inventa, py-inventa) over the same Redis, unchanged on their side.
//
//   #include <redwire/inventa.hpp>
//   redwire::inventa::node orc{"redis://127.0.0.1:6379", "svc:orc:",
//                              redwire::inventa::role::orchestrator};
//   orc.on_registering([](const redwire::inventa::instance& i) -> redwire::admission {
//     return i.type == "calc";
//   });
//   orc.start();
//   std::int64_t s = orc.call("svc:calc:one", calc::sum, 2, 3);   // method "sum", items "2" "3"
//
// The protocol, the mapping of types, the roles and what differs from the libraries:
// docs/inventa.md. Target: redwire::inventa (needs redwire::redis).
#pragma once

#include "inventa/calls.hpp"
#include "inventa/frame.hpp"
#include "inventa/mapping.hpp"
#include "inventa/node.hpp"
#include "inventa/options.hpp"
