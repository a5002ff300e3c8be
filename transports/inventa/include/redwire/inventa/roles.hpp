// redwire/inventa/roles.hpp — what the roles add to a node: registration, heartbeats, liveness.
//
// Service: register_with() calls `register` [own full id] on the orchestrator until one answer
// comes (an error answer is a rejection: it throws); from then on SETEX <full id> <ttl> 1 every
// heartbeat_interval, on a thread of its own with a connection of its own (a slow handler never
// lets the key expire), and GET <orchestrator> every liveness_interval.
// Orchestrator: heartbeats from start(), answers `register` through the admission callback,
// discovers running instances at start and after a reconnect (SCAN svc:*, then
// `orchestrator-alive` to each), and GETs every admitted instance each liveness_interval: a
// missing key is reported through on_unregistering(i, true) and the instance leaves the table.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <redwire/admission.hpp>
#include <redwire/detail/selection.hpp>
#include <redwire/detail/thread_name.hpp>

#include "core.hpp"

namespace redwire::inventa::detail {

using registering_handler = std::function<admission(const instance&)>;
using unregistering_handler = std::function<void(const instance&, bool expired)>;

class roles {
 public:
  explicit roles(core& c) : core_(c) {
    core_.add_handler(
        "register", [this](item_list&& a) { return answer_register(a); }, true);
    core_.add_handler(
        "orchestrator-alive", [this](item_list&& a) { return answer_alive(a); }, true);
    core_.on_restored([this] { wake(true); });
  }
  roles(const roles&) = delete;
  roles& operator=(const roles&) = delete;
  ~roles() { stop(); }

  registering_handler on_registering;
  unregistering_handler on_unregistering;

  bool orchestrator() const { return core_.node_role() == role::orchestrator; }

  /// After core::start(): an orchestrator heartbeats at once and discovers; both roles start
  /// their threads.
  void start() {
    stopping_ = false;
    if (orchestrator()) {
      heartbeating_ = true;
      beat();
      if (core_.options().discover) discover();
    }
    heartbeat_thread_ = redwire::detail::named_thread("rw-inv-beat", [this] { run_heartbeats(); });
    liveness_thread_ = redwire::detail::named_thread("rw-inv-liveness", [this] { run_liveness(); });
  }

  /// Ends the threads; a registered service or an orchestrator removes its key, so that it
  /// shows as gone at the next liveness check rather than after its TTL.
  void stop() {
    {
      std::lock_guard lk(m_);
      stopping_ = true;
      cv_.notify_all();
    }
    for (std::thread* t : {&heartbeat_thread_, &liveness_thread_})
      if (t->joinable()) t->join();
    if (heartbeating_.exchange(false)) {
      try {
        core_.bus().command({"DEL", core_.self().full_id});
      } catch (const std::exception&) {  // Redis down: the key expires by itself
      }
    }
  }

  void register_with(std::string_view orc, const register_options& o) {
    if (!instance::parse(orc))
      throw std::invalid_argument("redwire::inventa: '" + std::string(orc) + "' is not a full id");
    rpc_error last(errc::timeout, "no attempt");
    for (int attempt = 0; attempt < std::max(o.tries, 1); ++attempt) {
      raw_result r = core_.call(orc, "register", {core_.self().full_id}, o.timeout);
      if (r) {
        {
          std::lock_guard lk(m_);
          orchestrator_ = std::string(orc);
        }
        orchestrator_alive_ = true;
        heartbeating_ = true;
        beat();
        return;
      }
      if (r.error().error() == errc::remote_exception)
        throw rpc_error(errc::remote_exception, r.error().message(), "register", std::string(orc));
      last = r.error();
      if (r.error().error() != errc::timeout)  // the call failed at once: do not spin
        std::this_thread::sleep_for(std::min(o.timeout, std::chrono::milliseconds(1000)));
    }
    throw rpc_error(last.error(), last.message() + " (" + std::to_string(o.tries) + " tries)",
                    "register", std::string(orc));
  }

