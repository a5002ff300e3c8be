// bench/async_bench.cpp — completion tokens against the calls they stand beside (issue 17), on a
// private redis-server, ratios within one run:
//   redis/coroutine_vs_sync   a coroutine's co_await cli.async_call(..., use_awaitable) on one
//                             io_context, against a sync call, in alternating blocks on the same
//                             thread; ratio of the p50s (goal: <= 1.1)
//   redis/callbacks_vs_futures  256 calls in flight, each callback sending the next call, against
//                             a window of 256 futures, in alternating rounds of 20,000 calls;
//                             ratio of calls/s, callbacks / futures (goal: >= 1.0)
#include <benchmark/benchmark.h>

#include <redwire/asio.hpp>
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <future>
#include <memory>
#include <vector>

#include "bench_support.hpp"
#include "private_redis.hpp"

namespace {

using bench::clock;
namespace asio = boost::asio;

struct env {
  env() : bus(server.url()), svc(bus, "bench", {.workers = 2}), cli(bus) {
    bench::bind_all(svc);
    svc.start();
    for (int i = 0; i < 1000; ++i) cli.call(bench::add, 1, 2);  // connections warm
  }
  static env& get() {
    static env e;
    return e;
  }
  bench::private_redis server;
  redwire::redis::transport bus;
  redwire::service svc;
  redwire::client cli;
};

// Alternating blocks of 64 calls (the first 4 of each not counted), all on the benchmark thread:
// the coroutine runs the benchmark loop itself.
void coroutine_vs_sync(benchmark::State& state) {
  auto& cli = env::get().cli;
  bench::samples sync_calls, coroutine_calls;
  asio::io_context io;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        std::size_t n = 0;
        for (auto _ : state) {
          const bool on_sync = (n / 64) % 2 == 0;
          const bool counted = n % 64 >= 4;
          ++n;
          const auto t0 = clock::now();
          if (on_sync)
            benchmark::DoNotOptimize(cli.call(bench::add, 1, 2));
          else
            benchmark::DoNotOptimize(
                co_await cli.async_call(bench::add, 1, 2, asio::use_awaitable));
          if (counted) (on_sync ? sync_calls : coroutine_calls).add(clock::now() - t0);
        }
      },
      asio::detached);
  io.run();
  const double s = sync_calls.quantile(0.5), c = coroutine_calls.quantile(0.5);
  state.counters["sync_p50_us"] = s / 1e3;
  state.counters["coroutine_p50_us"] = c / 1e3;
  state.counters["ratio"] = s > 0 ? c / s : 0;
}

constexpr std::size_t in_flight = 256;
constexpr std::size_t round_calls = 20'000;

// One round of `round_calls` calls through a window of futures; returns its seconds.
double futures_round(redwire::client& cli) {
  std::vector<std::future<int>> window(in_flight);
  const auto t0 = clock::now();
  for (auto& f : window) f = cli.async_call(bench::add, 1, 2);
  for (std::size_t i = in_flight, head = 0; i < round_calls; ++i) {
    benchmark::DoNotOptimize(window[head].get());
    window[head] = cli.async_call(bench::add, 1, 2);
    head = head + 1 == in_flight ? 0 : head + 1;
  }
  for (auto& f : window) f.get();
  return std::chrono::duration<double>(clock::now() - t0).count();
}

// The same with callbacks: each one sends the next call until `round_calls` are sent.
struct callback_round {
  explicit callback_round(redwire::client& c) : cli(c) {}
  redwire::client& cli;
  std::atomic<std::size_t> sent{0}, done{0};
  std::promise<void> finished;

  void send() {
    cli.async_call(bench::add, 1, 2, [this](redwire::result<int> r) {
      benchmark::DoNotOptimize(r);
      if (sent.fetch_add(1) < round_calls) send();
      if (done.fetch_add(1) + 1 == round_calls) finished.set_value();
    });
  }
  double run() {
    const auto t0 = clock::now();
    sent = in_flight;
    for (std::size_t i = 0; i < in_flight; ++i) send();
    finished.get_future().wait();
    return std::chrono::duration<double>(clock::now() - t0).count();
  }
};

void callbacks_vs_futures(benchmark::State& state) {
  auto& cli = env::get().cli;
  double futures_s = 0, callbacks_s = 0;
  std::vector<std::unique_ptr<callback_round>> kept;  // their last callbacks may still run
  for (auto _ : state) {
    futures_s += futures_round(cli);
    kept.push_back(std::make_unique<callback_round>(cli));
    callbacks_s += kept.back()->run();
  }
  const double rounds = static_cast<double>(state.iterations());
  state.counters["futures_calls_per_s"] = round_calls * rounds / futures_s;
  state.counters["callbacks_calls_per_s"] = round_calls * rounds / callbacks_s;
  state.counters["ratio"] = futures_s / callbacks_s;
}

BENCHMARK(coroutine_vs_sync)->Name("redis/coroutine_vs_sync")->UseRealTime()->MinTime(2.0);
BENCHMARK(callbacks_vs_futures)->Name("redis/callbacks_vs_futures")->UseRealTime()->Iterations(10);

}  // namespace

BENCHMARK_MAIN();
