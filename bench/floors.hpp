// bench/floors.hpp — the floors redwire's calls are held to: the same trips through Redis,
// written by hand with hiredis alone (no redwire code), on the same server in the same run.
//
//   call_floor::run(n, total)   the async floor: the client pipelines LPUSHes of its requests
//                               (24 + payload bytes: 40 for a 16-byte payload) keeping n in
//                               flight, and counts the replies on its subscription; a server
//                               thread takes up to 128 requests with one BLMPOP and answers
//                               each with a PUBLISH of the same bytes, pipelined (the replies
//                               and its next BLMPOP in one write)
//   call_floor::round_trip()    the sync floor: one LPUSH, one BLMPOP, one PUBLISH, one reply
//   large_floor::round_trip()   a SET and a GET of the same value (1 MiB in the benchmarks)
//
// Plain TCP or a unix socket (hiredis 0.14 speaks no TLS). Any failure aborts the program with
// a message: a benchmark has nothing better to do.
#pragma once

#include <hiredis/hiredis.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace bench::floors {

struct endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_path;  ///< used instead of host and port when set
};

[[noreturn]] inline void die(const char* what, const redisContext* c) {
  std::fprintf(stderr, "floor: %s: %s\n", what, c && c->err ? c->errstr : "unexpected reply");
  std::abort();
}

struct reply_deleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

/// One blocking hiredis connection, used pipelined: append commands, flush(), read() replies.
class connection {
 public:
  explicit connection(const endpoint& at) {
    c_ = at.unix_path.empty() ? redisConnect(at.host.c_str(), at.port)
                              : redisConnectUnix(at.unix_path.c_str());
    if (!c_ || c_->err) die("connect", c_);
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() { redisFree(c_); }

  redisContext* get() const { return c_; }
  int fd() const { return c_->fd; }

  /// Writes every appended command.
  void flush() {
    int done = 0;
    while (!done)
      if (redisBufferWrite(c_, &done) != REDIS_OK) die("write", c_);
  }
  /// The next reply, waiting for it.
  reply_ptr read() {
    void* r = nullptr;
    if (redisGetReply(c_, &r) != REDIS_OK || !r) die("read", c_);
    return reply_ptr(static_cast<redisReply*>(r));
  }
  /// One read() of what the socket holds (call when poll() says it is readable); returns the
  /// number of complete replies it brought.
  std::size_t drain() {
    if (redisBufferRead(c_) != REDIS_OK) die("read", c_);
    std::size_t n = 0;
    for (;;) {
      void* r = nullptr;
      if (redisGetReplyFromReader(c_, &r) != REDIS_OK) die("parse", c_);
      if (!r) return n;
      freeReplyObject(r);
      ++n;
    }
  }

 private:
  redisContext* c_ = nullptr;
};

/// Threads that take requests from `queue` (up to 128 per BLMPOP) and PUBLISH each one back on
/// `channel`, the replies and the next BLMPOP in one write. An empty request stops one thread.
class floor_server {
 public:
  floor_server(const endpoint& at, std::string queue, std::string channel, std::size_t threads)
      : at_(at), queue_(std::move(queue)), channel_(std::move(channel)) {
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { serve(); });
  }
  floor_server(const floor_server&) = delete;
  floor_server& operator=(const floor_server&) = delete;
  ~floor_server() {
    connection c(at_);
    for (std::size_t i = 0; i < threads_.size(); ++i) {
      redisAppendCommand(c.get(), "LPUSH %b %b", queue_.data(), queue_.size(), "", std::size_t{0});
      c.flush();
      c.read();
    }
    for (auto& t : threads_) t.join();
  }

