// redwire/events/client_events.hpp — what a client does with events: publish to topics,
// append to streams, read a stream's dead letters (topic.hpp, stream.hpp).
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

/// Gives `client` its event operations. Client provides event_bus() (its any_transport) and
/// id() (the source named in each event), and befriends this class.
template <class Client>
class event_api {
 public:
  /// Sends `value` to every current subscriber of topic `t` (none: it is lost). Carries the
  /// trace id of the call or event being handled on this thread. Throws rpc_error(unavailable).
  ///   cli.publish(order_created, o);
  template <fixed_string N, class T, class G>
  void publish(const topic<N, T>& t, G&& value) {
    (void)t;
    if constexpr (!detail::published_value_does_not_convert<N, G, T>::value)
      detail::publish_event<topic<N, T>>(self().event_bus(), self().id(),
                                         detail::as_declared<T>(std::forward<G>(value)));
  }
  template <fixed_string N, class T, class G>
  void publish(const stream<N, T>&, G&&) {
    (void)detail::publish_to_a_stream<N>{};
  }

  /// Appends `value` to stream `s` and returns the entry id ("1712345678901-0"). Throws
  /// rpc_error(unavailable) (also when the replicas asked for do not confirm the entry in time);
  /// redwire::unsupported when the transport has no streams, or cannot wait for replicas.
  ///   std::string id = cli.append(order_log, o, {.max_length = 100000});
  template <fixed_string N, class T, class G>
  std::string append(const stream<N, T>& s, G&& value, append_options o = {}) {
    (void)s;
    if constexpr (!detail::appended_value_does_not_convert<N, G, T>::value)
      return detail::append_event<stream<N, T>>(self().event_bus(), self().id(),
                                                detail::as_declared<T>(std::forward<G>(value)),
                                                o.max_length, {o.replicas, o.replica_timeout});
    else
      return {};
  }
  template <fixed_string N, class T, class G>
  std::string append(const topic<N, T>&, G&&, append_options = {}) {
    (void)detail::append_to_a_topic<N>{};
    return {};
  }

  /// The first `max` entries that consumer group `group` gave up on (oldest first), with the
  /// bytes as they were appended.
  template <fixed_string N, class T>
  std::vector<stream_entry> dead_letters(const stream<N, T>& s, std::string_view group,
                                         std::size_t max = 100) {
    return detail::read_dead_letters(self().event_bus(), s.name, group, max);
  }

 private:
  Client& self() { return static_cast<Client&>(*this); }
};

}  // namespace redwire::detail
