// bench/latency.cpp — redwire-latency: how fast are redwire calls through *your* Redis?
// (latency.hpp: the program redwire-latency, and the subcommand `redwire bench`, run it.)
//
// Starts service instances in this process (on a namespace of their own, so your services are
// not disturbed), calls them for a while, and prints latency percentiles, calls/s and, as the
// baseline, a bare hiredis PING round trip to the same server. See --help.
#include <redwire/detail/thread_name.hpp>
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench_support.hpp"
#include "latency.hpp"
#include "private_redis.hpp"

namespace {

using bench::clock;
using seconds_f = std::chrono::duration<double>;

constexpr const char* usage = R"(redwire-latency — measure redwire calls through your Redis

usage: redwire-latency [options]

Runs service instances inside this process, calls them from caller threads for a while, and
prints latency percentiles (p50/p90/p99/p99.9), calls/s, and a bare PING round trip to the
same server (hiredis, one connection) as the baseline the call latency is held to.
The procedure is an echo: the request carries --payload bytes and the reply carries them back.

where:
  --url URL            the Redis to use (default redis://127.0.0.1:6379)
                       also redis://user:password@host:port/db, unix:///path/to/socket,
                       rediss://host:port?ca=FILE[&cert=FILE&key=FILE] (TLS),
                       redis-sentinel://host:26379,host:26379/master-name (Sentinel),
                       rediss-sentinel://... (both); with TLS or Sentinel the PING baseline
                       is measured on one redwire connection (TLS included), not hiredis
  --private[=KIND]     start a private redis-server (no persistence, free port) and use it
                       instead of --url, over KIND: tcp (the default), unix (its socket) or
                       tls (a TLS port, certificates made with the openssl tool); needs
                       redis-server in /usr/bin or $REDWIRE_REDIS_SERVER
  --payload SIZE       request (and reply) payload in bytes; k and m suffixes (1k, 64k, 1m);
                       default 16
  --concurrency N      calls in flight at any time (default 1)
  --threads N          caller threads sharing one client (default: the smaller of N and 4);
                       each keeps concurrency/threads calls in flight, as sync calls when that
                       is 1, else as async calls whose latency ends when the caller sees it
  --duration SECONDS   how long to measure (default 5)
  --warmup SECONDS     calls made and not counted before measuring (default 1)
  --replicas N         service instances in this process, each with its own connections
                       (default 1)
  --workers N          handler threads per instance (default 4)
  --prefix NAME        namespace of the queues and channels used (default rwbench-<pid>)
  --json FILE          also write the results to FILE as JSON
  -h, --help           this text

examples:
  redwire-latency --private                                 sync calls, private redis-server
  redwire-latency --private=tls --concurrency 256           the same over TLS, 256 in flight
  redwire-latency --url redis://10.0.0.5:6379 --duration 10
  redwire-latency --concurrency 256 --payload 1k --replicas 2 --json out.json

A progress line is written to stderr while it runs; results go to stdout.
The PING baseline is measured first, for a second, on an otherwise idle connection.
)";

struct config {
  std::string url = "redis://127.0.0.1:6379";
  bool private_server = false;
  std::string private_kind = "tcp";
  std::size_t payload = 16;
  std::size_t concurrency = 1;
  std::size_t threads = 0;
  double duration = 5;
  double warmup = 1;
  std::size_t replicas = 1;
  std::size_t workers = 4;
  std::string prefix;
  std::string json;
};

/// How the tool is called: "redwire-latency", or "redwire bench".
const char* program = "redwire-latency";

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "%s: %s (see --help)\n", program, message.c_str());
  std::exit(2);
}

std::size_t parse_size(const std::string& text, const char* what) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  std::string suffix = end ? end : "";
  double scale = 1;
  if (suffix == "k" || suffix == "K" || suffix == "kb" || suffix == "KiB")
    scale = 1024;
  else if (suffix == "m" || suffix == "M" || suffix == "mb" || suffix == "MiB")
    scale = 1024 * 1024;
  else if (!suffix.empty())
    fail(std::string("bad ") + what + ": " + text);
  if (!(v >= 0) || end == text.c_str()) fail(std::string("bad ") + what + ": " + text);
  return static_cast<std::size_t>(v * scale);
}

double parse_seconds(const std::string& text, const char* what) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || (*end && std::strcmp(end, "s") != 0) || !(v >= 0))
    fail(std::string("bad ") + what + ": " + text);
  return v;
}

