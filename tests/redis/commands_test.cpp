#include "common.hpp"

using namespace redis_tests;
using redwire::redis::transport;

TEST(redis_commands, user_commands) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  EXPECT_EQ(bus.command({"SET", "k", "v"}).str, "OK");
  EXPECT_EQ(bus.command({"GET", "k"}).str, "v");
  std::vector<std::string_view> args{"RPUSH", "l", "a", "b"};
  EXPECT_EQ(bus.command(args).integer, 2);
  auto range = bus.command({"LRANGE", "l", "0", "-1"});
  ASSERT_TRUE(range.is_array());
  ASSERT_EQ(range.elements.size(), 2u);
  EXPECT_EQ(range.elements[1].str, "b");
  EXPECT_THROW(bus.command({"INCR", "k"}), redwire::redis::command_error);
  EXPECT_THROW(bus.command({"NOSUCHCOMMAND"}), redwire::redis::command_error);
}

TEST(redis_commands, eval) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  EXPECT_EQ(bus.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", {"n"}, {"5"}).integer, 5);
  EXPECT_EQ(bus.command({"EVAL", "return ARGV[1]", "0", "hi"}).str, "hi");
  EXPECT_THROW(bus.eval("error('boom')"), redwire::redis::command_error);
}

TEST(redis_commands, concurrent_user_commands) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  {
    std::vector<redwire::test::test_thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 500; ++i) bus.command({"INCR", "counter"});
      });
    }
  }
  EXPECT_EQ(bus.command({"GET", "counter"}).str, "2000");
}

TEST(redis_commands, transport_leaves_no_keys) {
  redwire::test::redis_server server;
  transport bus{server.url()};
  {
    auto reader = bus.open_reader({"q1", "q2"});
    inbox in;
    auto s = bus.subscribe("ch", in.handler());
    bus.push("q1", "a");
    bus.publish("ch", "b");
    std::vector<std::string> out;
    reader.pop(out, 10, 500ms);
    reader.wake();
    reader.pop(out, 10, 500ms);
    ASSERT_TRUE(in.wait_count(1));
  }
  EXPECT_EQ(key_count(bus), 0);
}

TEST(redis_commands, destructor_does_not_hang) {
  redwire::test::redis_server server;
  auto start = clock_type::now();
  {
    transport bus{server.url()};
    inbox in;
    auto s = bus.subscribe("ch", in.handler());
    for (int i = 0; i < 1000; ++i) bus.push("q", "x");
  }
  // It waits for no reply and no timeout (command_timeout: 1 s).
  EXPECT_LT(clock_type::now() - start, 1s);
}
