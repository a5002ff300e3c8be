// redwire/inventa/core.hpp — the engine of one Inventa node: its channel, its workers, its calls.
//
// The node SUBSCRIBEs to ch:<full id> on the Redis transport's subscriber (one connection, one
// delivery thread, re-subscribed after a reconnect). The delivery thread parses each payload:
// a response completes its call (pending.hpp) there and then; a request is queued for the
// workers, which run handlers and PUBLISH the response to ch:<caller>. Handlers therefore never
// run on the thread that delivers responses, so a handler may call other nodes (or its own).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <redwire/detail/thread_name.hpp>
#include <redwire/errors.hpp>
#include <redwire/log.hpp>
#include <redwire/redis.hpp>

#include "frame.hpp"
#include "options.hpp"
#include "pending.hpp"

namespace redwire::inventa::detail {

using item_list = std::vector<std::string>;
/// A method: the request's items in, the response's items out; throwing replies error!what().
using raw_handler = std::function<item_list(item_list&&)>;

inline void note(log_level level, std::string_view what) {
  redwire::log(level, std::string("inventa: ").append(what));
}

/// Why `items` cannot travel unchanged, or empty (Inventa does not escape '%': docs/inventa.md).
inline std::string lossy_item(const item_list& items) {
  for (std::size_t i = 0; i < items.size(); ++i)
    if (!escape_is_lossless(items[i]))
      return "item " + std::to_string(i + 1) +
             " would arrive changed: Inventa does not escape '%' before %pipe% or %exc%";
  return {};
}

class core {
 public:
  core(std::string_view url, std::string_view full_id, role r, node_options o)
      : self_(checked_id(full_id)), role_(r), options_(std::move(o)), bus_(url) {
    if (options_.workers == 0) options_.workers = 1;
  }
  core(const core&) = delete;
  core& operator=(const core&) = delete;
  ~core() { stop(); }

  const instance& self() const noexcept { return self_; }
  role node_role() const noexcept { return role_; }
  const node_options& options() const noexcept { return options_; }
  redis::transport& bus() noexcept { return bus_; }
  bool started() const noexcept { return started_.load(); }

  /// A user method; `internal` ones (register, orchestrator-alive) are looked up first, so a
  /// user cannot replace them, as in the libraries.
  void add_handler(std::string method, raw_handler h, bool internal = false) {
    if (!header_safe(method) || method.empty())
      throw std::invalid_argument(
          "redwire::inventa: a method name must be non-empty and hold no "
          "'|': '" +
          method + "'");
    std::unique_lock lk(handlers_m_);
    (internal ? internal_ : handlers_)[std::move(method)] = std::move(h);
  }

  /// Called on the delivery thread once the subscription is back after a lost connection.
  void on_restored(std::function<void()> f) { restored_ = std::move(f); }

  /// Subscribes (returns once Redis confirmed it: responses to calls made next are received),
  /// then starts the workers. Throws transport_error.
  void start() {
    std::lock_guard lk(life_m_);
    if (started_) throw std::logic_error("redwire::inventa: start() called twice");
    stopping_ = false;
    for (std::size_t i = 0; i < options_.workers; ++i)
      workers_.emplace_back(redwire::detail::named_thread("rw-inv-worker", [this] { work(); }));
    try {
      redis::subscription s = bus_.subscribe(
          self_.channel(), [this](std::string_view, std::string_view p) { receive(p); },
          [this] { gap(); });
      std::lock_guard sl(sub_m_);
      sub_ = std::move(s);
    } catch (...) {
      stop_workers();
      throw;
    }
    started_ = true;
  }

  /// Unsubscribes, lets running handlers finish (queued requests are dropped), ends the calls in
  /// flight with errc::cancelled.
  void stop() {
    std::lock_guard lk(life_m_);
    redis::subscription s;
    {
      std::lock_guard sl(sub_m_);
      s = std::move(sub_);
    }
    s.unsubscribe();  // outside sub_m_: it waits for a handler that may be taking sub_m_
    stop_workers();
    started_ = false;
    pending_.fail_all(errc::cancelled, "the node stopped");
  }

  /// A call and its wait, on the calling thread. Never throws.
  raw_result call(std::string_view target, std::string_view method, const item_list& items,
                  std::chrono::milliseconds timeout) {
    if (timeout.count() <= 0) timeout = options_.default_timeout;
    const auto deadline = clock::now() + timeout;
    auto slot = std::make_shared<sync_slot>();
    const std::string id = ids_.next();
    if (std::optional<rpc_error> e = refuse(target, method, items)) return *e;
    pending_.add(id, deadline, slot->completer(slot), false);
    if (std::optional<rpc_error> e = send(id, target, method, items)) {
      if (pending_.take(id)) return *e;
    }
    if (!slot->wait_until(deadline) && pending_.take(id))
      return rpc_error(errc::timeout, "no response within " + std::to_string(timeout.count()) +
                                          " ms from " + std::string(target));
    return slot->get();
  }

  /// The same, completing `done` on the delivery thread (or the table's timer, or here).
  void call_async(std::string_view target, std::string_view method, const item_list& items,
                  std::chrono::milliseconds timeout, completion done) {
    if (timeout.count() <= 0) timeout = options_.default_timeout;
    if (std::optional<rpc_error> e = refuse(target, method, items)) return done(*e);
    const std::string id = ids_.next();
    pending_.add(id, clock::now() + timeout, std::move(done), true);
    if (std::optional<rpc_error> e = send(id, target, method, items))
      if (std::optional<completion> d = pending_.take(id)) (*d)(*e);
  }

