// redwire/detail/heartbeat.hpp — the service component that keeps an instance registered.
//
// At start it writes the instance's record and liveness entry and announces `joined`; then a
// thread of its own beats every ttl / 3 (never a worker: a handler busy for minutes does not
// make its instance look dead), re-registers if it finds itself missing (reaped during a long
// pause, or the broker lost its data), and reaps the expired replicas of its service: two
// commands per beat on Redis (the beat script, the service index). At stop it removes the
// instance at once, fails back what waits in its queue, and announces `left`.
// It also listens on the instance's control channel: an orchestrator that rejects the
// instance makes it stop serving, with a log line that says so.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "../instance_info.hpp"
#include "../log.hpp"
#include "component.hpp"
#include "host_facts.hpp"
#include "membership.hpp"
#include "thread_name.hpp"

namespace redwire::detail {

class heartbeat final : public component {
 public:
  explicit heartbeat(registration_options options) : options_(std::move(options)) {}

  ~heartbeat() override {
    stop();
    if (thread_.joinable()) thread_.join();
  }

  void start(const instance_context& instance) override {
    if (thread_.joinable()) thread_.join();  // a previous run that stopped itself
    bus_ = &instance.bus;
    if (!bus_->registry_store()) {  // the one feature skipped (transport.hpp)
      log(log_level::debug, "service " + instance.instance_id +
                                ": the transport has no registry storage; not registering");
      return;
    }
    stop_instance_ = instance.stop_instance;
    scope_ = instance.scope;
    info_ = host_facts();
    info_.service = instance.service;
    info_.id = instance.instance_id;
    info_.group = instance.group;
    info_.metadata = options_.metadata;
    info_.procedures = instance.procedures;
    {
      std::lock_guard lock(mutex_);
      running_ = true;
      stopping_ = false;
      rejected_.clear();
    }
    control_ = bus_->subscribe(
        instance_control(scope_, info_.service, info_.id),
        [this](std::string_view, std::string_view words) { on_control(words); }, {});
    try {
      write_registration(*bus_, scope_, info_, options_.ttl);
      publish_membership(*bus_, scope_, membership::joined, info_);
    } catch (const transport_error& e) {
      log(log_level::warning, "service " + info_.id + ": cannot register yet (" + e.what() +
                                  "); the heartbeat will retry");
    }
    thread_ = named_thread("rw-heartbeat", [this] { beat_loop(); });
  }

  void stop() override {
    {
      std::lock_guard lock(mutex_);
      if (!running_ || stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
    control_.reset();
    try {
      write_departure(*bus_, scope_, info_);
      publish_membership(*bus_, scope_, membership::left, info_);
    } catch (const transport_error& e) {
      log(log_level::warning, "service " + info_.id + ": cannot deregister (" + e.what() +
                                  "); the registry will see it expire");
    }
    std::lock_guard lock(mutex_);
    running_ = false;
  }

 private:
  void beat_loop() {
    const auto interval = std::max(options_.ttl / 3, std::chrono::milliseconds(10));
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, interval, [this] { return stopping_ || !rejected_.empty(); });
      if (stopping_) break;
      if (!rejected_.empty()) {
        log(log_level::error, "service " + info_.id + " (" + info_.service +
                                  ") was rejected by the orchestrator: " + rejected_ +
                                  "; it stops serving");
        lock.unlock();
        stop_instance_();  // calls stop() above on this thread, then drains the workers
        return;
      }
      lock.unlock();
      beat();
      lock.lock();
    }
  }

  // One beat: the instance's own keys and the reaping of its service's expired replicas in one
  // round trip (registry_store::beat), then the service's entry in the index (another slot).
  void beat() {
    try {
      const std::string live = live_instances(scope_, info_.service);
      const std::string record = instance_record(scope_, info_.service, info_.id);
      const std::string dead = dead_instances(scope_, info_.service);
      beat_outcome o = store_of(*bus_).beat({live, record, dead}, info_.id, options_.ttl,
                                            record_ttl(options_.ttl));
      if (o.was_absent) {
        // Missing from the set: reaped during a long pause, or the broker lost its data.
        write_registration(*bus_, scope_, info_, options_.ttl);
        publish_membership(*bus_, scope_, membership::joined, info_);
        log(log_level::info, "service " + info_.id + ": registered again");
      } else {
        if (o.record_gone)
          store_of(*bus_).put_record(record, to_fields(info_), record_ttl(options_.ttl));
        store_of(*bus_).touch_member(service_index(scope_), info_.service, options_.ttl);
      }
      bury_expired(*bus_, scope_, info_.service, o.expired);
    } catch (const transport_error& e) {
      log(log_level::warning, "service " + info_.id + ": heartbeat failed: " + e.what());
    }
  }

  // On the transport's delivery thread: only note it; the heartbeat thread acts.
  void on_control(std::string_view words) {
    constexpr std::string_view reject = "reject ";
    if (!words.starts_with(reject)) return;
    {
      std::lock_guard lock(mutex_);
      rejected_ = std::string(words.substr(reject.size()));
      if (rejected_.empty()) rejected_ = "no reason given";
    }
    wake_.notify_all();
  }

  registration_options options_;
  any_transport* bus_ = nullptr;
  std::function<void()> stop_instance_;
  std::string scope_;
  instance_info info_;
  std::unique_ptr<any_subscription> control_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool running_ = false, stopping_ = false;
  std::string rejected_;  // non-empty: the orchestrator's reason
  std::thread thread_;
};

}  // namespace redwire::detail
