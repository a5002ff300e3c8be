// redwire/detail/any_transport.hpp — a transport behind a virtual interface.
//
// client and service are plain classes (easy to keep as members, to pass around), so they
// hold the transport through this adapter. A virtual call costs nanoseconds; a message costs
// microseconds: the indirection is free where it matters.
//
// The interface is the core operations of redwire::transport plus one accessor per capability
// (capabilities/*.hpp), which returns nullptr when the transport lacks it. What the core does
// then is one rule, written in transport.hpp; the helpers at the end of any_transport apply it.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../capabilities/broker_clock.hpp"
#include "../capabilities/corking.hpp"
#include "../capabilities/fusing.hpp"
#include "../capabilities/inboxes.hpp"
#include "../capabilities/patterns.hpp"
#include "../capabilities/queue_expiry.hpp"
#include "../capabilities/registry_store.hpp"
#include "../capabilities/streams.hpp"
#include "../capabilities/withdrawal.hpp"
#include "../capabilities/write_behind.hpp"
#include "../transport.hpp"
#include "any_subscription.hpp"

namespace redwire::detail {

class any_reader {
 public:
  virtual ~any_reader() = default;
  virtual void pop(std::vector<std::string>& out, std::size_t max,
                   std::chrono::milliseconds timeout) = 0;
  virtual void wake() = 0;
  virtual any_fusing_reader* fusing() noexcept = 0;
};

class any_transport {
 public:
  virtual ~any_transport() = default;

  virtual std::string_view prefix() const = 0;
  /// `keep`: how long the queue must outlive this push at least (capabilities/queue_expiry.hpp);
  /// a transport without expiring queues ignores it.
  virtual void push(std::string_view queue, std::string_view bytes,
                    std::chrono::milliseconds keep) = 0;
  virtual std::unique_ptr<any_reader> open_reader(std::vector<std::string> queues) = 0;
  virtual void publish(std::string_view channel, std::string_view bytes) = 0;
  virtual std::unique_ptr<any_subscription> subscribe(std::string_view channel,
                                                      message_handler on_message,
                                                      gap_handler on_gap) = 0;

  // One accessor per capability: nullptr when the transport lacks it.
  virtual any_corking* corking() noexcept = 0;
  virtual any_write_behind* write_behind() noexcept = 0;
  virtual any_inboxes* inboxes() noexcept = 0;
  virtual any_patterns* patterns() noexcept = 0;
  virtual any_streams* streams() noexcept = 0;
  virtual any_registry_store* registry_store() noexcept = 0;
  virtual any_withdrawal* withdrawal() noexcept = 0;
  virtual any_broker_clock* broker_clock() noexcept = 0;

  // The rule of transport.hpp for capabilities that only make things faster.
  /// Publishes at flush() where the transport corks; at once otherwise.
  void publish_held(std::string_view channel, std::string_view bytes) {
    if (any_corking* c = corking())
      c->publish_held(channel, bytes);
    else
      publish(channel, bytes);
  }
  void flush() {
    if (any_corking* c = corking()) c->flush();
  }
  /// Now, on the clock that deadlines are read on: the broker's where the transport has one
  /// (capabilities/broker_clock.hpp), else this host's.
  std::chrono::system_clock::time_point deadline_clock() {
    if (any_broker_clock* c = broker_clock()) return c->broker_time();
    return std::chrono::system_clock::now();
  }
  /// Takes a request back out of its queue where the transport can (true: it will never run);
  /// false otherwise.
  bool withdraw(std::string_view queue, std::string_view bytes) {
    any_withdrawal* w = withdrawal();
    return w != nullptr && w->withdraw(queue, bytes);
  }
  /// Pushes within the transport's write-behind window where it has one; at once otherwise.
  void push_behind(std::string_view queue, std::string_view bytes, std::chrono::milliseconds keep) {
    if (any_write_behind* w = write_behind())
      w->push_behind(queue, bytes, keep);
    else
      push(queue, bytes, keep);
  }
};

/// The rule of transport.hpp for features: the capability, or redwire::unsupported naming it.
///   any_streams& s = require(bus.streams(), "durable streams", "redwire::stream_transport");
template <class Capability>
Capability& require(Capability* capability, std::string_view feature, std::string_view concept_) {
  if (!capability)
    throw unsupported("redwire: this transport has no " + std::string(feature) +
                      " (it does not model " + std::string(concept_) + ")");
  return *capability;
}

/// Holds the adapter of one capability when the transport has it, and nothing otherwise (the
/// adapter's type is named only when it exists).
template <class Interface, template <class> class Adapter, class T, bool Present>
class capability_slot {
 public:
  explicit capability_slot(T&) noexcept {}
  Interface* get() noexcept { return nullptr; }
};

template <class Interface, template <class> class Adapter, class T>
class capability_slot<Interface, Adapter, T, true> {
 public:
  explicit capability_slot(T& t) : adapter_(t) {}
  Interface* get() noexcept { return &adapter_; }