  node_stats stats() const {
    return {requests_.load(), responses_.load(),      late_.load(),   malformed_.load(),
            unknown_.load(),  handler_errors_.load(), dropped_.load()};
  }

 private:
  struct request {
    std::string call_id, from, method;
    item_list items;
  };

  static instance checked_id(std::string_view full_id) {
    std::optional<instance> i = instance::parse(full_id);
    if (!i)
      throw std::invalid_argument("redwire::inventa: '" + std::string(full_id) +
                                  "' is not a full id: write svc:<type>:<id> (no ':' or '|' in "
                                  "type or id)");
    return *i;
  }

  std::optional<rpc_error> refuse(std::string_view target, std::string_view method,
                                  const item_list& items) const {
    if (!started_) return rpc_error(errc::unavailable, "the node is not started: start() it first");
    if (!instance::parse(target))
      return rpc_error(errc::bad_message, "'" + std::string(target) + "' is not a full id");
    if (!header_safe(method) || method.empty())
      return rpc_error(errc::bad_message, "the method name is empty or holds a '|'");
    if (std::string why = lossy_item(items); !why.empty()) return rpc_error(errc::bad_message, why);
    return std::nullopt;
  }

  std::optional<rpc_error> send(const std::string& id, std::string_view target,
                                std::string_view method, const item_list& items) {
    try {
      bus_.publish("ch:" + std::string(target), encode_request(id, self_.full_id, method, items));
      return std::nullopt;
    } catch (const std::exception& e) {
      return rpc_error(errc::unavailable, e.what());
    }
  }

  // On the delivery thread: every payload published on our channel.
  void receive(std::string_view payload) {
    std::optional<frame> f = parse(payload);
    if (!f) {
      ++malformed_;
      // A response whose call id is ours but whose rest does not parse ends that call.
      const std::optional<std::string_view> kind = field(payload, 0), id = field(payload, 1);
      if (kind == "resp" && id)
        pending_.complete(std::string(*id),
                          rpc_error(errc::bad_message, "a response that is not an Inventa frame"));
      note(log_level::debug, "dropped a payload that is not an Inventa frame");
      return;
    }
    if (f->kind == frame::response) {
      raw_result r = std::move(f->items);
      if (!r->empty() && (*r)[0] == "error")
        r = rpc_error(errc::remote_exception, r->size() > 1 ? (*r)[1] : std::string(), {}, f->from);
      if (pending_.complete(f->call_id, std::move(r)))
        ++responses_;
      else
        ++late_;
      return;
    }
    std::lock_guard lk(queue_m_);
    if (queue_.size() >= options_.max_queued) {
      ++dropped_;
      return;
    }
    queue_.push_back(
        {std::move(f->call_id), std::move(f->from), std::move(f->method), std::move(f->items)});
    queue_cv_.notify_one();
  }

  void gap() {
    bool healthy;
    {
      std::lock_guard sl(sub_m_);
      healthy = sub_.healthy();
    }
    if (!healthy) {
      pending_.fail_all(errc::unavailable, "the connection to Redis was lost");
    } else if (restored_) {
      restored_();
    }
  }

  void work() {
    for (;;) {
      request r;
      {
        std::unique_lock lk(queue_m_);
        queue_cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        r = std::move(queue_.front());
        queue_.pop_front();
      }
      ++requests_;
      item_list reply = serve(r);
      try {
        bus_.publish("ch:" + r.from, encode_response(r.call_id, self_.full_id, reply));
      } catch (const std::exception& e) {
        note(log_level::warning, "a response to " + r.from + " was not sent: " + e.what());
      }
    }
  }

  item_list serve(request& r) {
    raw_handler h;
    {
      std::shared_lock lk(handlers_m_);
      if (auto in = internal_.find(r.method); in != internal_.end())
        h = in->second;
      else if (auto u = handlers_.find(r.method); u != handlers_.end())
        h = u->second;
    }
    if (!h) {
      ++unknown_;
      return {"error", "unknown command type: " + r.method};
    }
    try {
      item_list out = h(std::move(r.items));
      if (std::string why = lossy_item(out); !why.empty())
        throw std::runtime_error("result " + why);
      return out;
    } catch (const std::exception& e) {
      ++handler_errors_;
      return {"error", e.what()};
    } catch (...) {
      ++handler_errors_;
      return {"error", "unknown exception"};
    }
  }

  void stop_workers() {
    {
      std::lock_guard lk(queue_m_);
      stopping_ = true;
      queue_.clear();
      queue_cv_.notify_all();
    }
    for (std::thread& t : workers_)
      if (t.joinable()) t.join();
    workers_.clear();
  }

  instance self_;
  role role_;
  node_options options_;
  redis::transport bus_;
  call_ids ids_;
  pending_calls pending_;
  std::shared_mutex handlers_m_;
  std::unordered_map<std::string, raw_handler> handlers_, internal_;
  std::function<void()> restored_;
  std::mutex life_m_, sub_m_;
  redis::subscription sub_;
  std::atomic<bool> started_{false};
  std::mutex queue_m_;
  std::condition_variable queue_cv_;
  std::deque<request> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::atomic<std::uint64_t> requests_{0}, responses_{0}, late_{0}, malformed_{0}, unknown_{0},
      handler_errors_{0}, dropped_{0};
};

}  // namespace redwire::inventa::detail
