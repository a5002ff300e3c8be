// The public face as issue 19 gives it, line for line: programs written against it compile and
// work (the recorded traffic's names, on a private redis-server).
#include <gtest/gtest.h>

#include <redwire/inventa.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "support/eventually.hpp"
#include "support/redis_server.hpp"

namespace calc {
inline constexpr redwire::procedure<"calc.sum", std::int64_t(std::int64_t, std::int64_t)> sum{};
}

TEST(inventa_public_face, as_the_issue_writes_it) {
  redwire::test::redis_server server;
  const std::string url = server.url();

  redwire::inventa::node orc{url, "svc:orc:", redwire::inventa::role::orchestrator};
  orc.on_registering([](const redwire::inventa::instance& i) -> redwire::admission {
    (void)i;
    return true;
  });
  orc.on_unregistering([](const redwire::inventa::instance&, bool) {});
  orc.start();

  redwire::inventa::node svc{url, "svc:calc:cpp", redwire::inventa::role::service};
  svc.bind(calc::sum, [](std::int64_t a, std::int64_t b) { return a + b; });
  svc.start();                    // subscribes, then serves
  svc.register_with("svc:orc:");  // tries as the libraries do; then heartbeats

  std::int64_t s = orc.call("svc:calc:cpp", calc::sum, 2, 3);  // method "sum", items "2" "3"
  std::vector<std::string> raw = orc.call_raw("svc:calc:cpp", "sum", {"2", "3"});
  std::vector<redwire::inventa::instance> calcs = orc.instances("calc");
  EXPECT_EQ(s, 5);
  EXPECT_EQ(raw, std::vector<std::string>{"5"});
  ASSERT_EQ(calcs.size(), 1u);
  EXPECT_EQ(calcs[0].full_id, "svc:calc:cpp");
  EXPECT_EQ(orc.try_call("svc:calc:cpp", calc::sum, 2, 3).value(), 5);
  EXPECT_EQ(orc.async_call("svc:calc:cpp", calc::sum, 2, 3).get(), 5);
}
