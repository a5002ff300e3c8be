// redwire/capabilities/inboxes.hpp — reply channels that the waiting thread reads itself.
//
// A sync call waits in an inbox of its own: a subscription on a connection that the calling
// thread reads, so that a reply wakes the thread that waits for it and no other (no delivery
// thread in between). redwire's client lends one to each sync call when the transport offers
// them (detail/inbox_pool.hpp); without them every call waits on the shared reply subscription.
#pragma once

#include <chrono>
#include <concepts>
#include <memory>
#include <string>
#include <utility>

#include "../transport.hpp"

namespace redwire {

/// What inbox::receive found.
enum class inbox_status {
  message,  ///< a message of the channel is in `out`
  timeout,  ///< nothing came before the deadline; the inbox stays usable
  lost,     ///< the connection is gone: drop the inbox and open another one
};

/// One inbox.
///   i.usable(): without waiting, whether the connection is still there.
///   i.receive(out, deadline): the next message into `out`, or timeout, or lost. Never throws.
template <class I>
concept inbox = std::movable<I> &&
    requires(I& i, std::string& out, std::chrono::steady_clock::time_point deadline) {
  { i.usable() } -> std::same_as<bool>;
  { i.receive(out, deadline) } -> std::same_as<inbox_status>;
};

/// A transport that opens inboxes: t.open_inbox(channel, budget) subscribes (confirmed when it
/// returns), or throws transport_error — at the latest after about `budget`.
template <class T>
concept inbox_transport = transport<T> &&
    requires(T& t, std::string channel, std::chrono::milliseconds budget) {
  { t.open_inbox(std::move(channel), budget) } -> inbox;
};

namespace detail {

class any_inbox {
 public:
  virtual ~any_inbox() = default;
  virtual bool usable() = 0;
  virtual inbox_status receive(std::string& out,
                               std::chrono::steady_clock::time_point deadline) = 0;
};

class any_inboxes {
 public:
  virtual ~any_inboxes() = default;
  virtual std::unique_ptr<any_inbox> open_inbox(std::string channel,
                                                std::chrono::milliseconds budget) = 0;
};

/// Made only for a transport that models inbox_transport (detail::capability_slot).
template <class T>
class inboxes_adapter final : public any_inboxes {
 public:
  explicit inboxes_adapter(T& t) : t_(t) {}
  std::unique_ptr<any_inbox> open_inbox(std::string channel,
                                        std::chrono::milliseconds budget) override {
    return std::make_unique<holder>(t_.open_inbox(std::move(channel), budget));
  }

 private:
  using inbox_type =
      decltype(std::declval<T&>().open_inbox(std::string{}, std::chrono::milliseconds{}));
  struct holder final : any_inbox {
    explicit holder(inbox_type i) : i(std::move(i)) {}
    bool usable() override { return i.usable(); }
    inbox_status receive(std::string& out,
                         std::chrono::steady_clock::time_point deadline) override {
      return i.receive(out, deadline);
    }
    inbox_type i;
  };
  T& t_;
};

}  // namespace detail
}  // namespace redwire
