// redwire/redis/socket.hpp — a blocking stream socket (TCP or unix) that we own ourselves.
//
// hiredis's redisContext reads and writes on one thread; redwire writes commands from many
// threads while one thread reads the replies, so it keeps the file descriptor itself.
// shutdown() may be called from any thread to make a blocked read or write return.
//
// With TLS (start_tls(), rediss://) the bytes go through a tls_stream (tls.hpp) over the same
// descriptor: the encrypted bytes are received as plain ones are (one recv() with the same
// deadlines), a full send buffer is waited for in poll(); shutdown() ends both waits.
#pragma once

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <redwire/transport.hpp>

#include "settings.hpp"
#include "tls.hpp"

namespace redwire::redis::detail {

using clock = std::chrono::steady_clock;

inline int millis_until(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(left.count()) + 1;
}

class socket {
 public:
  socket() = default;
  explicit socket(int fd) : fd_(fd) {}
  socket(socket&& o) noexcept
      : fd_(std::exchange(o.fd_, -1)),
        receive_slice_(std::exchange(o.receive_slice_, {})),
        tls_(std::move(o.tls_)),
        send_timeout_(o.send_timeout_) {}
  socket& operator=(socket&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = std::exchange(o.fd_, -1);
      receive_slice_ = std::exchange(o.receive_slice_, {});
      tls_ = std::move(o.tls_);
      send_timeout_ = o.send_timeout_;
    }
    return *this;
  }
  ~socket() { close(); }

