// redwire/instance_info.hpp — what an instance tells the registry about itself, and how.
//
//   redwire::service svc{bus, "calc", {.registration = {.ttl = 2s, .metadata = {{"zone", "a"}}}}};
//   for (const redwire::instance_info& i : reg.instances("calc"))
//     std::cout << i.id << " on " << i.host << " pid " << i.pid << '\n';
//
// Only facts: nothing secret (no token, no password, no URL) is ever part of a record.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "capabilities/registry_store.hpp"
#include "detail/bytes.hpp"

namespace redwire {

/// One procedure an instance serves, as the registry publishes it.
struct procedure_info {
  std::string name;       ///< "calc.add"
  std::string signature;  ///< "calc.add(i32, i32) -> i32"
  std::uint64_t fingerprint = 0;
};

/// How an instance registers (service_options::registration).
struct registration_options {
  bool enabled = true;  ///< off: the instance is invisible to the registry and to targeted calls
  /// An instance that has not beaten for this long is dead. Heartbeats run every ttl / 3 on a
  /// thread of their own, so a busy handler never makes its instance look dead.
  std::chrono::milliseconds ttl{std::chrono::seconds(5)};
  std::map<std::string, std::string> metadata{};  ///< published as is: put no secret here
};

/// An instance as the registry knows it.
struct instance_info {
  std::string service;  ///< "calc"
  std::string id;       ///< unique instance id, the address of targeted calls
  std::string group;    ///< empty: no group
  std::string host;
  std::int64_t pid = 0;
  std::vector<std::string> addresses;  ///< IP addresses of the host, loopback excluded
  std::string os;                      ///< "Linux 6.1.0"
  std::string arch;                    ///< "x86_64"
  unsigned cpus = 0;
  std::uint64_t memory_bytes = 0;                      ///< total physical memory of the host
  std::chrono::system_clock::time_point boot_time{};   ///< when the host booted
  std::chrono::system_clock::time_point start_time{};  ///< when the instance started
  std::string version;                                 ///< redwire's version
  std::map<std::string, std::string> metadata;
  std::vector<procedure_info> procedures;
};

/// What happened to an instance.
enum class membership {
  joined,   ///< it registered (or registered again after it was thought dead)
  left,     ///< it stopped gracefully
  expired,  ///< it stopped beating; reported once, by whoever noticed first
};

constexpr std::string_view to_string(membership m) noexcept {
  switch (m) {
    case membership::joined:
      return "joined";
    case membership::left:
      return "left";
    case membership::expired:
      return "expired";
  }
  return "?";
}

/// One change of membership, as registry::watch delivers it.
struct membership_event {
  membership change = membership::joined;
  instance_info instance;  ///< for `expired`, as last registered (id and service at least)
};

namespace detail {

inline std::int64_t to_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

inline std::chrono::system_clock::time_point from_ms(std::string_view text) {
  std::int64_t ms = 0;
  for (char c : text)
    if (c >= '0' && c <= '9') ms = ms * 10 + (c - '0');
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

inline std::string join_lines(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s.append(s.empty() ? "" : "\n").append(i);
  return s;
}

inline std::vector<std::string> split_lines(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto end = s.find('\n');
    out.emplace_back(s.substr(0, end));
    if (end == std::string_view::npos) break;
    s.remove_prefix(end + 1);
  }
  return out;
}

/// The record of an instance: one readable text field per fact ("meta.<key>" for metadata,
/// "procedures" as lines "<name> <fingerprint hex> <signature>"), so redis-cli shows it plainly.
inline record_fields to_fields(const instance_info& i) {
  record_fields f = {{"service", i.service},
                     {"id", i.id},
                     {"group", i.group},
                     {"host", i.host},
                     {"pid", std::to_string(i.pid)},
                     {"addresses", join_lines(i.addresses)},
                     {"os", i.os},
                     {"arch", i.arch},
                     {"cpus", std::to_string(i.cpus)},
                     {"memory", std::to_string(i.memory_bytes)},
                     {"boot_time", std::to_string(to_ms(i.boot_time))},
                     {"start_time", std::to_string(to_ms(i.start_time))},
                     {"version", i.version}};
  std::vector<std::string> procedures;
  for (const auto& p : i.procedures) {
    procedures.push_back(p.name + " " + to_hex(p.fingerprint) + " " + p.signature);
  }
  f.emplace_back("procedures", join_lines(procedures));
  for (const auto& [k, v] : i.metadata) f.emplace_back("meta." + k, v);
  return f;
}

inline instance_info from_fields(const record_fields& fields) {
  instance_info i;
  for (const auto& [k, v] : fields) {
    if (k == "service")
      i.service = v;
    else if (k == "id")
      i.id = v;
    else if (k == "group")
      i.group = v;
    else if (k == "host")
      i.host = v;
    else if (k == "pid")
      i.pid = std::strtoll(v.c_str(), nullptr, 10);
    else if (k == "addresses")
      i.addresses = split_lines(v);
    else if (k == "os")
      i.os = v;
    else if (k == "arch")
      i.arch = v;
    else if (k == "cpus")
      i.cpus = static_cast<unsigned>(std::strtoul(v.c_str(), nullptr, 10));
    else if (k == "memory")
      i.memory_bytes = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "boot_time")
      i.boot_time = from_ms(v);
    else if (k == "start_time")
      i.start_time = from_ms(v);
    else if (k == "version")
      i.version = v;
    else if (k.starts_with("meta."))
      i.metadata[k.substr(5)] = v;
    else if (k == "procedures") {
      for (const auto& line : split_lines(v)) {
        auto a = line.find(' ');
        auto b = a == std::string::npos ? a : line.find(' ', a + 1);
        if (b == std::string::npos) continue;
        i.procedures.push_back({line.substr(0, a), line.substr(b + 1),
                                std::strtoull(line.substr(a + 1, b - a - 1).c_str(), nullptr, 16)});
      }
    }
  }
  return i;
}

/// A membership event on the wire: the change, then the record's fields, each length-prefixed.
inline std::string encode_event(membership change, const instance_info& i) {
  std::string out;
  append_length_prefixed(out, to_string(change));
  for (const auto& [k, v] : to_fields(i)) {
    append_length_prefixed(out, k);
    append_length_prefixed(out, v);
  }
  return out;
}

/// Throws std::system_error(errc::bad_message) for bytes that are not an event.
inline membership_event decode_event(std::string_view bytes) {
  membership_event e;
  std::string_view change = take_length_prefixed(bytes);
  if (change == "joined")
    e.change = membership::joined;
  else if (change == "left")
    e.change = membership::left;
  else if (change == "expired")
    e.change = membership::expired;
  else
    throw_bad_message("redwire registry: unknown membership change");
  record_fields fields;
  while (!bytes.empty()) {
    std::string k(take_length_prefixed(bytes));
    std::string v(take_length_prefixed(bytes));
    fields.emplace_back(std::move(k), std::move(v));
  }
  e.instance = from_fields(fields);
  return e;
}

}  // namespace detail
}  // namespace redwire
