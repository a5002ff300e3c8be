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
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "../client_options.hpp"
#include "../errors.hpp"
#include "../trace.hpp"

namespace redwire::detail {

/// Refused because the targeted instance is dead: the refusal names the instance.
inline bool refused_as_dead(const rpc_error& e, const call_options& o) {
  return e.error() == errc::unavailable && !o.instance.empty() && e.instance() == o.instance;
}

/// Every attempt of a retried call carries the same traceparent: one trace, each attempt a child
/// of the caller.
inline call_options first_attempt(const call_options& o) {
  call_options next = o;
  trace_id_buffer buffer;
  next.traceparent = std::string(outgoing_traceparent(o.traceparent, buffer, o.inherit));
  return next;
}

/// After attempt n failed: whether to send again, and how (through the service queue when the
/// targeted instance was dead).
template <class R>
bool retry_after(const result<R>& r, call_options& next, int n, const call_options& o) {
  if (r) return false;
  const bool dead = refused_as_dead(r.error(), next);
  if (!(dead || r.error().never_ran()) || n >= o.retry.attempts || o.stop.stop_requested())
    return false;
  if (dead) next.instance.clear();
  return true;
}

/// Runs attempt(options) until it succeeds, fails in a way that may have run, or has been
/// made o.retry.attempts times.
template <class R, class Attempt>
result<R> with_retries(const call_options& o, Attempt&& attempt) {
  if (o.retry.attempts <= 1) return attempt(o);
  call_options next = first_attempt(o);
  auto wait = o.retry.backoff;
  for (int n = 1;; ++n) {
    result<R> r = attempt(next);
    if (!retry_after(r, next, n, o)) {
      r.set_attempts(n);
      return r;
    }
    if (wait.count() > 0) std::this_thread::sleep_for(wait);
    wait *= 2;
  }
}

/// The same rule for an async call: send(options, callback) makes one attempt, whose result
/// comes to the callback; the backoff is waited on the caller's timer thread (after(delay,
/// task): task(true) then, or task(false) if the caller is going first), never on a thread of
/// the user's. The last result goes to done(result<R>).
template <class R, class Send, class After, class Done>
class async_retry : public std::enable_shared_from_this<async_retry<R, Send, After, Done>> {
 public:
  async_retry(const call_options& o, Send send, After after, Done done)
      : options_(o),
        next_(first_attempt(o)),
        wait_(o.retry.backoff),
        send_(std::move(send)),
        after_(std::move(after)),
        done_(std::move(done)) {}

  static void start(const call_options& o, Send send, After after, Done done) {
    std::make_shared<async_retry>(o, std::move(send), std::move(after), std::move(done))->attempt();
  }

 private:
  void attempt() {
    send_(next_, [self = this->shared_from_this()](result<R> r) { self->ended(std::move(r)); });
  }

  void ended(result<R> r) {
    if (!retry_after(r, next_, n_, options_)) return finish(std::move(r));
    const auto wait = wait_;
    wait_ *= 2;
    ++n_;
    if (wait.count() <= 0) return attempt();
    last_.emplace(std::move(r));
    after_(wait, [self = this->shared_from_this()](bool go) {
      if (go) return self->attempt();
      --self->n_;  // not made: the caller is going
      self->finish(std::move(*self->last_));
    });
  }

  void finish(result<R> r) {
    r.set_attempts(n_);
    std::move(done_)(std::move(r));
  }

  const call_options options_;
  call_options next_;
  std::chrono::milliseconds wait_;
  int n_ = 1;
  std::optional<result<R>> last_;  // kept over a backoff
  Send send_;
  After after_;
  Done done_;
};

}  // namespace redwire::detail
