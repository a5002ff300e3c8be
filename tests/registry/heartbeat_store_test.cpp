// registry_store::beat, the one round trip of a heartbeat (detail/heartbeat.hpp), on every
// transport: Redis does it in one script, the memory transport through the adapter's composition
// of touch_member, refresh_record and reap_members. Both must say the same.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "registry_fixture.hpp"

namespace registry_test {
namespace {

class heartbeat_store : public on_both {
 protected:
  redwire::detail::any_registry_store& store() {
    auto* s = bus_->raw().registry_store();
    if (!s) throw std::logic_error("this transport has no registry store");
    return *s;
  }
  const std::string live = "rw:{beat}:instances", record = "rw:{beat}:i:me",
                    dead = "rw:{beat}:dead";
  redwire::beat_keys keys() const { return {live, record, dead}; }
};

TEST_P(heartbeat_store, a_first_beat_finds_the_member_and_its_record_missing) {
  redwire::beat_outcome o = store().beat(keys(), "me", 5s, 15s);
  EXPECT_TRUE(o.was_absent);
  EXPECT_TRUE(o.record_gone);
  EXPECT_TRUE(o.expired.empty());
  EXPECT_EQ(store().live_members(live, 0ms), std::vector<std::string>{"me"});  // added
}

TEST_P(heartbeat_store, a_beat_keeps_the_member_and_its_record) {
  store().put_record(record, {{"host", "h1"}}, 300ms);
  store().touch_member(live, "me", 300ms);
  redwire::beat_outcome o = store().beat(keys(), "me", 5s, 15s);
  EXPECT_FALSE(o.was_absent);
  EXPECT_FALSE(o.record_gone);
  std::this_thread::sleep_for(500ms);  // past the first ttls, within those of the beat
  EXPECT_EQ(store().live_members(live, 0ms), std::vector<std::string>{"me"});
  auto fields = store().read_records({record});
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(fields[0], (redwire::record_fields{{"host", "h1"}}));
}

TEST_P(heartbeat_store, a_beat_reaps_expired_members_once_and_forgets_the_mourned) {
  store().touch_member(live, "gone-1", 1ms);
  store().touch_member(live, "gone-2", 1ms);
  store().touch_member(live, "other", 5s);
  store().touch_member(dead, "mourned", 1ms);
  std::this_thread::sleep_for(50ms);
  redwire::beat_outcome o = store().beat(keys(), "me", 5s, 15s);
  std::sort(o.expired.begin(), o.expired.end());
  EXPECT_EQ(o.expired, (std::vector<std::string>{"gone-1", "gone-2"}));
  EXPECT_TRUE(store().beat(keys(), "me", 5s, 15s).expired.empty());  // one reaper each
  auto alive = store().live_members(live, 0ms);
  std::sort(alive.begin(), alive.end());
  EXPECT_EQ(alive, (std::vector<std::string>{"me", "other"}));
  EXPECT_TRUE(store().reap_members(dead, 0ms).empty());  // the beat took it out already
}

INSTANTIATE_TEST_SUITE_P(transports, heartbeat_store,
                         ::testing::ValuesIn(redwire::test::transport_and_cluster_kinds()),
                         redwire::test::bus_name{});

}  // namespace
}  // namespace registry_test
