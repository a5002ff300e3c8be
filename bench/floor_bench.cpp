// bench/floor_bench.cpp — redwire against its floors (bench/floors.hpp: the same trips through
// Redis written by hand with hiredis alone), alternately in one run on one private
// redis-server, so that both see the same machine. Each benchmark reports both figures and
// their ratio; the closing table gives each ratio's median and range over the repetitions.
//
//   floor/sync                 bare PINGs, the sync floor and redwire sync calls (16-byte echo)
//                              in turn, blocks of 64 (the first 4 of each not counted): p50 and
//                              p99 of each; x_ping_p50 = call / PING (goal <= 2.0), x_ping_p99
//                              (goal <= 2.5), x_floor_p50 = call / sync floor
//   floor/async/inflight:N/payload:P/replicas:R/threads:T
//                              calls/s of the async floor and of redwire (echo of P bytes; the
//                              floor's requests are 24 + P bytes) in alternating blocks of
//                              4,096 calls (8 N if more), N in flight; R service instances
//                              (the floor: R server threads); T caller threads sharing one
//                              client (the floor has one); x_floor = redwire / floor (>= 0.9);
//                              [floor_]cpu_us and [floor_]redis_us: µs of CPU per call in
//                              this process and in the redis-server
//   floor/async_then/...       the same with callbacks (async_call with a callable): each
//                              call's callback makes the next, as the floor's client does; no
//                              future to set or wait on (threads is not used)
//   floor/large/bytes:B        a call carrying B bytes each way against a SET + GET of B bytes,
//                              alternating blocks of 4; x_floor = bytes/s ratio (goal >= 0.8)
//
//   floor_bench --benchmark_repetitions=5        (about 2 minutes)
#include <benchmark/benchmark.h>

#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "floors.hpp"
#include "private_redis.hpp"

namespace {

using bench::clock;
namespace floors = bench::floors;

/// One redis-server for the run, the caller's transport and client, and `n` service instances
/// on transports of their own (as other processes would be).
struct env {
  bench::private_redis server;
  floors::endpoint at{"127.0.0.1", server.port(), {}};
  redwire::redis::transport caller_bus{server.url()};
  redwire::client cli{caller_bus};
  std::vector<std::unique_ptr<redwire::redis::transport>> buses;
  std::vector<std::unique_ptr<redwire::service>> services;

  redwire::client& with_replicas(std::size_t n) {
    if (services.size() == n) return cli;
    services.clear();
    buses.clear();
    for (std::size_t i = 0; i < n; ++i) {
      buses.push_back(std::make_unique<redwire::redis::transport>(server.url()));
      services.push_back(std::make_unique<redwire::service>(*buses.back(), "bench"));
      bench::bind_all(*services.back());
      services.back()->start();
    }
    for (int i = 0; i < 200; ++i) cli.call(bench::add, i, 1);  // connections warm
    return cli;
  }

  static env& get() {
    static env e;
    return e;
  }
};

void floor_sync(benchmark::State& state) {
  auto& e = env::get();
  auto& cli = e.with_replicas(1);
  floors::call_floor floor(e.at, 16);
  bench::bare_redis bare(e.caller_bus.config());
  const std::string payload(16, 'x');
  constexpr std::size_t block = 64, settle = 4;
  bench::samples s[3];  // PING, floor, redwire
  std::size_t n = 0;
  for (auto _ : state) {
    const std::size_t which = n / block % 3;
    const bool counted = n % block >= settle;
    ++n;
    const auto t0 = clock::now();
    if (which == 0)
      bare.ping();
    else if (which == 1)
      floor.round_trip();
    else
      benchmark::DoNotOptimize(cli.call(bench::echo, payload));
    if (counted) s[which].add(clock::now() - t0);
  }
  const char* names[3] = {"ping", "floor", "call"};
  for (int i = 0; i < 3; ++i) {
    state.counters[std::string(names[i]) + "_p50_us"] = s[i].quantile(0.5) / 1e3;
    state.counters[std::string(names[i]) + "_p99_us"] = s[i].quantile(0.99) / 1e3;
  }
  auto ratio = [&](int i, double q) {
    const double base = s[i].quantile(q);
    return base > 0 ? s[2].quantile(q) / base : 0;
  };
  state.counters["x_ping_p50"] = ratio(0, 0.5);
  state.counters["x_ping_p99"] = ratio(0, 0.99);
  state.counters["x_floor_p50"] = ratio(1, 0.5);
}

/// CPU time so far, in ns: of this process (all its threads: the floor's client and server, or
/// redwire's caller and services), and of the redis-server's main thread (schedstat: exact).
/// Per call, they tell whether a ratio under 1 is CPU spent or time waited: on 2 cores both
/// pipelines leave a quarter of the machine idle (docs/performance.md).
double process_cpu_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}
double server_cpu_ns(pid_t server) {
  std::ifstream schedstat("/proc/" + std::to_string(server) + "/schedstat");
  double ns = 0;
  schedstat >> ns;
  return ns;
}

