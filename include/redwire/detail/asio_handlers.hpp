// redwire/detail/asio_handlers.hpp — handlers that are Asio coroutines (included by
// redwire/asio.hpp, the one place where redwire includes Asio).
//
//   redwire::service svc{bus, "gateway", {.executor = io.get_executor()}};
//   svc.bind(gateway::quote, [&](std::string id) -> boost::asio::awaitable<double> {
//     double p = co_await cli.async_call(pricing::get, id, boost::asio::use_awaitable);
//     co_return p * 1.2;
//   });
//
// A worker checks the request as for any handler, then spawns the coroutine on the service's
// executor and goes back to the queue: while the coroutine awaits, it holds no thread
// (service_options::max_in_flight bounds how many are in progress). So that current_call() is
// the handled call wherever the coroutine resumes (and calls made from it inherit its deadline
// and trace), it runs on a call_executor: the service's executor, which enters the call's
// context around every function it runs. When the caller cancels the call, the coroutine's
// cancellation slot is emitted (terminal) on the executor: what it awaits ends with
// operation_aborted. The executor must run until the service has stopped (stop() waits for the
// coroutines in progress); with more than one thread, give a strand, so that the coroutine and
// its cancellation do not run at once.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution/executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>

#include <any>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../codec.hpp"
#include "../context.hpp"
#include "coroutine_handler.hpp"

namespace redwire {
namespace detail {

/// An executor that runs every function of one handler coroutine inside its call's context
/// (current_call()), on `Inner`.
template <class Inner>
class call_executor {
 public:
  call_executor(Inner inner, std::shared_ptr<const coroutine_call> call) noexcept
      : inner_(std::move(inner)), call_(std::move(call)) {}

  template <class F>
  void execute(F&& f) const {
    inner_.execute(in_scope<std::decay_t<F>>{std::forward<F>(f), call_});
  }

  template <class P>
  auto query(const P& p) const
      noexcept(noexcept(boost::asio::query(std::declval<const Inner&>(), p)))
          -> decltype(boost::asio::query(std::declval<const Inner&>(), p)) {
    return boost::asio::query(inner_, p);
  }
  template <class P>
  auto require(const P& p) const -> call_executor<
      std::decay_t<decltype(boost::asio::require(std::declval<const Inner&>(), p))>> {
    return {boost::asio::require(inner_, p), call_};
  }
  template <class P>
  auto prefer(const P& p) const -> call_executor<
      std::decay_t<decltype(boost::asio::prefer(std::declval<const Inner&>(), p))>> {
    return {boost::asio::prefer(inner_, p), call_};
  }

  friend bool operator==(const call_executor& a, const call_executor& b) noexcept {
    return a.inner_ == b.inner_ && a.call_ == b.call_;
  }
  friend bool operator!=(const call_executor& a, const call_executor& b) noexcept {
    return !(a == b);
  }

 private:
  template <class F>
  struct in_scope {
    F f;
    std::shared_ptr<const coroutine_call> call;
    void operator()() {
      call_scope scope(call->context());
      std::move(f)();
    }
  };

  Inner inner_;
  std::shared_ptr<const coroutine_call> call_;
};

/// Starts the user's handler coroutine on the decoded arguments (they are moved in).
template <class R, class... A>
using coroutine_starter = boost::asio::awaitable<R> (*)(void* handler,
                                                        std::tuple<wire_type_t<A>...>& values);

template <class F, class R, class... A>
boost::asio::awaitable<R> start_coroutine_handler(void* handler,
                                                  std::tuple<wire_type_t<A>...>& values) {
  return std::apply([&](auto&... v) { return (*static_cast<F*>(handler))(std::move(v)...); },
                    values);
}

/// The handler's coroutine, awaited: its arguments decoded, its result encoded. The frame holds
/// the arguments (a handler may take them by reference) but not the handler's type: a lambda
/// in a user's file has no linkage, and a coroutine frame holding one would warn
/// (-Wsubobject-linkage) in every file that binds one.
template <class R, class... A>
boost::asio::awaitable<void> run_coroutine_handler(void* handler, coroutine_starter<R, A...> start,
                                                   std::shared_ptr<coroutine_call> call) {
  auto values = redwire::decode_values<wire_type_t<A>...>(call->arguments());
  if constexpr (std::is_void_v<R>) {
    co_await start(handler, values);
  } else {
    const R result = co_await start(handler, values);
    redwire::encode_values(call->result(), result);
  }
}

/// What cancels a handler coroutine when its caller cancels the call.
struct coroutine_cancellation {
  boost::asio::cancellation_signal signal;
  std::optional<std::stop_callback<std::function<void()>>> on_stop;
};

}  // namespace detail

/// Asio executors (an io_context's, a strand, any_io_executor) as service_options::executor.
template <class E>
requires boost::asio::execution::executor<E>
struct handler_executor_traits<E> {
  static std::any wrap(const E& e) { return boost::asio::any_io_executor(e); }
};

/// Handlers returning boost::asio::awaitable<T> are coroutines (see the top of this file).
template <class T>
struct awaitable_traits<boost::asio::awaitable<T, boost::asio::any_io_executor>> {
  using value_type = T;

  template <class F, class R, class... A>
  static void spawn(F& handler, const std::any& executor,
                    std::shared_ptr<detail::coroutine_call> call) {
    const auto& inner = std::any_cast<const boost::asio::any_io_executor&>(executor);
    auto cancellation = std::make_shared<detail::coroutine_cancellation>();
    boost::asio::co_spawn(
        detail::call_executor<boost::asio::any_io_executor>(inner, call),
        detail::run_coroutine_handler<R, A...>(&handler,
                                               &detail::start_coroutine_handler<F, R, A...>, call),
        boost::asio::bind_cancellation_slot(
            cancellation->signal.slot(),
            [call, cancellation](std::exception_ptr failure) { call->finish(failure); }));
    // After the spawn: a stop that came already is emitted once the coroutine has started.
    std::weak_ptr<detail::coroutine_cancellation> weak = cancellation;
    cancellation->on_stop.emplace(call->context().stop, [inner, weak] {
      boost::asio::post(inner, [weak] {
        if (auto c = weak.lock()) c->signal.emit(boost::asio::cancellation_type::terminal);
      });
    });
  }
};

}  // namespace redwire
