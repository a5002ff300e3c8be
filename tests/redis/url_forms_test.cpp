// The URL forms of production Redis: TLS (rediss://) and Sentinel (redis-sentinel://,
// rediss-sentinel://), their options, and the mistakes they refuse.
#include <redwire/redis/url.hpp>

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using redwire::redis::endpoint;
using redwire::redis::parse_url;

TEST(redis_url_forms, rediss_with_every_tls_option) {
  auto s = parse_url(
      "rediss://alice:pw@cache.internal:6380/2?ca=/etc/ca.pem&cert=/etc/me.pem&key=/etc/"
      "me.key&sni=redis.internal");
  EXPECT_TRUE(s.tls.enabled);
  EXPECT_EQ(s.host, "cache.internal");
  EXPECT_EQ(s.port, 6380);
  EXPECT_EQ(s.db, 2);
  EXPECT_EQ(s.user, "alice");
  EXPECT_EQ(s.tls.ca, "/etc/ca.pem");
  EXPECT_EQ(s.tls.cert, "/etc/me.pem");
  EXPECT_EQ(s.tls.key, "/etc/me.key");
  EXPECT_EQ(s.tls.sni, "redis.internal");
  EXPECT_TRUE(s.tls.verify);
  EXPECT_FALSE(parse_url("rediss://h?verify=no").tls.verify);
  EXPECT_EQ(parse_url("rediss://h").port, 6379);
  EXPECT_EQ(s.describe(), "rediss://alice:***@cache.internal:6380/2");
  EXPECT_FALSE(parse_url("redis://h").tls.enabled);
}

TEST(redis_url_forms, sentinel) {
  auto s = parse_url(
      "redis-sentinel://:pw@s1:26380,s2,[::1]:26381/mymaster/3?sentinel_user=watch&sentinel_"
      "password=spw&command_timeout=2s");
  EXPECT_FALSE(s.tls.enabled);
  ASSERT_EQ(s.sentinel.hosts.size(), 3u);
  EXPECT_EQ(s.sentinel.hosts[0], (endpoint{"s1", 26380}));
  EXPECT_EQ(s.sentinel.hosts[1], (endpoint{"s2", 26379}));
  EXPECT_EQ(s.sentinel.hosts[2], (endpoint{"::1", 26381}));
  EXPECT_EQ(s.sentinel.master, "mymaster");
  EXPECT_EQ(s.sentinel.user, "watch");
  EXPECT_EQ(s.sentinel.password, "spw");
  EXPECT_EQ(s.password, "pw");
  EXPECT_EQ(s.db, 3);
  EXPECT_EQ(s.command_timeout, 2000ms);
  EXPECT_EQ(s.describe(), "redis-sentinel://:***@s1:26380,s2:26379,[::1]:26381/mymaster/3");
  EXPECT_EQ(s.describe().find("spw"), std::string::npos);
  auto t = parse_url("rediss-sentinel://s1/m?ca=/ca.pem");
  EXPECT_TRUE(t.tls.enabled);
  EXPECT_EQ(t.sentinel.master, "m");
  EXPECT_EQ(t.db, 0);
  EXPECT_EQ(t.tls.ca, "/ca.pem");
}

TEST(redis_url_forms, mistakes_are_refused_saying_what_is_wrong) {
  struct {
    const char* url;
    const char* says;
  } cases[] = {
      {"redis-sentinel://s1:26379", "no master name"},
      {"redis-sentinel://s1:26379/", "no master name"},
      {"redis-sentinel:///m", "no sentinel address"},
      {"redis-sentinel://s1,,s2/m", "no host"},
      {"redis-sentinel://s1,/m", "an empty sentinel address"},
      {"redis-sentinel://s1/m?sentinel_password=p%zz", "not two hex digits"},
      {"redis-sentinel://s1/m/x", "db is not a number"},
      {"redis://h?ca=/ca.pem", "need rediss://"},
      {"redis://h?verify=no", "need rediss://"},
      {"rediss://h?verify=maybe", "verify is yes or no"},
      {"rediss://h?cert=/c.pem", "cert and key go together"},
      {"redis://h?sentinel_password=x", "need redis-sentinel://"},
      {"redis-sentinel://s/m?sentinel_user=u", "has no sentinel_password"},
      {"rediss+x://h", "unknown scheme 'rediss+x://'"},
  };
  for (const auto& c : cases) {
    try {
      parse_url(c.url);
      ADD_FAILURE() << c.url << " was taken";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << c.url << ": " << e.what();
    }
  }
}
