// redwire::registry on both transports: what an instance registers, heartbeats, lookups,
// membership events, dead instances' work, groups.
#include <unistd.h>

#include <algorithm>
#include <future>
#include <string>
#include <vector>

#include "registry/registry_fixture.hpp"
#include "support/redis_stats.hpp"

using namespace registry_test;
using redwire::errc;
using redwire::membership;

namespace {

class registry : public on_both {};

TEST_P(registry, an_instance_registers_its_facts_and_procedures) {
  auto svc = bus_->make_service(
      "calc", {.instance_id = "calc-1", .registration = {.metadata = {{"zone", "eu-1"}}}});
  bind_calc(*svc);
  svc->start();
  auto reg = bus_->make_registry();
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
  ASSERT_EQ(i.procedures.size(), 5u);
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

TEST_P(registry, graceful_stop_deregisters_at_once_and_says_left) {
  auto reg = bus_->make_registry();
  event_log log;
  auto watch = reg->watch(log.handler());
  auto svc = bus_->make_service("calc", {.instance_id = "calc-1"});
  bind_calc(*svc);
  svc->start();
  EXPECT_TRUE(eventually([&] { return log.count(membership::joined, "calc-1") == 1; }));
  svc->stop();
  EXPECT_TRUE(reg->instances("calc").empty());  // at once: no waiting for a TTL
  EXPECT_TRUE(reg->services().empty());
  EXPECT_TRUE(eventually([&] { return log.count(membership::left, "calc-1") == 1; }));
  // A call targeted at the stopped instance is refused at once, not at its timeout.
  auto cli = bus_->make_client({.default_timeout = 10s});
  auto began = std::chrono::steady_clock::now();
  auto r = cli->with({.instance = "calc-1"}).try_call(calc::add, 1, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), errc::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);  // at once: half its 10 s timeout
}

// Heartbeats have a thread of their own: the only worker held in a handler for more than 3
// TTLs (held by a gate: busy for all of it, however slow the machine) leaves the instance
// registered, and no watcher hears it expire.
TEST_P(registry, a_handler_busy_for_3x_the_ttl_does_not_make_its_instance_look_dead) {
  auto reg = bus_->make_registry();
  event_log log;
  auto watch = reg->watch(log.handler());
  redwire::test::gate gate;
  auto svc = bus_->make_service(
      "calc", {.instance_id = "calc-busy", .workers = 1, .registration = {.ttl = 300ms}});
  redwire::test::open_at_exit release(gate);
  bind_calc(*svc, &gate);
  svc->start();
  auto cli = bus_->make_client();
  auto busy = cli->async_call(calc::hold);  // on the only worker
  ASSERT_TRUE(gate.wait_inside(1));
  std::this_thread::sleep_for(1000ms);  // what is watched: more than 3 TTLs of a busy worker
  EXPECT_EQ(reg->instances("calc").size(), 1u);
  EXPECT_EQ(gate.inside(), 1);  // still busy all that time
  gate.open();
  EXPECT_EQ(busy.get(), "calc-busy");
  EXPECT_EQ(reg->instances("calc").size(), 1u);
  EXPECT_EQ(log.count(membership::expired, "calc-busy"), 0);
}

TEST_P(registry, a_dead_instance_expires_once_for_every_watcher_and_its_calls_fail_back) {
  // Three watchers (three registries, as three processes would have).
  auto r1 = bus_->make_registry(), r2 = bus_->make_registry(), r3 = bus_->make_registry();
  event_log l1, l2, l3;
  auto w1 = r1->watch(l1.handler());
  auto w2 = r2->watch(l2.handler());
  auto w3 = r3->watch(l3.handler());
  redwire::instance_info ghost;
  ghost.service = "calc";
  ghost.id = "calc-ghost";
  ghost.host = "elsewhere";
  const auto ttl = 1000ms;
  bus_->register_dead(ghost, ttl);
  const auto died = std::chrono::steady_clock::now();
  ASSERT_EQ(r1->instances("calc").size(), 1u);
  // A call already queued for it when it dies is failed back, not left waiting.
  auto cli = bus_->make_client({.default_timeout = 20s});
  auto queued = cli->with({.instance = "calc-ghost"}).async_call(calc::add, 1, 1);
  // Gone once its TTL has passed (docs/registry.md); a second more for a loaded machine to see it.
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
  EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);  // at once: half its 10 s timeout
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

TEST_P(registry, a_call_to_an_instance_not_started_yet_waits_for_it) {
  auto cli = bus_->make_client({.default_timeout = 10s});
  auto early = cli->with({.instance = "calc-late"}).async_call(calc::whoami);
  // async_call has pushed the request when it returns (fewer than 16 in flight: no write-behind)
  auto svc = bus_->make_service("calc", {.instance_id = "calc-late"});
  bind_calc(*svc);
  svc->start();
  EXPECT_EQ(early.get(), "calc-late");
}

TEST_P(registry, groups_do_not_see_each_other) {
  auto blue = bus_->make_service("calc", {.instance_id = "calc-blue", .group = "blue"});
  bind_calc(*blue);
  blue->start();
  auto green_registry = bus_->make_registry({.group = "green"});
  auto blue_registry = bus_->make_registry({.group = "blue"});
  auto no_group = bus_->make_registry();
  EXPECT_TRUE(green_registry->services().empty());
  EXPECT_TRUE(no_group->services().empty());
  EXPECT_EQ(blue_registry->services(), std::vector<std::string>{"calc"});
  EXPECT_EQ(blue_registry->instances("calc").front().group, "blue");
  auto blue_client = bus_->make_client({.group = "blue"});
  EXPECT_EQ(blue_client->call(calc::whoami), "calc-blue");
  auto green_client = bus_->make_client({.default_timeout = 300ms, .group = "green"});
  auto r = green_client->try_call(calc::whoami);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error(), errc::timeout);
}

