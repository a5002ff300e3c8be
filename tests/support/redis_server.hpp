// tests/support/redis_server.hpp — a private redis-server for one test (or one suite).
//
//   redwire::test::redis_server server;                        // free port + unix socket
//   redwire::redis::transport bus{server.url()};
//   server.kill(); server.restart();                           // same port, empty data
//   redwire::test::redis_server secured{{"--requirepass", "s3cret"}};
//
// Starts /usr/bin/redis-server (or $REDWIRE_REDIS_SERVER) without persistence, waits until it
// answers PING and throws std::runtime_error when it cannot: a test that needs Redis fails
// loudly, it is never skipped. The port is one the kernel just gave out and released; if
// something else takes it before redis-server binds it (tests run in parallel), the server is
// started again on another. No redwire header is used, so any suite may include this.
//
//   redwire::test::shared_redis()                              // one server for a test program
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace redwire::test {

class redis_server {
 public:
  /// `extra_args` go to redis-server as they are, e.g. {"--requirepass", "pw"} or
  /// {"--user", "alice", "on", ">pw", "~*", "&*", "+@all"} (one argument per word).
  /// `config`, when not empty, is written to a file that redis-server reads first (a sentinel
  /// needs one: redis_server{{"--sentinel"}, "sentinel monitor ..."}).
  /// `first_port`: the port tried first (a test of the retry); by default one the kernel gives.
  explicit redis_server(std::vector<std::string> extra_args = {}, std::string config = {},
                        int first_port = 0)
      : extra_args_(std::move(extra_args)) {
    char tmpl[] = "/tmp/redwire-redis-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("redis_server: mkdtemp failed");
    dir_ = tmpl;
    if (!config.empty()) {
      config_file_ = dir_ + "/redis.conf";
      FILE* f = std::fopen(config_file_.c_str(), "w");
      if (!f || std::fputs(config.c_str(), f) < 0 || std::fclose(f) != 0)
        throw std::runtime_error("redis_server: cannot write " + config_file_);
    }
    for (int attempt = 1;; ++attempt) {
      port_ = attempt == 1 && first_port > 0 ? first_port : free_port();
      try {
        start();
        return;
      } catch (const port_taken& e) {
        if (attempt == 10) throw std::runtime_error(e.what());
      }
    }
  }

  /// A TCP port on 127.0.0.1 that nobody listens on now.
  static int unused_port() { return free_port(); }
  /// The folder of its data, log and socket (removed with the server).
  const std::string& dir() const { return dir_; }

  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  ~redis_server() {
    stop(SIGTERM);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1"; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  std::string socket_path() const { return dir_ + "/redis.sock"; }
  std::string unix_url() const { return "unix://" + socket_path(); }
  pid_t pid() const { return pid_; }

  /// SIGKILL: the server vanishes at once, as in a crash (paused or not: a paused server is not
  /// let run first).
  void kill() { stop(SIGKILL); }
  /// Starts it again on the same port and socket (after kill(), or restarts a live one).
  void restart() {
    stop(SIGKILL);
    start();
  }
  /// SIGSTOP / SIGCONT: the server stops answering but keeps its sockets open.
  void pause() { signal_server(SIGSTOP); }
  void resume() { signal_server(SIGCONT); }

  /// Sends one inline command (e.g. "FLUSHALL") and returns the first line of the reply.
  std::string send_inline(const std::string& command, const std::string& password = {}) const {
    int fd = connect_tcp(port_);
    if (fd < 0) throw std::runtime_error("redis_server: cannot connect");
    std::string text = (password.empty() ? "" : "AUTH " + password + "\r\n") + command + "\r\n";
    std::string reply = exchange(fd, text, password.empty() ? 1 : 2);
    ::close(fd);
    return reply;
  }

 private:
  struct port_taken : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      if (fd >= 0) ::close(fd);
      throw std::runtime_error("redis_server: cannot find a free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  static int connect_tcp(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return -1;
    }
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  }

  // Writes `text`, reads until `lines` reply lines came; returns the last line.
  static std::string exchange(int fd, const std::string& text, int lines) {
    if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size()))
      return {};
    std::string got;
    char buf[512];
    while (true) {
      int complete = 0;
      for (std::size_t i = 0; i + 1 < got.size(); ++i)
        complete += got[i] == '\r' && got[i + 1] == '\n';
      if (complete >= lines) break;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return {};
      got.append(buf, static_cast<std::size_t>(n));
    }
    got.resize(got.rfind("\r\n"));
    auto start = got.rfind("\r\n");
    return start == std::string::npos ? got : got.substr(start + 2);
  }

  void start() {
    std::error_code ignored;
    std::filesystem::remove(dir_ + "/redis.log", ignored);  // what it says is about this start
    const char* env = std::getenv("REDWIRE_REDIS_SERVER");
    std::string binary = env && *env ? env : "/usr/bin/redis-server";
    if (::access(binary.c_str(), X_OK) != 0) {
      throw std::runtime_error("redis_server: " + binary + " not found: install redis-server");
    }
    std::vector<std::string> args = {binary};
    if (!config_file_.empty()) args.push_back(config_file_);
    std::vector<std::string> rest = {"--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--unixsocket",
                                     socket_path(),
                                     "--unixsocketperm",
                                     "700",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--daemonize",
                                     "no",
                                     "--dir",
                                     dir_,
                                     "--logfile",
                                     dir_ + "/redis.log"};
    args.insert(args.end(), rest.begin(), rest.end());
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("redis_server: fork failed");
    if (pid_ == 0) {
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        const std::string log = log_tail();
        if (log.find("Address already in use") != std::string::npos)
          throw port_taken("redis_server: port " + std::to_string(port_) + " taken: " + log);
        throw std::runtime_error("redis_server: redis-server exited at start: " + log);
      }
      int fd = connect_tcp(port_);
      if (fd >= 0) {
        std::string reply = exchange(fd, "PING\r\n", 1);
        ::close(fd);
        // +PONG, or -NOAUTH when a password is required: either way it is up
        if (!reply.empty() && std::filesystem::exists(socket_path())) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop(SIGKILL);
    throw std::runtime_error("redis_server: redis-server did not answer PING within 5 s on port " +
                             std::to_string(port_));
  }

  std::string log_tail() const {
    std::string text;
    if (FILE* f = std::fopen((dir_ + "/redis.log").c_str(), "r")) {
      char buf[4096];
      std::size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
      std::fclose(f);
    }
    return text.size() > 1500 ? text.substr(text.size() - 1500) : text;
  }

  void signal_server(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }

  void stop(int sig) {
    if (pid_ <= 0) return;
    if (sig != SIGKILL) ::kill(pid_, SIGCONT);  // a paused server could not act on it
    ::kill(pid_, sig);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    pid_ = -1;
    std::error_code ec;
    std::filesystem::remove(socket_path(), ec);
  }

  std::vector<std::string> extra_args_;
  std::string dir_;
  std::string config_file_;
  int port_ = 0;
  pid_t pid_ = -1;
};

/// One redis-server for a whole test program, started on first use (tests that share it
/// FLUSHALL it first).
inline redis_server& shared_redis() {
  static redis_server server;
  return server;
}

}  // namespace redwire::test
