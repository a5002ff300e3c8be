// redwire/capabilities/corking.hpp — publishes held back so that many leave in one write.
//
// A service that has popped a batch of fast requests holds their replies until the batch is all
// taken, then writes them together (detail/worker_pool.hpp). Without the capability each reply
// is published at once (transport.hpp states the policy for missing capabilities).
#pragma once

#include <string_view>

#include "../transport.hpp"

namespace redwire {

/// t.publish_held(channel, bytes) publishes later — at t.flush() or with the next publish that
/// is not held. Both throw transport_error as publish does; held messages are lost with the
/// connection.
template <class T>
concept corking_transport = transport<T> && requires(T& t, std::string_view s) {
  t.publish_held(s, s);
  t.flush();
};

namespace detail {

class any_corking {
 public:
  virtual ~any_corking() = default;
  virtual void publish_held(std::string_view channel, std::string_view bytes) = 0;
  virtual void flush() = 0;
};

/// Made only for a transport that models corking_transport (detail::capability_slot).
template <class T>
class corking_adapter final : public any_corking {
 public:
  explicit corking_adapter(T& t) : t_(t) {}
  void publish_held(std::string_view channel, std::string_view bytes) override {
    t_.publish_held(channel, bytes);
  }
  void flush() override { t_.flush(); }

 private:
  T& t_;
};

}  // namespace detail
}  // namespace redwire
