// The wire as a test that plays a client sees it: frames of its own pushed to a service's
// queue, and the replies published to a channel of its own, as raw bytes. Used by the suites
// that send what no redwire client would (secured_calls, hostile_input).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "support/buses.hpp"
#include "support/eventually.hpp"

namespace test_api {

class raw_wire {
 public:
  /// Pushes go to `service`'s queue; replies are heard on `reply_channel`.
  raw_wire(redwire::test::bus& bus, const std::string& service, std::string reply_channel)
      : reply_channel_(std::move(reply_channel)), replies_(std::make_shared<replies>()) {
    redwire::test::with_transport(bus, [&](auto& t) {
      auto sub = t.subscribe(reply_channel_, [r = replies_](std::string_view, std::string_view b) {
        std::lock_guard lock(r->m);
        r->got.emplace_back(b);
        r->cv.notify_all();
      });
      subscription_ = std::make_shared<decltype(sub)>(std::move(sub));
      push_ = [&t, queue = redwire::detail::service_queue(t.prefix(), service)](
                  const std::string& bytes) { t.push(queue, bytes); };
    });
  }

  const std::string& reply_channel() const { return reply_channel_; }
  void push(const std::string& bytes) { push_(bytes); }
  /// The next reply, or nothing after `limit`.
  std::optional<std::string> next_reply(std::chrono::milliseconds limit = redwire::test::patience) {
    std::unique_lock lock(replies_->m);
    if (!replies_->cv.wait_for(lock, limit, [&] { return !replies_->got.empty(); }))
      return std::nullopt;
    std::string bytes = std::move(replies_->got.front());
    replies_->got.pop_front();
    return bytes;
  }

 private:
  struct replies {  // shared with the subscription's handler
    std::mutex m;
    std::condition_variable cv;
    std::deque<std::string> got;
  };
  std::string reply_channel_;
  std::shared_ptr<replies> replies_;
  std::shared_ptr<void> subscription_;
  std::function<void(const std::string&)> push_;
};

}  // namespace test_api
