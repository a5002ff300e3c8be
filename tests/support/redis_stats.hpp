// What a redis-server says about itself and holds, for tests that check how redwire uses it.
#pragma once

#include <redwire/redis.hpp>

#include <stdexcept>
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

/// Every string of a reply, nested replies included (stream entries are arrays of arrays).
inline void append_all(std::string& out, const redwire::redis::reply& r) {
  out += r.str;
  out += '\n';
  for (const auto& e : r.elements) append_all(out, e);
}

/// Everything the current database holds: each key's name, type and whole value (strings,
/// lists, sets, sorted sets with scores, hashes, streams with every field of every entry and
/// their consumer groups), as text to search. Throws std::runtime_error on a key of a type it
/// does not know how to read, rather than skip it.
inline std::string everything_stored(redwire::redis::transport& bus) {
  std::string all;
  for (const auto& key : bus.command({"KEYS", "*"}).elements) {
    const std::string type = bus.command({"TYPE", key.str}).str;
    all += "key " + key.str + " " + type + "\n";
    if (type == "string") {
      append_all(all, bus.command({"GET", key.str}));
    } else if (type == "list") {
      append_all(all, bus.command({"LRANGE", key.str, "0", "-1"}));
    } else if (type == "set") {
      append_all(all, bus.command({"SMEMBERS", key.str}));
    } else if (type == "zset") {
      append_all(all, bus.command({"ZRANGE", key.str, "0", "-1", "WITHSCORES"}));
    } else if (type == "hash") {
      append_all(all, bus.command({"HGETALL", key.str}));
    } else if (type == "stream") {
      append_all(all, bus.command({"XRANGE", key.str, "-", "+"}));
      append_all(all, bus.command({"XINFO", "GROUPS", key.str}));
    } else {
      throw std::runtime_error("everything_stored: key " + key.str + " of type " + type +
                               " that this reader does not know");
    }
  }
  return all;
}

}  // namespace redwire::test
