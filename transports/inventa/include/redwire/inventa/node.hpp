// redwire/inventa/node.hpp — redwire::inventa::node: one member of an Inventa deployment.
//
//   redwire::inventa::node svc{"redis://127.0.0.1:6379", "svc:calc:cpp",
//                              redwire::inventa::role::service};
//   svc.bind(calc::sum, [](std::int64_t a, std::int64_t b) { return a + b; });
//   svc.start();                      // subscribes, then serves
//   svc.register_with("svc:orc:");    // tries as the libraries do; then heartbeats
//
// The URL takes every form of the Redis transport (redis://, rediss://, unix://,
// redis-sentinel://); Inventa itself uses db 0 and no prefix. Calls: calls.hpp.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <redwire/admission.hpp>
#include <redwire/detail/diagnostics.hpp>
#include <redwire/procedure.hpp>

#include "calls.hpp"
#include "core.hpp"
#include "frame.hpp"
#include "mapping.hpp"
#include "options.hpp"
#include "roles.hpp"

namespace redwire::inventa {
namespace detail {

/// What a node owns, built before its `calls` base refers to it.
struct node_parts {
  node_parts(std::string_view url, std::string_view full_id, role r, node_options o)
      : engine(std::make_unique<core>(url, full_id, r, std::move(o))),
        duties(std::make_unique<roles>(*engine)) {}
  std::unique_ptr<core> engine;
  std::unique_ptr<roles> duties;
};

}  // namespace detail

class node : private detail::node_parts, public calls {
 public:
  /// Connects to Redis now (throws transport_error, or std::invalid_argument for a bad URL or a
  /// full id that is not svc:<type>:<id>).
  node(std::string_view url, std::string_view full_id, role r, node_options o = {})
      : detail::node_parts(url, full_id, r, std::move(o)), calls(*engine, *duties) {}
  node(const node&) = delete;
  node& operator=(const node&) = delete;
  ~node() { stop(); }

  /// Serves `p` as the method method_of(p) ("calc.sum" -> "sum"), or as `method`. Handlers run
  /// on the node's workers, several at once: they may call other nodes. A handler that throws
  /// answers error!<what()>; arguments that do not read as the declared types answer an error
  /// that says which one.
  template <fixed_string N, class R, class... A, class F>
  void bind(procedure<N, R(A...)> p, F&& handler) {
    bind(std::string(method_of(p)), p, std::forward<F>(handler));
  }
  template <fixed_string N, class R, class... A, class F>
  void bind(std::string method, procedure<N, R(A...)>, F&& handler) {
    if constexpr (redwire::detail::check_handler<N, R, F, A...>() &&
                  detail::check_mapping<N, R, A...>()) {
      auto h = std::make_shared<std::decay_t<F>>(std::forward<F>(handler));
      engine->add_handler(std::move(method), [h](detail::item_list&& items) -> detail::item_list {
        std::string why;
        auto args = detail::items_to_arguments<A...>(items, why);
        if (!args) throw std::invalid_argument(why);
        auto invoke = [&](auto&... v) -> decltype(auto) { return (*h)(std::move(v)...); };
        if constexpr (std::is_void_v<R>) {
          std::apply(invoke, *args);
          return {};
        } else {
          return detail::result_to_items<R>(std::apply(invoke, *args));
        }
      });
    }
  }
  /// A method over Inventa's list of strings, both ways.
  void bind_raw(std::string method,
                std::function<std::vector<std::string>(std::vector<std::string>)> handler) {
    engine->add_handler(std::move(method), [h = std::move(handler)](detail::item_list&& items) {
      return h(std::move(items));
    });
  }

  /// Orchestrator: asked for each instance that registers or is discovered (before start()).
  /// Without it every instance is admitted. It runs on a worker: it may make calls.
  void on_registering(std::function<admission(const instance&)> f) {
    before_start("on_registering");
    duties->on_registering = std::move(f);
  }
  /// Orchestrator: an admitted instance left; `expired` is true when its key expired (the only
  /// way Inventa has). Before start().
  void on_unregistering(std::function<void(const instance&, bool expired)> f) {
    before_start("on_unregistering");
    duties->on_unregistering = std::move(f);
  }

  /// Subscribes to ch:<full id> (calls made once it returns get their responses), starts the
  /// workers; an orchestrator heartbeats and discovers running instances. Throws
  /// transport_error; a second start() throws std::logic_error.
  void start() {
    engine->start();
    duties->start();
  }
  /// Ends calls in flight (errc::cancelled), lets running handlers finish, removes its key.
  void stop() {
    duties->stop();
    engine->stop();
  }

  /// Service: registers with the orchestrator `orc` (up to o.tries calls of `register`, each
  /// waiting o.timeout); then heartbeats. Throws rpc_error: errc::remote_exception with the
  /// orchestrator's reason when it rejects, errc::timeout when no try was answered.
  void register_with(std::string_view orc, register_options o = {}) {
    if (engine->node_role() != role::service)
      throw std::logic_error("redwire::inventa: register_with() is for the service role");
    if (!engine->started())
      throw std::logic_error(
          "redwire::inventa: register_with() before start(): the answer "
          "would arrive on a channel nobody reads yet");
    duties->register_with(orc, o);
  }
  bool registered() const { return duties->registered(); }
  /// Service: whether its orchestrator's key was there at the last check (or it said so).
  bool orchestrator_alive() const { return duties->orchestrator_alive(); }

  /// Orchestrator: the admitted instances of `type` (all when empty), by full id.
  std::vector<instance> instances(std::string_view type = {}) const {
    return duties->instances(type);
  }

  const instance& self() const noexcept { return engine->self(); }
  node_stats stats() const { return engine->stats(); }
  /// The Redis transport underneath (its own commands: bus().command({...})).
  redis::transport& bus() noexcept { return engine->bus(); }

 private:
  void before_start(const char* what) const {
    if (engine->started())
      throw std::logic_error(std::string("redwire::inventa: ") + what + " after start()");
  }
};

}  // namespace redwire::inventa
