// What a redis-server says about itself, for tests that check how redwire uses it.
#pragma once

#include <redwire/redis.hpp>

#include <string>
#include <string_view>

namespace redwire::test {

/// How many times Redis has run `command` (lower case, e.g. "rpush") since it started, from
/// INFO commandstats; 0 if never.
inline long long command_calls(redwire::redis::transport& bus, std::string_view command) {
  const std::string info = bus.command({"INFO", "commandstats"}).str;
  const std::string tag = "cmdstat_" + std::string(command) + ":calls=";
  const auto at = info.find(tag);
  return at == std::string::npos ? 0 : std::stoll(info.substr(at + tag.size()));
}

}  // namespace redwire::test
