// Redis Cluster's arithmetic (redis/cluster_slots.hpp): CRC16 and hash tags as the cluster
// specification states them, MOVED and ASK read, the slot map built from CLUSTER SLOTS.
#include <redwire/redis/cluster_slots.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace redwire::redis;
using namespace redwire::redis::detail;

namespace {

reply integer(long long n) {
  return reply{reply_type::integer, n, {}, {}};
}
reply text(std::string s) {
  return reply{reply_type::string, 0, std::move(s), {}};
}
reply array(std::vector<reply> e) {
  return reply{reply_type::array, 0, {}, std::move(e)};
}

}  // namespace

TEST(cluster_slots, crc16_and_hash_tags_follow_the_specification) {
  static_assert(crc16("123456789") == 0x31C3);  // the specification's test vector
  EXPECT_EQ(hash_slot("foo"), 12182);
  EXPECT_EQ(hash_slot("{user1000}.following"), hash_slot("{user1000}.followers"));
  EXPECT_EQ(hash_slot("{user1000}.following"), hash_slot("user1000"));
  EXPECT_EQ(hash_slot("foo{}{bar}"), crc16("foo{}{bar}") % 16384);  // empty tag: the whole key
  EXPECT_EQ(hash_slot("foo{{bar}}zap"), crc16("{bar") % 16384);
  EXPECT_EQ(hash_slot("foo{bar}{zap}"), hash_slot("bar"));
  EXPECT_EQ(hash_slot("rw:{calc}:q"), hash_slot("rw:{calc}:q:instance-1"));
  EXPECT_EQ(hash_slot("no{tag"), crc16("no{tag") % 16384);
}

TEST(cluster_slots, redirections_are_read) {
  const endpoint from{"10.0.0.1", 7000};
  auto moved = redirection::parse("MOVED 3999 127.0.0.1:6381", from);
  ASSERT_TRUE(moved);
  EXPECT_FALSE(moved->ask);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->to, (endpoint{"127.0.0.1", 6381}));
  auto ask = redirection::parse("ASK 1 :7002", from);  // no host: the node that said it
  ASSERT_TRUE(ask);
  EXPECT_TRUE(ask->ask);
  EXPECT_EQ(ask->to, (endpoint{"10.0.0.1", 7002}));
  EXPECT_EQ(redirection::parse("MOVED 1 [::1]:7003", from)->to, (endpoint{"::1", 7003}));
  EXPECT_FALSE(redirection::parse("ERR wrong", from));
  EXPECT_FALSE(redirection::parse("MOVED 16384 h:1", from));
  EXPECT_FALSE(redirection::parse("MOVED 5 h:0", from));
  EXPECT_FALSE(redirection::parse("TRYAGAIN Multiple keys request during rehashing", from));
}

TEST(cluster_slots, the_map_comes_from_cluster_slots) {
  const reply r = array({
      array({integer(0), integer(5460), array({text("127.0.0.1"), integer(7000), text("id")}),
             array({text("127.0.0.1"), integer(7003), text("id")})}),
      array({integer(5461), integer(10922), array({text(""), integer(7001), text("id")})}),
  });
  auto m = slot_map::from_cluster_slots(r, endpoint{"10.0.0.9", 7001});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->owner(0), (endpoint{"127.0.0.1", 7000}));
  EXPECT_EQ(m->owner(5460), (endpoint{"127.0.0.1", 7000}));
  EXPECT_EQ(m->owner(5461), (endpoint{"10.0.0.9", 7001}));  // empty ip: the node asked
  EXPECT_FALSE(m->owner(10923));
  EXPECT_EQ(m->uncovered(), 16384 - 10923);
  m->assign(10923, 16383, endpoint{"127.0.0.1", 7000});
  EXPECT_EQ(m->uncovered(), 0);
  EXPECT_EQ(m->masters().size(), 2u);
  EXPECT_FALSE(slot_map::from_cluster_slots(text("nope"), {}));
  EXPECT_FALSE(slot_map::from_cluster_slots(
      array({array({integer(0), integer(20000), array({text("h"), integer(1)})})}), {}));
}
