// redwire/detail/call_router.hpp — an orchestrator's calls (orchestrator.hpp): each sent to
// the instance the orchestrator picks, as a targeted call of its client. A call that its
// instance refused, being dead, never ran: it goes once more, to another instance.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../client_options.hpp"
#include "../codec.hpp"
#include "../errors.hpp"
#include "../procedure.hpp"
#include "call_api.hpp"
#include "completion.hpp"
#include "selection.hpp"

namespace redwire::detail {

/// What call_api needs of a caller (try_call_with, async_call_with, async_call_then,
/// notify_with), for an Owner that provides start(), pick(service, key), forget(service, id)
/// and client_ (and befriends this class).
template <class Owner>
class call_router {
 public:
  explicit call_router(Owner& owner) : owner_(owner) {}

  template <fixed_string N, class R, class... A, class... G>
  result<R> try_call_with(const call_options& o, const procedure<N, R(A...)>& p, G&&... args) {
    return route(o, p, args...);
  }

  /// A retry's backoff, on the orchestrator's client's timer (detail/retry.hpp).
  void after(std::chrono::milliseconds delay, std::function<void(bool)> task) const {
    owner_.client_.after(delay, std::move(task));
  }

  template <fixed_string N, class R, class... A, class... G>
  void notify_with(const call_options& o, const procedure<N, R(A...)>& p, G&&... args) {
    owner_.start();
    std::optional<detail::candidate> chosen = owner_.pick(p.service, o.key);
    if (!chosen) throw no_instance(p.service, p.name);
    call_options targeted = o;
    targeted.instance = chosen->id;
    owner_.client_.with(targeted).notify(p, std::forward<G>(args)...);
  }

  template <fixed_string N, class R, class... A, class... G>
  std::future<R> async_call_with(const call_options& o, const procedure<N, R(A...)>& p,
                                 G&&... args) {
    auto promise = std::make_shared<std::promise<R>>();
    std::future<R> future = promise->get_future();
    async_call_then<N, R, A...>(o, p, fulfil(std::move(promise)), std::forward<G>(args)...);
    return future;
  }

  // The arguments are kept (as the procedure declares them) until the call ends: a call that
  // its instance refused, being dead, never ran and goes once more to another one.
  template <fixed_string N, class R, class... A, class F, class... G>
  void async_call_then(const call_options& o, const procedure<N, R(A...)>& p, F&& callback,
                       G&&... args) {
    owner_.start();
    auto values = std::make_shared<std::tuple<wire_type_t<A>...>>(
        detail::as_declared<A>(std::forward<G>(args))...);
    send_routed<N, R, A...>(o, p, std::forward<F>(callback), std::move(values), 0);
  }

 private:
  template <fixed_string N, class R, class... A, class F, class V>
  void send_routed(const call_options& o, const procedure<N, R(A...)>& p, F&& callback,
                   std::shared_ptr<V> values, int attempt) {
    std::optional<detail::candidate> chosen = owner_.pick(p.service, o.key);
    if (!chosen) {
      bool& inline_now = detail::completing_inline();
      const bool saved = std::exchange(inline_now, true);
      callback(result<R>(no_instance(p.service, p.name)));
      inline_now = saved;
      return;
    }
    call_options targeted = o;
    targeted.instance = chosen->id;
    ++*chosen->outstanding;
    auto then = [this, o, p, attempt, values, id = chosen->id, busy = chosen->outstanding,
                 callback = std::forward<F>(callback)](result<R> r) mutable {
      --*busy;
      if (!r && r.error().error() == errc::unavailable && r.error().instance() == id &&
          attempt == 0) {
        owner_.forget(p.service, id);
        send_routed<N, R, A...>(o, p, std::move(callback), std::move(values), 1);
      } else {
        callback(std::move(r));
      }
    };
    std::apply(
        [&](const auto&... v) {
          owner_.client_.with(targeted).async_call(p, v..., std::move(then));
        },
        *values);
  }

  static rpc_error no_instance(std::string_view service, std::string_view procedure) {
    return rpc_error(errc::unavailable,
                     "no admitted instance of service '" + std::string(service) + "' is alive",
                     std::string(procedure));
  }

  // A sync call, routed.
  template <fixed_string N, class R, class... A, class... G>
  result<R> route(const call_options& o, const procedure<N, R(A...)>& p, G&... args) {
    owner_.start();
    for (int attempt = 0;; ++attempt) {
      std::optional<detail::candidate> chosen = owner_.pick(p.service, o.key);
      if (!chosen) return no_instance(p.service, p.name);
      call_options targeted = o;
      targeted.instance = chosen->id;
      ++*chosen->outstanding;
      result<R> r = owner_.client_.with(targeted).try_call(p, args...);
      --*chosen->outstanding;
      // Refused because the instance is dead: the call never ran, so another may take it.
      if (!r && r.error().error() == errc::unavailable && r.error().instance() == chosen->id &&
          attempt == 0) {
        owner_.forget(p.service, chosen->id);
        continue;
      }
      return r;
    }
  }

  Owner& owner_;
};

}  // namespace redwire::detail
