// redwire/redis/cluster_slots.hpp — Redis Cluster's arithmetic: the hash slot of a key, the
// slot map (which master serves which of the 16384 slots) as CLUSTER SLOTS tells it, and the
// redirections a node answers with (MOVED, ASK).
//
//   hash_slot("rw:{calc}:q") == hash_slot("calc")          // the hash tag decides
//   slot_map m = slot_map::from_cluster_slots(reply, asked);  m.owner(1234) -> endpoint
//   redirection::parse("MOVED 1234 10.0.0.7:7001", from)    // {moved, 1234, 10.0.0.7:7001}
//
// No I/O here: redis/cluster.hpp asks the nodes and keeps the map.
#pragma once

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resp.hpp"
#include "settings.hpp"

namespace redwire::redis::detail {

inline constexpr int cluster_slots = 16384;

/// CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0), the checksum of Redis Cluster's keys.
inline constexpr std::array<std::uint16_t, 256> crc16_table = [] {
  std::array<std::uint16_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    unsigned crc = i << 8;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
    t[i] = static_cast<std::uint16_t>(crc & 0xffff);
  }
  return t;
}();

inline constexpr std::uint16_t crc16(std::string_view bytes) {
  std::uint16_t crc = 0;
  for (char c : bytes)
    crc = static_cast<std::uint16_t>(
        (crc << 8) ^ crc16_table[((crc >> 8) ^ static_cast<unsigned char>(c)) & 0xff]);
  return crc;
}

/// The slot of `key`: of its hash tag (what lies between the first '{' and the first '}' after
/// it, when not empty), else of the whole key.
inline constexpr int hash_slot(std::string_view key) {
  const std::size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const std::size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1)
      key = key.substr(open + 1, close - open - 1);
  }
  return crc16(key) & (cluster_slots - 1);
}

/// "host:port" as a node names another ("" host: the node that said it, `from`).
inline std::optional<endpoint> parse_node_address(std::string_view text, const endpoint& from) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  int port = 0;
  const std::string_view digits = text.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc{} || end != digits.data() + digits.size() || port <= 0 || port > 65535)
    return std::nullopt;
  std::string_view host = text.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  return endpoint{host.empty() ? from.host : std::string(host), static_cast<std::uint16_t>(port)};
}

/// A node's "MOVED <slot> <host:port>" (the slot is served there now) or "ASK <slot>
/// <host:port>" (this once, there, after ASKING: the slot is being migrated).
struct redirection {
  bool ask = false;
  int slot = 0;
  endpoint to;

  static std::optional<redirection> parse(std::string_view error, const endpoint& from) {
    redirection r;
    if (error.starts_with("ASK "))
      r.ask = true;
    else if (!error.starts_with("MOVED "))
      return std::nullopt;
    error.remove_prefix(r.ask ? 4 : 6);
    const std::size_t space = error.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    auto [end, ec] = std::from_chars(error.data(), error.data() + space, r.slot);
    if (ec != std::errc{} || end != error.data() + space || r.slot < 0 || r.slot >= cluster_slots)
      return std::nullopt;
    std::optional<endpoint> to = parse_node_address(error.substr(space + 1), from);
    if (!to) return std::nullopt;
    r.to = std::move(*to);
    return r;
  }
};

/// Which master serves each slot; a slot nobody serves has none.
class slot_map {
 public:
  slot_map() { owner_.fill(-1); }

  /// From the reply of CLUSTER SLOTS asked of `asked`: [[start, end, [ip, port, id, ...],
  /// replicas...], ...]. An empty ip means the node asked. nullopt for a reply of another shape.
  static std::optional<slot_map> from_cluster_slots(const reply& r, const endpoint& asked) {
    if (!r.is_array()) return std::nullopt;
    slot_map m;
    for (const reply& range : r.elements) {
      if (!range.is_array() || range.elements.size() < 3 || !range.elements[0].is_integer() ||
          !range.elements[1].is_integer() || !range.elements[2].is_array() ||
          range.elements[2].elements.size() < 2)
        return std::nullopt;
      const reply& master = range.elements[2];
      const long long start = range.elements[0].integer, end = range.elements[1].integer;
      if (start < 0 || end >= cluster_slots || start > end || !master.elements[1].is_integer())
        return std::nullopt;
      const long long port = master.elements[1].integer;
      if (port <= 0 || port > 65535) return std::nullopt;
      const std::string& ip = master.elements[0].str;
      m.assign(static_cast<int>(start), static_cast<int>(end),
               endpoint{ip.empty() ? asked.host : ip, static_cast<std::uint16_t>(port)});
    }
    return m;
  }

  /// Slots first..last are served by `at` from now on.
  void assign(int first, int last, const endpoint& at) {
    int index = -1;
    for (std::size_t i = 0; i < masters_.size(); ++i)
      if (masters_[i] == at) index = static_cast<int>(i);
    if (index < 0) {
      index = static_cast<int>(masters_.size());
      masters_.push_back(at);
    }
    for (int s = first; s <= last; ++s) owner_[s] = static_cast<std::int16_t>(index);
  }

  /// The master of `slot`; nullopt when no master serves it.
  std::optional<endpoint> owner(int slot) const {
    const int i = owner_[static_cast<std::size_t>(slot)];
    if (i < 0) return std::nullopt;
    return masters_[static_cast<std::size_t>(i)];
  }

  /// How many slots no master serves.
  int uncovered() const {
    int n = 0;
    for (std::int16_t i : owner_) n += i < 0;
    return n;
  }

  /// Every master that serves at least one slot (and those that did, before a move).
  const std::vector<endpoint>& masters() const noexcept { return masters_; }

 private:
  std::array<std::int16_t, cluster_slots> owner_;
  std::vector<endpoint> masters_;
};

}  // namespace redwire::redis::detail
