// redwire/detail/any_transport.hpp — a transport behind a virtual interface.
//
// client and service are plain classes (easy to keep as members, to pass around), so they
// hold the transport through this adapter. A virtual call costs nanoseconds; a message costs
// microseconds: the indirection is free where it matters.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../registry_store.hpp"
#include "../transport.hpp"
#include "any_stream_reader.hpp"

namespace redwire::detail {

class any_reader {
 public:
  virtual ~any_reader() = default;
  virtual void pop(std::vector<std::string>& out, std::size_t max,
                   std::chrono::milliseconds timeout) = 0;
  virtual void wake() = 0;
  /// Whether publish_then_pop does better than publish + pop (redwire::fusing_reader).
  virtual bool fuses_publish() const { return false; }
  virtual void publish_then_pop(std::string_view channel, std::string_view bytes,
                                std::vector<std::string>& out, std::size_t max,
                                std::chrono::milliseconds timeout) {
    (void)channel, (void)bytes, (void)out, (void)max, (void)timeout;
    throw std::logic_error("redwire: this queue reader cannot publish");
  }
};

class any_subscription {
 public:
  virtual ~any_subscription() = default;
  /// False while messages to it would be lost (see redwire::health_reporting).
  virtual bool healthy() const { return true; }
};

class any_inbox {
 public:
  virtual ~any_inbox() = default;
  virtual bool usable() = 0;
  virtual inbox_status receive(std::string& out,
                               std::chrono::steady_clock::time_point deadline) = 0;
};

class any_transport {
 public:
  virtual ~any_transport() = default;
  virtual std::string_view prefix() const = 0;
  virtual void push(std::string_view queue, std::string_view bytes) = 0;
  virtual std::unique_ptr<any_reader> open_reader(std::vector<std::string> queues) = 0;
  virtual void publish(std::string_view channel, std::string_view bytes) = 0;
  virtual std::unique_ptr<any_subscription> subscribe(std::string_view channel,
                                                      message_handler on_message,
                                                      gap_handler on_gap) = 0;
  /// See redwire::corking_transport; without it, a plain publish.
  virtual bool corks() const { return false; }
  virtual void publish_held(std::string_view channel, std::string_view bytes) {
    publish(channel, bytes);
  }
  virtual void flush() {}
  /// See redwire::write_behind_transport; without it, a plain push.
  virtual bool writes_behind() const { return false; }
  virtual void push_behind(std::string_view queue, std::string_view bytes) { push(queue, bytes); }

  /// See redwire::inbox_transport; nullptr when the transport has no inboxes.
  virtual std::unique_ptr<any_inbox> open_inbox(std::string channel,
                                                std::chrono::milliseconds budget) {
    (void)channel, (void)budget;
    return nullptr;
  }

  // ---- events (issue 5): optional capabilities; a transport without them throws -----------
  /// See redwire::pattern_transport.
  virtual std::unique_ptr<any_subscription> psubscribe(std::string_view pattern,
                                                       message_handler on_message,
                                                       gap_handler on_gap) {
    (void)pattern, (void)on_message, (void)on_gap;
    throw std::logic_error("redwire: this transport cannot subscribe to channel patterns");
  }
  /// See redwire::stream_transport.
  virtual std::string stream_append(std::string_view stream, std::string_view bytes,
                                    std::size_t max_length) {
    (void)stream, (void)bytes, (void)max_length;
    throw std::logic_error("redwire: this transport has no durable streams");
  }
  virtual std::unique_ptr<any_stream_reader> open_stream_reader(std::string stream,
                                                                std::string group,
                                                                std::string consumer) {
    (void)stream, (void)group, (void)consumer;
    throw std::logic_error("redwire: this transport has no durable streams");
  }
  virtual std::vector<stream_entry> stream_range(std::string_view stream, std::size_t max) {
    (void)stream, (void)max;
    throw std::logic_error("redwire: this transport has no durable streams");
  }
  // ---- end of events -----------------------------------------------------------------------

