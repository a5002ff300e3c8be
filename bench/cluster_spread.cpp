// bench/cluster_spread.cpp — how a deployment of 100 services spreads over a Redis Cluster's
// masters (issue 16): services s00 … s99 (each its own hash tag, so its own slot), one instance
// each, and one client calling them in turn with 256 calls in flight. Each master's share of the
// requests (the RPUSHes it ran, from INFO commandstats before and after) is printed beside its
// share of the services.
//   cluster_spread URL [CALLS]      URL: redis-cluster://...  (CALLS default 20000)
// scripts/cluster-speed.sh runs it on a private cluster.
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr int services = 100;

template <std::size_t I>
constexpr redwire::fixed_string<7> spread_name() {
  redwire::fixed_string<7> s{"s00.inc"};
  s.chars[1] = static_cast<char>('0' + I / 10);
  s.chars[2] = static_cast<char>('0' + I % 10);
  return s;
}

template <std::size_t I>
inline constexpr redwire::procedure<spread_name<I>(), int(int)> spread_inc{};

using caller = std::function<std::future<int>(redwire::client&, int)>;

// Binds s<I>.inc on a service of its own and returns how to call it.
template <std::size_t I>
caller serve(redwire::redis::transport& bus, std::vector<std::unique_ptr<redwire::service>>& out) {
  auto svc = std::make_unique<redwire::service>(bus, std::string(spread_name<I>().view(), 0, 3));
  svc->bind(spread_inc<I>, [](int x) { return x + 1; });
  svc->start();
  out.push_back(std::move(svc));
  return [](redwire::client& cli, int x) { return cli.async_call(spread_inc<I>, x); };
}

template <std::size_t... I>
std::vector<caller> serve_all(redwire::redis::transport& bus,
                              std::vector<std::unique_ptr<redwire::service>>& out,
                              std::index_sequence<I...>) {
  return {serve<I>(bus, out)...};
}

struct master {
  std::string address;
  std::vector<std::pair<long long, long long>> ranges;
  int services = 0;
  long long before = 0, after = 0;
};

long long rpushes(const std::string& address) {
  redwire::redis::transport node{"redis://" + address};
  const std::string text = node.command({"INFO", "commandstats"}).str;
  const auto at = text.find("cmdstat_rpush:calls=");
  return at == std::string::npos ? 0 : std::atoll(text.c_str() + at + 20);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: cluster_spread redis-cluster://host:port,... [CALLS]\n");
    return 2;
  }
  const int calls = argc > 2 ? std::atoi(argv[2]) : 20000;
  redwire::redis::transport service_bus{argv[1]}, client_bus{argv[1]};
  std::vector<master> masters;
  for (const auto& range : client_bus.command({"CLUSTER", "SLOTS"}).elements) {
    const auto& node = range.elements.at(2).elements;
    const std::string address = node.at(0).str + ":" + std::to_string(node.at(1).integer);
    master* m = nullptr;
    for (master& known : masters)
      if (known.address == address) m = &known;
    if (!m) m = &masters.emplace_back(master{address, {}, 0, 0, 0});
    m->ranges.emplace_back(range.elements.at(0).integer, range.elements.at(1).integer);
  }
  for (int i = 0; i < services; ++i) {
    char tag[4];
    std::snprintf(tag, sizeof tag, "s%02d", i);
    const long long slot = redwire::redis::detail::hash_slot(tag);
    for (master& m : masters)
      for (const auto& [first, last] : m.ranges) m.services += slot >= first && slot <= last;
  }

  std::vector<std::unique_ptr<redwire::service>> running;
  const std::vector<caller> call = serve_all(service_bus, running, std::make_index_sequence<100>{});
  redwire::client cli{client_bus};
  for (int i = 0; i < services; ++i) call[i](cli, 0).get();  // every service answers
  for (master& m : masters) m.before = rpushes(m.address);
  std::deque<std::future<int>> window;
  long long wrong = 0;
  for (int n = 0; n < calls; ++n) {
    window.push_back(call[n % services](cli, n));
    if (window.size() < 256) continue;
    wrong += window.front().get() < 1;
    window.pop_front();
  }
  for (auto& f : window) wrong += f.get() < 1;
  for (master& m : masters) m.after = rpushes(m.address);

  long long total = 0;
  for (const master& m : masters) total += m.after - m.before;
  std::printf("%d calls to %d services over %zu masters (%lld wrong answers)\n", calls, services,
              masters.size(), wrong);
  std::printf("%-22s %9s %9s %10s %9s\n", "master", "services", "share", "requests", "share");
  for (const master& m : masters) {
    const long long got = m.after - m.before;
    std::printf("%-22s %9d %8.1f%% %10lld %8.1f%%\n", m.address.c_str(), m.services,
                100.0 * m.services / services, got, total ? 100.0 * got / total : 0.0);
  }
  return wrong == 0 ? 0 : 1;
}
