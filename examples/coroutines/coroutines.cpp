// examples/coroutines — a gateway that fans out to two services and awaits both, in a C++20
// coroutine (Boost.Asio, through <redwire/asio.hpp>); a call raced against a timer, and cancelled.
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

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;

// The gateway's work: both calls in flight at once, awaited together.
asio::awaitable<void> quote(const redwire::client& cli, std::string item) {
  auto [price, left] = co_await (cli.async_call(pricing::price, item, asio::use_awaitable) &&
                                 cli.async_call(stock::count, item, asio::use_awaitable));
  std::printf("%s: %.2f, %d left\n", item.c_str(), price, left);
}

asio::awaitable<void> gateway(const redwire::client& cli) {
  co_await quote(cli, "tea");
  co_await quote(cli, "coffee");
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
    std::this_thread::sleep_for(500ms);
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
  std::exception_ptr failure;
  asio::co_spawn(io, gateway(cli), [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return 0;
}