  // ---- registry (issue 4): optional capability, see redwire::registry_store ------------------
  virtual bool stores_registry() const { return false; }
  virtual void put_record(std::string_view key, const record_fields& fields,
                          std::chrono::milliseconds ttl) {
    (void)key, (void)fields, (void)ttl;
    throw lacks_registry();
  }
  virtual bool refresh_record(std::string_view key, std::chrono::milliseconds ttl) {
    (void)key, (void)ttl;
    throw lacks_registry();
  }
  virtual void remove_record(std::string_view key) {
    (void)key;
    throw lacks_registry();
  }
  virtual std::vector<record_fields> read_records(const std::vector<std::string>& keys) {
    (void)keys;
    throw lacks_registry();
  }
  virtual bool touch_member(std::string_view set, std::string_view member,
                            std::chrono::milliseconds ttl) {
    (void)set, (void)member, (void)ttl;
    throw lacks_registry();
  }
  virtual std::size_t remove_member(std::string_view set, std::string_view member) {
    (void)set, (void)member;
    throw lacks_registry();
  }
  virtual std::vector<std::string> live_members(std::string_view set,
                                                std::chrono::milliseconds grace) {
    (void)set, (void)grace;
    throw lacks_registry();
  }
  virtual std::vector<std::string> reap_members(std::string_view set,
                                                std::chrono::milliseconds grace) {
    (void)set, (void)grace;
    throw lacks_registry();
  }
  virtual std::vector<std::string> take_queue(std::string_view queue) {
    (void)queue;
    throw lacks_registry();
  }
  virtual void push_unless_member(std::string_view set, std::string_view member,
                                  std::string_view queue, std::string_view bytes,
                                  std::string_view channel, std::string_view refusal) {
    (void)set, (void)member, (void)queue, (void)bytes, (void)channel, (void)refusal;
    throw lacks_registry();
  }

  static std::logic_error lacks_registry() {
    return std::logic_error("redwire: transport lacks registry storage (redwire::registry_store)");
  }
  // ---- end of registry -------------------------------------------------------------------------
};

template <transport T>
class transport_adapter final : public any_transport {
 public:
  explicit transport_adapter(T& t) : t_(t) {}

  std::string_view prefix() const override { return t_.prefix(); }
  void push(std::string_view queue, std::string_view bytes) override { t_.push(queue, bytes); }
  std::unique_ptr<any_reader> open_reader(std::vector<std::string> queues) override {
    return std::make_unique<reader>(t_.open_reader(std::move(queues)));
  }
  void publish(std::string_view channel, std::string_view bytes) override {
    t_.publish(channel, bytes);
  }
  bool corks() const override { return corking_transport<T>; }
  void publish_held(std::string_view channel, std::string_view bytes) override {
    if constexpr (corking_transport<T>)
      t_.publish_held(channel, bytes);
    else
      t_.publish(channel, bytes);
  }
  void flush() override {
    if constexpr (corking_transport<T>) t_.flush();
  }
  bool writes_behind() const override { return write_behind_transport<T>; }
  void push_behind(std::string_view queue, std::string_view bytes) override {
    if constexpr (write_behind_transport<T>)
      t_.push_behind(queue, bytes);
    else
      t_.push(queue, bytes);
  }
  std::unique_ptr<any_subscription> subscribe(std::string_view channel, message_handler on_message,
                                              gap_handler on_gap) override {
    return std::make_unique<subscription>(
        t_.subscribe(channel, std::move(on_message), std::move(on_gap)));
  }

  std::unique_ptr<any_inbox> open_inbox(std::string channel,
                                        std::chrono::milliseconds budget) override {
    if constexpr (inbox_transport<T>) {
      using inbox_type = decltype(t_.open_inbox(std::move(channel), budget));
      struct holder final : any_inbox {
        explicit holder(inbox_type i) : i(std::move(i)) {}
        bool usable() override { return i.usable(); }
        inbox_status receive(std::string& out,
                             std::chrono::steady_clock::time_point deadline) override {
          return i.receive(out, deadline);
        }
        inbox_type i;
      };
      return std::make_unique<holder>(t_.open_inbox(std::move(channel), budget));
    } else {
      (void)channel, (void)budget;
      return nullptr;
    }
  }

  // ---- events (issue 5) ----------------------------------------------------------------------
  std::unique_ptr<any_subscription> psubscribe(std::string_view pattern, message_handler on_message,
                                               gap_handler on_gap) override {
    if constexpr (pattern_transport<T>) {
      using pattern_subscription =
          decltype(t_.psubscribe(pattern, std::move(on_message), std::move(on_gap)));
      struct holder final : any_subscription {
        explicit holder(pattern_subscription s) : s(std::move(s)) {}
        pattern_subscription s;
      };
      return std::make_unique<holder>(
          t_.psubscribe(pattern, std::move(on_message), std::move(on_gap)));
    } else {
      return any_transport::psubscribe(pattern, std::move(on_message), std::move(on_gap));
    }
  }
  std::string stream_append(std::string_view stream, std::string_view bytes,
                            std::size_t max_length) override {
    if constexpr (stream_transport<T>)
      return t_.stream_append(stream, bytes, max_length);
    else
      return any_transport::stream_append(stream, bytes, max_length);
  }
  std::unique_ptr<any_stream_reader> open_stream_reader(std::string stream, std::string group,
                                                        std::string consumer) override {
    if constexpr (stream_transport<T>) {
      auto r = t_.open_stream_reader(std::move(stream), std::move(group), std::move(consumer));
      return std::make_unique<stream_reader_adapter<decltype(r)>>(std::move(r));
    } else {
      return any_transport::open_stream_reader(std::move(stream), std::move(group),
                                               std::move(consumer));
    }
  }
  std::vector<stream_entry> stream_range(std::string_view stream, std::size_t max) override {
    if constexpr (stream_transport<T>)
      return t_.stream_range(stream, max);
    else
      return any_transport::stream_range(stream, max);
  }
  // ---- end of events ---------------------------------------------------------------------------

