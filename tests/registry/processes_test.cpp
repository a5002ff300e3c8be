// The registry across processes, on Redis: a SIGKILLed instance disappears within TTL + 1 s and
// each of three watcher processes hears exactly one `expired` for it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

#include "registry/registry_fixture.hpp"

using namespace registry_test;

namespace {

/// A child program whose stdout is read line by line.
class child {
 public:
  explicit child(std::vector<std::string> args) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_);
  }
  /// Waits up to `limit` for a line that equals `want`; false at EOF or timeout.
  bool wait_for_line(const std::string& want, std::chrono::milliseconds limit = 10s) {
    auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      for (auto pos = text_.find('\n'); pos != std::string::npos; pos = text_.find('\n')) {
        std::string line = text_.substr(0, pos);
        text_.erase(0, pos + 1);
        lines_.push_back(line);
        if (line == want) return true;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(left)) return false;
    }
  }
  /// Reads until the child closes its stdout; returns every line it printed.
  std::vector<std::string> all_lines() {
    while (read_some(20s)) {
    }
    std::istringstream rest(text_);
    for (std::string l; std::getline(rest, l);) lines_.push_back(l);
    text_.clear();
    return lines_;
  }
  void kill_now() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  bool read_some(std::chrono::milliseconds limit) {
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) return false;
    char buf[512];
    ssize_t n = ::read(out_, buf, sizeof buf);
    if (n <= 0) return false;
    text_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  pid_t pid_ = -1;
  int out_ = -1;
  std::string text_;
  std::vector<std::string> lines_;
};

TEST(registry_processes, a_killed_instance_expires_once_for_each_of_three_watcher_processes) {
  redwire::test::redis_server server;
  std::vector<std::unique_ptr<child>> watchers;
  for (int i = 0; i < 3; ++i) {
    watchers.push_back(std::make_unique<child>(
        std::vector<std::string>{REDWIRE_REGISTRY_WATCHER, server.url(), "5000"}));
    ASSERT_TRUE(watchers.back()->wait_for_line("watching"));
  }
  const auto ttl = 1000ms;
  child member({REDWIRE_REGISTRY_MEMBER, server.url(), "calc-victim", "1000"});
  ASSERT_TRUE(member.wait_for_line("ready"));
  redwire::redis::transport bus{server.url()};
  redwire::registry reg{bus};
  ASSERT_EQ(reg.instances("calc").size(), 1u);
  member.kill_now();
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return reg.instances("calc").empty(); }, ttl + 1s));
  EXPECT_LE(std::chrono::steady_clock::now() - killed, ttl + 1s);
  for (auto& w : watchers) {
    auto lines = w->all_lines();
    int joined = 0, expired = 0;
    for (auto& l : lines) {
      joined += l == "joined calc-victim";
      expired += l == "expired calc-victim";
    }
    EXPECT_EQ(joined, 1);
    EXPECT_EQ(expired, 1);
  }
}

}  // namespace
