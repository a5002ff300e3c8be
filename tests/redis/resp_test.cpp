#include <redwire/redis/resp.hpp>

#include <gtest/gtest.h>

#include <cstdlib>

using redwire::redis::reply_type;
using redwire::redis::detail::append_command;
using redwire::redis::detail::reply_parser;

TEST(redis_resp, formats_like_hiredis) {
  std::string binary("a\0b\r\nc", 6);
  std::vector<std::string_view> args = {"RPUSH", "rw:{calc}:q", binary, "",
                                        std::string_view(std::string(300, 'x'))};
  std::string big(300, 'x');
  args[4] = big;
  std::string mine;
  append_command(mine, args);
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* theirs = nullptr;
  int n = redisFormatCommandArgv(&theirs, static_cast<int>(argv.size()), argv.data(), lens.data());
  ASSERT_GT(n, 0);
  EXPECT_EQ(mine, std::string(theirs, static_cast<size_t>(n)));
  redisFreeCommand(theirs);
}

TEST(redis_resp, parses_replies_fed_in_pieces) {
  reply_parser p;
  std::string wire = "+OK\r\n:42\r\n$-1\r\n-ERR bad\r\n*2\r\n$3\r\nfoo\r\n*1\r\n$0\r\n\r\n";
  for (char c : wire) p.feed(&c, 1);
  auto ok = p.next();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->type, reply_type::status);
  EXPECT_EQ(ok->str, "OK");
  auto i = p.next();
  EXPECT_EQ(i->integer, 42);
  EXPECT_TRUE(p.next()->is_nil());
  auto e = p.next();
  EXPECT_TRUE(e->is_error());
  EXPECT_EQ(e->str, "ERR bad");
  auto a = p.next();
  ASSERT_TRUE(a->is_array());
  ASSERT_EQ(a->elements.size(), 2u);
  EXPECT_EQ(a->elements[0].str, "foo");
  EXPECT_EQ(a->elements[1].elements[0].str, "");
  EXPECT_FALSE(p.next());
}

TEST(redis_resp, protocol_error_throws) {
  reply_parser p;
  p.feed("?oops\r\n", 7);
  EXPECT_THROW(p.next(), redwire::transport_error);
}