 private:
  Adapter<T> adapter_;
};

template <transport T>
class transport_adapter final : public any_transport {
 public:
  explicit transport_adapter(T& t)
      : t_(t),
        corking_(t),
        write_behind_(t),
        inboxes_(t),
        patterns_(t),
        streams_(t),
        registry_store_(t),
        withdrawal_(t),
        broker_clock_(t) {}

  std::string_view prefix() const override { return t_.prefix(); }
  void push(std::string_view queue, std::string_view bytes,
            std::chrono::milliseconds keep) override {
    push_expiring(t_, queue, bytes, keep);
  }
  std::unique_ptr<any_reader> open_reader(std::vector<std::string> queues) override {
    return std::make_unique<reader>(t_.open_reader(std::move(queues)));
  }
  void publish(std::string_view channel, std::string_view bytes) override {
    t_.publish(channel, bytes);
  }
  std::unique_ptr<any_subscription> subscribe(std::string_view channel, message_handler on_message,
                                              gap_handler on_gap) override {
    return hold_subscription(t_.subscribe(channel, std::move(on_message), std::move(on_gap)));
  }

  any_corking* corking() noexcept override { return corking_.get(); }
  any_write_behind* write_behind() noexcept override { return write_behind_.get(); }
  any_inboxes* inboxes() noexcept override { return inboxes_.get(); }
  any_patterns* patterns() noexcept override { return patterns_.get(); }
  any_streams* streams() noexcept override { return streams_.get(); }
  any_registry_store* registry_store() noexcept override { return registry_store_.get(); }
  any_withdrawal* withdrawal() noexcept override { return withdrawal_.get(); }
  any_broker_clock* broker_clock() noexcept override { return broker_clock_.get(); }

 private:
  using reader_type = decltype(std::declval<T&>().open_reader(std::vector<std::string>{}));

  struct reader final : any_reader {
    explicit reader(reader_type r) : r(std::move(r)), fusing_(this->r) {}
    void pop(std::vector<std::string>& out, std::size_t max,
             std::chrono::milliseconds timeout) override {
      r.pop(out, max, timeout);
    }
    void wake() override { r.wake(); }
    any_fusing_reader* fusing() noexcept override { return fusing_.get(); }
    reader_type r;
    capability_slot<any_fusing_reader, fusing_reader_adapter, reader_type,
                    fusing_reader<reader_type>>
        fusing_;
  };

  T& t_;
  capability_slot<any_corking, corking_adapter, T, corking_transport<T>> corking_;
  capability_slot<any_write_behind, write_behind_adapter, T, write_behind_transport<T>>
      write_behind_;
  capability_slot<any_inboxes, inboxes_adapter, T, inbox_transport<T>> inboxes_;
  capability_slot<any_patterns, patterns_adapter, T, pattern_transport<T>> patterns_;
  capability_slot<any_streams, streams_adapter, T, stream_transport<T>> streams_;
  capability_slot<any_registry_store, registry_store_adapter, T, redwire::registry_store<T>>
      registry_store_;
  capability_slot<any_withdrawal, withdrawal_adapter, T, withdrawing_transport<T>> withdrawal_;
  capability_slot<any_broker_clock, broker_clock_adapter, T, broker_clock_transport<T>>
      broker_clock_;
};

}  // namespace redwire::detail
