// bench/hooks_bench.cpp — what call hooks (client_options::hooks, service_options::hooks) cost:
// the same calls with no hooks, and with hooks that are set but do nothing, on client and
// service alike. Both run in one process, in alternating blocks (so that both see the same moods
// of a shared machine); each reports the median time per call of its blocks, and
// `ratio` = with empty hooks / without. The claim checked: absent hooks cost nothing, and empty
// ones next to nothing.
//   hooks/sync_call    cli.call, memory transport
//   hooks/async_call   16 async_calls in flight, then their futures
//   hooks/notify       cli.notify (the send; the service runs the notifications meanwhile)
#include <redwire/memory.hpp>
#include <redwire/redwire.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <future>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

inline constexpr redwire::procedure<"hooked.add", int(int, int)> add{};
inline constexpr redwire::procedure<"hooked.note", void(int)> note{};

redwire::call_hooks empty_hooks() {
  return {.on_call_start = [](const redwire::call_event&) {},
          .on_call_end = [](const redwire::call_event&) {}};
}

redwire::service_options one_worker(const redwire::call_hooks& hooks) {
  redwire::service_options o;  // not a designated initializer: g++ 12 warns of its temporary
  o.workers = 1;
  o.hooks = hooks;
  return o;
}

/// A service with one worker and a client, both with the hooks given, on a bus of their own.
struct hooked_env {
  explicit hooked_env(const redwire::call_hooks& hooks)
      : svc(bus, "hooked", one_worker(hooks)), cli(bus, {.hooks = hooks}) {
    svc.bind(add, [](int a, int b) { return a + b; });
    svc.bind(note, [](int) {});
    svc.start();
    for (int i = 0; i < 1000; ++i) benchmark::DoNotOptimize(cli.call(add, i, 1));
  }
  redwire::memory::transport bus;
  redwire::service svc;
  redwire::client cli;
};

double median(std::vector<double>& v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

/// One block of `calls_per_block` calls per iteration, without hooks and with empty hooks in
/// turn; counters: each side's median ns per call, and their ratio.
template <class Block>
void absent_against_empty(benchmark::State& state, std::size_t calls_per_block, Block&& block) {
  hooked_env absent{{}}, empty{empty_hooks()};
  std::array<std::vector<double>, 2> per_call;  // [0] absent, [1] empty hooks
  std::size_t n = 0;
  for (auto _ : state) {
    const std::size_t side = n++ % 2;
    const auto t0 = clock_type::now();
    block(side == 0 ? absent.cli : empty.cli);
    const std::chrono::duration<double, std::nano> took = clock_type::now() - t0;
    per_call[side].push_back(took.count() / static_cast<double>(calls_per_block));
  }
  const double a = median(per_call[0]), e = median(per_call[1]);
  state.counters["absent_ns"] = a;
  state.counters["empty_hooks_ns"] = e;
  state.counters["ratio"] = a > 0 ? e / a : 0;
  state.SetItemsProcessed(static_cast<long>(n * calls_per_block));
}

void sync_call(benchmark::State& state) {
  absent_against_empty(state, 64, [](redwire::client& cli) {
    for (int i = 0; i < 64; ++i) benchmark::DoNotOptimize(cli.call(add, i, 1));
  });
}

void async_call(benchmark::State& state) {
  absent_against_empty(state, 16, [](redwire::client& cli) {
    std::array<std::future<int>, 16> in_flight;
    for (int i = 0; i < 16; ++i) in_flight[i] = cli.async_call(add, i, 1);
    for (auto& f : in_flight) benchmark::DoNotOptimize(f.get());
  });
}

void notify(benchmark::State& state) {
  absent_against_empty(state, 256, [](redwire::client& cli) {
    for (int i = 0; i < 256; ++i) cli.notify(note, i);
  });
}

}  // namespace

BENCHMARK(sync_call)->Name("hooks/sync_call")->UseRealTime();
BENCHMARK(async_call)->Name("hooks/async_call")->UseRealTime();
BENCHMARK(notify)->Name("hooks/notify")->UseRealTime();

BENCHMARK_MAIN();
