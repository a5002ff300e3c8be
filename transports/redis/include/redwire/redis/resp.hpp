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
  bool is_string() const noexcept { return type == reply_type::string || type == reply_type::status; }
  bool is_array() const noexcept { return type == reply_type::array; }
  bool is_integer() const noexcept { return type == reply_type::integer; }
};

/// Redis answered a command with an error reply ("ERR ...", "WRONGTYPE ...", "NOSCRIPT ...").
class command_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

/// Appends `args` as one RESP command (an array of bulk strings) to `out`.
inline void append_command(std::string& out, std::span<const std::string_view> args) {
  char num[24];
  auto append_header = [&](char tag, std::size_t n) {
    char* end = num + sizeof num;
    char* p = end;
    do {
      *--p = static_cast<char>('0' + n % 10);
      n /= 10;
    } while (n);
    out += tag;
    out.append(p, static_cast<std::size_t>(end - p));
    out += "\r\n";
  };
  std::size_t size = 16;
  for (std::string_view a : args) size += a.size() + 16;
  out.reserve(out.size() + size);
  append_header('*', args.size());
  for (std::string_view a : args) {
    append_header('$', a.size());
    out.append(a);
    out += "\r\n";
  }
}

inline void append_command(std::string& out, std::initializer_list<std::string_view> args) {
  append_command(out, std::span<const std::string_view>(args.begin(), args.size()));
}

inline reply to_reply(const redisReply* r) {
  reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING: out.type = reply_type::string; break;
    case REDIS_REPLY_STATUS: out.type = reply_type::status; break;
    case REDIS_REPLY_ERROR: out.type = reply_type::error; break;
    case REDIS_REPLY_INTEGER: out.type = reply_type::integer; break;
    case REDIS_REPLY_ARRAY: out.type = reply_type::array; break;
    default: out.type = reply_type::nil; break;
  }
  if (out.type == reply_type::string || out.type == reply_type::status ||
      out.type == reply_type::error) {
    out.str.assign(r->str, r->len);
  } else if (out.type == reply_type::integer) {
    out.integer = r->integer;
  } else if (out.type == reply_type::array) {
    out.elements.reserve(r->elements);
    for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(to_reply(r->element[i]));
  }
  return out;
}

/// Incremental reply parser: feed() what the socket gave, then next() until it returns nothing.
class reply_parser {
 public:
  reply_parser() : reader_(redisReaderCreate()) {
    if (!reader_) throw std::bad_alloc();
  }

  void feed(const char* data, std::size_t n) {
    if (redisReaderFeed(reader_.get(), data, n) != REDIS_OK) fail();
  }

  /// The next complete reply, if there is one. Throws transport_error on a protocol error.
  std::optional<reply> next() {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) fail();
    if (!raw) return std::nullopt;
    std::unique_ptr<redisReply, void (*)(void*)> r(static_cast<redisReply*>(raw), freeReplyObject);
    return to_reply(r.get());
  }

 private:
  [[noreturn]] void fail() {
    throw transport_error(std::string("redwire::redis: protocol error: ") + reader_->errstr);
  }

  struct free_reader {
    void operator()(redisReader* r) const noexcept { redisReaderFree(r); }
  };
  std::unique_ptr<redisReader, free_reader> reader_;
};

}  // namespace detail
}  // namespace redwire::redis