  // ---- registry (issue 4) ----------------------------------------------------------------------
  bool stores_registry() const override { return registry_store<T>; }
  void put_record(std::string_view key, const record_fields& fields,
                  std::chrono::milliseconds ttl) override {
    if constexpr (registry_store<T>)
      t_.put_record(key, fields, ttl);
    else
      any_transport::put_record(key, fields, ttl);
  }
  bool refresh_record(std::string_view key, std::chrono::milliseconds ttl) override {
    if constexpr (registry_store<T>)
      return t_.refresh_record(key, ttl);
    else
      return any_transport::refresh_record(key, ttl);
  }
  void remove_record(std::string_view key) override {
    if constexpr (registry_store<T>)
      t_.remove_record(key);
    else
      any_transport::remove_record(key);
  }
  std::vector<record_fields> read_records(const std::vector<std::string>& keys) override {
    if constexpr (registry_store<T>)
      return t_.read_records(keys);
    else
      return any_transport::read_records(keys);
  }
  bool touch_member(std::string_view set, std::string_view member,
                    std::chrono::milliseconds ttl) override {
    if constexpr (registry_store<T>)
      return t_.touch_member(set, member, ttl);
    else
      return any_transport::touch_member(set, member, ttl);
  }
  std::size_t remove_member(std::string_view set, std::string_view member) override {
    if constexpr (registry_store<T>)
      return t_.remove_member(set, member);
    else
      return any_transport::remove_member(set, member);
  }
  std::vector<std::string> live_members(std::string_view set,
                                        std::chrono::milliseconds grace) override {
    if constexpr (registry_store<T>)
      return t_.live_members(set, grace);
    else
      return any_transport::live_members(set, grace);
  }
  std::vector<std::string> reap_members(std::string_view set,
                                        std::chrono::milliseconds grace) override {
    if constexpr (registry_store<T>)
      return t_.reap_members(set, grace);
    else
      return any_transport::reap_members(set, grace);
  }
  std::vector<std::string> take_queue(std::string_view queue) override {
    if constexpr (registry_store<T>)
      return t_.take_queue(queue);
    else
      return any_transport::take_queue(queue);
  }
  void push_unless_member(std::string_view set, std::string_view member, std::string_view queue,
                          std::string_view bytes, std::string_view channel,
                          std::string_view refusal) override {
    if constexpr (registry_store<T>)
      t_.push_unless_member(set, member, queue, bytes, channel, refusal);
    else
      any_transport::push_unless_member(set, member, queue, bytes, channel, refusal);
  }
  // ---- end of registry -------------------------------------------------------------------------

 private:
  using reader_type = decltype(std::declval<T&>().open_reader(std::vector<std::string>{}));
  using subscription_type =
      decltype(std::declval<T&>().subscribe(std::string_view{}, message_handler{}, gap_handler{}));

  struct reader final : any_reader {
    explicit reader(reader_type r) : r(std::move(r)) {}
    void pop(std::vector<std::string>& out, std::size_t max,
             std::chrono::milliseconds timeout) override {
      r.pop(out, max, timeout);
    }
    void wake() override { r.wake(); }
    bool fuses_publish() const override { return fusing_reader<reader_type>; }
    void publish_then_pop(std::string_view channel, std::string_view bytes,
                          std::vector<std::string>& out, std::size_t max,
                          std::chrono::milliseconds timeout) override {
      if constexpr (fusing_reader<reader_type>)
        r.publish_then_pop(channel, bytes, out, max, timeout);
      else
        any_reader::publish_then_pop(channel, bytes, out, max, timeout);
    }
    reader_type r;
  };
  struct subscription final : any_subscription {
    explicit subscription(subscription_type s) : s(std::move(s)) {}
    bool healthy() const override {
      if constexpr (health_reporting<subscription_type>)
        return s.healthy();
      else
        return true;
    }
    subscription_type s;
  };

  T& t_;
};

}  // namespace redwire::detail
