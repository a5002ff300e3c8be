// redwire/memory.hpp — a transport that lives inside one process.
//
//   redwire::memory::transport bus;          // no broker: queues and channels in memory
//   redwire::service svc{bus, "calc"};       // the same code as with Redis
//
// For unit tests and for systems that run in one process. Thread-safe. Test hooks make the
// transport drop, delay or duplicate chosen messages, or go down and come back:
//   bus.inject({.action = redwire::memory::fault::drop, .match = "{calc}", .count = 1});
//   bus.set_down(true);   // push/publish throw transport_error; subscribers see a gap later
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <redwire/capabilities/patterns.hpp>
#include <redwire/capabilities/registry_store.hpp>
#include <redwire/capabilities/streams.hpp>
#include <redwire/detail/glob.hpp>
#include <redwire/detail/ring.hpp>
#include <redwire/transport.hpp>

#include "memory/faults.hpp"
#include "memory/registry_store.hpp"
#include "memory/streams.hpp"

namespace redwire::memory {

struct options {
  std::string prefix = "rw";
};

/// Also stores the registry: see memory/registry_store.hpp.
class transport : public detail::registry_tables<transport> {
  struct reader_state;
  struct subscription_state;
  struct shared;

 public:
  explicit transport(options o = {})
      : state_(std::make_shared<shared>()),
        faults_([this](std::string_view name, std::string_view bytes, bool is_channel) {
          deliver_now(name, bytes, is_channel);
        }) {
    state_->prefix = std::move(o.prefix);
  }
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;
  ~transport() { faults_.stop(); }

  std::string_view prefix() const { return state_->prefix; }

  void push(std::string_view queue, std::string_view bytes) { deliver(queue, bytes, false); }

  void publish(std::string_view channel, std::string_view bytes) { deliver(channel, bytes, true); }

