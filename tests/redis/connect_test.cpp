#include "common.hpp"

using namespace redis_tests;
using redwire::redis::transport;

TEST(redis_connect, no_server_throws_fast) {
  int port;
  {
    redwire::test::redis_server server;
    port = server.port();
  }  // gone: nobody listens on that port now
  auto start = clock_type::now();
  EXPECT_THROW(transport{"redis://127.0.0.1:" + std::to_string(port)}, redwire::transport_error);
  // Refused at once: not after the connect timeout (1 s) it would wait for a silent host.
  EXPECT_LT(clock_type::now() - start, 1s);
}

TEST(redis_connect, bad_url_throws_invalid_argument) {
  EXPECT_THROW(transport{"http://localhost"}, std::invalid_argument);
}

TEST(redis_connect, unix_socket_and_db) {
  redwire::test::redis_server server;
  transport bus{server.unix_url() + "?db=3"};
  bus.command({"SET", "k", "v"});
  transport tcp{server.url() + "/3"};
  EXPECT_EQ(tcp.command({"GET", "k"}).str, "v");
  transport db0{server.url()};
  EXPECT_TRUE(db0.command({"GET", "k"}).is_nil());
}

TEST(redis_connect, password) {
  redwire::test::redis_server server{{"--requirepass", "s3cret"}};
  transport good{"redis://:s3cret@127.0.0.1:" + std::to_string(server.port())};
  EXPECT_EQ(good.command({"PING"}).str, "PONG");
  try {
    transport bad{"redis://:wrong@127.0.0.1:" + std::to_string(server.port())};
    FAIL() << "a wrong password must throw";
  } catch (const redwire::transport_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("authentication failed"), std::string::npos) << what;
    EXPECT_EQ(what.find("wrong"), std::string::npos) << "the password leaked: " << what;
  }
  EXPECT_THROW(transport{server.url()}, redwire::transport_error);  // no password at all
}

TEST(redis_connect, acl_user) {
  redwire::test::redis_server server{
      {"--user", "alice", "on", ">alicepw", "~*", "&*", "+@all", "--user", "default", "off"}};
  std::string hostport = "127.0.0.1:" + std::to_string(server.port());
  transport bus{"redis://alice:alicepw@" + hostport};
  bus.push("q", "x");
  auto reader = bus.open_reader({"q"});
  std::vector<std::string> out;
  reader.pop(out, 10, 1000ms);
  EXPECT_EQ(out, std::vector<std::string>{"x"});
  try {
    transport bad{"redis://alice:nope@" + hostport};
    FAIL();
  } catch (const redwire::transport_error& e) {
    EXPECT_EQ(std::string(e.what()).find("nope"), std::string::npos);
  }
}

TEST(redis_connect, options_struct) {
  redwire::test::redis_server server;
  transport bus{redwire::redis::options{.url = server.url(), .prefix = "dev"}};
  EXPECT_EQ(bus.prefix(), "dev");
  EXPECT_TRUE(bus.connected());
  transport plain{server.url()};
  EXPECT_EQ(plain.prefix(), "rw");
}

// The test servers' own promise (tests/support/redis_server.hpp): a port taken before
// redis-server binds it is not a failure; the server starts on another.
TEST(redis_test_server, a_taken_port_is_retried_elsewhere) {
  redwire::test::redis_server first;
  redwire::test::redis_server second{{}, {}, first.port()};  // tries the taken port first
  EXPECT_NE(second.port(), first.port());
  transport a{first.url()}, b{second.url()};
  a.command({"SET", "k", "first"});
  EXPECT_TRUE(b.command({"GET", "k"}).is_nil());  // two servers, not one seen twice
}
