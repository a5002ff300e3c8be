// redwire/capabilities/fusing.hpp — a queue reader that sends a message along with its next pop.
//
// A service worker that has just answered a lone request sends the reply and its next blocking
// pop as one exchange with the broker (detail/worker_pool.hpp). Without the capability the
// reply is published on its own and the pop follows.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "../transport.hpp"

namespace redwire {

/// r.publish_then_pop(channel, bytes, out, max, timeout) publishes and then pops as pop() does,
/// as one exchange with the broker. Throws transport_error as both do; when it throws, the
/// message may or may not have been published.
template <class R>
concept fusing_reader = queue_reader<R> &&
    requires(R& r, std::string_view s, std::vector<std::string>& out, std::size_t max,
             std::chrono::milliseconds timeout) {
  r.publish_then_pop(s, s, out, max, timeout);
};

namespace detail {

class any_fusing_reader {
 public:
  virtual ~any_fusing_reader() = default;
  virtual void publish_then_pop(std::string_view channel, std::string_view bytes,
                                std::vector<std::string>& out, std::size_t max,
                                std::chrono::milliseconds timeout) = 0;
};

/// Made only for a reader that models fusing_reader (detail::capability_slot).
template <class R>
class fusing_reader_adapter final : public any_fusing_reader {
 public:
  explicit fusing_reader_adapter(R& r) : r_(r) {}
  void publish_then_pop(std::string_view channel, std::string_view bytes,
                        std::vector<std::string>& out, std::size_t max,
                        std::chrono::milliseconds timeout) override {
    r_.publish_then_pop(channel, bytes, out, max, timeout);
  }

 private:
  R& r_;
};

}  // namespace detail
}  // namespace redwire
