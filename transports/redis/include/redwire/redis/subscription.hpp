// redwire/redis/subscription.hpp — what a subscribe() returns, and the entry behind it.
//
// An entry is one subscribe() call: its handlers, and whether it is live. Who delivers to it is
// a subscription_owner: the transport's one subscriber (redis/subscriber.hpp) on one server, or
// on a cluster the front that keeps one subscriber per master (redis/sharded_subscriber.hpp),
// which may move an entry from one master to another when its channel's slot moves.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include <redwire/transport.hpp>

namespace redwire::redis {
namespace detail {

struct subscriber_entry {
  std::string name;  // channel or pattern
  bool pattern = false;
  message_handler on_message;
  gap_handler on_gap;
  std::mutex running;  // held while a handler runs, so that unsubscribing can wait for it
  std::atomic<bool> cancelled{false};
  /// Subscribed and connected: false from the loss of the connection until Redis confirms the
  /// subscription again (subscription::healthy()).
  std::atomic<bool> live{false};
};

/// Who delivers to entries, and stops on remove().
class subscription_owner {
 public:
  virtual ~subscription_owner() = default;
  /// Stops delivery to `e`; waits for its handler if it runs on another thread.
  virtual void remove(const std::shared_ptr<subscriber_entry>& e) noexcept = 0;
};

}  // namespace detail

/// A live subscription; destroying it (or unsubscribe()) stops delivery and waits for a handler
/// running on another thread. Movable. May be destroyed inside its own handler.
class subscription {
 public:
  subscription() = default;
  subscription(std::shared_ptr<detail::subscription_owner> owner,
               std::shared_ptr<detail::subscriber_entry> e)
      : owner_(std::move(owner)), entry_(std::move(e)) {}
  subscription(subscription&& o) noexcept = default;
  subscription& operator=(subscription&& o) noexcept {
    if (this != &o) {
      unsubscribe();
      owner_ = std::move(o.owner_);
      entry_ = std::move(o.entry_);
    }
    return *this;
  }
  ~subscription() { unsubscribe(); }

  void unsubscribe() noexcept {
    if (owner_ && entry_) owner_->remove(entry_);
    owner_.reset();
    entry_.reset();
  }
  bool active() const noexcept { return entry_ != nullptr; }
  /// False from the loss of the connection until the subscription is confirmed again:
  /// messages published meanwhile are lost (the gap handler says when it begins and ends).
  bool healthy() const noexcept { return entry_ && entry_->live.load(); }

 private:
  std::shared_ptr<detail::subscription_owner> owner_;
  std::shared_ptr<detail::subscriber_entry> entry_;
};

}  // namespace redwire::redis
