// redwire/inventa/options.hpp — a node's role, options and counters.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <redwire/admission.hpp>
#include <redwire/selection.hpp>

namespace redwire::inventa {

/// Inventa's two roles: an orchestrator admits services and watches their liveness; a service
/// registers with one. Both serve and make calls.
enum class role { service, orchestrator };

struct node_options {
  /// Threads that run handlers (and the internal methods): requests are served concurrently,
  /// so a slow handler delays no other request and a handler may call other nodes.
  std::size_t workers = 4;
  /// Requests that wait for a worker beyond this many are dropped (and counted).
  std::size_t max_queued = 100'000;
  std::chrono::milliseconds default_timeout{std::chrono::seconds(3)};
  /// How an orchestrator picks an instance for a call that names a type (calls with a key go
  /// where the key maps).
  selection policy = selection::round_robin;
  /// The protocol's timers: SETEX <full id> <ttl> 1 every heartbeat_interval; the liveness
  /// check (orchestrator: every admitted instance; service: its orchestrator) every
  /// liveness_interval. Change them only where every peer is redwire (tests, a fast sweep).
  std::chrono::milliseconds heartbeat_interval{std::chrono::seconds(3)};
  std::chrono::seconds ttl{5};
  std::chrono::milliseconds liveness_interval{std::chrono::seconds(4)};
  /// An orchestrator at start: SCAN svc:* and admit the instances that still heartbeat, as
  /// go-inventa does (py-inventa does not).
  bool discover = true;
};

/// Per-call options: node.with({.timeout = 500ms, .key = "user-42"}).call(...).
struct call_options {
  std::chrono::milliseconds timeout{0};  ///< 0: the node's default_timeout
  std::string key{};  ///< calls by type with the same key go to the same instance
};

/// service.register_with(orchestrator, {...}): tries, each waiting up to `timeout` for an answer
/// (the libraries' examples use 30 tries of 3 s).
struct register_options {
  int tries = 30;
  std::chrono::milliseconds timeout{std::chrono::seconds(3)};
};

/// Counters since start; each hostile input lands in one of them.
struct node_stats {
  std::uint64_t requests = 0;         ///< requests taken to be served
  std::uint64_t responses = 0;        ///< responses that completed a call
  std::uint64_t late_responses = 0;   ///< responses no call waits for (timed out, foreign)
  std::uint64_t malformed = 0;        ///< payloads that are not frames: dropped
  std::uint64_t unknown_methods = 0;  ///< answered "unknown command type: ..."
  std::uint64_t handler_errors = 0;   ///< handlers that threw, or arguments that did not read
  std::uint64_t dropped = 0;          ///< requests over max_queued
};

}  // namespace redwire::inventa
