// redwire/events/event_api.hpp — the client's side of events (publish, append, dead_letters),
// each checked against the topic's or stream's declaration at compile time. `client` derives
// from it, as it derives from detail::call_api for calls.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../detail/any_transport.hpp"
#include "../detail/call_api.hpp"
#include "../stream.hpp"
#include "../topic.hpp"
#include "diagnostics.hpp"
#include "publishing.hpp"

namespace redwire::detail {

/// Derived befriends it and provides `event_transport()` (where events go) and `event_source()`
/// (the sender named in each event: the client's id).
template <class Derived>
class event_api {
 public:
  /// Sends `value` to every current subscriber of topic `t` (none: it is lost). Carries the
  /// trace id of the call or event being handled on this thread. Throws rpc_error(unavailable).
  ///   cli.publish(order_created, o);
  template <fixed_string N, class T, class G>
  void publish(const topic<N, T>& t, G&& value) {
    (void)t;
    if constexpr (!published_value_does_not_convert<N, G, T>::value)
      publish_event<topic<N, T>>(bus(), source(), as_declared<T>(std::forward<G>(value)));
  }
  template <fixed_string N, class T, class G>
  void publish(const stream<N, T>&, G&&) {
    (void)publish_to_a_stream<N>{};
  }

  /// Appends `value` to stream `s` and returns the entry id ("1712345678901-0"). Throws
  /// rpc_error(unavailable) (also when the replicas asked for do not confirm the entry in time);
  /// redwire::unsupported when the transport has no streams, or cannot wait for replicas.
  ///   std::string id = cli.append(order_log, o, {.max_length = 100000});
  template <fixed_string N, class T, class G>
  std::string append(const stream<N, T>& s, G&& value, append_options o = {}) {
    (void)s;
    if constexpr (!appended_value_does_not_convert<N, G, T>::value)
      return append_event<stream<N, T>>(bus(), source(), as_declared<T>(std::forward<G>(value)),
                                        o.max_length, {o.replicas, o.replica_timeout});
    else
      return {};
  }
  template <fixed_string N, class T, class G>
  std::string append(const topic<N, T>&, G&&, append_options = {}) {
    (void)append_to_a_topic<N>{};
    return {};
  }

  /// The first `max` entries that consumer group `group` gave up on (oldest first), with the
  /// bytes as they were appended.
  template <fixed_string N, class T>
  std::vector<stream_entry> dead_letters(const stream<N, T>& s, std::string_view group,
                                         std::size_t max = 100) {
    return read_dead_letters(bus(), s.name, group, max);
  }

 private:
  any_transport& bus() { return static_cast<Derived&>(*this).event_transport(); }
  std::string_view source() const { return static_cast<const Derived&>(*this).event_source(); }
};

}  // namespace redwire::detail
