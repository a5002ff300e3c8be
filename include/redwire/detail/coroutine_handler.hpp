// redwire/detail/coroutine_handler.hpp — what the core knows of handlers that are coroutines:
// that their result is awaited, where they run, and the call they serve while they run.
//
// The core includes no Asio: redwire/asio.hpp specializes awaitable_traits for
// boost::asio::awaitable<T> (its spawn() starts such a handler on the service's executor) and
// handler_executor_traits for Asio executors. A service whose handlers are plain functions
// never instantiates any of this.
#pragma once

#include <any>
#include <concepts>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "../context.hpp"

namespace redwire {

/// What makes a handler's result a coroutine to await, and starts it: specialized by
/// redwire/asio.hpp for boost::asio::awaitable<T>, as
///   using value_type = T;
///   template <class F, class R, class... A>   // F: the handler, R(A...): the procedure
///   static void spawn(F& handler, const std::any& executor, std::shared_ptr<coroutine_call>);
template <class T>
struct awaitable_traits {};

/// How an executor becomes service_options::executor: specialized by redwire/asio.hpp for
/// Asio executors (`static std::any wrap(const E&)`).
template <class E>
struct handler_executor_traits {};

/// Where a service runs its coroutine handlers (service_options::executor): empty, or an Asio
/// executor (`{.executor = io.get_executor()}`, with <redwire/asio.hpp>).
class handler_executor {
 public:
  handler_executor() = default;
  template <class E>
  requires requires(const E& e) {
    { handler_executor_traits<E>::wrap(e) } -> std::same_as<std::any>;
  }
  handler_executor(const E& e) : held_(handler_executor_traits<E>::wrap(e)) {}

  bool empty() const noexcept { return !held_.has_value(); }
  const std::any& held() const noexcept { return held_; }

 private:
  std::any held_;
};

namespace detail {

/// True when a handler returns a coroutine that redwire knows how to await.
template <class T>
concept awaitable_result = requires {
  typename awaitable_traits<std::remove_cvref_t<T>>::value_type;
};

/// What a handler gives back once awaited: T itself for a plain handler.
template <class T>
struct handler_value {
  using type = T;
};
template <awaitable_result T>
struct handler_value<T> {
  using type = typename awaitable_traits<std::remove_cvref_t<T>>::value_type;
};
template <class T>
using handler_value_t = typename handler_value<T>::type;

/// A request whose handler is a coroutine, from its start to its reply: what the dispatcher
/// (dispatch.hpp) and the code that spawns the coroutine (redwire/asio.hpp) share.
class coroutine_call {
 public:
  virtual ~coroutine_call() = default;
  /// The encoded arguments.
  virtual std::string_view arguments() const noexcept = 0;
  /// The call served: current_call() while the coroutine runs (its stop token included).
  virtual const call_context& context() const noexcept = 0;
  /// Where the handler's result is encoded (appended).
  virtual std::string& result() noexcept = 0;
  /// Called once, when the coroutine has ended: `failure` is null if it returned.
  virtual void finish(std::exception_ptr failure) noexcept = 0;
};

}  // namespace detail
}  // namespace redwire
