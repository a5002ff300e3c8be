// examples/coroutines — a gateway service whose handler is a C++20 coroutine (Boost.Asio, through
// <redwire/asio.hpp>): it fans out to two services and awaits both, holding no worker meanwhile.
// A caller's coroutine gets a failure as rpc_error, and races a slow call against a timer: the
// call is cancelled, and the slow handler sees the stop.
// Built and run by the test command (in-memory transport: one process).
#include <redwire/asio.hpp>
#include <redwire/memory.hpp>
#include <redwire/redwire.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <stop_token>
#include <string>
#include <thread>
#include <tuple>

// shop_api.hpp — shared by the services and their callers
namespace pricing {
inline constexpr redwire::procedure<"pricing.price", double(std::string)> price{};
inline constexpr redwire::procedure<"pricing.slow_quote", double(std::string)> slow_quote{};
}  // namespace pricing
namespace stock {
inline constexpr redwire::procedure<"stock.count", int(std::string)> count{};
}
namespace gateway {
inline constexpr redwire::procedure<"gateway.quote", std::string(std::string)> quote{};
}

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;

// The gateway's handler: both calls in flight at once, awaited together. The calls inherit the
// deadline and trace of the call the gateway serves.
asio::awaitable<std::string> quote(const redwire::client& cli, std::string item) {
  auto [price, left] = co_await (cli.async_call(pricing::price, item, asio::use_awaitable) &&
                                 cli.async_call(stock::count, item, asio::use_awaitable));
  char line[96];
  std::snprintf(line, sizeof line, "%s: %.2f, %d left", item.c_str(), price, left);
  co_return line;
}

// A caller of the gateway.
asio::awaitable<void> shop(const redwire::client& cli) {
  for (const char* item : {"tea", "coffee"})
    std::printf("%s\n",
                (co_await cli.async_call(gateway::quote, item, asio::use_awaitable)).c_str());
  try {  // a failure is the rpc_error that call() throws
    co_await cli.async_call(stock::count, "", asio::use_awaitable);
  } catch (const redwire::rpc_error& e) {
    std::printf("failed as expected: %s\n", e.what());
  }
  // A slow call raced against a timer: the timer wins, the call is cancelled.
  asio::steady_timer timer(co_await asio::this_coro::executor, 50ms);
  auto first = co_await (cli.async_call(pricing::slow_quote, "saffron", asio::use_awaitable) ||
                         timer.async_wait(asio::use_awaitable));
  std::printf("slow quote: %s\n", first.index() == 0 ? "answered" : "gave up after 50 ms");
}

int main() {
  redwire::memory::transport bus;
  redwire::service prices{bus, "pricing"};
  prices.bind(pricing::price, [](const std::string& item) { return item == "tea" ? 3.5 : 4.25; });
  prices.bind(pricing::slow_quote, [](const std::string&) {
    // Gives up when its caller does: current_call()->stop is requested then.
    const std::stop_token stop = redwire::current_call()->stop;
    for (int i = 0; i < 50 && !stop.stop_requested(); ++i) std::this_thread::sleep_for(10ms);
    if (stop.stop_requested()) std::printf("slow quote: the handler saw the stop\n");
    return 99.0;
  });
  redwire::service counts{bus, "stock"};
  counts.bind(stock::count, [](const std::string& item) {
    if (item.empty()) throw std::invalid_argument("no such item");
    return static_cast<int>(item.size());
  });
  prices.start();
  counts.start();

  redwire::client cli{bus};
  asio::io_context io;
  // The gateway's coroutine handlers run on io; its 2 workers only take requests.
  redwire::service gate{bus, "gateway", {.workers = 2, .executor = io.get_executor()}};
  gate.bind(gateway::quote, [&](std::string item) { return quote(cli, std::move(item)); });
  gate.start();
  std::exception_ptr failure;
  asio::co_spawn(io, shop(cli), [&](std::exception_ptr e) { failure = e; });
  io.run();  // until shop() has ended
  gate.stop();
  if (failure) std::rethrow_exception(failure);
  return 0;
}
