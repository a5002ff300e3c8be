// redwire/asio.hpp — async calls with any Boost.Asio completion token.
//
//   #include <redwire/asio.hpp>
//   int r = co_await cli.async_call(calc::add, 2, 3, boost::asio::use_awaitable);
//   auto op = cli.async_call(calc::add, 2, 3, boost::asio::deferred);      // starts when invoked
//   std::future<int> f = cli.async_call(calc::add, 2, 3, boost::asio::use_future);
//   cli.async_call(calc::add, 2, 3, bind_executor(strand, [](std::exception_ptr e, int r) {}));
//
// The completion signature is void(std::exception_ptr, R) (void(std::exception_ptr) for a void
// procedure): a failure is the same redwire::rpc_error that call() throws, and a coroutine
// sees it thrown from co_await. As Asio's rules say, the handler runs on its associated
// executor (dispatched there; posted when the call fails before async_call returns), and that
// executor counts as busy while the call is in flight (an io_context's run() waits for it).
// A handler with a connected cancellation slot can cancel its call (`co_await (call || timer)`
// with boost::asio::experimental::awaitable_operators): as call_options::stop does, the call
// ends with errc::cancelled, its request is taken out of the queue if it still waits there.
// Handlers may be coroutines returning boost::asio::awaitable<R> (service_options::executor):
// see detail/asio_handlers.hpp. Only this header (and what it includes) includes Asio: the
// rest of redwire does not need it.
#pragma once

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <exception>
#include <stop_token>
#include <type_traits>
#include <utility>

#include "detail/asio_handlers.hpp"
#include "detail/completion.hpp"
#include "errors.hpp"

namespace redwire {
namespace detail {

template <class R>
struct asio_signature {
  using type = void(std::exception_ptr, R);
};
template <>
struct asio_signature<void> {
  using type = void(std::exception_ptr);
};

/// Runs an Asio completion handler with a call's outcome.
template <class R, class Handler>
void invoke_asio_handler(Handler& handler, result<R>& outcome) {
  if constexpr (std::is_void_v<R>) {
    if (outcome)
      std::move(handler)(std::exception_ptr{});
    else
      std::move(handler)(std::make_exception_ptr(outcome.error()));
  } else {
    static_assert(std::is_default_constructible_v<R>,
                  "====> redwire: Asio tokens complete with (std::exception_ptr, R): a failed "
                  "call passes R{}, so R must be default constructible.");
    if (outcome)
      std::move(handler)(std::exception_ptr{}, std::move(*outcome));
    else
      std::move(handler)(std::make_exception_ptr(outcome.error()), R{});
  }
}

/// The callback (detail/completion.hpp) that completes an Asio handler on its executor.
///
/// It runs, and is destroyed, on the thread that completes the call (the reply reader, say),
/// and the outstanding work it holds is what keeps the executor's owner alive: once the work
/// is released, an io_context's run() may return and the io_context, a strand on it, go. So
/// the work is released last, after every copy of the handler's executor that this object
/// holds: a moved-from handler may still hold one (Asio's executor_binder moves a copy of its
/// executor), and the last reference to a strand's implementation, released after its
/// io_context is gone, would lock the io_context's mutex after its destruction.
template <class R, class Handler>
class asio_completion {
 public:
  explicit asio_completion(Handler handler)
      : work_(boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                  boost::asio::execution::outstanding_work.tracked)),
        handler_(std::move(handler)) {}

  void operator()(result<R> outcome) {
    auto run = [handler = std::move(handler_), outcome = std::move(outcome)]() mutable {
      auto slot = boost::asio::get_associated_cancellation_slot(handler);
      if (slot.is_connected()) slot.clear();  // the operation is over
      invoke_asio_handler<R>(handler, outcome);
    };
    if (completing_inline())
      boost::asio::post(work_, std::move(run));
    else
      boost::asio::dispatch(work_, std::move(run));
  }  // `run`, moved from, goes here: work_ is still held

 private:
  // Declared first, destroyed last (see above).
  std::decay_t<decltype(boost::asio::prefer(
      std::declval<boost::asio::associated_executor_t<Handler>>(),
      boost::asio::execution::outstanding_work.tracked))>
      work_;
  Handler handler_;
};

}  // namespace detail

/// Every Asio completion token completes redwire's async calls (see the top of this file).
template <class Token, class R>
requires boost::asio::completion_token_for<Token, typename detail::asio_signature<R>::type>
struct completion_token_traits<Token, R> {
  using known = void;

  template <class T, class Start>
  static auto initiate(T&& token, Start start) {
    return boost::asio::async_initiate<T, typename detail::asio_signature<R>::type>(
        [](auto handler, Start start) {
          using completion = detail::asio_completion<R, std::decay_t<decltype(handler)>>;
          auto slot = boost::asio::get_associated_cancellation_slot(handler);
          if (!slot.is_connected()) return start(completion(std::move(handler)), std::stop_token{});
          // Per-operation cancellation: the slot's signal becomes a stop request on the call.
          std::stop_source source;
          slot.assign([source](boost::asio::cancellation_type type) {
            std::stop_source keep = source;  // the slot may be cleared while this runs
            if (type != boost::asio::cancellation_type::none) keep.request_stop();
          });
          start(completion(std::move(handler)), source.get_token());
        },
        token, std::move(start));
  }
};

}  // namespace redwire