TEST_P(registry, registration_can_be_turned_off) {
  auto svc = bus_->make_service("calc", {.registration = {.enabled = false}});
  bind_calc(*svc);
  svc->start();
  auto reg = bus_->make_registry();
  EXPECT_TRUE(reg->services().empty());
  EXPECT_EQ(bus_->make_client()->call(calc::add, 2, 3), 5);
}

// Services whose hash tags sit on the three masters of the cluster bus (alpha 865, delta 9053,
// echo 14438: support/redis_cluster.hpp), the registry's index in a slot of none of them: each
// service's keys and scripts on its own master, the index listing all three.
namespace spread {
inline constexpr redwire::procedure<"alpha.add", int(int, int)> alpha_add{};
inline constexpr redwire::procedure<"delta.add", int(int, int)> delta_add{};
inline constexpr redwire::procedure<"echo.add", int(int, int)> echo_add{};
}  // namespace spread

TEST_P(registry, services_whose_slots_sit_on_every_master_are_listed_and_called) {
  const std::vector<std::string> names = {"alpha", "delta", "echo"};
  std::vector<std::unique_ptr<redwire::service>> services;
  for (const std::string& name : names)
    services.push_back(bus_->make_service(name, {.instance_id = name + "-1"}));
  const auto add = [](int a, int b) { return a + b; };
  services[0]->bind(spread::alpha_add, add);
  services[1]->bind(spread::delta_add, add);
  services[2]->bind(spread::echo_add, add);
  for (auto& s : services) s->start();
  auto reg = bus_->make_registry();
  auto listed = reg->services();
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, names);
  for (const std::string& name : names) {
    auto all = reg->instances(name);
    ASSERT_EQ(all.size(), 1u) << name;
    EXPECT_EQ(all.front().id, name + "-1");
    EXPECT_EQ(all.front().procedures.size(), 1u) << name;
  }
  auto cli = bus_->make_client();
  EXPECT_EQ(cli->call(spread::alpha_add, 1, 2), 3);
  EXPECT_EQ(cli->call(spread::delta_add, 3, 4), 7);
  EXPECT_EQ(cli->call(spread::echo_add, 5, 6), 11);
  services[1]->stop();  // deregisters at once: delta's keys and the index
  listed = reg->services();
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, (std::vector<std::string>{"alpha", "echo"}));
  EXPECT_TRUE(reg->instances("delta").empty());
}

INSTANTIATE_TEST_SUITE_P(transports, registry,
                         ::testing::ValuesIn(redwire::test::transport_and_cluster_kinds()),
                         redwire::test::bus_name{});

// Reads every key of every type whole (support/redis_stats.hpp): the password of the URL
// the service connected with is in none of them, nor any token.
TEST(registry_on_redis, nothing_secret_is_stored) {
  redwire::test::redis_server secured{{"--requirepass", "s3cret-pw"}};
  std::string url = "redis://:s3cret-pw@127.0.0.1:" + std::to_string(secured.port());
  redwire::redis::transport bus{url};
  redwire::service svc{bus, "calc", {.instance_id = "calc-1"}};
  bind_calc(svc);
  svc.start();
  const std::string stored = redwire::test::everything_stored(bus);
  EXPECT_NE(stored.find("calc-1"), std::string::npos) << "the registry's record was not read";
  EXPECT_NE(stored.find("calc.add"), std::string::npos) << "its procedures were not read";
  EXPECT_EQ(stored.find("s3cret"), std::string::npos);
  EXPECT_EQ(stored.find("token"), std::string::npos);
}

}  // namespace
