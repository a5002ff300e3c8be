// redwire/detail/host_facts.hpp — the facts about this host and process that an instance
// registers: host name, IP addresses, OS, architecture, CPUs, memory, boot time. Gathered once
// per instance at start, from the OS (uname, getifaddrs, sysconf, /proc/uptime).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../instance_info.hpp"
#include "../version.hpp"
#include "names.hpp"

namespace redwire::detail {

/// IPv4 then IPv6 addresses of the interfaces that are up, loopback excluded.
inline std::vector<std::string> host_addresses() {
  std::vector<std::string> v4, v6;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return v4;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || !(a->ifa_flags & IFF_UP) || (a->ifa_flags & IFF_LOOPBACK)) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (a->ifa_addr->sa_family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
      if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text)) v4.emplace_back(text);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      auto* in = reinterpret_cast<sockaddr_in6*>(a->ifa_addr);
      if (::inet_ntop(AF_INET6, &in->sin6_addr, text, sizeof text)) v6.emplace_back(text);
    }
  }
  ::freeifaddrs(list);
  v4.insert(v4.end(), v6.begin(), v6.end());
  return v4;
}

/// When the host booted: now minus /proc/uptime (the epoch if that cannot be read).
inline std::chrono::system_clock::time_point host_boot_time() {
  double uptime = 0;
  if (FILE* f = std::fopen("/proc/uptime", "r")) {
    if (std::fscanf(f, "%lf", &uptime) != 1) uptime = 0;
    std::fclose(f);
  }
  if (uptime <= 0) return {};
  auto since = std::chrono::milliseconds(static_cast<std::int64_t>(uptime * 1000));
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now() -
                                                                 since);
}

/// The facts of this host and process; the caller fills in service, id, group, procedures.
inline instance_info host_facts() {
  instance_info i;
  i.host = host_name();
  i.pid = ::getpid();
  i.addresses = host_addresses();
  utsname u{};
  if (::uname(&u) == 0) {
    i.os = std::string(u.sysname) + " " + u.release;
    i.arch = u.machine;
  }
  i.cpus = std::thread::hardware_concurrency();
  const long pages = ::sysconf(_SC_PHYS_PAGES), page_size = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0)
    i.memory_bytes = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
  i.boot_time = host_boot_time();
  i.start_time =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  i.version = std::string(redwire::version);
  return i;
}

}  // namespace redwire::detail
