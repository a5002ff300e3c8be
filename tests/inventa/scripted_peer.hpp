// A scripted Inventa peer for the tests: raw Redis commands and a raw subscription, so that a
// test plays the py-inventa side byte for byte (the frames it sends are given, never encoded by
// redwire), and a MONITOR recorder that captures what every node sends.
#pragma once

#include <redwire/redis.hpp>

#include <chrono>
#include <fstream>
#include <mutex>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace inventa_test {

using namespace std::chrono_literals;
namespace rr = redwire::redis;

inline rr::settings settings_of(const std::string& url) {
  return rr::parse_url(url);
}

/// One connection that runs commands (as a py-inventa process's pool would).
class raw_commands {
 public:
  explicit raw_commands(const std::string& url) : conn_(settings_of(url), "inventa-peer") {}
  rr::reply run(std::initializer_list<std::string_view> args) {
    std::vector<std::string_view> v(args);
    return conn_.execute(v, 2000ms);
  }

 private:
  rr::detail::connection conn_;
};

/// A connection subscribed to one channel; next() returns the next message's payload.
class raw_subscriber {
 public:
  raw_subscriber(const std::string& url, const std::string& channel)
      : conn_(settings_of(url), "inventa-peer-sub") {
    std::string cmd;
    std::string_view args[] = {"SUBSCRIBE", channel};
    rr::detail::append_command(cmd, args);
    conn_.send(cmd);
    auto confirm = conn_.read_reply(std::chrono::steady_clock::now() + 2s);
    if (!confirm) throw std::runtime_error("SUBSCRIBE not confirmed");
  }
  std::optional<std::string> next(std::chrono::milliseconds wait = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (auto r = conn_.read_reply(deadline)) {
      if (r->is_array() && r->elements.size() == 3 && r->elements[0].str == "message")
        return r->elements[2].str;
    }
    return std::nullopt;
  }

 private:
  rr::detail::connection conn_;
};

/// MONITOR on a connection of its own, read by a thread until destroyed.
class monitor {
 public:
  explicit monitor(const std::string& url) : conn_(settings_of(url), "inventa-monitor") {
    conn_.send("*1\r\n$7\r\nMONITOR\r\n");
    auto ok = conn_.read_reply(std::chrono::steady_clock::now() + 2s);
    if (!ok || ok->str != "OK") throw std::runtime_error("MONITOR refused");
    reader_ = std::jthread([this](std::stop_token stop) {
      while (!stop.stop_requested()) {
        try {
          auto r = conn_.read_reply(std::chrono::steady_clock::now() + 50ms);
          if (!r) continue;
          std::lock_guard lk(m_);
          lines_.push_back(r->str);
        } catch (const std::exception&) {
          return;
        }
      }
    });
  }
  ~monitor() {
    reader_.request_stop();
    reader_.join();
  }
  std::vector<std::string> lines() {
    std::lock_guard lk(m_);
    return lines_;
  }

 private:
  rr::detail::connection conn_;
  std::mutex m_;
  std::vector<std::string> lines_;
  std::jthread reader_;
};

/// The commands of a MONITOR line ("1796008393.018818 [0 127.0.0.1:50914] "PING"") as it
/// quotes them, with the call id of a frame replaced by <id>: '"PUBLISH" "ch:svc:orc:"
/// "req|<id>|svc:calc:one|register|svc:calc:one"'.
inline std::string normalized(const std::string& line) {
  const std::size_t at = line.find("] ");
  if (at == std::string::npos) return {};
  static const std::regex call_id(R"re("(req|resp)\|[A-Za-z]{5}-[0-9]+\|)re");
  return std::regex_replace(line.substr(at + 2), call_id, "\"$1|<id>|");
}

/// The lines of a data file, without comments.
inline std::vector<std::string> data_lines(const std::string& name) {
  std::ifstream in(std::string(REDWIRE_INVENTA_DATA) + "/" + name);
  if (!in) throw std::runtime_error("cannot read test data " + name);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') out.push_back(line);
  return out;
}

}  // namespace inventa_test