config parse(int argc, char** argv) {
  config c;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string value;
    if (auto eq = a.find('='); a.starts_with("--") && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    auto next = [&]() -> std::string {
      if (!value.empty()) return value;
      if (i + 1 >= argc) fail(a + " needs a value");
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::string text = usage;
      for (auto at = text.find("redwire-latency"); at != std::string::npos;
           at = text.find("redwire-latency", at + 1))
        text.replace(at, 15, program);
      std::fputs(text.c_str(), stdout);
      std::exit(0);
    } else if (a == "--url")
      c.url = next();
    else if (a == "--private") {
      c.private_server = true;
      if (!value.empty()) c.private_kind = value;
      if (c.private_kind != "tcp" && c.private_kind != "unix" && c.private_kind != "tls")
        fail("--private takes tcp, unix or tls: " + value);
    } else if (a == "--payload")
      c.payload = parse_size(next(), "--payload");
    else if (a == "--concurrency")
      c.concurrency = parse_size(next(), "--concurrency");
    else if (a == "--threads")
      c.threads = parse_size(next(), "--threads");
    else if (a == "--duration")
      c.duration = parse_seconds(next(), "--duration");
    else if (a == "--warmup")
      c.warmup = parse_seconds(next(), "--warmup");
    else if (a == "--replicas")
      c.replicas = parse_size(next(), "--replicas");
    else if (a == "--workers")
      c.workers = parse_size(next(), "--workers");
    else if (a == "--prefix")
      c.prefix = next();
    else if (a == "--json")
      c.json = next();
    else
      fail("unknown option " + a);
  }
  if (c.concurrency == 0) fail("--concurrency must be at least 1");
  if (c.replicas == 0) fail("--replicas must be at least 1");
  if (c.workers == 0) fail("--workers must be at least 1");
  if (c.duration <= 0) fail("--duration must be positive");
  if (c.threads == 0) c.threads = std::min<std::size_t>(c.concurrency, 4);
  c.threads = std::min(c.threads, c.concurrency);
  if (c.prefix.empty()) c.prefix = "rwbench-" + std::to_string(::getpid());
  return c;
}

std::string micros(double ns) {
  char text[32];
  double us = ns / 1e3;
  std::snprintf(text, sizeof text, us < 100 ? "%.1f us" : "%.0f us", us);
  return text;
}

/// CPU time (ns) of the threads of process `pid` so far, by thread name: redwire names its
/// threads by role ("rw-worker", "rw-subscriber", ...), so the split shows where a call's CPU
/// goes. Linux's /proc; empty elsewhere.
std::map<std::string, double> cpu_by_thread_name(const std::string& pid) {
  std::map<std::string, double> by_name;
  const double tick_ns = 1e9 / static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + pid + "/task", error)) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 2 > line.size())
      continue;
    std::istringstream fields(line.substr(close + 2));  // from field 3 (state) on
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i)
      if (i >= 14) ticks += std::strtod(field.c_str(), nullptr);  // utime, stime
    by_name[line.substr(open + 1, close - open - 1)] += ticks * tick_ns;
  }
  return by_name;
}

struct caller_result {
  bench::samples latency;
  std::uint64_t errors = 0;
  std::string first_error;
};

// One caller thread: `window` calls in flight until `stop`; counts only after `measuring`.
void caller(redwire::client& cli, const std::string& payload, std::size_t window,
            const std::atomic<bool>& measuring, const std::atomic<bool>& stop,
            std::atomic<std::uint64_t>& done, caller_result& out) {
  redwire::detail::name_this_thread("caller");
  auto record = [&](clock::time_point started, bool ok) {
    done.fetch_add(1, std::memory_order_relaxed);
    if (ok && measuring.load(std::memory_order_relaxed)) out.latency.add(clock::now() - started);
  };
  auto note_error = [&](const std::exception& e) {
    if (!measuring.load(std::memory_order_relaxed)) return;
    if (out.errors++ == 0) out.first_error = e.what();
  };
  if (window == 1) {
    while (!stop.load(std::memory_order_relaxed)) {
      auto t0 = clock::now();
      auto r = cli.try_call(bench::echo, payload);
      if (!r) note_error(r.error());
      record(t0, r.has_value());
    }
    return;
  }
  std::deque<std::pair<clock::time_point, std::future<std::string>>> in_flight;
  for (;;) {
    while (in_flight.size() < window && !stop.load(std::memory_order_relaxed))
      in_flight.emplace_back(clock::now(), cli.async_call(bench::echo, payload));
    if (in_flight.empty()) break;
    auto& [t0, f] = in_flight.front();
    bool ok = true;
    try {
      f.get();
    } catch (const std::exception& e) {
      ok = false;
      note_error(e);
    }
    record(t0, ok);
    in_flight.pop_front();
  }
}

