// redwire/redis/resp.hpp — the Redis protocol: commands out, replies in.
//
// Replies are parsed by hiredis's redisReader and turned into `reply`, a plain value type.
// Commands are formatted straight into the caller's output buffer (binary-safe RESP arrays of
// bulk strings: byte for byte what redisFormatCommandArgv makes, without its malloc per command).
#pragma once

#include <hiredis/hiredis.h>

#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <redwire/transport.hpp>

namespace redwire::redis {

enum class reply_type { nil, string, status, integer, array, error };

/// One Redis reply. `str` holds the bytes of a string, a status or an error's text.
///   reply r = bus.command({"INCR", "n"});   r.integer == 1
struct reply {
  reply_type type = reply_type::nil;
  long long integer = 0;
  std::string str;
  std::vector<reply> elements;

  bool is_nil() const noexcept { return type == reply_type::nil; }
  bool is_error() const noexcept { return type == reply_type::error; }
  bool is_string() const noexcept {
    return type == reply_type::string || type == reply_type::status;
  }
  bool is_array() const noexcept { return type == reply_type::array; }
  bool is_integer() const noexcept { return type == reply_type::integer; }
};

/// Redis answered a command with an error reply ("ERR ...", "WRONGTYPE ...", "NOSCRIPT ...").
class command_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The server's bytes are not the Redis protocol (RESP): it is not a Redis server, or the
/// connection is corrupt. The connection is dropped, as for any transport_error.
class protocol_error : public transport_error {
 public:
  using transport_error::transport_error;
};

namespace detail {

/// Appends a RESP header: `tag` ('*' array, '$' bulk string), the count, CRLF.
inline void append_header(std::string& out, char tag, std::size_t n) {
  char num[24];
  char* end = num + sizeof num;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n);
  out += tag;
  out.append(p, static_cast<std::size_t>(end - p));
  out += "\r\n";
}

/// Appends `s` as a RESP bulk string.
inline void append_bulk(std::string& out, std::string_view s) {
  append_header(out, '$', s.size());
  out.append(s);
  out += "\r\n";
}

/// Appends `args` as one RESP command (an array of bulk strings) to `out`.
inline void append_command(std::string& out, std::span<const std::string_view> args) {
  std::size_t size = 16;
  for (std::string_view a : args) size += a.size() + 16;
  out.reserve(out.size() + size);
  append_header(out, '*', args.size());
  for (std::string_view a : args) append_bulk(out, a);
}

inline void append_command(std::string& out, std::initializer_list<std::string_view> args) {
  append_command(out, std::span<const std::string_view>(args.begin(), args.size()));
}

/// Incremental reply parser: feed() what the socket gave, then next() until it returns nothing.
///
/// hiredis's reader builds the reply through our object functions straight into a `reply` that
/// the parser keeps and reuses: strings and element vectors keep their capacity from one reply
/// to the next, so a stream of same-shaped replies (pub/sub messages, pops) is parsed without
/// a heap allocation (hiredis's own redisReply objects are never made).
class reply_parser {
 public:
  reply_parser() : reader_(redisReaderCreateWithFunctions(&functions)) {
    if (!reader_) throw std::bad_alloc();
    reader_->privdata = &root_;
  }
  reply_parser(const reply_parser&) = delete;
  reply_parser& operator=(const reply_parser&) = delete;

  void feed(const char* data, std::size_t n) {
    if (redisReaderFeed(reader_.get(), data, n) != REDIS_OK) fail();
  }

  /// The next complete reply, if there is one; valid until the next call. Throws
  /// protocol_error on bytes that are not RESP.
  reply* next_view() {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) fail();
    return static_cast<reply*>(raw);
  }

  /// The next complete reply, if there is one, as a value of its own.
  std::optional<reply> next() {
    reply* r = next_view();
    if (!r) return std::nullopt;
    return std::move(*r);
  }

 private:
  static reply& slot_of(const redisReadTask* task) {
    if (!task->parent) return *static_cast<reply*>(task->privdata);
    return static_cast<reply*>(task->parent->obj)->elements[static_cast<std::size_t>(task->idx)];
  }
  static void* make_string(const redisReadTask* task, char* s, std::size_t n) {
    reply& r = slot_of(task);
    r.type = task->type == REDIS_REPLY_ERROR    ? reply_type::error
             : task->type == REDIS_REPLY_STATUS ? reply_type::status
                                                : reply_type::string;
    r.str.assign(s, n);
    r.integer = 0;
    r.elements.clear();
    return &r;
  }
  static void* make_array(const redisReadTask* task, int n) {
    reply& r = slot_of(task);
    r.type = reply_type::array;
    r.str.clear();
    r.integer = 0;
    r.elements.resize(static_cast<std::size_t>(n < 0 ? 0 : n));  // elements keep their capacity
    return &r;
  }
  static void* make_integer(const redisReadTask* task, long long v) {
    reply& r = slot_of(task);
    r.type = reply_type::integer;
    r.str.clear();
    r.integer = v;
    r.elements.clear();
    return &r;
  }
  static void* make_nil(const redisReadTask* task) {
    reply& r = slot_of(task);
    r.type = reply_type::nil;
    r.str.clear();
    r.integer = 0;
    r.elements.clear();
    return &r;
  }
  static void free_object(void*) {}  // everything lives in root_

  static inline redisReplyObjectFunctions functions{make_string, make_array, make_integer, make_nil,
                                                    free_object};

 private:
  [[noreturn]] void fail() {
    throw protocol_error(std::string("redwire::redis: protocol error: ") + reader_->errstr);
  }

  struct free_reader {
    void operator()(redisReader* r) const noexcept { redisReaderFree(r); }
  };
  reply root_;  // before reader_: the reader points into it
  std::unique_ptr<redisReader, free_reader> reader_;
};

}  // namespace detail
}  // namespace redwire::redis
