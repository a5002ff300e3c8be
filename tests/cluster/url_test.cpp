// redis-cluster:// and rediss-cluster:// URLs (redis/url.hpp): the seeds, the credentials, TLS
// options, and clear words for what a cluster URL cannot say.
#include <redwire/redis/url.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using redwire::redis::endpoint;
using redwire::redis::parse_url;

namespace {

std::string error_of(const std::string& url) {
  try {
    parse_url(url);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for " << url;
  return {};
}

}  // namespace

TEST(cluster_url, names_the_seeds_and_the_credentials) {
  auto st = parse_url("redis-cluster://alice:s%40cret@h1:7000,h2,[::1]:7002?command_timeout=2s");
  ASSERT_EQ(st.cluster.seeds.size(), 3u);
  EXPECT_EQ(st.cluster.seeds[0], (endpoint{"h1", 7000}));
  EXPECT_EQ(st.cluster.seeds[1], (endpoint{"h2", 6379}));
  EXPECT_EQ(st.cluster.seeds[2], (endpoint{"::1", 7002}));
  EXPECT_EQ(st.user, "alice");
  EXPECT_EQ(st.password, "s@cret");
  EXPECT_EQ(st.host, "h1");  // until the slot map is known, connections go to the first seed
  EXPECT_EQ(st.port, 7000);
  EXPECT_EQ(st.command_timeout.count(), 2000);
  EXPECT_FALSE(st.tls.enabled);
  EXPECT_TRUE(st.sentinel.hosts.empty());
  EXPECT_EQ(st.describe(), "redis-cluster://alice:***@h1:7000,h2:6379,[::1]:7002");
  EXPECT_EQ(parse_url("redis-cluster://h1:7000/").cluster.seeds.size(), 1u);
  EXPECT_EQ(parse_url("redis-cluster://h1:7000/0").db, 0);
}

TEST(cluster_url, rediss_cluster_takes_the_tls_options) {
  auto st = parse_url("rediss-cluster://h1:7000,h2:7001?ca=/etc/ca.pem&sni=redis.internal");
  EXPECT_TRUE(st.tls.enabled);
  EXPECT_EQ(st.tls.ca, "/etc/ca.pem");
  EXPECT_EQ(st.tls.sni, "redis.internal");
  EXPECT_EQ(st.cluster.seeds.size(), 2u);
  EXPECT_TRUE(st.describe().starts_with("rediss-cluster://h1:7000,h2:7001"));
  EXPECT_NE(error_of("redis-cluster://h1:7000?ca=/etc/ca.pem").find("rediss-cluster://"),
            std::string::npos);
}

TEST(cluster_url, mistakes_are_said_clearly) {
  EXPECT_NE(error_of("redis-cluster://").find("no cluster node address"), std::string::npos);
  EXPECT_NE(error_of("redis-cluster://h1:7000,").find("an empty cluster node address"),
            std::string::npos);
  EXPECT_NE(error_of("redis-cluster://h1:7000/2").find("db 0 only"), std::string::npos);
  EXPECT_NE(error_of("redis-cluster://h1:7000?db=3").find("db 0 only"), std::string::npos);
  EXPECT_NE(error_of("redis-cluster://h1:99999").find("out of range"), std::string::npos);
  const std::string sentinel_option = error_of("redis-cluster://h1?sentinel_password=x");
  EXPECT_NE(sentinel_option.find("sentinel"), std::string::npos) << sentinel_option;
  const std::string no_password = error_of("redis-cluster://bob@h1:7000");
  EXPECT_NE(no_password.find("has no password"), std::string::npos) << no_password;
  const std::string secret = error_of("redis-cluster://u:hunter2@h1:7000/5");
  EXPECT_EQ(secret.find("hunter2"), std::string::npos) << secret;
  EXPECT_NE(error_of("redis-clstr://h1").find("redis-cluster://"), std::string::npos);
  redwire::redis::options o{.url = "redis-cluster://h1:7000", .db = 1};
  EXPECT_THROW(redwire::redis::resolve(o), std::invalid_argument);
}
