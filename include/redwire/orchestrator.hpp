// redwire/orchestrator.hpp — the orchestrator role: admits instances and routes calls to them.
//
//   redwire::orchestrator orc{bus, {.policy = redwire::selection::least_outstanding}};
//   orc.on_registering([](const redwire::instance_info& i) {
//     return i.version == redwire::version ? redwire::admission::accept()
//                                          : redwire::admission::reject("wrong redwire version");
//   });
//   orc.on_unregistering([](const redwire::instance_info& i, bool expired) { ... });
//   orc.start();
//   int s = orc.call(calc::add, 2, 3);                       // to the instance the policy picks
//   orc.with({.key = "user-42"}).call(calc::add, 2, 3);      // same key, same instance
//
// It watches the registry: every instance it sees is put to on_registering once; a rejected
// instance is told so and stops serving (it logs why). Calls are targeted at one admitted
// instance; calls that carry a key go to the instance rendezvous hashing picks for the key, so
// they reach the same instance (and keep their order) while membership is unchanged. A call
// refused because its instance just died never ran: it is sent once more, to another instance.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "admission.hpp"
#include "client.hpp"
#include "detail/call_router.hpp"
#include "detail/membership.hpp"
#include "detail/selection.hpp"
#include "detail/thread_name.hpp"
#include "instance_info.hpp"
#include "orchestrator_options.hpp"
#include "registry.hpp"
#include "selection.hpp"

namespace redwire {

class orchestrator;

/// An orchestrator with call options bound (orchestrator::with), with the calls of a client:
/// call, try_call, async_call (a future, a callback or a completion token) and notify, each to
/// the instance the policy (or the key) picks. Do not keep it past its owner.
class orchestrated_calls : public detail::call_api<orchestrated_calls> {
 public:
  orchestrated_calls(orchestrator& owner, call_options options)
      : owner_(&owner), options_(std::move(options)) {}

 private:
  friend class detail::call_api<orchestrated_calls>;
  detail::call_router<orchestrator>& caller() const;
  const call_options& options() const { return options_; }

  orchestrator* owner_;
  call_options options_;
};

class orchestrator {
 public:
  using registering_handler = std::function<admission(const instance_info&)>;
  using unregistering_handler = std::function<void(const instance_info&, bool expired)>;

  template <transport T>
  explicit orchestrator(T& bus, orchestrator_options options = {})
      : bus_(std::make_unique<detail::transport_adapter<T>>(bus)),
        options_(std::move(options)),
        registry_(bus, {.group = options_.group, .reap_interval = options_.reap_interval}),
        client_(bus, {.default_timeout = options_.default_timeout, .group = options_.group}) {
    scope_ = detail::group_prefix(bus_->prefix(), options_.group);
  }

  orchestrator(const orchestrator&) = delete;
  orchestrator& operator=(const orchestrator&) = delete;
  ~orchestrator() { stop(); }

  /// Decides whether an instance may serve; called once per instance, one call at a time, on
  /// a thread of the orchestrator. Set it before start(). Default: accept all.
  void on_registering(registering_handler h) { on_registering_ = std::move(h); }
  /// Called when an admitted instance leaves (expired = false) or expires (expired = true).
  void on_unregistering(unregistering_handler h) { on_unregistering_ = std::move(h); }

  /// Starts watching the registry and admits the instances already there. A call starts it too.
  void start() {
    std::unique_lock lock(mutex_);
    if (started_) return;
    started_ = true;
    lock.unlock();
    watch_ = registry_.watch([this](const membership_event& e) { on_event(e); });
    refresh_all();
    maintainer_ = detail::named_thread("rw-orchestrate", [this] { maintain(); });
  }

  /// Stops watching; calls still work with what is known.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (!started_ || stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    if (maintainer_.joinable()) maintainer_.join();
    watch_ = {};
  }

  /// The admitted live instances of `service`, as the orchestrator routes to them.
  std::vector<instance_info> instances(std::string_view service) {
    start();
    std::lock_guard lock(mutex_);
    std::vector<instance_info> out;
    auto it = services_.find(std::string(service));
    if (it == services_.end()) return out;
    for (const auto& c : it->second.members) out.push_back(admitted_.at(c.id));
    return out;
  }

  /// The registry it watches.
  registry& members() noexcept { return registry_; }

  /// Options for the calls made through the returned view: `orc.with({.key = "k"}).call(...)`.
  orchestrated_calls with(call_options options) { return {*this, std::move(options)}; }

  template <fixed_string N, class R, class... A, class... G>
  R call(const procedure<N, R(A...)>& p, G&&... args) {
    return with({}).call(p, std::forward<G>(args)...);
  }
  template <fixed_string N, class R, class... A, class... G>
  result<R> try_call(const procedure<N, R(A...)>& p, G&&... args) {
    return with({}).try_call(p, std::forward<G>(args)...);
  }
  /// Like client::async_call: a future, or with one argument more a callback or a token.
  template <fixed_string N, class R, class... A, class... G>
  decltype(auto) async_call(const procedure<N, R(A...)>& p, G&&... args) {
    return with({}).async_call(p, std::forward<G>(args)...);
  }

 private:
  friend class orchestrated_calls;
  friend class detail::call_router<orchestrator>;

