// tests/support/fault_proxy.hpp — a TCP proxy on loopback between a client and a server, with
// the faults a network makes. Every link (an accepted connection and its own connection to the
// server) suffers the mode in force, links made before it was set included:
//
//   redwire::test::fault_proxy proxy{server.port()};
//   redwire::redis::transport bus{proxy.url()};       // every connection goes through it
//   proxy.set(redwire::test::fault::latency(50ms));   // each chunk waits 50 ms, both ways
//   proxy.set(redwire::test::fault::blackhole());     // accepts, holds every byte, sends none
//   proxy.set(redwire::test::fault::reset());         // RST on every link, and on new ones
//   proxy.set(redwire::test::fault::close_after(64)); // each link closed after 64 more bytes
//   proxy.set(redwire::test::fault::replies_late_after("BLMPOP", 1500ms));  // a starved reader
//   proxy.set(redwire::test::fault::pass());          // held bytes go on; traffic passes
//   proxy.refused();  // the connections reset() turned away: when, and their CLIENT SETNAME
//
// One thread runs every link (poll() over all sockets): the proxy adds one thread to the
// process, and descriptors() says how many descriptors it holds, so a test can count the
// process's own. No redwire header is used. Throws std::runtime_error when it cannot listen.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <list>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace redwire::test {

struct fault {
  enum class mode { pass, latency, blackhole, reset, close_after, replies_late };
  mode what = mode::pass;
  std::chrono::milliseconds delay{};
  std::size_t bytes = 0;
  std::string marker{};

  static fault pass() { return {}; }
  static fault latency(std::chrono::milliseconds d) { return {mode::latency, d}; }
  static fault blackhole() { return {mode::blackhole}; }
  /// RST on every link; a new connection is reset once it has sent its first bytes (which name
  /// it: see fault_proxy::refused()).
  static fault reset() { return {mode::reset}; }
  static fault close_after(std::size_t n) { return {mode::close_after, {}, n}; }
  /// On each link whose client sends `marker` (a command name, as it goes on the wire) from
  /// now on, what the server sends back after it is late: the first `pass` bytes go at once,
  /// the rest `delay` after they came. Earlier bytes are untouched; the order is kept.
  static fault replies_late_after(std::string marker, std::chrono::milliseconds delay,
                                  std::size_t pass = 0) {
    return {mode::replies_late, delay, pass, std::move(marker)};
  }
};

class fault_proxy {
 public:
  using clock = std::chrono::steady_clock;

  /// A connection reset() turned away: when it came, and the CLIENT SETNAME it sent (redwire
  /// names its connections "redwire:commands", "redwire:subscriber", ...), or "".
  struct attempt {
    clock::time_point at;
    std::string name;
  };

  explicit fault_proxy(int target_port) : target_port_(target_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in addr = loopback(0);
    socklen_t len = sizeof addr;
    if (listen_fd_ < 0 ||
        ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 128) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        ::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0)
      throw std::runtime_error("fault_proxy: cannot listen on loopback");
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  fault_proxy(const fault_proxy&) = delete;
  fault_proxy& operator=(const fault_proxy&) = delete;
  ~fault_proxy() {
    stop_ = true;
    poke();
    thread_.join();
    for (link& l : links_) close_link(l, false);
    ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  /// The mode from now on, for the links there are and those to come.
  void set(fault f) {
    {
      std::lock_guard lk(m_);
      next_ = f;
      changed_ = true;
    }
    poke();
  }
  /// Links open now.
  std::size_t links() const { return link_count_.load(); }
  /// Descriptors the proxy holds: its listening socket, its wake pipe, and its links' sockets.
  std::size_t descriptors() const { return 3 + link_descriptors_.load(); }
  /// The connections turned away so far, in order.
  std::vector<attempt> refused() const {
    std::lock_guard lk(m_);
    return refused_;
  }

 private:
  struct chunk {
    clock::time_point due;  // time_point::max(): held (blackhole)
    std::string bytes;
  };
  struct end {
    int fd = -1;
    std::deque<chunk> out;  // bytes on their way to this end
  };
  struct link {
    end client, server;      // server.fd -1: a connection being turned away
    std::size_t passed = 0;  // bytes since close_after or replies_late was set
    bool closed = false;
    bool late = false;        // replies_late: the client sent the marker
    std::string recent;       // replies_late: the client's last bytes, to find the marker
    clock::time_point since;  // when it was accepted
    std::string first_bytes;  // of a connection being turned away
  };

  static sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    return a;
  }
  void poke() { [[maybe_unused]] auto n = ::write(wake_[1], "x", 1); }

