// redwire/detail/call_api.hpp — the four ways of calling (call, try_call, async_call, notify)
// that `client` and `client_view` share, each checked against the procedure at compile time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <stop_token>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../errors.hpp"
#include "../procedure.hpp"
#include "completion.hpp"
#include "diagnostics.hpp"
#include "retry.hpp"

namespace redwire::detail {

/// An argument as the procedure declares it: the caller's object itself when its type already
/// matches (no copy), else converted.
template <class Declared, class Given>
decltype(auto) as_declared(Given&& g) {
  if constexpr (std::is_same_v<std::remove_cvref_t<Given>, std::remove_cvref_t<Declared>>)
    return static_cast<const std::remove_cvref_t<Given>&>(g);
  else
    return std::remove_cvref_t<Declared>(std::forward<Given>(g));
}

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
      return try_call(p, std::forward<G>(args)...).value();
    }
  }

  /// Calls and waits; returns the result or the error, never throws.
  template <fixed_string N, class R, class... A, class... G>
  result<R> try_call(const procedure<N, R(A...)>& p, G&&... args) const {
    if constexpr (!check_call_arguments<N, std::tuple<A...>, G...>()) {
      std::abort();
    } else {
      const call_options& o = self().options();
      if (o.retry.attempts <= 1)
        return self().caller().template try_call_with<N, R, A...>(o, p, std::forward<G>(args)...);
      // Sent again: the arguments are read, never moved from.
      return with_retries<R>(o, [&](const call_options& next) {
        return self().caller().template try_call_with<N, R, A...>(next, p, std::as_const(args)...);
      });
    }
  }

  /// Sends the call and returns at once; the future holds the result or an rpc_error. With one
  /// argument more than the procedure declares, the last one says how the call completes: a
  /// callable taking redwire::result<R> (then nothing is returned), or a completion token that
  /// redwire knows (redwire/asio.hpp: any Asio token; then what the token makes is returned).
  template <fixed_string N, class R, class... A, class... G>
  decltype(auto) async_call(const procedure<N, R(A...)>& p, G&&... args) const {
    if constexpr (sizeof...(G) == sizeof...(A) + 1) {
      return async_with_token<N, R, A...>(p, std::make_index_sequence<sizeof...(A)>{},
                                          std::forward_as_tuple(std::forward<G>(args)...));
    } else if constexpr (!check_call_arguments<N, std::tuple<A...>, G...>()) {
      std::abort();
    } else {
      const call_options& o = self().options();
      if (o.retry.attempts <= 1)
        return self().caller().template async_call_with<N, R, A...>(o, p, std::forward<G>(args)...);
      auto promise = std::make_shared<std::promise<R>>();
      std::future<R> future = promise->get_future();
      start_retried<N, R, A...>(
          self().caller(), o, p, fulfil(std::move(promise)),
          std::tuple<wire_type_t<A>...>(as_declared<A>(std::forward<G>(args))...));
      return future;
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

  // Starts an async call with call_options::retry (detail/retry.hpp): each attempt sent with
  // the same arguments, kept as the procedure declares them; the last result goes to `done`.
  // (Here, a friend of the callers: the lambdas may reach what they keep private.)
  template <fixed_string N, class R, class... A, class Caller, class Done>
  static void start_retried(Caller& caller, const call_options& o, const procedure<N, R(A...)>& p,
                            Done&& done, std::tuple<wire_type_t<A>...> values) {
    auto send = [&caller, p, values = std::move(values)](const call_options& next, auto callback) {
      std::apply(
          [&](const auto&... v) {
            caller.template async_call_then<N, R, A...>(next, p, std::move(callback), v...);
          },
          values);
    };
    auto after = [&caller](std::chrono::milliseconds delay, std::function<void(bool)> task) {
      caller.after(delay, std::move(task));
    };
    async_retry<R, decltype(send), decltype(after), std::decay_t<Done>>::start(
        o, std::move(send), std::move(after), std::forward<Done>(done));
  }

  // The arguments are the tuple's first sizeof...(A) references; the token is its last.
  template <fixed_string N, class R, class... A, std::size_t... I, class Refs>
  decltype(auto) async_with_token(const procedure<N, R(A...)>& p, std::index_sequence<I...>,
                                  Refs refs) const {
    using token_type = std::tuple_element_t<sizeof...(A), Refs>;
    auto&& token = std::get<sizeof...(A)>(refs);
    if constexpr (!check_call_arguments<N, std::tuple<A...>, std::tuple_element_t<I, Refs>...>()) {
      std::abort();
    } else if constexpr (known_token<token_type, R>) {
      // The token may start the call later (a deferred operation): `start` owns what it needs.
      auto start = [caller = &self().caller(), o = self().options(), p,
                    values = std::tuple<wire_type_t<A>...>(as_declared<A>(std::get<I>(refs))...)](
                       auto&& callback, std::stop_token stop) mutable {
        if (stop.stop_possible()) o.stop = std::move(stop);  // the token's own cancellation
        if (o.retry.attempts > 1)
          return start_retried<N, R, A...>(
              *caller, o, p, std::forward<decltype(callback)>(callback), std::move(values));
        caller->template async_call_then<N, R, A...>(
            o, p, std::forward<decltype(callback)>(callback), std::get<I>(std::move(values))...);
      };
      return completion_token_traits<std::remove_cvref_t<token_type>, R>::initiate(
          std::forward<token_type>(token), std::move(start));
    } else if constexpr (result_callback<token_type, R>) {  // after tokens: some are callable
      const call_options& o = self().options();
      if (o.retry.attempts > 1)
        return start_retried<N, R, A...>(
            self().caller(), o, p, std::forward<token_type>(token),
            std::tuple<wire_type_t<A>...>(as_declared<A>(std::get<I>(refs))...));
      self().caller().template async_call_then<N, R, A...>(
          o, p, std::forward<token_type>(token),
          std::forward<std::tuple_element_t<I, Refs>>(std::get<I>(refs))...);
    } else {
      static_assert(result_callback<token_type, R>,
                    "====> redwire: the last argument of this async_call is one more than the "
                    "procedure declares, and is neither a callable taking redwire::result<R> nor a "
                    "completion token (for Asio tokens, #include <redwire/asio.hpp>).");
    }
  }
};

}  // namespace redwire::detail