  struct service_members {
    std::vector<detail::candidate> members;  // admitted and alive
    std::atomic<std::uint64_t> turn{0};
  };

  std::optional<detail::candidate> pick(std::string_view service, std::string_view key) {
    std::unique_lock lock(mutex_);
    auto it = services_.find(std::string(service));
    if (it == services_.end() || it->second.members.empty()) {
      lock.unlock();
      refresh(std::string(service));  // perhaps it is new: look before giving up
      lock.lock();
      it = services_.find(std::string(service));
      if (it == services_.end() || it->second.members.empty()) return std::nullopt;
    }
    auto& s = it->second;
    return s.members[detail::choose(s.members, options_.policy, key, s.turn)];
  }

  void forget(std::string_view service, const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = services_.find(std::string(service));
    if (it == services_.end()) return;
    std::erase_if(it->second.members, [&](const detail::candidate& c) { return c.id == id; });
  }

  void maintain() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, options_.refresh_interval, [this] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      refresh_all();
      lock.lock();
    }
  }

  void refresh_all() {
    try {
      std::set<std::string> names;
      for (auto& s : registry_.services()) names.insert(s);
      {
        std::lock_guard lock(mutex_);
        for (auto& [name, s] : services_) names.insert(name);
      }
      for (const auto& name : names) refresh(name);
    } catch (const transport_error& e) {
      log(log_level::warning, std::string("orchestrator: cannot read the registry: ") + e.what());
    }
  }

  // Reads a service's live instances, admits the new ones, drops the vanished ones.
  void refresh(const std::string& service) {
    std::vector<instance_info> live;
    try {
      live = registry_.instances(service);
    } catch (const transport_error&) {
      return;
    }
    std::lock_guard decisions(deciding_);
    std::set<std::string> alive;
    for (const auto& i : live) {
      alive.insert(i.id);
      admit(i);
    }
    std::vector<instance_info> vanished;
    {
      std::lock_guard lock(mutex_);
      auto& s = services_[service];
      for (const auto& c : s.members)
        if (!alive.contains(c.id)) vanished.push_back(admitted_.at(c.id));
    }
    for (const auto& i : vanished) depart(i, true);  // gone without a word we heard
  }

  // On the transport's delivery thread.
  void on_event(const membership_event& e) {
    std::lock_guard decisions(deciding_);
    if (e.change == membership::joined) {
      admit(e.instance);
    } else {
      depart(e.instance, e.change == membership::expired);
    }
  }

  // With deciding_ held: puts a new instance to on_registering; tells a rejected one again.
  void admit(const instance_info& i) {
    auto known = verdicts_.find(i.id);
    if (known == verdicts_.end()) {
      admission verdict = admission::accept();
      if (on_registering_) {
        try {
          verdict = on_registering_(i);
        } catch (const std::exception& e) {
          verdict = admission::reject(std::string("on_registering threw: ") + e.what());
        }
      }
      if (verdict.accepted)
        verdict.reason.clear();
      else if (verdict.reason.empty())
        verdict.reason = "rejected by on_registering";
      known = verdicts_.emplace(i.id, verdict).first;
    }
    if (!known->second.accepted) {
      try {
        bus_->publish(detail::instance_control(scope_, i.service, i.id),
                      "reject " + known->second.reason);
      } catch (const transport_error&) {
      }
      return;
    }
    std::lock_guard lock(mutex_);
    admitted_[i.id] = i;
    auto& members = services_[i.service].members;
    for (const auto& c : members)
      if (c.id == i.id) return;
    members.push_back({i.id});
  }

  // With deciding_ held.
  void depart(const instance_info& i, bool expired) {
    bool was_admitted = false;
    instance_info known = i;
    {
      std::lock_guard lock(mutex_);
      auto it = services_.find(i.service);
      if (it != services_.end())
        std::erase_if(it->second.members, [&](const detail::candidate& c) { return c.id == i.id; });
      if (auto a = admitted_.find(i.id); a != admitted_.end()) {
        was_admitted = true;
        if (known.host.empty()) known = a->second;
        admitted_.erase(a);
      }
    }
    verdicts_.erase(i.id);
    if (was_admitted && on_unregistering_) {
      try {
        on_unregistering_(known, expired);
      } catch (const std::exception& e) {
        log(log_level::warning, std::string("orchestrator: on_unregistering threw: ") + e.what());
      }
    }
  }

  std::unique_ptr<detail::any_transport> bus_;
  orchestrator_options options_;
  registry registry_;
  client client_;
  detail::call_router<orchestrator> router_{*this};
  std::string scope_;
  registering_handler on_registering_;
  unregistering_handler on_unregistering_;

  std::mutex deciding_;                        // one decision at a time; held around hooks
  std::map<std::string, admission> verdicts_;  // under deciding_
  std::mutex mutex_;                           // the rest
  std::condition_variable wake_;
  bool started_ = false, stopping_ = false;
  std::map<std::string, service_members> services_;
  std::map<std::string, instance_info> admitted_;
  membership_watch watch_;
  std::thread maintainer_;
};

inline detail::call_router<orchestrator>& orchestrated_calls::caller() const {
  return owner_->router_;
}

}  // namespace redwire