  void run() {
    std::vector<pollfd> fds;
    while (!stop_) {
      fds.assign({{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}});
      clock::time_point next_due = clock::now() + std::chrono::milliseconds(50);
      for (link& l : links_) {
        for (end* e : {&l.client, &l.server}) {
          const bool due = !e->out.empty() && e->out.front().due <= clock::now();
          if (!e->out.empty()) next_due = std::min(next_due, e->out.front().due);
          fds.push_back({e->fd, static_cast<short>(POLLIN | (due ? POLLOUT : 0)), 0});
        }
      }
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_due - clock::now());
      ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(0, wait.count()) + 1));
      if (fds[1].revents) drain_wake();
      std::size_t i = 2;
      for (link& l : links_) {  // links accepted below wait for the next round
        if (l.server.fd < 0)
          turn_away(l, fds[i].revents);
        else
          serve(l, l.client, l.server, fds[i].revents);
        serve(l, l.server, l.client, fds[i + 1].revents);
        i += 2;
      }
      if (fds[0].revents & POLLIN) accept_all();
      for (link& l : links_) flush(l);
      links_.remove_if([&](link& l) {
        if (!l.closed) return false;
        close_link(l, false);
        return true;
      });
      link_count_ = links_.size();
    }
  }

  void drain_wake() {
    char buf[64];
    while (::read(wake_[0], buf, sizeof buf) > 0) {
    }
    std::lock_guard lk(m_);
    if (!changed_) return;
    changed_ = false;
    mode_ = next_;
    for (link& l : links_) {
      l.passed = 0;
      l.late = false;
      l.recent.clear();
      if (mode_.what == fault::mode::reset) {
        close_link(l, true);
        l.closed = true;
      }
      if (mode_.what == fault::mode::pass || mode_.what == fault::mode::latency)
        for (end* e : {&l.client, &l.server})
          for (chunk& c : e->out)
            if (c.due == clock::time_point::max()) c.due = clock::now();
    }
  }

  void accept_all() {
    for (;;) {
      int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (c < 0) return;
      link l;
      l.client.fd = c;
      l.since = clock::now();
      if (current().what != fault::mode::reset) {
        int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in to = loopback(target_port_);
        if (s < 0 || ::connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
          if (s >= 0) ::close(s);
          reset_close(c);
          continue;
        }
        ::fcntl(s, F_SETFL, ::fcntl(s, F_GETFL) | O_NONBLOCK);
        l.server.fd = s;
      }
      link_descriptors_ += l.server.fd < 0 ? 1 : 2;
      links_.push_back(std::move(l));
    }
  }

  fault current() {
    std::lock_guard lk(m_);
    return mode_;
  }

  // A connection made while reset() is in force: read its handshake for its name (a second at
  // most), note the attempt, reset it.
  void turn_away(link& l, short revents) {
    if (l.closed) return;
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4096];
      const ssize_t n = ::recv(l.client.fd, buf, sizeof buf, 0);
      if (n > 0) l.first_bytes.append(buf, static_cast<std::size_t>(n));
    }
    std::string name;
    const bool named = client_name(l.first_bytes, name);
    if (!named && l.first_bytes.size() < 4096 && clock::now() - l.since < std::chrono::seconds(1) &&
        !(revents & (POLLHUP | POLLERR)))
      return;
    {
      std::lock_guard lk(m_);
      refused_.push_back({l.since, std::move(name)});
    }
    close_link(l, true);
    l.closed = true;
  }

  // The CLIENT SETNAME argument in a handshake, once it is all there.
  static bool client_name(const std::string& got, std::string& name) {
    const auto at = got.find("SETNAME\r\n$");
    if (at == std::string::npos) return false;
    const auto length_end = got.find("\r\n", at + 10);
    if (length_end == std::string::npos) return false;
    const std::size_t length = std::stoul(got.substr(at + 10, length_end - at - 10));
    if (got.size() < length_end + 2 + length) return false;
    name = got.substr(length_end + 2, length);
    return true;
  }

  // Reads what `from` sent and queues it for `to`, as the mode says.
  void serve(link& l, end& from, end& to, short revents) {
    if (l.closed || from.fd < 0 || !(revents & (POLLIN | POLLHUP | POLLERR))) return;
    char buf[64 * 1024];
    ssize_t n = ::recv(from.fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      l.closed = true;
      return;
    }
    if (n < 0) return;
    const fault f = current();
    std::string bytes(buf, static_cast<std::size_t>(n));
    auto due = clock::now();
    if (f.what == fault::mode::latency) due += f.delay;
    if (f.what == fault::mode::blackhole) due = clock::time_point::max();
    if (f.what == fault::mode::close_after) {
      const std::size_t left = f.bytes > l.passed ? f.bytes - l.passed : 0;
      if (bytes.size() >= left) {
        bytes.resize(left);
        l.closed = true;  // after what is left goes out (flushed below, best effort)
      }
      l.passed += bytes.size();
    }
    if (f.what == fault::mode::replies_late) {
      if (&from == &l.client) {
        watch_for_marker(l, f.marker, bytes);
      } else if (l.late) {
        const std::size_t budget = to.out.empty() && f.bytes > l.passed ? f.bytes - l.passed : 0;
        const std::size_t now_part = std::min(bytes.size(), budget);
        l.passed += now_part;
        if (now_part > 0) to.out.push_back({due, bytes.substr(0, now_part)});
        bytes.erase(0, now_part);
        due += f.delay;
      }
    }
    if (!bytes.empty()) to.out.push_back({due, std::move(bytes)});
  }

  static void watch_for_marker(link& l, const std::string& marker, const std::string& bytes) {
    if (l.late || marker.empty()) return;
    l.recent += bytes;
    l.late = l.recent.find(marker) != std::string::npos;
    if (l.recent.size() > marker.size()) l.recent.erase(0, l.recent.size() - marker.size());
  }

  // Writes the chunks that are due, oldest first (order kept: a later chunk never overtakes).
  void flush(link& l) {
    for (end* e : {&l.client, &l.server}) {
      while (e->fd >= 0 && !e->out.empty() && e->out.front().due <= clock::now()) {
        chunk& c = e->out.front();
        ssize_t n = ::send(e->fd, c.bytes.data(), c.bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
          if (errno != EAGAIN && errno != EINTR) l.closed = true;
          break;
        }
        c.bytes.erase(0, static_cast<std::size_t>(n));
        if (!c.bytes.empty()) break;
        e->out.pop_front();
      }
    }
  }

  static void reset_close(int fd) {
    linger hard{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    ::close(fd);
  }
  void close_link(link& l, bool reset) {
    for (end* e : {&l.client, &l.server}) {
      if (e->fd < 0) continue;
      if (reset)
        reset_close(e->fd);
      else
        ::close(e->fd);
      e->fd = -1;
      --link_descriptors_;
      e->out.clear();
    }
  }

  int target_port_;
  int port_ = 0;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  mutable std::mutex m_;
  fault mode_{}, next_{};         // under m_
  bool changed_ = false;          // under m_
  std::vector<attempt> refused_;  // under m_
  std::list<link> links_;         // the proxy's thread only
  std::atomic<std::size_t> link_count_{0};
  std::atomic<std::size_t> link_descriptors_{0};
  std::thread thread_;
};

}  // namespace redwire::test