 private:
  void serve() {
    connection c(at_);
    auto pop = [&] {
      redisAppendCommand(c.get(), "BLMPOP 0 1 %b RIGHT COUNT 128", queue_.data(), queue_.size());
    };
    pop();
    c.flush();
    for (;;) {
      reply_ptr r = c.read();
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) die("BLMPOP", c.get());
      const redisReply* values = r->element[1];
      std::size_t published = 0, stops = 0;
      for (std::size_t i = 0; i < values->elements; ++i) {
        const redisReply* v = values->element[i];
        if (v->len == 0) {
          ++stops;
          continue;
        }
        redisAppendCommand(c.get(), "PUBLISH %b %b", channel_.data(), channel_.size(), v->str,
                           static_cast<std::size_t>(v->len));
        ++published;
      }
      // A thread that took another's stop too hands it back.
      for (std::size_t i = 1; i < stops; ++i)
        redisAppendCommand(c.get(), "LPUSH %b %b", queue_.data(), queue_.size(), "",
                           std::size_t{0});
      if (stops == 0) pop();
      c.flush();
      const std::size_t answers = published + (stops > 0 ? stops - 1 : 0);
      for (std::size_t i = 0; i < answers; ++i) c.read();  // the next pop's comes next round
      if (stops > 0) return;
    }
  }

  endpoint at_;
  std::string queue_, channel_;
  std::vector<std::thread> threads_;
};

/// Names of a floor's own queue and channel, apart from every other floor of the process.
inline std::string floor_name(const char* what) {
  static std::atomic<int> next{0};
  return "floor:" + std::to_string(::getpid()) + ":" + std::to_string(next++) + ":" + what;
}

/// A client of its own floor_server: the async and the sync floor (see the top of the file).
class call_floor {
 public:
  call_floor(const endpoint& at, std::size_t payload_bytes, std::size_t servers = 1)
      : cmd_(at),
        sub_(at),
        queue_(floor_name("q")),
        channel_(floor_name("reply")),
        request_(24 + payload_bytes, 'r'),
        server_(at, queue_, channel_, servers) {
    redisAppendCommand(sub_.get(), "SUBSCRIBE %b", channel_.data(), channel_.size());
    sub_.flush();
    sub_.read();
  }

  /// Makes `total` calls keeping `in_flight` of them in flight.
  void run(std::size_t in_flight, std::size_t total) {
    std::size_t sent = 0, answered = 0, unacknowledged = 0;
    while (answered < total) {
      const std::size_t before = sent;
      for (; sent < total && sent - answered < in_flight; ++sent) push();
      if (sent != before) {
        unacknowledged += sent - before;
        cmd_.flush();
      }
      pollfd fds[2] = {{sub_.fd(), POLLIN, 0}, {cmd_.fd(), POLLIN, 0}};
      if (::poll(fds, unacknowledged > 0 ? 2 : 1, -1) < 0) die("poll", nullptr);
      if (fds[0].revents) answered += sub_.drain();
      if (unacknowledged > 0 && fds[1].revents) unacknowledged -= cmd_.drain();
    }
    for (; unacknowledged > 0; --unacknowledged) cmd_.read();
  }

  /// One call, alone: the request, then its reply (then the LPUSH's answer, already there).
  void round_trip() {
    push();
    cmd_.flush();
    sub_.read();
    cmd_.read();
  }

 private:
  void push() {
    redisAppendCommand(cmd_.get(), "LPUSH %b %b", queue_.data(), queue_.size(), request_.data(),
                       request_.size());
  }

  connection cmd_, sub_;
  std::string queue_, channel_, request_;
  floor_server server_;
};

/// A SET and a GET of one value, in a loop: the floor of a call that carries it both ways.
class large_floor {
 public:
  large_floor(const endpoint& at, std::size_t bytes)
      : c_(at), key_(floor_name("large")), value_(bytes, 'v') {
    // hiredis frees a read buffer above 16 KiB once it is empty, and grows the next one anew
    // (from fresh pages or not: the floor ran at two speeds); a tuned program keeps it.
    c_.get()->reader->maxbuf = 0;
  }
  ~large_floor() {
    redisAppendCommand(c_.get(), "DEL %b", key_.data(), key_.size());
    c_.flush();
    c_.read();
  }

  void round_trip() {
    redisAppendCommand(c_.get(), "SET %b %b", key_.data(), key_.size(), value_.data(),
                       value_.size());
    c_.flush();
    c_.read();
    redisAppendCommand(c_.get(), "GET %b", key_.data(), key_.size());
    c_.flush();
    reply_ptr r = c_.read();
    if (r->type != REDIS_REPLY_STRING || static_cast<std::size_t>(r->len) != value_.size())
      die("GET", c_.get());
  }

 private:
  connection c_;
  std::string key_, value_;
};

}  // namespace bench::floors