  bool registered() const { return !orchestrator() && heartbeating_.load(); }
  bool orchestrator_alive() const { return orchestrator_alive_.load(); }

  /// Admitted instances (of `type`, or all when empty), by full id.
  std::vector<instance> instances(std::string_view type) const {
    std::lock_guard lk(m_);
    std::vector<instance> out;
    for (const auto& [id, e] : table_)
      if (type.empty() || e.who.type == type) out.push_back(e.who);
    return out;
  }

  /// An admitted instance of `type` chosen by the node's policy (or by `key`), with its count
  /// of calls in flight; nullopt when there is none.
  std::optional<redwire::detail::candidate> pick(std::string_view type, std::string_view key) {
    std::vector<redwire::detail::candidate> among;
    std::lock_guard lk(m_);
    for (const auto& [id, e] : table_)
      if (e.who.type == type) among.push_back({id, e.outstanding});
    if (among.empty()) return std::nullopt;
    auto& turn = turns_[std::string(type)];
    return among[redwire::detail::choose(among, core_.options().policy, key, turn)];
  }

 private:
  struct entry {
    instance who;
    std::shared_ptr<std::atomic<int>> outstanding = std::make_shared<std::atomic<int>>(0);
  };

  item_list answer_register(const item_list& args) {
    if (!orchestrator()) return {"error", core_.self().full_id + " is not an orchestrator"};
    std::optional<instance> i = instance::parse(args.empty() ? "" : args[0]);
    if (!i) return {"error", "not a service descriptor: '" + (args.empty() ? "" : args[0]) + "'"};
    if (i->full_id == core_.self().full_id) return {"ignored-self"};
    if (std::optional<std::string> no = admit(*i)) return {"error", *no};
    return {"registered"};
  }

  item_list answer_alive(const item_list& args) {
    if (orchestrator()) return {"ignored-not-service"};
    std::lock_guard lk(m_);
    if (args.empty() || args[0] != orchestrator_) return {"ignored-unknown-source"};
    orchestrator_alive_ = true;
    return {"ok"};
  }

  // Asks on_registering (no callback: admitted) and enters the instance; the reason when not.
  std::optional<std::string> admit(const instance& i) {
    admission a = admission::accept();
    if (on_registering) a = on_registering(i);
    if (!a.accepted) {
      std::string why = a.reason.empty() ? "registration of " + i.full_id + " rejected" : a.reason;
      note(log_level::info, "rejected " + i.full_id + ": " + why);
      return why;
    }
    std::lock_guard lk(m_);
    table_.try_emplace(i.full_id, entry{i});
    return std::nullopt;
  }

  // A command on the transport's own connection; once more if that connection was lost (the
  // second try connects anew: after Redis came back, the first finds the old one closed).
  redis::reply command(std::initializer_list<std::string_view> args) {
    try {
      return core_.bus().command(args);
    } catch (const transport_error&) {
      return core_.bus().command(args);
    }
  }

  // SCAN svc:* and admit every instance not yet known, telling each that we are alive.
  void discover() {
    std::vector<std::string> keys;
    try {
      std::string cursor = "0";
      do {
        redis::reply r = command({"SCAN", cursor, "MATCH", "svc:*"});
        if (!r.is_array() || r.elements.size() != 2) break;
        cursor = r.elements[0].str;
        for (const auto& k : r.elements[1].elements) keys.push_back(k.str);
      } while (cursor != "0");
    } catch (const std::exception& e) {
      note(log_level::warning, std::string("discovery failed: ") + e.what());
      return;
    }
    for (const std::string& k : keys) {
      std::optional<instance> i = instance::parse(k);
      if (!i || i->full_id == core_.self().full_id) continue;
      {
        std::lock_guard lk(m_);
        if (table_.contains(k)) continue;
      }
      if (admit(*i)) continue;
      core_.call_async(k, "orchestrator-alive", {core_.self().full_id}, {}, [](raw_result) {});
    }
  }

