// redwire::registry on both transports: what an instance registers, heartbeats, lookups,
// membership events, dead instances' work, groups.
#include <unistd.h>

#include <future>

#include "registry/registry_fixture.hpp"

using namespace registry_test;
using redwire::errc;
using redwire::membership;

namespace {

TEST_P(on_both, an_instance_registers_its_facts_and_procedures) {
  auto svc = world_->service(
      "calc", {.instance_id = "calc-1", .registration = {.metadata = {{"zone", "eu-1"}}}});
  bind_calc(*svc);
  svc->start();
  auto reg = world_->registry();
  EXPECT_EQ(reg->services(), std::vector<std::string>{"calc"});
  auto all = reg->instances("calc");
  ASSERT_EQ(all.size(), 1u);
  const redwire::instance_info& i = all.front();
  EXPECT_EQ(i.service, "calc");
  EXPECT_EQ(i.id, "calc-1");
  EXPECT_EQ(i.group, "");
  EXPECT_FALSE(i.host.empty());
  EXPECT_EQ(i.pid, ::getpid());
  EXPECT_FALSE(i.os.empty());
  EXPECT_FALSE(i.arch.empty());
  EXPECT_GT(i.cpus, 0u);
  EXPECT_GT(i.memory_bytes, 0u);
  EXPECT_LT(i.boot_time, i.start_time);
  EXPECT_LE(i.start_time, std::chrono::system_clock::now());
  EXPECT_EQ(i.version, redwire::version);
  EXPECT_EQ(i.metadata.at("zone"), "eu-1");
  ASSERT_EQ(i.procedures.size(), 4u);
  bool found = false;
  for (auto& p : i.procedures) {
    if (p.name != "calc.add") continue;
    found = true;
    EXPECT_EQ(p.signature, calc::add.signature);
    EXPECT_EQ(p.fingerprint, calc::add.fingerprint);
  }
  EXPECT_TRUE(found);
  auto one = reg->instance("calc-1");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->pid, ::getpid());
  EXPECT_FALSE(reg->instance("calc-404"));
}

TEST_P(on_both, graceful_stop_deregisters_at_once_and_says_left) {
  auto reg = world_->registry();
  event_log log;
  auto watch = reg->watch(log.handler());
  auto svc = world_->service("calc", {.instance_id = "calc-1"});
  bind_calc(*svc);
  svc->start();
  EXPECT_TRUE(eventually([&] { return log.count(membership::joined, "calc-1") == 1; }));
  svc->stop();
  EXPECT_TRUE(reg->instances("calc").empty());  // at once: no waiting for a TTL
  EXPECT_TRUE(reg->services().empty());
  EXPECT_TRUE(eventually([&] { return log.count(membership::left, "calc-1") == 1; }));
  // A call targeted at the stopped instance is refused at once, not at its timeout.
  auto cli = world_->client({.default_timeout = 10s});
  auto began = std::chrono::steady_clock::now();
  auto r = cli->with({.instance = "calc-1"}).try_call(calc::add, 1, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), errc::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);
}

TEST_P(on_both, a_handler_busy_for_3x_the_ttl_does_not_make_its_instance_look_dead) {
  auto reg = world_->registry();
  event_log log;
  auto watch = reg->watch(log.handler());
  auto svc = world_->service(
      "calc", {.instance_id = "calc-busy", .workers = 1, .registration = {.ttl = 300ms}});
  bind_calc(*svc);
  svc->start();
  auto cli = world_->client();
  auto busy = cli->async_call(calc::sleep_ms, 1200);  // 4 x the TTL, on the only worker
  std::this_thread::sleep_for(1000ms);
  EXPECT_EQ(reg->instances("calc").size(), 1u);
  EXPECT_EQ(busy.get(), 1200);
  EXPECT_EQ(reg->instances("calc").size(), 1u);
  EXPECT_EQ(log.count(membership::expired, "calc-busy"), 0);
}

