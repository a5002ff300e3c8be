// redwire/inventa/calls.hpp — typed and raw calls of a node (node.hpp derives from `calls`).
//
//   std::int64_t s = n.call("svc:calc:one", calc::sum, 2, 3);   // method "sum", items "2" "3"
//   redwire::result<std::int64_t> r = n.try_call("svc:calc:one", calc::sum, 2, 3);
//   std::future<std::int64_t> f = n.async_call("svc:calc:one", calc::sum, 2, 3);
//   n.call("svc:calc:one", "calculate-sum", calc::sum, 2, 3);   // an explicit method name
//   std::vector<std::string> raw = n.call_raw("svc:calc:one", "sum", {"2", "3"});
//   orc.call(calc::sum, 2, 3);          // orchestrator: an admitted "calc" instance, by policy
//   n.with({.timeout = 500ms, .key = "user-42"}).call(calc::sum, 2, 3);
#pragma once

#include <atomic>
#include <exception>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <redwire/detail/diagnostics.hpp>
#include <redwire/errors.hpp>
#include <redwire/procedure.hpp>

#include "core.hpp"
#include "mapping.hpp"
#include "roles.hpp"

namespace redwire::inventa {

/// The Inventa method of a procedure: its name after the service part ("calc.sum" -> "sum").
template <fixed_string N, class R, class... A>
constexpr std::string_view method_of(procedure<N, R(A...)>) {
  return N.view().substr(procedure<N, R(A...)>::service.size() + 1);
}

namespace detail {

/// A reply's items as R, or the call's error with the procedure's name in it.
template <class R>
redwire::result<R> finish(std::string_view procedure_name, raw_result r) {
  if (!r) {
    const rpc_error& e = r.error();
    return rpc_error(e.error(), e.message(), std::string(procedure_name), e.instance());
  }
  if constexpr (std::is_void_v<R>) {
    return {};
  } else {
    std::string why;
    std::optional<R> v = items_to_result<R>(*r, why);
    if (!v) return rpc_error(errc::bad_message, why, std::string(procedure_name));
    return std::move(*v);
  }
}

template <class R>
void fulfil(std::promise<R>& p, redwire::result<R> r) {
  if (!r) return p.set_exception(std::make_exception_ptr(r.error()));
  if constexpr (std::is_void_v<R>)
    p.set_value();
  else
    p.set_value(std::move(*r));
}

}  // namespace detail

class calls {
 public:
  calls(detail::core& c, detail::roles& r, call_options o = {})
      : core_(&c), roles_(&r), options_(std::move(o)) {}

  // ---- to one instance, by full id ------------------------------------------------------

  template <fixed_string N, class R, class... A, class... G>
  redwire::result<R> try_call(std::string_view target, std::string_view method,
                              procedure<N, R(A...)>, G&&... args) const {
    if constexpr (check<N, R, std::tuple<A...>, G...>()) {
      detail::item_list items = detail::arguments_to_items<A...>(std::forward<G>(args)...);
      return detail::finish<R>(N.view(), core_->call(target, method, items, options_.timeout));
    } else {
      return rpc_error(errc::bad_message, "does not compile");
    }
  }
  template <fixed_string N, class R, class... A, class... G>
  redwire::result<R> try_call(std::string_view target, procedure<N, R(A...)> p, G&&... args) const {
    return try_call(target, method_of(p), p, std::forward<G>(args)...);
  }
  template <fixed_string N, class R, class... A, class... G>
  R call(std::string_view target, std::string_view method, procedure<N, R(A...)> p,
         G&&... args) const {
    return try_call(target, method, p, std::forward<G>(args)...).value();
  }
  template <fixed_string N, class R, class... A, class... G>
  R call(std::string_view target, procedure<N, R(A...)> p, G&&... args) const {
    return try_call(target, method_of(p), p, std::forward<G>(args)...).value();
  }
  /// The future holds the value or the rpc_error; it never waits past the call's timeout.
  template <fixed_string N, class R, class... A, class... G>
  std::future<R> async_call(std::string_view target, procedure<N, R(A...)> p, G&&... args) const {
    return async_to(target, method_of(p), p, {}, std::forward<G>(args)...);
  }

  // ---- by type: an admitted instance the orchestrator's policy picks --------------------

  template <fixed_string N, class R, class... A, class... G>
  redwire::result<R> try_call(procedure<N, R(A...)> p, G&&... args) const {
    std::optional<redwire::detail::candidate> c = roles_->pick(p.service, options_.key);
    if (!c) return no_instance(p.name, p.service);
    ++*c->outstanding;
    redwire::result<R> r = try_call(c->id, method_of(p), p, std::forward<G>(args)...);
    --*c->outstanding;
    return r;
  }
  template <fixed_string N, class R, class... A, class... G>
  R call(procedure<N, R(A...)> p, G&&... args) const {
    return try_call(p, std::forward<G>(args)...).value();
  }
  template <fixed_string N, class R, class... A, class... G>
  std::future<R> async_call(procedure<N, R(A...)> p, G&&... args) const {
    std::optional<redwire::detail::candidate> c = roles_->pick(p.service, options_.key);
    if (!c) {
      std::promise<R> failed;
      failed.set_exception(std::make_exception_ptr(no_instance(p.name, p.service)));
      return failed.get_future();
    }
    return async_to(c->id, method_of(p), p, c->outstanding, std::forward<G>(args)...);
  }

  // ---- raw: Inventa's list of strings, both ways ----------------------------------------

  /// An `error!<message>` reply is errc::remote_exception with the message.
  redwire::result<std::vector<std::string>> try_call_raw(
      std::string_view target, std::string_view method,
      const std::vector<std::string>& items) const {
    return detail::finish<std::vector<std::string>>(
        method, core_->call(target, method, items, options_.timeout));
  }
  std::vector<std::string> call_raw(std::string_view target, std::string_view method,
                                    const std::vector<std::string>& items) const {
    return try_call_raw(target, method, items).value();
  }

  /// The same calls with other options (it refers to the node: do not keep it past the node).
  calls with(call_options o) const { return calls(*core_, *roles_, std::move(o)); }

 private:
  template <fixed_string N, class R, class Declared, class... G>
  static constexpr bool check() {
    return redwire::detail::check_call_arguments<N, Declared, G...>() &&
           []<class... A>(std::tuple<A...>*) {
             return detail::check_mapping<N, R, A...>();
           }(static_cast<Declared*>(nullptr));
  }

  static rpc_error no_instance(std::string_view name, std::string_view type) {
    return rpc_error(errc::unavailable, "no admitted instance of type '" + std::string(type) + "'",
                     std::string(name));
  }

  template <fixed_string N, class R, class... A, class... G>
  std::future<R> async_to(std::string_view target, std::string_view method, procedure<N, R(A...)>,
                          std::shared_ptr<std::atomic<int>> outstanding, G&&... args) const {
    auto promise = std::make_shared<std::promise<R>>();
    std::future<R> f = promise->get_future();
    if constexpr (check<N, R, std::tuple<A...>, G...>()) {
      detail::item_list items = detail::arguments_to_items<A...>(std::forward<G>(args)...);
      if (outstanding) ++*outstanding;
      core_->call_async(target, method, items, options_.timeout,
                        [promise, outstanding](detail::raw_result r) {
                          if (outstanding) --*outstanding;
                          detail::fulfil<R>(*promise, detail::finish<R>(N.view(), std::move(r)));
                        });
    }
    return f;
  }

 protected:
  detail::core* core_;
  detail::roles* roles_;
  call_options options_;
};

}  // namespace redwire::inventa
