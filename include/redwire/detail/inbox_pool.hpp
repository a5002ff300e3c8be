// redwire/detail/inbox_pool.hpp — the inboxes a client lends to its sync calls.
//
// An inbox (capabilities/inboxes.hpp) is a reply channel on a connection of its own that the
// waiting thread reads itself. The client opens them on demand, up to a maximum, and lends each
// to one sync call at a time; a call that finds none free (or a transport without inboxes)
// waits through the client's shared reply subscription instead. Each has its own channel,
// "<reply channel>:<n>", so a reply always comes back to the inbox its call was sent from.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../capabilities/inboxes.hpp"
#include "../envelope.hpp"
#include "../transport.hpp"
#include "reply_gate.hpp"

namespace redwire::detail {

class inbox_pool {
 public:
  struct slot {
    std::unique_ptr<any_inbox> box;
    std::string channel;
    std::string bytes;  // the last message received, its capacity kept
    std::chrono::steady_clock::time_point last_lent{};
  };

  /// Returns its slot to the pool when destroyed.
  class lease {
   public:
    lease() = default;
    lease(inbox_pool* pool, slot* s) : pool_(pool), slot_(s) {}
    lease(lease&& o) noexcept
        : pool_(std::exchange(o.pool_, nullptr)), slot_(std::exchange(o.slot_, nullptr)) {}
    lease& operator=(lease&&) = delete;
    ~lease() {
      if (pool_) pool_->release(slot_);
    }
    explicit operator bool() const noexcept { return slot_ != nullptr; }
    slot* operator->() const noexcept { return slot_; }
    /// The connection was lost: the next borrower opens a new one.
    void discard() noexcept { slot_->box.reset(); }

   private:
    inbox_pool* pool_ = nullptr;
    slot* slot_ = nullptr;
  };

  /// `inboxes` null (the transport has none): every acquire() is empty, at no cost.
  inbox_pool(any_inboxes* inboxes, std::string base_channel, std::size_t max)
      : inboxes_(inboxes), base_(std::move(base_channel)), max_(inboxes ? max : 0) {}

  /// A usable inbox, or an empty lease: the transport has none, all are lent, or one could not
  /// be opened within `budget` (then none is tried again for a second).
  lease acquire(std::chrono::milliseconds budget) {
    if (max_ == 0) return {};
    slot* s = nullptr;
    {
      std::lock_guard lk(m_);
      if (!free_.empty()) {
        s = free_.back();
        free_.pop_back();
      } else if (all_.size() < max_) {
        all_.push_back(std::make_unique<slot>());
        s = all_.back().get();
        s->channel = base_ + ":" + std::to_string(all_.size());
      } else {
        return {};
      }
      if (!s->box && std::chrono::steady_clock::now() < retry_after_) {
        free_.push_back(s);
        return {};
      }
    }
    lease l(this, s);
    // An inbox lent a moment ago is trusted without a look (a syscall saved per call); one that
    // sat idle may have lost its connection (Redis restarted meanwhile): check it first, since
    // a reply published to a channel nobody subscribes is lost.
    const auto now = std::chrono::steady_clock::now();
    const bool fresh = now - std::exchange(s->last_lent, now) < std::chrono::milliseconds(20);
    if (s->box && (fresh || s->box->usable())) return l;
    s->box.reset();
    try {
      s->box = inboxes_->open_inbox(s->channel, budget);
    } catch (const transport_error&) {
      std::lock_guard lk(m_);
      retry_after_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      return {};  // l gives the slot back
    }
    return l;
  }

 private:
  void release(slot* s) {
    std::lock_guard lk(m_);
    free_.push_back(s);
  }

  any_inboxes* inboxes_;
  std::string base_;
  const std::size_t max_;
  mutable std::mutex m_;
  std::vector<std::unique_ptr<slot>> all_;
  std::vector<slot*> free_;
  std::chrono::steady_clock::time_point retry_after_{};
};

/// Waits in `box` until `deadline` for the reply to call `id` (to `procedure`), decoded into `e`
/// (a view of box->bytes). Anything else is skipped: the late reply of an earlier call that gave
/// up, or a forgery (reply_gate).
inline inbox_status reply_in_inbox(inbox_pool::lease& box, const reply_gate& replies,
                                   std::uint64_t id, std::string_view procedure,
                                   std::chrono::steady_clock::time_point deadline, envelope& e) {
  for (;;) {
    const inbox_status status = box->box->receive(box->bytes, deadline);
    if (status != inbox_status::message) return status;
    if (replies.decode(box->bytes, e) && e.call_id == id &&
        replies.trusts(box->bytes, e, procedure))
      return status;
  }
}

}  // namespace redwire::detail
