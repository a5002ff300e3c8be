// redwire/client_options.hpp — how a client calls (client_options) and how one call is made
// (call_options). Every field, with its default, is listed in docs/api.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <stop_token>
#include <string>

#include "trace.hpp"

namespace redwire {

/// How one call is made. Designated initializers read well: `{.timeout = 50ms, .key = "k"}`.
struct call_options {
  std::chrono::milliseconds timeout{0};  ///< 0: the client's default timeout
  std::string instance{};                ///< empty: any instance of the service
  std::string key{};  ///< calls that carry the same key run in the order they were sent
  /// A W3C traceparent to continue (e.g. an HTTP request's); empty or invalid: the call being
  /// handled on this thread is the parent (see `inherit`), or a new trace starts (trace.hpp).
  std::string traceparent{};
  /// A stop request ends the call at once with errc::cancelled; its request is taken back out
  /// of the queue if it still waits there (capabilities/withdrawal.hpp), and a reply that
  /// still comes is dropped. Default: not cancellable.
  std::stop_token stop{};
  /// Made inside a handler: the call ends by the deadline of the call being handled, if that
  /// comes first, and is a child span in its trace. false: its own timeout and a new trace
  /// (unless `traceparent` names one).
  bool inherit = true;
  /// Sends the call again, up to `attempts` times in all, only when its request provably did
  /// not run: the push failed, or the instance it targeted was dead (then through the service
  /// queue). Never after a timeout. The n-th retry waits backoff * 2^(n-1) (an async call on
  /// the client's timer thread); the result's attempts() says how many it took. Rule:
  /// detail/retry.hpp.
  struct retry_policy {
    int attempts = 1;
    std::chrono::milliseconds backoff{0};
  } retry{};
};

struct client_options {
  std::chrono::milliseconds default_timeout{std::chrono::seconds(5)};
  std::string id{};     ///< empty: made unique from host, pid and a random part
  std::string group{};  ///< calls go to the services of this group only (see service_options)
  /// Shared secret of the services called (see service_options::secret); empty: none. Calls
  /// are then MACed with it, and replies that are not MACed with it are dropped.
  std::string secret{};
  /// Secrets per service name ("calc"), overriding `secret` for those services.
  std::map<std::string, std::string, std::less<>> secrets{};
  /// Sync calls to a service (not to one instance) wait in an inbox of their own when the
  /// transport has inboxes (redwire::inbox_transport; Redis does): a reply channel on a
  /// connection that the calling thread reads itself, which saves a thread hop per call. Up to
  /// this many are opened, on first need, one connection each; sync calls beyond that, and
  /// async calls, share the client's reply subscription. 0: no inboxes.
  std::size_t inboxes = 4;
  /// Called around every call, try_call, async_call (whatever completes it) and notify
  /// (trace.hpp): procedure, trace, outcome, duration. A hook that throws is logged; the call
  /// goes on.
  call_hooks hooks{};
};

}  // namespace redwire
