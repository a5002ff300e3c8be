// redwire/capabilities/streams.hpp — durable streams with consumer groups (a capability).
//
// redwire::transport (transport.hpp) is all a call needs. Durable streams need more: an
// append-only log per stream, consumer groups that hand each entry to one consumer of the group,
// and a list of entries delivered but not yet acknowledged ("pending"), so that entries taken
// by a consumer that died can be claimed by another one. Redis Streams model exactly that;
// redwire::memory::transport mimics it. A transport without it still serves calls and topics;
// svc.consume(), cli.append() and cli.dead_letters() then throw redwire::unsupported.
//
// Entry ids are strings "<milliseconds>-<sequence>", increasing within a stream, as Redis
// makes them. "0-0" is the cursor that starts a claim scan from the beginning.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../detail/bytes.hpp"
#include "../transport.hpp"

namespace redwire {

/// One entry of a stream as a reader sees it.
struct stream_entry {
  std::string id;       ///< "1712345678901-0"
  std::string payload;  ///< the bytes that were appended
};

/// The consumer group is gone (Redis restarted empty, someone ran XGROUP DESTROY or deleted
/// the stream). The consumer creates it again and goes on.
class no_such_group : public transport_error {
 public:
  using transport_error::transport_error;
};

/// The view of one consumer of one group on one stream. A consumer runs on one thread; only
/// wake() may be called from another. Every operation throws transport_error when the broker
/// cannot be reached, no_such_group when the group does not exist (create_group() excepted).
///   r.create_group(from_start): creates the group (and the stream) if missing; an existing
///     group is left alone. from_start: the group sees the entries already in the stream;
///     otherwise only those appended afterwards.
///   r.read(out, max, block): appends up to `max` entries never delivered to the group, waiting
///     up to `block` for the first one (0: no wait); they become pending on this consumer.
///     Returns early, maybe empty, after wake().
///   r.read_own_pending(out, after_id, max): entries pending on this consumer with an id past
///     `after_id` (a restarted consumer finds what it took before it stopped).
///   r.autoclaim(out, min_idle, cursor, max): claims for this consumer up to `max` entries
///     pending on any consumer of the group for at least `min_idle`; returns the cursor for the
///     next scan ("0-0" when the scan went round). Each claim counts as a delivery.
///   r.delivery_counts(ids): how many times each entry was delivered (0: not pending).
///   r.ack(ids): the entries are done; they leave the pending list.
///   r.wake(): makes a read that is waiting return now.
/// Optional (a reader without it leaves dead consumers listed in their group, nothing worse):
///   r.remove_idle_consumers(min_idle) -> vector<string>: atomically removes from the group
///     every other consumer that has nothing pending and has not read or claimed for `min_idle`
///     (a dead one, once its entries were claimed); returns their names.
template <class R>
concept stream_reader = requires(R& r, std::vector<stream_entry>& out, std::size_t max,
                                 std::chrono::milliseconds ms, std::string_view id,
                                 std::span<const std::string> ids, bool flag) {
  r.create_group(flag);
  r.read(out, max, ms);
  r.read_own_pending(out, id, max);
  { r.autoclaim(out, ms, id, max) } -> std::convertible_to<std::string>;
  { r.delivery_counts(ids) } -> std::convertible_to<std::vector<std::uint64_t>>;
  r.ack(ids);
  r.wake();
};

/// A transport that can carry durable streams.
///   t.stream_append(stream, bytes, max_length): appends one entry and returns its id; when
///     max_length > 0, trims the oldest entries so that about max_length remain (approximate:
///     the broker may keep a few more, cheaply).
///   t.open_stream_reader(stream, group, consumer): a stream_reader (by value, movable); on
///     Redis it has a connection of its own, because a blocking read holds its connection.
///   t.stream_range(stream, max): the first `max` entries, oldest first (dead letters, tools).
template <class T>
concept stream_transport = requires(T& t, std::string_view name, std::string_view bytes,
                                    std::size_t n, std::string s) {
  { t.stream_append(name, bytes, n) } -> std::convertible_to<std::string>;
  { t.open_stream_reader(s, s, s) } -> stream_reader;
  { t.stream_range(name, n) } -> std::convertible_to<std::vector<stream_entry>>;
};

/// What an append must reach before it returns: `replicas` copies of the entry besides the
/// broker's own, confirmed within `timeout` (append_options::replicas).
struct replication {
  unsigned replicas = 0;
  std::chrono::milliseconds timeout{100};
};

/// A stream transport whose appends can wait for replicas:
///   t.stream_append(stream, bytes, max_length, replication): returns once `replicas` replicas
///     hold the entry; throws transport_error when they do not confirm it in time.
/// Without it, an append that asks for replicas throws redwire::unsupported.
template <class T>
concept replicating_stream_transport = stream_transport<T> &&
    requires(T& t, std::string_view name, std::string_view bytes, std::size_t n,
             const replication& r) {
  { t.stream_append(name, bytes, n, r) } -> std::convertible_to<std::string>;
};

namespace detail {
/// Orders entry ids "ms-seq" as numbers (parse_stream_id: malformed parts count as 0).
inline bool stream_id_less(std::string_view a, std::string_view b) {
  return parse_stream_id(a) < parse_stream_id(b);
}

class any_stream_reader {
 public:
  virtual ~any_stream_reader() = default;
  virtual void create_group(bool from_start) = 0;
  virtual void read(std::vector<stream_entry>& out, std::size_t max,
                    std::chrono::milliseconds block) = 0;
  virtual void read_own_pending(std::vector<stream_entry>& out, std::string_view after_id,
                                std::size_t max) = 0;
  virtual std::string autoclaim(std::vector<stream_entry>& out, std::chrono::milliseconds min_idle,
                                std::string_view cursor, std::size_t max) = 0;
  virtual std::vector<std::uint64_t> delivery_counts(std::span<const std::string> ids) = 0;
  virtual void ack(std::span<const std::string> ids) = 0;
  virtual void wake() = 0;
  virtual std::vector<std::string> remove_idle_consumers(std::chrono::milliseconds min_idle) = 0;
};

class any_streams {
 public:
  virtual ~any_streams() = default;
  virtual std::string stream_append(std::string_view stream, std::string_view bytes,
                                    std::size_t max_length) = 0;
  /// Throws redwire::unsupported when the transport cannot wait for replicas.
  virtual std::string stream_append(std::string_view stream, std::string_view bytes,
                                    std::size_t max_length, const replication& r) = 0;
  virtual std::unique_ptr<any_stream_reader> open_stream_reader(std::string stream,
                                                                std::string group,
                                                                std::string consumer) = 0;
  virtual std::vector<stream_entry> stream_range(std::string_view stream, std::size_t max) = 0;
};

/// Made only for a transport that models stream_transport (detail::capability_slot).
template <class T>
class streams_adapter final : public any_streams {
 public:
  explicit streams_adapter(T& t) : t_(t) {}
  std::string stream_append(std::string_view stream, std::string_view bytes,
                            std::size_t max_length) override {
    return t_.stream_append(stream, bytes, max_length);
  }
  std::string stream_append(std::string_view stream, std::string_view bytes, std::size_t max_length,
                            const replication& r) override {
    if constexpr (replicating_stream_transport<T>)
      return t_.stream_append(stream, bytes, max_length, r);
    else
      throw unsupported(
          "redwire: append_options::replicas needs a transport whose appends can wait for "
          "replicas (redwire::replicating_stream_transport)");
  }
  std::unique_ptr<any_stream_reader> open_stream_reader(std::string stream, std::string group,
                                                        std::string consumer) override {
    return std::make_unique<reader>(
        t_.open_stream_reader(std::move(stream), std::move(group), std::move(consumer)));
  }
  std::vector<stream_entry> stream_range(std::string_view stream, std::size_t max) override {
    return t_.stream_range(stream, max);
  }