  /// Removes the first message of `queue` equal to `bytes` (redwire::withdrawing_transport).
  bool withdraw(std::string_view queue, std::string_view bytes) {
    std::lock_guard lock(state_->mutex);
    if (state_->down) throw transport_error("memory transport is down");
    auto it = state_->queues.find(queue);
    if (it == state_->queues.end()) return false;
    auto& items = it->second.items;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i] != bytes) continue;
      items.erase(i);
      return true;
    }
    return false;
  }

  /// Takes messages from queues; see redwire::queue_reader.
  class queue_reader {
   public:
    queue_reader(queue_reader&&) noexcept = default;
    queue_reader& operator=(queue_reader&&) noexcept = default;
    ~queue_reader() {
      if (!state_) return;
      std::lock_guard lock(state_->mutex);
      for (auto& q : self_->queues) {
        auto& waiters = state_->queues[q].waiters;
        waiters.erase(std::remove(waiters.begin(), waiters.end(), self_.get()), waiters.end());
      }
    }

    void pop(std::vector<std::string>& out, std::size_t max, std::chrono::milliseconds timeout) {
      std::unique_lock lock(state_->mutex);
      auto deadline = std::chrono::steady_clock::now() + timeout;
      for (;;) {
        if (state_->down) throw transport_error("memory transport is down");
        std::size_t taken = 0;
        for (auto& name : self_->queues) {
          auto& items = state_->queues[name].items;
          while (!items.empty() && taken < max) {
            out.push_back(std::move(items.front()));
            items.pop_front();
            ++taken;
          }
        }
        if (taken > 0 || self_->woken) {
          self_->woken = false;
          return;
        }
        if (self_->wake.wait_until(lock, deadline) == std::cv_status::timeout) {
          self_->woken = false;
          return;
        }
      }
    }

    void wake() {
      std::lock_guard lock(state_->mutex);
      self_->woken = true;
      self_->wake.notify_all();
    }

   private:
    friend class transport;
    queue_reader(std::shared_ptr<shared> s, std::vector<std::string> queues)
        : state_(std::move(s)), self_(std::make_unique<reader_state>()) {
      self_->queues = std::move(queues);
      std::lock_guard lock(state_->mutex);
      for (auto& q : self_->queues) state_->queues[q].waiters.push_back(self_.get());
    }
    std::shared_ptr<shared> state_;
    std::unique_ptr<reader_state> self_;
  };

  queue_reader open_reader(std::vector<std::string> queues) {
    return queue_reader(state_, std::move(queues));
  }

  /// Unsubscribes when destroyed; waits for a handler running on another thread.
  class subscription {
   public:
    subscription() = default;
    subscription(subscription&&) noexcept = default;
    subscription& operator=(subscription&& other) noexcept {
      if (this != &other) {
        cancel();
        state_ = std::move(other.state_);
        self_ = std::move(other.self_);
      }
      return *this;
    }
    ~subscription() { cancel(); }

    void cancel() {
      if (!self_) return;
      {
        std::lock_guard lock(state_->mutex);
        auto& list = state_->subscriptions;
        list.erase(std::remove(list.begin(), list.end(), self_), list.end());
      }
      if (self_->running_on.load() != std::this_thread::get_id()) {
        std::lock_guard wait_for_handler(self_->delivering);
        self_->active = false;
      } else {
        self_->active = false;
      }
      self_.reset();
      state_.reset();
    }

   private:
    friend class transport;
    subscription(std::shared_ptr<shared> s, std::shared_ptr<subscription_state> self)
        : state_(std::move(s)), self_(std::move(self)) {}
    std::shared_ptr<shared> state_;
    std::shared_ptr<subscription_state> self_;
  };

  subscription subscribe(std::string_view channel, message_handler on_message,
                         gap_handler on_gap = {}) {
    return add_subscription(std::string(channel), false, std::move(on_message), std::move(on_gap));
  }

  /// Subscribes to every channel matching a glob pattern (*, ?, [abc]), as Redis PSUBSCRIBE.
  subscription psubscribe(std::string_view pattern, message_handler on_message,
                          gap_handler on_gap = {}) {
    return add_subscription(std::string(pattern), true, std::move(on_message), std::move(on_gap));
  }

  // ---- durable streams (redwire::stream_transport; see memory/streams.hpp) -----------------

  /// Appends an entry and returns its id; max_length > 0 trims the oldest entries.
  std::string stream_append(std::string_view stream, std::string_view bytes,
                            std::size_t max_length = 0) {
    {
      std::lock_guard lock(state_->mutex);
      if (state_->down) throw transport_error("memory transport is down");
    }
    return streams_->append(stream, bytes, max_length);
  }
  using stream_reader = detail::stream_reader;
  stream_reader open_stream_reader(std::string stream, std::string group, std::string consumer) {
    return stream_reader(streams_, std::move(stream), std::move(group), std::move(consumer));
  }
  std::vector<stream_entry> stream_range(std::string_view stream, std::size_t max) {
    return streams_->range(stream, max);
  }
  /// Test hooks: forgets a consumer group (as a Redis restarted empty would); counts the
  /// entries pending in a group; names its consumers (as XINFO CONSUMERS does).
  void destroy_stream_group(const std::string& stream, const std::string& group) {
    streams_->destroy_group(stream, group);
  }
  std::size_t stream_pending(const std::string& stream, const std::string& group) {
    return streams_->pending_count(stream, group);
  }
  std::vector<std::string> stream_consumers(const std::string& stream, const std::string& group) {
    return streams_->consumers(stream, group);
  }

  // ---- test hooks --------------------------------------------------------------------------

  /// Adds a fault rule (memory/faults.hpp); rules are tried in the order they were added.
  void inject(fault f) { faults_.add(std::move(f)); }
  void clear_faults() { faults_.clear(); }

  /// While down, push, publish and pop throw transport_error and published messages are lost;
  /// coming back up tells every subscription that it may have missed messages.
  void set_down(bool down) {
    std::vector<std::shared_ptr<subscription_state>> subs;
    {
      std::lock_guard lock(state_->mutex);
      bool was_down = state_->down;
      state_->down = down;
      if (was_down && !down) subs = state_->subscriptions;
      for (auto& [name, q] : state_->queues)
        for (auto* r : q.waiters) r->wake.notify_all();
    }
    for (auto& s : subs) {
      std::lock_guard lock(s->delivering);
      if (s->active && s->on_gap) s->on_gap();
    }
  }

  /// Messages waiting in a queue (for tests).
  std::size_t queue_length(std::string_view queue) const {
    std::lock_guard lock(state_->mutex);
    auto it = state_->queues.find(queue);
    return it == state_->queues.end() ? 0 : it->second.items.size();
  }

  /// Names of queues that hold messages (for tests: nothing left behind).
  std::vector<std::string> nonempty_queues() const {
    std::lock_guard lock(state_->mutex);
    std::vector<std::string> names;
    for (auto& [name, q] : state_->queues)
      if (!q.items.empty()) names.push_back(name);
    return names;
  }

 private:
  struct reader_state {
    std::vector<std::string> queues;
    std::condition_variable wake;
    bool woken = false;
  };

  struct subscription_state {
    std::string name;
    bool pattern = false;
    message_handler on_message;
    gap_handler on_gap;
    std::mutex delivering;
    std::atomic<std::thread::id> running_on{};
    bool active = true;
  };

  struct name_hash {  // lookups by string_view, without making a std::string
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  struct queue {
    redwire::detail::ring<std::string> items;
    std::vector<reader_state*> waiters;
  };

  struct shared {
    std::string prefix;
    mutable std::mutex mutex;
    std::unordered_map<std::string, queue, name_hash, std::equal_to<>> queues;
    std::vector<std::shared_ptr<subscription_state>> subscriptions;
    bool down = false;
  };

  subscription add_subscription(std::string name, bool pattern, message_handler on_message,
                                gap_handler on_gap) {
    auto s = std::make_shared<subscription_state>();
    s->name = std::move(name);
    s->pattern = pattern;
    s->on_message = std::move(on_message);
    s->on_gap = std::move(on_gap);
    std::lock_guard lock(state_->mutex);
    state_->subscriptions.push_back(s);
    return subscription(state_, s);
  }

  // Applies the fault rules, then hands the message on (now, twice, or later).
  void deliver(std::string_view name, std::string_view bytes, bool is_channel) {
    {
      std::lock_guard lock(state_->mutex);
      if (state_->down) throw transport_error("memory transport is down");
    }
    for (int i = faults_.copies_now(name, bytes, is_channel); i > 0; --i)
      deliver_now(name, bytes, is_channel);
  }

  void deliver_now(std::string_view name, std::string_view bytes, bool is_channel) {
    if (is_channel)
      fan_out(name, bytes);
    else
      enqueue(name, bytes);
  }

  void enqueue(std::string_view name, std::string_view bytes) {
    std::lock_guard lock(state_->mutex);
    auto it = state_->queues.find(name);
    if (it == state_->queues.end()) it = state_->queues.try_emplace(std::string(name)).first;
    auto& q = it->second;
    q.items.push_back(std::string(bytes));
    for (auto* r : q.waiters) r->wake.notify_one();
  }

  void fan_out(std::string_view channel, std::string_view bytes) {
    // The first few subscribers are listed on the stack: no allocation per message.
    std::array<std::shared_ptr<subscription_state>, 8> few;
    std::vector<std::shared_ptr<subscription_state>> more;
    std::size_t found = 0;
    {
      std::lock_guard lock(state_->mutex);
      for (auto& s : state_->subscriptions) {
        if (!(s->pattern ? redwire::detail::glob_match(s->name, channel) : s->name == channel))
          continue;
        if (found < few.size())
          few[found] = s;
        else
          more.push_back(s);
        ++found;
      }
    }
    auto deliver_to = [&](subscription_state& s) {
      std::lock_guard lock(s.delivering);
      if (!s.active) return;
      s.running_on = std::this_thread::get_id();
      s.on_message(channel, bytes);
      s.running_on = std::thread::id{};
    };
    for (std::size_t i = 0; i < std::min(found, few.size()); ++i) deliver_to(*few[i]);
    for (auto& s : more) deliver_to(*s);
  }

  std::shared_ptr<shared> state_;
  detail::fault_injector faults_;  // after state_: its timer delivers into it
  std::shared_ptr<detail::stream_store> streams_ = std::make_shared<detail::stream_store>();
};

static_assert(redwire::transport<transport>);
static_assert(redwire::registry_store<transport>);
static_assert(redwire::stream_transport<transport>);
static_assert(redwire::pattern_transport<transport>);

}  // namespace redwire::memory
