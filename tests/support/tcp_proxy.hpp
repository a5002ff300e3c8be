// tests/support/tcp_proxy.hpp — a loopback TCP proxy in front of a server, for the faults a
// loaded or broken network makes: replies that come late, and a server that refuses everyone.
//
//   redwire::test::tcp_proxy proxy{server.port()};
//   redwire::redis::transport bus{proxy.url()};               // every connection goes through it
//   proxy.delay_replies_after("BLMPOP", 1500ms);              // a starved reader, as Redis sees it
//   proxy.refuse(true);                                       // drops everyone; counts who retries
//
// Each connection has a thread of its own that copies bytes both ways; no redwire header is
// used, so any suite may include it. Throws std::runtime_error when it cannot listen.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace redwire::test {

class tcp_proxy {
 public:
  using clock = std::chrono::steady_clock;

  /// A connection the proxy refused: when it came, and the CLIENT SETNAME it sent (redwire
  /// names its connections "redwire:commands", "redwire:subscriber", ...), or "".
  struct attempt {
    clock::time_point at;
    std::string name;
  };

  explicit tcp_proxy(int target_port) : target_port_(target_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = loopback(0);
    socklen_t len = sizeof addr;
    if (listen_fd_ < 0 ||
        ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 64) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      if (listen_fd_ >= 0) ::close(listen_fd_);
      throw std::runtime_error("tcp_proxy: cannot listen on loopback");
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  tcp_proxy(const tcp_proxy&) = delete;
  tcp_proxy& operator=(const tcp_proxy&) = delete;

  ~tcp_proxy() {
    stop_ = true;
    acceptor_.join();
    std::lock_guard lock(m_);
    for (auto& t : links_) t.join();
    ::close(listen_fd_);
  }

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  /// From now on, on each connection whose client sends `marker` (a command name, as it goes on
  /// the wire), what the server sends back after it is held: the first `pass` bytes go on at
  /// once, the rest `delay` after they came. Earlier bytes and other connections are untouched.
  void delay_replies_after(std::string marker, std::chrono::milliseconds delay,
                           std::size_t pass = 0) {
    std::lock_guard lock(m_);
    marker_ = std::move(marker);
    delay_ = delay;
    pass_ = pass;
  }

  /// true: closes every connection and every new one (after reading what it sends first, to
  /// learn its name); false: forwards again.
  void refuse(bool on) { refusing_ = on; }

  /// The connections refused so far, in order.
  std::vector<attempt> refused() const {
    std::lock_guard lock(m_);
    return refused_;
  }

 private:
  static sockaddr_in loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    return addr;
  }

  static bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
      ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data += n;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }

  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) continue;
      int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      if (refusing_) {
        note_refused(client);
        ::close(client);
        continue;
      }
      int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr = loopback(target_port_);
      if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (server >= 0) ::close(server);
        ::close(client);
        continue;
      }
      std::lock_guard lock(m_);
      links_.emplace_back([this, client, server] { pump(client, server); });
    }
  }

  // Reads what a refused client sends first (its handshake) for its CLIENT SETNAME.
  void note_refused(int client) {
    attempt a{clock::now(), {}};
    std::string got;
    char buf[1024];
    pollfd p{client, POLLIN, 0};
    while (got.size() < 4096 && ::poll(&p, 1, 1000) > 0) {
      ssize_t n = ::recv(client, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
      const auto at = got.find("SETNAME\r\n$");
      if (at == std::string::npos) continue;
      const auto length_end = got.find("\r\n", at + 10);
      if (length_end == std::string::npos) continue;
      const std::size_t length = std::stoul(got.substr(at + 10, length_end - at - 10));
      if (got.size() < length_end + 2 + length) continue;
      a.name = got.substr(length_end + 2, length);
      break;
    }
    std::lock_guard lock(m_);
    refused_.push_back(std::move(a));
  }

  struct held_bytes {
    clock::time_point due;
    std::string bytes;
  };

  // Copies both ways until either side closes, the proxy stops or refuses.
  void pump(int client, int server) {
    std::string seen;  // the client's recent bytes, to find the marker across reads
    bool armed = false;
    std::size_t passed = 0;
    std::deque<held_bytes> held;
    char buf[64 * 1024];
    while (!stop_ && !refusing_) {
      const auto now = clock::now();
      while (!held.empty() && held.front().due <= now) {
        if (!write_all(client, held.front().bytes.data(), held.front().bytes.size())) break;
        held.pop_front();
      }
      int wait_ms = 10;
      if (!held.empty()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(held.front().due - now);
        wait_ms = static_cast<int>(std::clamp<long long>(left.count() + 1, 0, 10));
      }
      pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(p, 2, wait_ms) <= 0) continue;
      if (p[0].revents) {
        ssize_t n = ::recv(client, buf, sizeof buf, 0);
        if (n <= 0 || !write_all(server, buf, static_cast<std::size_t>(n))) break;
        std::string marker;
        {
          std::lock_guard lock(m_);
          marker = marker_;
        }
        if (!armed && !marker.empty()) {
          seen.append(buf, static_cast<std::size_t>(n));
          armed = seen.find(marker) != std::string::npos;
          if (seen.size() > marker.size()) seen.erase(0, seen.size() - marker.size());
        }
      }
      if (p[1].revents) {
        ssize_t n = ::recv(server, buf, sizeof buf, 0);
        if (n <= 0) break;
        std::size_t now_part = static_cast<std::size_t>(n);
        if (armed) {
          std::lock_guard lock(m_);
          // What comes after bytes already held waits behind them: the order stays.
          const std::size_t budget = held.empty() && pass_ > passed ? pass_ - passed : 0;
          now_part = std::min(now_part, budget);
          passed += now_part;
          if (now_part < static_cast<std::size_t>(n))
            held.push_back({clock::now() + delay_, std::string(buf + now_part, n - now_part)});
        }
        if (now_part > 0 && !write_all(client, buf, now_part)) break;
      }
    }
    ::close(client);
    ::close(server);
  }

  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> refusing_{false};
  mutable std::mutex m_;
  std::string marker_;                  // under m_
  std::chrono::milliseconds delay_{0};  // under m_
  std::size_t pass_ = 0;                // under m_
  std::vector<attempt> refused_;        // under m_
  std::list<std::thread> links_;        // under m_
  std::thread acceptor_;
};

}  // namespace redwire::test
