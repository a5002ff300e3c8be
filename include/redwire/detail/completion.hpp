// redwire/detail/completion.hpp — how an async call ends: in a future, in a callback that takes
// redwire::result<R>, or through a completion token (redwire/asio.hpp teaches it Asio's).
//
//   cli.async_call(calc::add, 2, 3, [](redwire::result<int> r) { ... });   // no Asio needed
//
// A callback runs once, on the thread that completes the call (the reply reader, the timeout
// timer, a canceller, or the caller itself when the call fails before it is sent): keep it
// short, and make no sync call from it. It is kept in the recycled async call, so a callback of
// up to async_call::storage_size bytes costs no allocation.
#pragma once

#include <concepts>
#include <exception>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../errors.hpp"
#include "../log.hpp"
#include "async_calls.hpp"
#include "call_outcome.hpp"

namespace redwire {

/// What completes an async call given a token of type Token (see redwire/asio.hpp). The primary
/// template knows no token; a specialization provides
///   static auto initiate(Token&& token, Start start);
/// and `using known = void;`, where start(callback) sends the call and runs callback(result<R>)
/// once when it ends; start owns the call's arguments, so it may run later (a deferred operation).
template <class Token, class R>
struct completion_token_traits {};

namespace detail {

/// A callback taking the call's outcome.
template <class F, class R>
concept result_callback = std::invocable < std::decay_t<F>
&, result < R >> ;

/// A token that a specialization of completion_token_traits knows.
template <class Token, class R>
concept known_token = requires {
  typename completion_token_traits<std::decay_t<Token>, R>::known;
};

/// True on the thread that runs a completion before the call that started it has returned (a
/// call that fails before it is sent): tokens whose rules forbid running a handler inside the
/// initiating call (Asio's) post it instead.
inline bool& completing_inline() noexcept {
  thread_local bool inline_now = false;
  return inline_now;
}

/// Completes a call inline (see completing_inline()).
inline void complete_inline(pending_call& call) {
  bool& flag = completing_inline();
  const bool saved = flag;
  flag = true;
  try {
    call.complete();
  } catch (...) {
    flag = saved;
    throw;
  }
  flag = saved;
}

/// Ends `call` with `error` inline (see completing_inline()).
inline void fail_inline(pending_call& call, errc error, std::string_view message) {
  call.error = error;
  call.payload = message;
  complete_inline(call);
}

inline constexpr const char* cancelled_by_caller = "cancelled by the caller";

/// A callback that makes a call's result that of a future: its value, or its rpc_error thrown.
template <class R>
auto fulfil(std::shared_ptr<std::promise<R>> promise) {
  return [promise = std::move(promise)](result<R> r) {
    if (!r)
      promise->set_exception(std::make_exception_ptr(r.error()));
    else if constexpr (std::is_void_v<R>)
      promise->set_value();
    else
      promise->set_value(std::move(*r));
  };
}

/// The outcome of an async call as a result<R>.
template <class R>
result<R> async_result_of(async_call& call) {
  if (call.never_ran) return unsent(call.payload, call.procedure);
  return reply_result<R>(call.error, call.payload, call.instance, call.procedure, call.signature);
}

/// Completes an async call that holds a callback F: runs on_call_end if the call has hooks,
/// recycles the call, then runs the callback (which may thus start the next call without
/// growing the pool).
template <class R, class F>
void complete_callback(pending_call* base) {
  auto* call = static_cast<async_call*>(base);
  std::exception_ptr failure;
  try {
    result<R> outcome = async_result_of<R>(*call);
    // With hooks, on_call_end runs before the callback, as it does before a future is ready.
    if (call->hooks) end_hooked_call(*call, outcome.has_value() ? errc{} : outcome.error().error());
    F callback = std::move(call->object<F>());
    call->destroy_object<F>();
    call->pool->recycle(call);
    call = nullptr;
    callback(std::move(outcome));
  } catch (const std::exception& e) {
    log(log_level::warning, std::string("redwire: an async call's callback threw: ") + e.what());
  } catch (...) {
    log(log_level::warning, "redwire: an async call's callback threw");
  }
  if (call) {  // it threw before it ran: the call still holds it
    call->destroy_object<F>();
    call->pool->recycle(call);
  }
}

}  // namespace detail
}  // namespace redwire
