// bench/call_bench.cpp — calls through the in-memory transport and through Redis.
//
// Every Redis case runs against one private redis-server that this program starts
// (private_redis.hpp), over TCP on 127.0.0.1. The speed goals are ratios within one run:
//   memory/call_vs_handoff   bare thread hand-offs (there and back) and calls over the
//                        in-memory transport in alternating blocks; ratio of the p50s
//   redis/sync_vs_ping   bare hiredis PINGs and redwire sync calls in alternating blocks, so
//                        both see the same machine; counters ping_p50_us, call_p50_us and
//                        ratio (goal: <= 2.3)
//   redis/async/inflight:N   calls/s with N calls in flight (goal: >= 100k/s at 256)
//   redis/payload/bytes:N    sync echo of N bytes, p50 and p99
//   redis/replicas:R         calls/s with 256 in flight and R service instances in-process
//   redis/tls/sync_vs_plain  on one server with a plaintext and a TLS port (certificates made
//                        with the openssl tool): plaintext and TLS PINGs and sync calls in
//                        turn, blocks of 64; ratio of the calls' p50s (goal: <= 1.3), and
//                        ping_ratio, the same of the PINGs (what TLS costs the server)
//   redis/tls/async_vs_plain/inflight:N   calls/s with N in flight, plaintext and TLS in
//                        alternating blocks of 8192 calls; ratio TLS / plaintext (goal: >= 0.7)
// Services run on transports of their own (as in another process); the caller has its own.
//   call_bench --benchmark_filter=sync_vs_ping --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <redwire/memory.hpp>
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "private_redis.hpp"

namespace {

using bench::clock;

/// Runs `baseline` and `call` in alternating blocks of `block` iterations, so that both see the
/// same moods of a shared machine, leaving the first `settle` of each block uncounted (the
/// previous block's background work may still be running); reports the p50 of each
/// (`<baseline>_p50_us`, `call_p50_us`) and their ratio.
template <class Baseline, class Call>
void alternate(benchmark::State& state, const std::string& baseline_name, Baseline&& baseline,
               Call&& call, std::size_t block, std::size_t settle) {
  bench::samples base, calls;
  std::size_t n = 0;
  for (auto _ : state) {
    const bool on_baseline = (n / block) % 2 == 0;
    const bool counted = n % block >= settle;
    ++n;
    auto t0 = clock::now();
    if (on_baseline)
      baseline();
    else
      call();
    auto t1 = clock::now();
    if (counted) (on_baseline ? base : calls).add(t1 - t0);
  }
  const double b = base.quantile(0.5), c = calls.quantile(0.5);
  state.counters[baseline_name + "_p50_us"] = b / 1e3;
  state.counters["call_p50_us"] = c / 1e3;
  state.counters["ratio"] = b > 0 ? c / b : 0;
}

// ---- in-memory transport ---------------------------------------------------------------------

/// A service with one worker and a client over the in-memory transport, connections warm.
struct memory_env {
  memory_env() {
    bench::bind_all(svc);
    svc.start();
    for (int i = 0; i < 1000; ++i) benchmark::DoNotOptimize(cli.call(bench::add, i, 1));
  }
  redwire::memory::transport bus;
  redwire::service svc{bus, "bench", {.workers = 1}};
  redwire::client cli{bus};
};

void memory_call(benchmark::State& state) {
  memory_env env;
  auto& cli = env.cli;
  bench::samples lat;
  for (auto _ : state) {
    auto t0 = clock::now();
    benchmark::DoNotOptimize(cli.call(bench::add, 1, 2));
    lat.add(clock::now() - t0);
  }
  state.counters["p50_us"] = lat.quantile(0.5) / 1e3;
  state.counters["p99_us"] = lat.quantile(0.99) / 1e3;
}

// The memory goal's measurement (a call costs no more than the thread hand-off it
// needs): bare hand-offs to another thread and back, and calls, in alternating blocks of 1024
// (long enough for the scheduler to settle into the same steady state for both).
void memory_call_vs_handoff(benchmark::State& state) {
  memory_env env;
  auto& cli = env.cli;
  bench::handoff bare;
  alternate(
      state, "handoff", [&] { benchmark::DoNotOptimize(bare.round_trip(1)); },
      [&] { benchmark::DoNotOptimize(cli.call(bench::add, 1, 2)); }, 1024, 16);
}

// ---- Redis -------------------------------------------------------------------------------------

/// One redis-server for the whole run, the caller's transport and client, and the service
/// replicas (each on its own transport, with its own connections, as separate processes would be).
struct redis_env {
  bench::private_redis server;
  std::unique_ptr<redwire::redis::transport> caller_bus;
  std::unique_ptr<redwire::client> cli;
  std::vector<std::unique_ptr<redwire::redis::transport>> replica_buses;
  std::vector<std::unique_ptr<redwire::service>> replicas;