  void beat() {
    const std::string ttl = std::to_string(core_.options().ttl.count());
    std::string_view args[] = {"SETEX", core_.self().full_id, ttl, "1"};
    std::lock_guard lk(beat_m_);
    try {
      if (!beat_conn_) {
        beat_conn_ = std::make_unique<redis::detail::connection>(core_.bus().config(),
                                                                 "redwire:inventa-heartbeat");
      }
      redis::reply r = beat_conn_->execute(args, core_.bus().config().command_timeout);
      if (r.is_error()) note(log_level::warning, "heartbeat refused: " + r.str);
      beat_failed_ = false;
    } catch (const std::exception& e) {
      beat_conn_.reset();
      if (!beat_failed_) note(log_level::warning, std::string("heartbeat failed: ") + e.what());
      beat_failed_ = true;
    }
  }

  void wake(bool restored) {
    std::lock_guard lk(m_);
    if (restored) restored_ = restored_beat_ = true;
    cv_.notify_all();
  }

  void run_heartbeats() {
    std::unique_lock lk(m_);
    while (!stopping_) {
      const auto pause = beat_failed_ ? std::chrono::milliseconds(100)  // Redis back soon
                                      : core_.options().heartbeat_interval;
      cv_.wait_for(lk, pause, [&] { return stopping_ || restored_beat_; });
      if (stopping_) break;
      restored_beat_ = false;
      lk.unlock();
      if (heartbeating_) beat();
      lk.lock();
    }
  }

  // After a lost connection (Redis restarted, maybe empty), an orchestrator waits one TTL
  // before it sweeps again, so that the services have beaten since; then it discovers anew.
  void run_liveness() {
    using clock = std::chrono::steady_clock;
    std::unique_lock lk(m_);
    clock::time_point grace_until{};
    bool rediscover = false;
    while (!stopping_) {
      cv_.wait_for(lk, core_.options().liveness_interval, [&] { return stopping_ || restored_; });
      if (stopping_) break;
      if (restored_) {
        grace_until = clock::now() + core_.options().ttl;
        rediscover = true;
      }
      restored_ = false;
      lk.unlock();
      if (!orchestrator()) {
        check_orchestrator();
      } else if (clock::now() >= grace_until) {
        if (rediscover && core_.options().discover) discover();
        rediscover = false;
        sweep();
      }
      lk.lock();
    }
  }

  // GET each admitted instance; the missing ones leave (reported once each).
  void sweep() {
    std::vector<instance> gone;
    for (const instance& i : instances({})) {
      try {
        if (command({"GET", i.full_id}).is_nil()) gone.push_back(i);
      } catch (const std::exception& e) {  // Redis down: nobody is declared dead for it
        note(log_level::warning, std::string("liveness check failed: ") + e.what());
        return;
      }
    }
    for (const instance& i : gone) {
      {
        std::lock_guard lk(m_);
        if (!table_.erase(i.full_id)) continue;
      }
      note(log_level::info, "unregistering " + i.full_id + " (its key expired)");
      if (on_unregistering) on_unregistering(i, true);
    }
  }

  void check_orchestrator() {
    std::string orc;
    {
      std::lock_guard lk(m_);
      orc = orchestrator_;
    }
    if (orc.empty()) return;
    try {
      const bool alive = !command({"GET", orc}).is_nil();
      if (alive != orchestrator_alive_.exchange(alive))
        note(log_level::info, "orchestrator " + orc + (alive ? " is alive again" : " is gone"));
    } catch (const std::exception&) {
    }
  }

  core& core_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  bool stopping_ = false, restored_ = false, restored_beat_ = false;
  std::atomic<bool> heartbeating_{false}, orchestrator_alive_{false};
  std::mutex beat_m_;  // beat(): the heartbeat thread, or register_with() at once
  std::atomic<bool> beat_failed_{false};
  std::unique_ptr<redis::detail::connection> beat_conn_;
  std::string orchestrator_;
  std::map<std::string, entry> table_;
  std::map<std::string, std::atomic<std::uint64_t>, std::less<>> turns_;
  std::thread heartbeat_thread_, liveness_thread_;
};

}  // namespace redwire::inventa::detail