/// Makes `total` echo calls of `payload` on `threads` threads sharing `cli`, keeping
/// `in_flight` calls in flight in all.
void keep_in_flight(redwire::client& cli, const std::string& payload, std::size_t in_flight,
                    std::size_t total, std::size_t threads) {
  auto one = [&](std::size_t window, std::size_t calls) {
    std::vector<std::future<std::string>> w(window);
    for (auto& f : w) f = cli.async_call(bench::echo, payload);
    for (std::size_t i = window, head = 0; i < calls; ++i, head = (head + 1) % window) {
      benchmark::DoNotOptimize(w[head].get());
      w[head] = cli.async_call(bench::echo, payload);
    }
    for (auto& f : w) f.get();
  };
  if (threads == 1) return one(in_flight, total);
  std::vector<std::thread> ts;
  for (std::size_t t = 0; t < threads; ++t)
    ts.emplace_back(one, in_flight / threads, total / threads);
  for (auto& t : ts) t.join();
}

/// The same with callbacks: each call's callback (on the client's reply thread) makes the next,
/// as the floor's client does; no future, so no thread waits on one. A failed call stops the
/// run (no call is made from a failure's callback, which may run inline) and throws its error.
void keep_in_flight_then(redwire::client& cli, const std::string& payload, std::size_t in_flight,
                         std::size_t total, std::size_t /*threads*/) {
  struct driver {
    redwire::client& cli;
    const std::string& payload;
    std::atomic<std::size_t> unsent;
    std::atomic<std::size_t> left;
    std::binary_semaphore done{0};
    std::mutex m{};
    std::optional<redwire::rpc_error> failed{};
    void finish(std::size_t n) {
      if (left.fetch_sub(n) == n) done.release();
    }
    void issue() {
      cli.async_call(bench::echo, payload, [this](redwire::result<std::string> r) {
        if (!r) {
          {
            std::lock_guard lock(m);
            if (!failed) failed = r.error();
          }
          return finish(1 + unsent.exchange(0));
        }
        benchmark::DoNotOptimize(r);
        std::size_t n = unsent.load();
        while (n > 0 && !unsent.compare_exchange_weak(n, n - 1)) {
        }
        if (n > 0) issue();
        finish(1);
      });
    }
  } d{cli, payload, total - std::min(total, in_flight), total};
  for (std::size_t i = 0; i < std::min(total, in_flight); ++i) d.issue();
  d.done.acquire();
  if (d.failed) throw *d.failed;
}

template <void (*Redwire)(redwire::client&, const std::string&, std::size_t, std::size_t,
                          std::size_t)>
void floor_async(benchmark::State& state) {
  auto& e = env::get();
  const auto in_flight = static_cast<std::size_t>(state.range(0));
  const auto payload_bytes = static_cast<std::size_t>(state.range(1));
  const auto replicas = static_cast<std::size_t>(state.range(2));
  const auto threads = static_cast<std::size_t>(state.range(3));
  auto& cli = e.with_replicas(replicas);
  floors::call_floor floor(e.at, payload_bytes, replicas);
  const std::string payload(payload_bytes, 'x');
  const std::size_t block = std::max<std::size_t>(4096, 8 * in_flight);
  floor.run(in_flight, block);  // warm, both
  Redwire(cli, payload, in_flight, block, threads);
  double seconds[2] = {0, 0}, cpu_ns[2] = {0, 0}, server_ns[2] = {0, 0};
  std::size_t calls[2] = {0, 0}, n = 0;
  for (auto _ : state) {
    const std::size_t on_redwire = n++ % 2;
    const double cpu0 = process_cpu_ns(), server0 = server_cpu_ns(e.server.pid());
    const auto t0 = clock::now();
    if (on_redwire)
      Redwire(cli, payload, in_flight, block, threads);
    else
      floor.run(in_flight, block);
    seconds[on_redwire] += std::chrono::duration<double>(clock::now() - t0).count();
    cpu_ns[on_redwire] += process_cpu_ns() - cpu0;
    server_ns[on_redwire] += server_cpu_ns(e.server.pid()) - server0;
    calls[on_redwire] += block;
  }
  const char* side[2] = {"floor_", ""};
  for (int i = 0; i < 2; ++i) {
    if (calls[i] == 0) continue;
    state.counters[std::string(side[i]) + "cpu_us"] = cpu_ns[i] / 1e3 / calls[i];
    state.counters[std::string(side[i]) + "redis_us"] = server_ns[i] / 1e3 / calls[i];
  }
  const double f = seconds[0] > 0 ? static_cast<double>(calls[0]) / seconds[0] : 0;
  const double r = seconds[1] > 0 ? static_cast<double>(calls[1]) / seconds[1] : 0;
  state.counters["floor_calls_per_s"] = f;
  state.counters["calls_per_s"] = r;
  state.counters["x_floor"] = f > 0 ? r / f : 0;
}