 private:
  using reader_type =
      decltype(std::declval<T&>().open_stream_reader(std::string{}, std::string{}, std::string{}));
  struct reader final : any_stream_reader {
    explicit reader(reader_type r) : r(std::move(r)) {}
    void create_group(bool from_start) override { r.create_group(from_start); }
    void read(std::vector<stream_entry>& out, std::size_t max,
              std::chrono::milliseconds block) override {
      r.read(out, max, block);
    }
    void read_own_pending(std::vector<stream_entry>& out, std::string_view after_id,
                          std::size_t max) override {
      r.read_own_pending(out, after_id, max);
    }
    std::string autoclaim(std::vector<stream_entry>& out, std::chrono::milliseconds min_idle,
                          std::string_view cursor, std::size_t max) override {
      return r.autoclaim(out, min_idle, cursor, max);
    }
    std::vector<std::uint64_t> delivery_counts(std::span<const std::string> ids) override {
      return r.delivery_counts(ids);
    }
    void ack(std::span<const std::string> ids) override { r.ack(ids); }
    void wake() override { r.wake(); }
    std::vector<std::string> remove_idle_consumers(std::chrono::milliseconds min_idle) override {
      if constexpr (requires { r.remove_idle_consumers(min_idle); })
        return r.remove_idle_consumers(min_idle);
      else
        return {};
    }
    reader_type r;
  };
  T& t_;
};

}  // namespace detail

}  // namespace redwire