  redis_env() {
    caller_bus = std::make_unique<redwire::redis::transport>(server.url());
    cli = std::make_unique<redwire::client>(*caller_bus);
  }

  /// Makes sure exactly `n` replicas serve the bench procedures.
  redwire::client& with_replicas(std::size_t n) {
    if (replicas.size() != n) {
      replicas.clear();
      replica_buses.clear();
      for (std::size_t i = 0; i < n; ++i) {
        replica_buses.push_back(std::make_unique<redwire::redis::transport>(server.url()));
        replicas.push_back(std::make_unique<redwire::service>(*replica_buses.back(), "bench"));
        bench::bind_all(*replicas.back());
        replicas.back()->start();
      }
      for (int i = 0; i < 200; ++i) cli->call(bench::add, i, 1);  // connections warm
    }
    return *cli;
  }

  static redis_env& get() {
    static redis_env env;
    return env;
  }
};

void redis_ping(benchmark::State& state) {
  auto& env = redis_env::get();
  env.with_replicas(1);
  bench::bare_redis bare(env.caller_bus->config());
  bench::samples lat;
  for (auto _ : state) {
    auto t0 = clock::now();
    bare.ping();
    lat.add(clock::now() - t0);
  }
  state.counters["p50_us"] = lat.quantile(0.5) / 1e3;
  state.counters["p99_us"] = lat.quantile(0.99) / 1e3;
}

void redis_sync_call(benchmark::State& state) {
  auto& cli = redis_env::get().with_replicas(1);
  bench::samples lat;
  for (auto _ : state) {
    auto t0 = clock::now();
    benchmark::DoNotOptimize(cli.call(bench::add, 1, 2));
    lat.add(clock::now() - t0);
  }
  state.counters["p50_us"] = lat.quantile(0.5) / 1e3;
  state.counters["p99_us"] = lat.quantile(0.99) / 1e3;
}

// The goal's measurement: PINGs and calls in alternating blocks of 64, so both see the same
// moods of a shared machine; the first 4 of each block are not counted (the previous block's
// background work, such as the service's next pop, may still be running).
void redis_sync_vs_ping(benchmark::State& state) {
  auto& env = redis_env::get();
  auto& cli = env.with_replicas(1);
  bench::bare_redis bare(env.caller_bus->config());
  alternate(
      state, "ping", [&] { bare.ping(); },
      [&] { benchmark::DoNotOptimize(cli.call(bench::add, 1, 2)); }, 64, 4);
}

// Keeps N calls in flight: each iteration waits for the oldest and sends a new one.
void redis_async(benchmark::State& state, std::size_t replicas) {
  auto& cli = redis_env::get().with_replicas(replicas);
  const auto in_flight = static_cast<std::size_t>(state.range(0));
  std::vector<std::future<int>> window(in_flight);
  for (std::size_t i = 0; i < in_flight; ++i) window[i] = cli.async_call(bench::add, 1, 2);
  std::size_t head = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(window[head].get());
    window[head] = cli.async_call(bench::add, 1, 2);
    head = head + 1 == in_flight ? 0 : head + 1;
  }
  for (auto& f : window) f.get();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["calls_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void redis_async_inflight(benchmark::State& state) {
  redis_async(state, 1);
}
void redis_replicas(benchmark::State& state) {
  redis_async(state, static_cast<std::size_t>(state.range(1)));
}

void redis_payload(benchmark::State& state) {
  auto& cli = redis_env::get().with_replicas(1);
  const std::string payload(static_cast<std::size_t>(state.range(0)), 'x');
  bench::samples lat;
  for (auto _ : state) {
    auto t0 = clock::now();
    std::string back = cli.call(bench::echo, payload);
    lat.add(clock::now() - t0);
    benchmark::DoNotOptimize(back);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.counters["p50_us"] = lat.quantile(0.5) / 1e3;
  state.counters["p99_us"] = lat.quantile(0.99) / 1e3;
}

// ---- TLS against plaintext, on one server ------------------------------------------------------

/// A redis-server with a plaintext and a TLS port; on each, a service and a client with
/// transports of their own, on namespaces of their own (neither serves the other's calls).
struct tls_env {
  struct side {
    explicit side(const std::string& url)
        : service_bus(url), caller_bus(url), svc(service_bus, "bench"), cli(caller_bus) {
      bench::bind_all(svc);
      svc.start();
      for (int i = 0; i < 200; ++i) cli.call(bench::add, i, 1);  // connections warm
    }
    redwire::redis::transport service_bus, caller_bus;
    redwire::service svc;
    redwire::client cli;
  };
  bench::private_redis server{{.tls = true}};
  side plain{server.url() + "?prefix=plain"};
  side tls{server.tls_url() + "&prefix=tls"};

  static tls_env& get() {
    static tls_env env;
    return env;
  }
};

// Plaintext and TLS PINGs (the server's own cost of TLS) and calls in turn, blocks of 64.
void tls_sync_vs_plain(benchmark::State& state) {
  auto& env = tls_env::get();
  bench::bare_redis plain_ping(env.plain.caller_bus.config()),
      tls_ping(env.tls.caller_bus.config());
  const std::function<void()> turns[4] = {
      [&] { plain_ping.ping(); }, [&] { tls_ping.ping(); },
      [&] { benchmark::DoNotOptimize(env.plain.cli.call(bench::add, 1, 2)); },
      [&] { benchmark::DoNotOptimize(env.tls.cli.call(bench::add, 1, 2)); }};
  constexpr std::size_t block = 64, settle = 4;
  bench::samples s[4];
  std::size_t n = 0;
  for (auto _ : state) {
    const std::size_t turn = n / block % 4;
    const bool counted = n % block >= settle;
    ++n;
    const auto t0 = clock::now();
    turns[turn]();
    if (counted) s[turn].add(clock::now() - t0);
  }
  const char* names[4] = {"plain_ping", "tls_ping", "plain", "call"};
  for (int i = 0; i < 4; ++i)
    state.counters[std::string(names[i]) + "_p50_us"] = s[i].quantile(0.5) / 1e3;
  auto ratio = [&](int a, int b) {
    return s[b].quantile(0.5) > 0 ? s[a].quantile(0.5) / s[b].quantile(0.5) : 0;
  };
  state.counters["ratio"] = ratio(3, 2);       // TLS call / plaintext call
  state.counters["ping_ratio"] = ratio(1, 0);  // TLS PING / plaintext PING
}

/// Makes `total` calls keeping `in_flight` of them in flight.
void keep_in_flight(redwire::client& cli, std::size_t in_flight, std::size_t total) {
  std::vector<std::future<int>> window(in_flight);
  for (auto& f : window) f = cli.async_call(bench::add, 1, 2);
  for (std::size_t i = in_flight, head = 0; i < total; ++i, head = (head + 1) % in_flight) {
    benchmark::DoNotOptimize(window[head].get());
    window[head] = cli.async_call(bench::add, 1, 2);
  }
  for (auto& f : window) f.get();
}

void tls_async_vs_plain(benchmark::State& state) {
  auto& env = tls_env::get();
  const auto in_flight = static_cast<std::size_t>(state.range(0));
  constexpr std::size_t block = 8192;
  double seconds[2] = {0, 0};
  std::size_t blocks[2] = {0, 0};
  std::size_t n = 0;
  for (auto _ : state) {
    const int on_tls = n++ % 2;
    auto t0 = clock::now();
    keep_in_flight(on_tls ? env.tls.cli : env.plain.cli, in_flight, block);
    seconds[on_tls] += std::chrono::duration<double>(clock::now() - t0).count();
    ++blocks[on_tls];
  }
  const double plain = seconds[0] > 0 ? static_cast<double>(blocks[0] * block) / seconds[0] : 0;
  const double tls = seconds[1] > 0 ? static_cast<double>(blocks[1] * block) / seconds[1] : 0;
  state.counters["plain_calls_per_s"] = plain;
  state.counters["tls_calls_per_s"] = tls;
  state.counters["ratio"] = plain > 0 ? tls / plain : 0;
}

}  // namespace

BENCHMARK(memory_call)->Name("memory_call")->UseRealTime();
BENCHMARK(memory_call_vs_handoff)->Name("memory/call_vs_handoff")->UseRealTime()->MinTime(2.0);
BENCHMARK(redis_ping)->Name("redis/ping")->UseRealTime()->MinTime(1.0);
BENCHMARK(redis_sync_call)->Name("redis/sync_call")->UseRealTime()->MinTime(1.0);
BENCHMARK(redis_sync_vs_ping)->Name("redis/sync_vs_ping")->UseRealTime()->MinTime(2.0);
BENCHMARK(redis_async_inflight)
    ->Name("redis/async")
    ->ArgName("inflight")
    ->Arg(1)
    ->Arg(16)
    ->Arg(256)
    ->Arg(1024)
    ->UseRealTime()
    ->MinTime(1.0);
BENCHMARK(redis_payload)
    ->Name("redis/payload")
    ->ArgName("bytes")
    ->Arg(16)
    ->Arg(256)
    ->Arg(4 << 10)
    ->Arg(64 << 10)
    ->Arg(1 << 20)
    ->UseRealTime();
BENCHMARK(redis_replicas)
    ->Name("redis/replicas")
    ->ArgNames({"inflight", "replicas"})
    ->Args({256, 1})
    ->Args({256, 2})
    ->Args({256, 4})
    ->UseRealTime()
    ->MinTime(1.0);

BENCHMARK(tls_sync_vs_plain)->Name("redis/tls/sync_vs_plain")->UseRealTime()->MinTime(3.0);
BENCHMARK(tls_async_vs_plain)
    ->Name("redis/tls/async_vs_plain")
    ->ArgName("inflight")
    ->Arg(256)
    ->Iterations(20)
    ->UseRealTime();

BENCHMARK_MAIN();
