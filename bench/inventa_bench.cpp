// Inventa nodes against redwire's own calls, on one private redis-server, in one run.
//   inventa/sync_vs_redwire   a sync call between two Inventa nodes (PUBLISH there, PUBLISH
//                             back) and a redwire sync call (RPUSH, pop, PUBLISH), in
//                             alternating blocks of 64 (the first 4 of each not counted);
//                             reports both p50s and their ratio
//   inventa/sync_call         Inventa sync calls alone: p50, p99
//   inventa/async/256         Inventa async calls with 256 in flight: calls/s
// Run: inventa_bench --benchmark_filter=inventa/ (docs/inventa.md quotes the figures).
#include <benchmark/benchmark.h>

#include <redwire/inventa.hpp>
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <cstdint>
#include <deque>
#include <future>
#include <memory>

#include "bench_support.hpp"
#include "private_redis.hpp"

using private_server = bench::private_redis;

namespace {

using bench::clock;
namespace inv = redwire::inventa;

inline constexpr redwire::procedure<"bench.sum", std::int64_t(std::int64_t, std::int64_t)> sum{};

/// A redis-server, a redwire service and client, and two Inventa nodes (a service and an
/// orchestrator that calls it), made once for the whole run.
struct env {
  static env& get() {
    static env e;
    return e;
  }
  private_server server;
  redwire::redis::transport bus{server.url()};
  redwire::service svc{bus, "bench", {.workers = 1}};
  redwire::client cli{bus};
  inv::node callee{server.url(), "svc:bench:callee", inv::role::service};
  inv::node caller{server.url(), "svc:orc:", inv::role::orchestrator};

 private:
  env() {
    svc.bind(sum, [](std::int64_t a, std::int64_t b) { return a + b; });
    svc.start();
    callee.bind(sum, [](std::int64_t a, std::int64_t b) { return a + b; });
    callee.start();
    caller.start();
    callee.register_with("svc:orc:");
    for (int i = 0; i < 1000; ++i) {  // warm: connections, inboxes, allocations
      benchmark::DoNotOptimize(cli.call(sum, i, 1));
      benchmark::DoNotOptimize(caller.call("svc:bench:callee", sum, i, 1));
    }
  }
};

void sync_vs_redwire(benchmark::State& state) {
  env& e = env::get();
  bench::samples redwire_calls, inventa_calls;
  std::size_t n = 0;
  for (auto _ : state) {
    const bool on_redwire = (n / 64) % 2 == 0;
    const bool counted = n % 64 >= 4;
    ++n;
    const auto t0 = clock::now();
    if (on_redwire)
      benchmark::DoNotOptimize(e.cli.call(sum, 1, 2));
    else
      benchmark::DoNotOptimize(e.caller.call("svc:bench:callee", sum, 1, 2));
    const auto t1 = clock::now();
    if (counted) (on_redwire ? redwire_calls : inventa_calls).add(t1 - t0);
  }
  const double r = redwire_calls.quantile(0.5), i = inventa_calls.quantile(0.5);
  state.counters["redwire_p50_us"] = r / 1e3;
  state.counters["inventa_p50_us"] = i / 1e3;
  state.counters["ratio"] = r > 0 ? i / r : 0;
}

void sync_call(benchmark::State& state) {
  env& e = env::get();
  bench::samples lat;
  for (auto _ : state) {
    const auto t0 = clock::now();
    benchmark::DoNotOptimize(e.caller.call("svc:bench:callee", sum, 1, 2));
    lat.add(clock::now() - t0);
  }
  state.counters["p50_us"] = lat.quantile(0.5) / 1e3;
  state.counters["p99_us"] = lat.quantile(0.99) / 1e3;
}

void async_inflight(benchmark::State& state) {
  env& e = env::get();
  std::deque<std::future<std::int64_t>> inflight;
  const auto depth = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    if (inflight.size() == depth) {
      benchmark::DoNotOptimize(inflight.front().get());
      inflight.pop_front();
    }
    inflight.push_back(e.caller.async_call("svc:bench:callee", sum, 1, 2));
  }
  for (auto& f : inflight) f.get();
  state.counters["calls_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(sync_vs_redwire)->Name("inventa/sync_vs_redwire")->UseRealTime()->MinTime(2.0);
BENCHMARK(sync_call)->Name("inventa/sync_call")->UseRealTime()->MinTime(1.0);
BENCHMARK(async_inflight)->Name("inventa/async")->Arg(256)->UseRealTime()->MinTime(1.0);

BENCHMARK_MAIN();