double measure_ping(const redwire::redis::settings& st, double seconds, bench::samples& out,
                    std::string& kind) {
  bench::bare_redis bare(st);
  kind = bare.kind();
  for (int i = 0; i < 100; ++i) bare.ping();
  auto end = clock::now() + std::chrono::duration_cast<clock::duration>(seconds_f(seconds));
  while (clock::now() < end) {
    auto t0 = clock::now();
    bare.ping();
    out.add(clock::now() - t0);
  }
  return out.quantile(0.5);
}

}  // namespace

int redwire::latency::run(int argc, char** argv, const char* program_name) try {
  program = program_name;
  config c = parse(argc, argv);
  std::optional<bench::private_redis> server;
  if (c.private_server) {
    server.emplace(bench::private_redis_options{.tls = c.private_kind == "tls"});
    c.url = c.private_kind == "tls"    ? server->tls_url()
            : c.private_kind == "unix" ? server->unix_url()
                                       : server->url();
  }
  redwire::redis::options o{.url = c.url, .prefix = c.prefix};
  const redwire::redis::settings st = redwire::redis::resolve(o);

  std::fprintf(stderr,
               "%s: %s%s, payload %zu B, %zu in flight on %zu thread%s, "
               "%zu replica%s x %zu workers\n",
               program, st.describe().c_str(), c.private_server ? " (private)" : "", c.payload,
               c.concurrency, c.threads, c.threads == 1 ? "" : "s", c.replicas,
               c.replicas == 1 ? "" : "s", c.workers);

  // The baseline first, alone on the machine.
  bench::samples ping;
  std::fprintf(stderr, "\r  measuring the PING baseline...");
  std::string ping_kind;
  const double ping_p50 = measure_ping(st, 1.0, ping, ping_kind);

  std::vector<std::unique_ptr<redwire::redis::transport>> buses;
  std::vector<std::unique_ptr<redwire::service>> services;
  for (std::size_t i = 0; i < c.replicas; ++i) {
    buses.push_back(std::make_unique<redwire::redis::transport>(st));
    redwire::service_options so;
    so.workers = c.workers;
    services.push_back(std::make_unique<redwire::service>(*buses.back(), "bench", so));
    bench::bind_all(*services.back());
    services.back()->start();
  }
  redwire::redis::transport caller_bus{st};
  redwire::client cli{caller_bus};

  const std::string payload(c.payload, 'x');
  std::atomic<bool> measuring{false}, stop{false};
  std::atomic<std::uint64_t> done{0};
  std::vector<caller_result> results(c.threads);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < c.threads; ++t) {
    std::size_t window = c.concurrency / c.threads + (t < c.concurrency % c.threads ? 1 : 0);
    threads.emplace_back(caller, std::ref(cli), std::cref(payload), window, std::cref(measuring),
                         std::cref(stop), std::ref(done), std::ref(results[t]));
  }

  auto sleep_showing = [&](double seconds, const char* phase, clock::time_point started) {
    auto end = clock::now() + std::chrono::duration_cast<clock::duration>(seconds_f(seconds));
    std::uint64_t last_done = done.load();
    auto last = clock::now();
    while (clock::now() < end) {
      std::this_thread::sleep_for(
          std::min(std::chrono::duration_cast<clock::duration>(std::chrono::milliseconds(250)),
                   end - clock::now()));
      auto now = clock::now();
      std::uint64_t d = done.load();
      double rate = static_cast<double>(d - last_done) / seconds_f(now - last).count();
      last_done = d;
      last = now;
      std::fprintf(stderr, "\r  %-9s %5.1f s  %10llu calls  %9.0f calls/s   ", phase,
                   seconds_f(now - started).count(), static_cast<unsigned long long>(d), rate);
    }
  };
  auto warm_start = clock::now();
  if (c.warmup > 0) sleep_showing(c.warmup, "warm-up", warm_start);
  const std::string server_pid = server ? std::to_string(server->pid()) : "";
  auto cpu_now = [&] {
    auto cpu = cpu_by_thread_name("self");
    if (!server_pid.empty())
      for (const auto& [name, ns] : cpu_by_thread_name(server_pid)) cpu["redis-server"] += ns;
    return cpu;
  };
  const auto cpu_before = cpu_now();
  measuring = true;
  const std::uint64_t done_before = done.load();
  const auto started = clock::now();
  sleep_showing(c.duration, "measuring", started);
  measuring = false;
  auto cpu_per_call = cpu_now();
  const auto elapsed = seconds_f(clock::now() - started).count();
  const std::uint64_t calls = done.load() - done_before;
  stop = true;
  for (auto& t : threads) t.join();
  std::fprintf(stderr, "\r%*s\r", 70, "");

  bench::samples all;
  std::uint64_t errors = 0;
  std::string first_error;
  for (auto& r : results) {
    all.merge(r.latency);
    errors += r.errors;
    if (first_error.empty()) first_error = r.first_error;
  }
  const double rate = static_cast<double>(calls) / elapsed;
  for (auto& [name, ns] : cpu_per_call) {
    const auto before = cpu_before.find(name);
    ns = calls ? (ns - (before == cpu_before.end() ? 0 : before->second)) / 1e3 / calls : 0;
  }
  const double p50 = all.quantile(0.5), p90 = all.quantile(0.9), p99 = all.quantile(0.99),
               p999 = all.quantile(0.999), max = all.quantile(1.0);
  const double ratio = ping_p50 > 0 ? p50 / ping_p50 : 0;

  std::printf(
      "%s  %s, payload %zu B, %zu in flight (%zu thread%s), %zu replica%s "
      "x %zu workers, %.1f s\n",
      program, st.describe().c_str(), c.payload, c.concurrency, c.threads,
      c.threads == 1 ? "" : "s", c.replicas, c.replicas == 1 ? "" : "s", c.workers, elapsed);
  std::printf("  calls     %llu (%llu errors)   %.0f calls/s\n",
              static_cast<unsigned long long>(calls), static_cast<unsigned long long>(errors),
              rate);
  std::printf("  latency   p50 %s   p90 %s   p99 %s   p99.9 %s   max %s\n", micros(p50).c_str(),
              micros(p90).c_str(), micros(p99).c_str(), micros(p999).c_str(), micros(max).c_str());
  std::printf("  PING      p50 %s   (%s round trip to the same server)\n", micros(ping_p50).c_str(),
              ping_kind.c_str());
  std::printf("  ratio     call p50 / PING p50 = %.2fx%s\n", ratio,
              c.concurrency == 1 ? "   (goal for sync calls: <= 2.3x)" : "");
  std::printf("  CPU/call ");  // threads by name; µs of CPU per call over the measured time
  for (const auto& [name, us] : cpu_per_call)
    if (us >= 0.005) std::printf("  %s %.2f us", name.c_str(), us);
  std::printf("\n");
  if (errors) std::printf("  first error: %s\n", first_error.c_str());

  if (!c.json.empty()) {
    std::ofstream j(c.json);
    if (!j) fail("cannot write " + c.json);
    auto us = [](double ns) { return std::round(ns / 10.0) / 100.0; };
    j << "{\n"
      << "  \"server\": \"" << st.describe() << "\",\n"
      << "  \"private_server\": " << (c.private_server ? "true" : "false") << ",\n"
      << "  \"payload_bytes\": " << c.payload << ",\n"
      << "  \"concurrency\": " << c.concurrency << ",\n"
      << "  \"threads\": " << c.threads << ",\n"
      << "  \"replicas\": " << c.replicas << ",\n"
      << "  \"workers\": " << c.workers << ",\n"
      << "  \"duration_s\": " << elapsed << ",\n"
      << "  \"calls\": " << calls << ",\n"
      << "  \"errors\": " << errors << ",\n"
      << "  \"calls_per_s\": " << std::round(rate) << ",\n"
      << "  \"latency_us\": {\"p50\": " << us(p50) << ", \"p90\": " << us(p90)
      << ", \"p99\": " << us(p99) << ", \"p999\": " << us(p999) << ", \"max\": " << us(max)
      << "},\n"
      << "  \"ping_p50_us\": " << us(ping_p50) << ",\n"
      << "  \"cpu_us_per_call\": {";
    const char* comma = "";
    for (const auto& [name, cpu_us] : cpu_per_call) {
      j << comma << "\"" << name << "\": " << std::round(cpu_us * 100) / 100;
      comma = ", ";
    }
    j << "},\n"
      << "  \"ratio_p50_to_ping\": " << std::round(ratio * 100) / 100 << "\n"
      << "}\n";
  }
  for (auto& s : services) s->stop();
  return errors == 0 || calls > errors ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "\n%s: %s\n", program, e.what());
  return 1;
}
