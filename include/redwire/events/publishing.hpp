// redwire/events/publishing.hpp — the sending side of events, behind client::publish() and
// client::append(): frame the value, hand it to the transport, report failures as rpc_error.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "../capabilities/streams.hpp"
#include "../detail/any_transport.hpp"
#include "../errors.hpp"
#include "frame.hpp"
#include "names.hpp"

namespace redwire::detail {

/// PUBLISH the framed value on the topic's channel. Throws rpc_error(errc::unavailable) when
/// the transport cannot take it.
template <class Topic, class T>
void publish_event(any_transport& bus, std::string_view source, const T& value) {
  const std::string frame =
      encode_event_frame(event_kind::topic, Topic::name, Topic::fingerprint, source, value);
  try {
    bus.publish(topic_channel(bus.prefix(), Topic::name), frame);
  } catch (const transport_error& e) {
    throw rpc_error(errc::unavailable, std::string("transport: ") + e.what(),
                    std::string(Topic::name));
  }
}

/// The transport's streams, or redwire::unsupported (transport.hpp).
inline any_streams& streams_of(any_transport& bus) {
  return require(bus.streams(), "durable streams", "redwire::stream_transport");
}

/// XADD the framed value; returns the entry id. Throws rpc_error(errc::unavailable) when the
/// transport cannot take it, redwire::unsupported when it has no streams.
template <class Stream, class T>
std::string append_event(any_transport& bus, std::string_view source, const T& value,
                         std::size_t max_length, const replication& r = {}) {
  any_streams& streams = streams_of(bus);
  const std::string frame =
      encode_event_frame(event_kind::stream, Stream::name, Stream::fingerprint, source, value);
  const std::string key = stream_key(bus.prefix(), Stream::name);
  try {
    if (r.replicas > 0) return streams.stream_append(key, frame, max_length, r);
    return streams.stream_append(key, frame, max_length);
  } catch (const transport_error& e) {
    throw rpc_error(errc::unavailable, std::string("transport: ") + e.what(),
                    std::string(Stream::name));
  }
}

/// The first `max` entries of a group's dead-letter stream, as they were appended. Throws as
/// append_event() does.
inline std::vector<stream_entry> read_dead_letters(any_transport& bus, std::string_view stream,
                                                   std::string_view group, std::size_t max) {
  any_streams& streams = streams_of(bus);
  try {
    return streams.stream_range(dead_letter_key(bus.prefix(), stream, group), max);
  } catch (const transport_error& e) {
    throw rpc_error(errc::unavailable, std::string("transport: ") + e.what(), std::string(stream));
  }
}

}  // namespace redwire::detail