TEST_P(on_both, a_dead_instance_expires_once_for_every_watcher_and_its_calls_fail_back) {
  // Three watchers (three registries, as three processes would have).
  auto r1 = world_->registry(), r2 = world_->registry(), r3 = world_->registry();
  event_log l1, l2, l3;
  auto w1 = r1->watch(l1.handler());
  auto w2 = r2->watch(l2.handler());
  auto w3 = r3->watch(l3.handler());
  redwire::instance_info ghost;
  ghost.service = "calc";
  ghost.id = "calc-ghost";
  ghost.host = "elsewhere";
  const auto ttl = 1000ms;
  world_->register_dead(ghost, ttl);
  const auto died = std::chrono::steady_clock::now();
  ASSERT_EQ(r1->instances("calc").size(), 1u);
  // A call already queued for it when it dies is failed back, not left waiting.
  auto cli = world_->client({.default_timeout = 20s});
  auto queued = cli->with({.instance = "calc-ghost"}).async_call(calc::add, 1, 1);
  EXPECT_TRUE(eventually([&] { return r1->instances("calc").empty(); }, ttl + 1s));
  EXPECT_LE(std::chrono::steady_clock::now() - died, ttl + 1s);
  EXPECT_TRUE(eventually([&] {
    return l1.count(membership::expired, "calc-ghost") == 1 &&
           l2.count(membership::expired, "calc-ghost") == 1 &&
           l3.count(membership::expired, "calc-ghost") == 1;
  }));
  ASSERT_EQ(queued.wait_for(5s), std::future_status::ready);
  try {
    queued.get();
    FAIL() << "expected unavailable";
  } catch (const redwire::rpc_error& e) {
    EXPECT_EQ(e.error(), errc::unavailable);
  }
  // Known dead: a new targeted call is refused at once.
  auto began = std::chrono::steady_clock::now();
  auto r = cli->with({.instance = "calc-ghost"}).try_call(calc::add, 1, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), errc::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);
  std::this_thread::sleep_for(600ms);  // more reap rounds: still exactly one event each
  EXPECT_EQ(l1.count(membership::expired, "calc-ghost"), 1);
  EXPECT_EQ(l2.count(membership::expired, "calc-ghost"), 1);
  EXPECT_EQ(l3.count(membership::expired, "calc-ghost"), 1);
  std::lock_guard lock(l1.mutex);
  for (auto& e : l1.events)
    if (e.change == membership::expired) {
      EXPECT_EQ(e.instance.host, "elsewhere");
    }
}

TEST_P(on_both, a_call_to_an_instance_not_started_yet_waits_for_it) {
  auto cli = world_->client({.default_timeout = 10s});
  auto early = cli->with({.instance = "calc-late"}).async_call(calc::whoami);
  std::this_thread::sleep_for(100ms);
  auto svc = world_->service("calc", {.instance_id = "calc-late"});
  bind_calc(*svc);
  svc->start();
  EXPECT_EQ(early.get(), "calc-late");
}

TEST_P(on_both, groups_do_not_see_each_other) {
  auto blue = world_->service("calc", {.instance_id = "calc-blue", .group = "blue"});
  bind_calc(*blue);
  blue->start();
  auto green_registry = world_->registry({.group = "green"});
  auto blue_registry = world_->registry({.group = "blue"});
  auto no_group = world_->registry();
  EXPECT_TRUE(green_registry->services().empty());
  EXPECT_TRUE(no_group->services().empty());
  EXPECT_EQ(blue_registry->services(), std::vector<std::string>{"calc"});
  EXPECT_EQ(blue_registry->instances("calc").front().group, "blue");
  auto blue_client = world_->client({.group = "blue"});
  EXPECT_EQ(blue_client->call(calc::whoami), "calc-blue");
  auto green_client = world_->client({.default_timeout = 300ms, .group = "green"});
  auto r = green_client->try_call(calc::whoami);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), errc::timeout);
}

TEST_P(on_both, registration_can_be_turned_off) {
  auto svc = world_->service("calc", {.registration = {.enabled = false}});
  bind_calc(*svc);
  svc->start();
  auto reg = world_->registry();
  EXPECT_TRUE(reg->services().empty());
  EXPECT_EQ(world_->client()->call(calc::add, 2, 3), 5);
}

INSTANTIATE_TEST_SUITE_P(transports, on_both, ::testing::Values("memory", "redis"),
                         [](const auto& info) { return info.param; });

TEST(registry_on_redis, nothing_secret_is_stored) {
  redwire::test::redis_server secured{{"--requirepass", "s3cret-pw"}};
  std::string url = "redis://:s3cret-pw@127.0.0.1:" + std::to_string(secured.port());
  redwire::redis::transport bus{url};
  redwire::service svc{bus, "calc", {.instance_id = "calc-1"}};
  bind_calc(svc);
  svc.start();
  auto keys = bus.command({"KEYS", "*"});
  ASSERT_FALSE(keys.elements.empty());
  for (auto& k : keys.elements) {
    std::string type = bus.command({"TYPE", k.str}).str;
    std::string dump;
    if (type == "hash")
      for (auto& e : bus.command({"HGETALL", k.str}).elements) dump += e.str + "\n";
    else if (type == "zset")
      for (auto& e : bus.command({"ZRANGE", k.str, "0", "-1"}).elements) dump += e.str + "\n";
    EXPECT_EQ(dump.find("s3cret"), std::string::npos) << k.str;
    EXPECT_EQ(dump.find("token"), std::string::npos) << k.str;
  }
}

}  // namespace