void floor_large(benchmark::State& state) {
  auto& e = env::get();
  auto& cli = e.with_replicas(1);
  const auto bytes = static_cast<std::size_t>(state.range(0));
  floors::large_floor floor(e.at, bytes);
  const std::string payload(bytes, 'x');
  constexpr std::size_t block = 4;
  for (std::size_t i = 0; i < block; ++i) {  // warm, both
    floor.round_trip();
    benchmark::DoNotOptimize(cli.call(bench::echo, payload));
  }
  double seconds[2] = {0, 0};
  std::size_t trips[2] = {0, 0}, n = 0;
  for (auto _ : state) {
    const std::size_t on_redwire = n / block % 2;
    ++n;
    const auto t0 = clock::now();
    if (on_redwire)
      benchmark::DoNotOptimize(cli.call(bench::echo, payload));
    else
      floor.round_trip();
    seconds[on_redwire] += std::chrono::duration<double>(clock::now() - t0).count();
    ++trips[on_redwire];
  }
  auto mib_per_s = [&](int i) {
    return seconds[i] > 0 ? 2.0 * static_cast<double>(bytes * trips[i]) / seconds[i] / 1048576 : 0;
  };
  state.counters["floor_MiB_per_s"] = mib_per_s(0);
  state.counters["MiB_per_s"] = mib_per_s(1);
  state.counters["x_floor"] = mib_per_s(0) > 0 ? mib_per_s(1) / mib_per_s(0) : 0;
}

/// The console's report, then each ratio's median and range over the repetitions, with its goal.
class ratio_summary : public benchmark::ConsoleReporter {
 public:
  ratio_summary() : ConsoleReporter(::isatty(1) ? OO_Defaults : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs)
      if (!r.error_occurred && r.run_type == Run::RT_Iteration)
        for (const auto& [name, c] : r.counters)
          if (name.starts_with("x_")) ratios_[case_of(r) + "  " + name].push_back(c.value);
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-64s %7s %16s  %s\n", "ratio (redwire / baseline)", "median", "range", "goal");
    for (auto& [name, v] : ratios_) {
      std::sort(v.begin(), v.end());
      const double median =
          v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
      std::printf("%-64s %6.2fx  %6.2f – %5.2fx  %s\n", name.c_str(), median, v.front(), v.back(),
                  goal(name));
    }
    std::fflush(stdout);
  }

 private:
  /// The benchmark's name and arguments, without the run's settings (iterations, time).
  static std::string case_of(const Run& r) {
    const std::string& args = r.run_name.args;
    return r.run_name.function_name + (args.empty() ? "" : "/" + args);
  }
  static const char* goal(const std::string& name) {
    if (name.ends_with("x_ping_p50")) return "<= 2.0";
    if (name.ends_with("x_ping_p99")) return "<= 2.5";
    if (name.starts_with("floor/async")) return ">= 0.9";
    if (name.starts_with("floor/large")) return ">= 0.8";
    return "";
  }
  std::map<std::string, std::vector<double>> ratios_;
};

}  // namespace

BENCHMARK(floor_sync)->Name("floor/sync")->UseRealTime()->MinTime(3.0);
BENCHMARK(floor_async<keep_in_flight>)
    ->Name("floor/async")
    ->ArgNames({"inflight", "payload", "replicas", "threads"})
    ->Args({256, 16, 1, 1})
    ->Args({1024, 16, 1, 1})
    ->Args({256, 1024, 1, 1})
    ->Args({256, 16, 2, 1})
    ->Args({256, 16, 1, 4})
    ->Iterations(64)
    ->UseRealTime();
BENCHMARK(floor_async<keep_in_flight_then>)
    ->Name("floor/async_then")
    ->ArgNames({"inflight", "payload", "replicas", "threads"})
    ->Args({256, 16, 1, 1})
    ->Args({1024, 16, 1, 1})
    ->Iterations(64)
    ->UseRealTime();
BENCHMARK(floor_large)
    ->Name("floor/large")
    ->ArgName("bytes")
    ->Arg(1 << 20)
    ->UseRealTime()
    ->MinTime(2.0);

int main(int argc, char** argv) {
  // glibc moves its mmap threshold as large blocks come and go, so whether a 1 MiB buffer gets
  // fresh pages (a page fault each 4 KiB) depended on the run's history: the large-value floor
  // ran at two speeds, 2x apart, from one run to the next. Fixed thresholds keep such buffers
  // in the heap, for the floor and redwire alike.
  ::mallopt(M_MMAP_THRESHOLD, 64 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 256 << 20);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  ratio_summary reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
