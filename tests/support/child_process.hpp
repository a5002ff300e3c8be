// tests/support/child_process.hpp — a program started by a test, killed and reaped when the
// test is done; optionally with its standard output read line by line.
//
//   redwire::test::child_process replica({REDWIRE_TEST_REPLICA, server.url(), "replica-a"});
//   redwire::test::child_process watcher({REDWIRE_REGISTRY_WATCHER, url, "5000"},
//                                        redwire::test::child_process::read_output);
//   ASSERT_TRUE(watcher.wait_for_line("watching"));
//   replica.signal(SIGTERM);  EXPECT_EQ(replica.wait(), 0);
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace redwire::test {

class child_process {
 public:
  enum output { inherit_output, read_output };

  explicit child_process(std::vector<std::string> argv, output out = inherit_output) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    int fds[2] = {-1, -1};
    if (out == read_output && ::pipe2(fds, O_CLOEXEC) != 0)
      throw std::runtime_error("child_process: pipe failed");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("child_process: fork failed");
    if (pid_ == 0) {
      if (fds[1] >= 0) ::dup2(fds[1], 1);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    if (fds[1] >= 0) ::close(fds[1]);
    out_ = fds[0];
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
    if (out_ >= 0) ::close(out_);
  }

  pid_t pid() const { return pid_; }
  void signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  /// Waits for the exit; returns the exit status, or 128 + signal.
  int wait() {
    if (pid_ <= 0) return status_;
    int raw = 0;
    ::waitpid(pid_, &raw, 0);
    pid_ = -1;
    status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    return status_;
  }
  /// Sends `sig` and waits for the exit.
  int stop(int sig = SIGKILL) {
    signal(sig);
    return wait();
  }

  /// With read_output: waits up to `limit` for a line equal to `want`; false at the end of the
  /// output or after `limit`. Every line read is kept (all_lines).
  bool wait_for_line(const std::string& want, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
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
  /// With read_output: reads until the program closes its output (at most `limit`); returns
  /// every line it printed.
  std::vector<std::string> all_lines(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(left)) break;
    }
    std::istringstream rest(text_);
    for (std::string l; std::getline(rest, l);) lines_.push_back(l);
    text_.clear();
    return lines_;
  }

 private:
  bool read_some(std::chrono::milliseconds limit) {
    if (out_ < 0) return false;
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) return false;
    char buf[512];
    ssize_t n = ::read(out_, buf, sizeof buf);
    if (n <= 0) return false;
    text_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int status_ = -1;
  int out_ = -1;
  std::string text_;
  std::vector<std::string> lines_;
};

}  // namespace redwire::test
