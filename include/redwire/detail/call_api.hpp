// redwire/detail/call_api.hpp — the four ways of calling (call, try_call, async_call, notify)
// that `client` and `client_view` share, each checked against the procedure at compile time.
#pragma once

#include <cstdlib>
#include <future>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../errors.hpp"
#include "../procedure.hpp"
#include "diagnostics.hpp"

namespace redwire::detail {

/// Gives `client` and `client_view` the same four ways of calling. Derived befriends it and
/// provides `caller()` (the client that sends) and `options()` (those of the call).
template <class Derived>
class call_api {
 public:
  /// Calls and waits for the result; throws rpc_error.
  template <fixed_string N, class R, class... A, class... G>
  R call(const procedure<N, R(A...)>& p, G&&... args) const {
    if constexpr (!check_call_arguments<N, std::tuple<A...>, G...>()) {
      std::abort();  // unreachable: the check above does not compile
    } else {
      return self()
          .caller()
          .template try_call_with<N, R, A...>(self().options(), p, std::forward<G>(args)...)
          .value();
    }
  }

  /// Calls and waits; returns the result or the error, never throws.
  template <fixed_string N, class R, class... A, class... G>
  result<R> try_call(const procedure<N, R(A...)>& p, G&&... args) const {
    if constexpr (!check_call_arguments<N, std::tuple<A...>, G...>()) {
      std::abort();
    } else {
      return self().caller().template try_call_with<N, R, A...>(self().options(), p,
                                                                std::forward<G>(args)...);
    }
  }

  /// Sends the call and returns at once; the future holds the result or an rpc_error.
  template <fixed_string N, class R, class... A, class... G>
  std::future<R> async_call(const procedure<N, R(A...)>& p, G&&... args) const {
    if constexpr (!check_call_arguments<N, std::tuple<A...>, G...>()) {
      std::abort();
    } else {
      return self().caller().template async_call_with<N, R, A...>(self().options(), p,
                                                                  std::forward<G>(args)...);
    }
  }

  /// Sends the call without waiting and without a reply (fire and forget). Throws rpc_error
  /// (unavailable) only if the transport cannot take it.
  template <fixed_string N, class R, class... A, class... G>
  void notify(const procedure<N, R(A...)>& p, G&&... args) const {
    if constexpr (check_call_arguments<N, std::tuple<A...>, G...>()) {
      self().caller().template notify_with<N, R, A...>(self().options(), p,
                                                       std::forward<G>(args)...);
    }
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

/// An argument as the procedure declares it: the caller's object itself when its type already
/// matches (no copy), else converted.
template <class Declared, class Given>
decltype(auto) as_declared(Given&& g) {
  if constexpr (std::is_same_v<std::remove_cvref_t<Given>, std::remove_cvref_t<Declared>>)
    return static_cast<const std::remove_cvref_t<Given>&>(g);
  else
    return std::remove_cvref_t<Declared>(std::forward<Given>(g));
}

}  // namespace redwire::detail
