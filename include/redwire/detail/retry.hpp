// redwire/detail/retry.hpp — call_options::retry: a call is sent again only when its request
// provably did not run.
//
// Provably: the push failed (the transport could not hand the request to the broker: marked
// rpc_error::never_ran() where it is sent), or a targeted instance was known dead (the refusal
// names it: detail/targeted_push.hpp, and detail/membership.hpp for requests found in the queue
// of an instance that died, taken out and refused). A retry after a dead instance goes through
// the service's queue, where any live instance takes it. Never after a timeout, nor after any
// reply: a request that may have run is not sent twice. Each attempt has the call's timeout;
// the n-th retry waits backoff * 2^(n-1) first. The result says how many attempts it took
// (result::attempts(), rpc_error::attempts()).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <thread>

#include "../client_options.hpp"
#include "../errors.hpp"
#include "../trace.hpp"

namespace redwire::detail {

/// The failure of a call whose request could not be pushed: it never ran.
inline rpc_error unsent(std::string why, std::string_view procedure) {
  rpc_error e(errc::unavailable, std::move(why), std::string(procedure));
  e.set_never_ran();
  return e;
}

/// Refused because the targeted instance is dead: the refusal names the instance.
inline bool refused_as_dead(const rpc_error& e, const call_options& o) {
  return e.error() == errc::unavailable && !o.instance.empty() && e.instance() == o.instance;
}

/// Runs attempt(options) until it succeeds, fails in a way that may have run, or has been
/// made o.retry.attempts times.
template <class R, class Attempt>
result<R> with_retries(const call_options& o, Attempt&& attempt) {
  if (o.retry.attempts <= 1) return attempt(o);
  call_options next = o;
  // Every attempt carries the same traceparent: one trace, each attempt a child of the caller.
  trace_id_buffer buffer;
  next.traceparent = std::string(outgoing_traceparent(o.traceparent, buffer, o.inherit));
  auto wait = o.retry.backoff;
  for (int n = 1;; ++n) {
    result<R> r = attempt(next);
    const bool dead = !r && refused_as_dead(r.error(), next);
    const bool again =
        !r && (dead || r.error().never_ran()) && n < o.retry.attempts && !o.stop.stop_requested();
    if (!again) {
      r.set_attempts(n);
      return r;
    }
    if (dead) next.instance.clear();  // through the service queue
    if (wait.count() > 0) std::this_thread::sleep_for(wait);
    wait *= 2;
  }
}

}  // namespace redwire::detail
