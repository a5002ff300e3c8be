#include <redwire/redis/url.hpp>

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using redwire::redis::parse_url;

TEST(redis_url, host_and_port) {
  auto s = parse_url("redis://10.1.2.3:7000");
  EXPECT_EQ(s.host, "10.1.2.3");
  EXPECT_EQ(s.port, 7000);
  EXPECT_TRUE(s.unix_path.empty());
  EXPECT_EQ(s.db, 0);
  EXPECT_EQ(s.prefix, "rw");
  EXPECT_TRUE(s.password.empty());
}

TEST(redis_url, defaults_port) {
  auto s = parse_url("redis://localhost");
  EXPECT_EQ(s.host, "localhost");
  EXPECT_EQ(s.port, 6379);
}

TEST(redis_url, user_password_db) {
  auto s = parse_url("redis://alice:s3cret@host:6380/4");
  EXPECT_EQ(s.user, "alice");
  EXPECT_EQ(s.password, "s3cret");
  EXPECT_EQ(s.host, "host");
  EXPECT_EQ(s.port, 6380);
  EXPECT_EQ(s.db, 4);
}

TEST(redis_url, password_only) {
  auto s = parse_url("redis://:pw@host");
  EXPECT_EQ(s.user, "");
  EXPECT_EQ(s.password, "pw");
  EXPECT_EQ(s.port, 6379);
}

TEST(redis_url, percent_encoded_password) {
  auto s = parse_url("redis://:p%40ss%3Aw@host/1");
  EXPECT_EQ(s.password, "p@ss:w");
  EXPECT_EQ(s.db, 1);
}

TEST(redis_url, ipv6) {
  auto s = parse_url("redis://[::1]:7001");
  EXPECT_EQ(s.host, "::1");
  EXPECT_EQ(s.port, 7001);
}

TEST(redis_url, unix_socket) {
  auto s = parse_url("unix:///var/run/redis.sock?db=3");
  EXPECT_EQ(s.unix_path, "/var/run/redis.sock");
  EXPECT_TRUE(s.host.empty());
  EXPECT_EQ(s.db, 3);
  auto t = parse_url("unix://:pw@/tmp/r.sock");
  EXPECT_EQ(t.unix_path, "/tmp/r.sock");
  EXPECT_EQ(t.password, "pw");
}

TEST(redis_url, options) {
  auto s = parse_url("redis://h?connect_timeout=500ms&command_timeout=2s&keepalive=30s&prefix=dev");
  EXPECT_EQ(s.connect_timeout, 500ms);
  EXPECT_EQ(s.command_timeout, 2000ms);
  EXPECT_EQ(s.keepalive, 30000ms);
  EXPECT_EQ(parse_url("redis://h").keepalive, 5000ms);
  EXPECT_EQ(s.prefix, "dev");
  EXPECT_EQ(parse_url("redis://h?connect_timeout=250").connect_timeout, 250ms);
}

TEST(redis_url, describe_hides_password) {
  auto s = parse_url("redis://alice:topsecret@host:1/2");
  EXPECT_EQ(s.describe().find("topsecret"), std::string::npos);
  EXPECT_NE(s.describe().find("alice"), std::string::npos);
}

TEST(redis_url, options_struct_overrides) {
  redwire::redis::options o{.url = "redis://h/1", .password = "x", .db = 5, .prefix = "p"};
  auto s = redwire::redis::resolve(o);
  EXPECT_EQ(s.password, "x");
  EXPECT_EQ(s.db, 5);
  EXPECT_EQ(s.prefix, "p");
  EXPECT_EQ(s.host, "h");
}

TEST(redis_url, bad_urls) {
  for (const char* bad :
       {"", "http://h", "redis://", "redis://h:", "redis://h:0", "redis://h:70000", "redis://h:x",
        "redis://h/x", "redis://h/-1", "redis://h?bogus=1", "redis://h?connect_timeout=5h",
        "redis://h?db", "unix://relative", "unix://", "redis://[::1", "redis://:p%4@h",
        "redis://alice@h"}) {
    EXPECT_THROW(parse_url(bad), std::invalid_argument) << bad;
  }
}
