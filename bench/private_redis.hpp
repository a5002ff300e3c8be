// bench/private_redis.hpp — the throwaway redis-server a benchmark runs against: a free port on
// 127.0.0.1 and a unix socket, no persistence, and on request a TLS port too, with a CA and a
// server certificate made for the run by the openssl command-line tool.
//
//   bench::private_redis plain;                       // url(), unix_url()
//   bench::private_redis both{{.tls = true}};         // also tls_url(): rediss://...?ca=...
//
// The benchmarks' own helper (the tests have theirs); hiredis is its only library. Throws
// std::runtime_error, with the server's log, when redis-server or openssl fails.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bench {

struct private_redis_options {
  bool tls = false;  ///< also listen on a TLS port (certificates made with openssl)
};

class private_redis {
 public:
  explicit private_redis(private_redis_options o = {}) {
    char tmpl[] = "/tmp/redwire-bench-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("private_redis: mkdtemp failed");
    dir_ = tmpl;
    try {
      if (o.tls) make_certificates();
    } catch (...) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      throw;
    }
    for (int attempt = 1;; ++attempt) {
      port_ = free_port();
      tls_port_ = o.tls ? free_port() : 0;
      if (start()) return;
      if (attempt == 5) {
        const std::string log = read(dir_ + "/redis.log");
        std::filesystem::remove_all(dir_);
        throw std::runtime_error("private_redis: redis-server did not start: " + log);
      }
    }
  }
  private_redis(const private_redis&) = delete;
  private_redis& operator=(const private_redis&) = delete;
  ~private_redis() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  pid_t pid() const { return pid_; }  // of the redis-server
  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  std::string unix_url() const { return "unix://" + dir_ + "/redis.sock"; }
  /// TLS, trusting the run's CA; empty without the TLS port.
  std::string tls_url() const {
    if (tls_port_ == 0) return {};
    return "rediss://127.0.0.1:" + std::to_string(tls_port_) + "?ca=" + dir_ + "/ca.crt";
  }

 private:
  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    if (fd >= 0) ::close(fd);
    if (!ok) throw std::runtime_error("private_redis: no free port");
    return ntohs(a.sin_port);
  }

  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  void make_certificates() {
    const std::string script = "set -e; cd '" + dir_ + R"(';
ec='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1'
openssl req -x509 -new -nodes $ec -keyout ca.key -out ca.crt -days 2 -subj '/CN=bench CA'
openssl req -new -nodes $ec -keyout server.key -out server.csr -subj '/CN=localhost'
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt \
  -days 2 -extfile server.ext
)";
    std::ofstream(dir_ + "/certs.sh") << script;
    if (std::system(("sh '" + dir_ + "/certs.sh' > '" + dir_ + "/openssl.log' 2>&1").c_str()))
      throw std::runtime_error("private_redis: openssl failed: " + read(dir_ + "/openssl.log"));
  }

  /// Starts redis-server; false when it exited (a port taken meanwhile) or did not answer.
  bool start() {
    const char* env = std::getenv("REDWIRE_REDIS_SERVER");
    std::vector<std::string> args = {env && *env ? env : "/usr/bin/redis-server",
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--unixsocket",
                                     dir_ + "/redis.sock",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--dir",
                                     dir_,
                                     "--logfile",
                                     dir_ + "/redis.log"};
    if (tls_port_ != 0) {
      const std::string tls[] = {"--tls-port",         std::to_string(tls_port_),
                                 "--tls-cert-file",    dir_ + "/server.crt",
                                 "--tls-key-file",     dir_ + "/server.key",
                                 "--tls-ca-cert-file", dir_ + "/ca.crt",
                                 "--tls-auth-clients", "no"};
      args.insert(args.end(), std::begin(tls), std::end(tls));
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("private_redis: fork failed");
    if (pid_ == 0) {
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 500; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      if (answers()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop();
    return false;
  }

  bool answers() const {
    timeval tv{0, 200000};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    bool ok = false;
    if (c && !c->err) {
      auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
      ok = r && r->type == REDIS_REPLY_STATUS;
      if (r) freeReplyObject(r);
    }
    if (c) redisFree(c);
    return ok;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::string dir_;
  int port_ = 0, tls_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace bench