  /// Connects to the server of `st` within its connect_timeout; throws transport_error.
  static socket connect(const settings& st) {
    auto deadline = clock::now() + st.connect_timeout;
    if (!st.unix_path.empty()) {
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      if (st.unix_path.size() >= sizeof(addr.sun_path)) {
        throw transport_error("redwire::redis: unix socket path too long: " + st.unix_path);
      }
      std::memcpy(addr.sun_path, st.unix_path.c_str(), st.unix_path.size() + 1);
      std::string error;
      socket s =
          try_connect(AF_UNIX, reinterpret_cast<sockaddr*>(&addr), sizeof addr, deadline, error);
      if (!s.valid())
        throw transport_error("redwire::redis: cannot connect to " + st.describe() + ": " + error);
      return s;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    std::string port = std::to_string(st.port);
    if (int rc = ::getaddrinfo(st.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
      throw transport_error("redwire::redis: cannot resolve " + st.host + ": " + gai_strerror(rc));
    }
    std::string error = "no address";
    socket s;
    for (addrinfo* a = found; a && !s.valid(); a = a->ai_next) {
      s = try_connect(a->ai_family, a->ai_addr, a->ai_addrlen, deadline, error);
    }
    ::freeaddrinfo(found);
    if (!s.valid())
      throw transport_error("redwire::redis: cannot connect to " + st.describe() + ": " + error);
    int one = 1;
    ::setsockopt(s.fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(s.fd_, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    return s;
  }

  bool valid() const noexcept { return fd_ >= 0; }
  int fd() const noexcept { return fd_; }

  /// A write that blocks longer than `t` fails (a stopped server must not hang writers).
  void set_send_timeout(std::chrono::milliseconds t) {
    send_timeout_ = t;
    timeval tv{static_cast<time_t>(t.count() / 1000),
               static_cast<suseconds_t>(t.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }

  /// TCP keep-alive probes after `idle` (at least 1 s) of silence, then every second; when three
  /// go unanswered, reads and writes fail. The peer's kernel answers them even while its process
  /// is stopped or starved of CPU: they tell a host that is gone from a server that is slow.
  /// Nothing on a unix socket (its peer cannot vanish without closing it).
  void detect_dead_peer(std::chrono::milliseconds idle) {
    const int on = 1, interval = 1, count = 3;
    const int idle_s = static_cast<int>(std::max<long long>(1, (idle.count() + 999) / 1000));
    if (::setsockopt(fd_, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0) return;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s);
    ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  }

  /// Writes everything or throws transport_error.
  void write_all(std::string_view bytes) {
    if (tls_) return tls_write_all(bytes);
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
          throw transport_error("redwire::redis: write timed out");
        throw transport_error(std::string("redwire::redis: write failed: ") + std::strerror(errno));
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  /// Reads what is there, waiting until `deadline`. Returns 0 on timeout; throws
  /// transport_error when the connection is closed or broken.
  std::size_t read_some(char* buf, std::size_t cap, clock::time_point deadline) {
    // One recv() per read, blocking with SO_RCVTIMEO as the clock, rather than poll() + recv():
    // a syscall fewer on every reply. The timeout is a slice of at most 100 ms (so it rarely
    // changes, and changing it is the only extra syscall); the deadline is checked between.
    if (tls_) return tls_read_some(buf, cap, deadline);
    return recv_some(buf, cap, deadline);
  }

  /// Makes blocked reads and writes on other threads return; the descriptor stays open.
  void shutdown() noexcept {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  }

  void close() noexcept {
    tls_.reset();
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }

  /// TLS over this connected socket: the handshake with `host` (whose certificate must name
  /// it, or o.sni), done by `deadline`. Throws transport_error naming `where` and the cause.
  void start_tls(const tls_context& ctx, const tls_settings& o, const std::string& host,
                 const std::string& where, clock::time_point deadline) {
    tls_ = std::make_unique<tls_stream>(ctx, fd_, host, o);
    try {
      char in[16 * 1024];
      for (tls_stream::progress p; (p = tls_->handshake()).bytes == 0;) {
        std::size_t n = 0;
        if (p.wait == POLLIN ? (n = recv_some(in, sizeof in, deadline)) == 0
                             : !wait_ready(p.wait, deadline))
          throw transport_error(
              "no TLS handshake within the connect timeout (a plaintext port? "
              "then use redis://)");
        tls_->feed(in, n);
      }
    } catch (const transport_error& e) {
      tls_.reset();
      std::string_view cause = e.what();
      if (cause.starts_with("redwire::redis: ")) cause.remove_prefix(16);
      throw transport_error("redwire::redis: TLS handshake with " + where +
                            " failed: " + std::string(cause));
    }
  }
  bool is_tls() const noexcept { return tls_ != nullptr; }

 private:
  // One recv() that waits (see read_some).
  std::size_t recv_some(char* buf, std::size_t cap, clock::time_point deadline) {
    for (;;) {
      const auto left = deadline - clock::now();
      int flags = 0;
      if (left <= clock::duration::zero()) {
        flags = MSG_DONTWAIT;  // past the deadline: what is there, without waiting
      } else {
        set_receive_slice(std::min<clock::duration>(left, max_receive_slice));
      }
      ssize_t n = ::recv(fd_, buf, cap, flags);
      if (n > 0) return static_cast<std::size_t>(n);
      if (n == 0) throw transport_error("redwire::redis: connection closed by the server");
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (flags == MSG_DONTWAIT || clock::now() >= deadline) return 0;
        continue;
      }
      if (errno == EINTR) continue;
      throw transport_error(std::string("redwire::redis: read failed: ") + std::strerror(errno));
    }
  }

  static socket try_connect(int family, const sockaddr* addr, socklen_t len,
                            clock::time_point deadline, std::string& error) {
    socket s{::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    if (!s.valid()) {
      error = std::strerror(errno);
      return {};
    }
    if (::connect(s.fd_, addr, len) != 0) {
      if (errno != EINPROGRESS) {
        error = std::strerror(errno);
        return {};
      }
      pollfd p{s.fd_, POLLOUT, 0};
      int rc;
      while ((rc = ::poll(&p, 1, millis_until(deadline))) < 0 && errno == EINTR) {
      }
      if (rc == 0) {
        error = "connect timed out";
        return {};
      }
      int err = 0;
      socklen_t err_len = sizeof err;
      ::getsockopt(s.fd_, SOL_SOCKET, SO_ERROR, &err, &err_len);
      if (rc < 0 || err != 0) {
        error = std::strerror(rc < 0 ? errno : err);
        return {};
      }
    }
    int flags = ::fcntl(s.fd_, F_GETFL);
    ::fcntl(s.fd_, F_SETFL, flags & ~O_NONBLOCK);
    return s;
  }

  static constexpr std::chrono::milliseconds max_receive_slice{100};

  // SO_RCVTIMEO, rounded up to a microsecond (0 would mean "no timeout"); set only on change.
  void set_receive_slice(clock::duration d) {
    auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(d) + std::chrono::microseconds(1);
    if (us == receive_slice_) return;
    timeval tv{static_cast<time_t>(us.count() / 1'000'000),
               static_cast<suseconds_t>(us.count() % 1'000'000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    receive_slice_ = us;
  }

  // TLS: what the session holds decrypted, else one recv() of encrypted bytes (into `buf`,
  // then fed to the session), as a plain read would make.
  std::size_t tls_read_some(char* buf, std::size_t cap, clock::time_point deadline) {
    for (;;) {
      tls_stream::progress p = tls_->read(buf, cap);
      if (p.bytes > 0) return p.bytes;
      std::size_t n = 0;
      if (p.wait == POLLIN ? (n = recv_some(buf, cap, deadline)) == 0
                           : !wait_ready(p.wait, deadline))
        return 0;
      tls_->feed(buf, n);
    }
  }
  void tls_write_all(std::string_view bytes) {
    while (!bytes.empty()) {
      tls_stream::progress p = tls_->write(bytes);
      bytes.remove_prefix(p.bytes);
      if (p.bytes == 0 && !wait_ready(p.wait, clock::now() + send_timeout_))
        throw transport_error("redwire::redis: write timed out");
    }
  }
  // False when `deadline` passed first; readable or writable includes closed and failed.
  bool wait_ready(short events, clock::time_point deadline) {
    pollfd p{fd_, events, 0};
    for (;;) {
      int rc = ::poll(&p, 1, millis_until(deadline));
      if (rc > 0) return true;
      if (rc == 0) return false;
      if (errno != EINTR)
        throw transport_error(std::string("redwire::redis: poll failed: ") + std::strerror(errno));
    }
  }

  int fd_ = -1;
  std::chrono::microseconds receive_slice_{};
  std::unique_ptr<tls_stream> tls_;  // TLS: every byte goes through it
  std::chrono::milliseconds send_timeout_{1000};
};

}  // namespace redwire::redis::detail
