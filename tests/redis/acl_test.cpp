// Redis ACL users: a user limited to its namespace's keys (~rw:*) and channels (&rw:*), with only
// the command categories redwire uses, runs services and calls; Redis's ACL LOG stays empty.
#include <redwire/redwire.hpp>

#include <atomic>
#include <future>
#include <string>
#include <vector>

#include "common.hpp"

using namespace std::chrono_literals;
using redwire::redis::transport;

namespace {

inline constexpr redwire::procedure<"calc.add", int(int, int)> add{};
inline constexpr redwire::procedure<"calc.reset", void()> reset{};

/// redis-server arguments for an ACL user limited to `prefix`'s keys and channels. The default
/// user stays as it is (no password): the test inspects the server through it.
std::vector<std::string> namespace_user(const std::string& name, const std::string& password,
                                        const std::string& prefix) {
  return {"--user", name, "on", ">" + password, "~" + prefix + ":*", "&" + prefix + ":*",
          // What redwire runs: lists (queues), pub/sub (replies, events), hashes and sorted sets
          // (registry), scripts, streams, key expiry; CLIENT UNBLOCK wakes a blocked pop.
          "-@all", "+@connection", "+@list", "+@pubsub", "+@hash", "+@sortedset", "+@string",
          "+@stream", "+@scripting", "+@keyspace", "+@transaction", "-@dangerous",
          "+client|unblock", "+time"};
}

std::string denied_commands(transport& admin) {
  std::string out;
  for (auto& entry : admin.command({"ACL", "LOG"}).elements)
    for (std::size_t i = 0; i + 1 < entry.elements.size(); i += 2)
      if (entry.elements[i].str == "object" || entry.elements[i].str == "reason")
        out += entry.elements[i + 1].str + " ";
  return out;
}

void run_calls(transport& bus) {
  redwire::service svc{bus, "calc", {.workers = 2}};
  std::atomic<int> resets{0};
  svc.bind(add, [](int a, int b) { return a + b; });
  svc.bind(reset, [&] { ++resets; });
  svc.start();
  redwire::client cli{bus};
  auto first = cli.with({.timeout = 2s}).try_call(add, 2, 3);
  ASSERT_TRUE(first) << first.error().what();  // the caller then prints the ACL log
  EXPECT_EQ(*first, 5);
  std::vector<std::future<int>> futures;
  for (int i = 0; i < 50; ++i) futures.push_back(cli.async_call(add, i, 1));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(futures[i].get(), i + 1);
  cli.notify(reset);
  EXPECT_TRUE(redis_tests::eventually([&] { return resets == 1; }));
  auto targeted = cli.with({.timeout = 2s, .instance = svc.instance_id()}).try_call(add, 1, 1);
  ASSERT_TRUE(targeted) << targeted.error().what();
  EXPECT_EQ(*targeted, 2);
  std::this_thread::sleep_for(300ms);  // a pop blocked across an idle spell, then stop's wake-up
  svc.stop();
}

}  // namespace

TEST(redis_acl, namespace_limited_user_runs_services_and_calls) {
  redwire::test::redis_server server{namespace_user("rwapp", "app-pw-1", "rw")};
  const std::string hostport = "127.0.0.1:" + std::to_string(server.port());
  transport admin{"redis://" + hostport};
  {
    transport bus{"redis://rwapp:app-pw-1@" + hostport};
    run_calls(bus);
    // The limits hold: nothing outside rw: can be read, written or published to.
    EXPECT_THROW(bus.command({"SET", "other:key", "x"}), redwire::redis::command_error);
    EXPECT_THROW(bus.command({"PUBLISH", "other", "x"}), redwire::redis::command_error);
    EXPECT_THROW(bus.command({"FLUSHALL"}), redwire::redis::command_error);
    admin.command({"ACL", "LOG", "RESET"});
    run_calls(bus);  // again, with the log clean of the three refusals above
  }
  EXPECT_EQ(denied_commands(admin), "") << "redwire ran commands its ACL user may not run";
}

TEST(redis_acl, user_of_another_prefix_is_kept_out_of_rw) {
  redwire::test::redis_server server{namespace_user("blueapp", "blue-pw", "blue")};
  const std::string hostport = "127.0.0.1:" + std::to_string(server.port());
  transport admin{"redis://" + hostport};
  admin.command({"SET", "rw:secret-thing", "x"});
  {
    transport bus{"redis://blueapp:blue-pw@" + hostport + "?prefix=blue"};
    run_calls(bus);
    EXPECT_THROW(bus.command({"GET", "rw:secret-thing"}), redwire::redis::command_error);
  }
  EXPECT_EQ(denied_commands(admin), "key rw:secret-thing ")  // the test's own GET, no other
      << "only the test's own GET may be refused";
}

TEST(redis_acl, wrong_password_fails_at_connect_without_showing_it) {
  redwire::test::redis_server server{namespace_user("rwapp", "app-pw-1", "rw")};
  const std::string hostport = "127.0.0.1:" + std::to_string(server.port());
  for (const std::string& url :
       {"redis://rwapp:Wrong-Pw-77@" + hostport, "redis://nobody:Wrong-Pw-77@" + hostport}) {
    try {
      transport bus{url};
      FAIL() << "a wrong password must throw at connect";
    } catch (const redwire::transport_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("authentication failed"), std::string::npos) << what;
      EXPECT_EQ(what.find("Wrong-Pw-77"), std::string::npos) << "the password leaked: " << what;
    }
  }
}
