// What a client shows its users: the four ways of calling (also through a const client, whose
// calls change nothing of what it is) and with(), but none of the plumbing behind them.
#include <gtest/gtest.h>

#include <redwire/memory.hpp>
#include <redwire/redwire.hpp>

#include <chrono>

using namespace std::chrono_literals;

namespace {

inline constexpr redwire::procedure<"face.add", int(int, int)> face_add{};

// call_api reaches the client through these; before, they were public. None may be named now.
template <class C>
constexpr bool names_owner = requires(C& c) {
  c.owner();
};
template <class C>
constexpr bool names_options = requires(C& c) {
  c.options();
};
template <class C>
constexpr bool names_try_call_with = requires(C& c, redwire::call_options o) {
  c.try_call_with(o, face_add, 1, 2);
};
template <class C>
constexpr bool names_async_call_with = requires(C& c, redwire::call_options o) {
  c.async_call_with(o, face_add, 1, 2);
};
template <class C>
constexpr bool names_notify_with = requires(C& c, redwire::call_options o) {
  c.notify_with(o, face_add, 1, 2);
};
template <class C>
constexpr bool shows_plumbing = names_owner<C> || names_options<C> || names_try_call_with<C> ||
                                names_async_call_with<C> || names_notify_with<C>;
static_assert(!shows_plumbing<redwire::client> && !shows_plumbing<redwire::client_view>);

TEST(client_face, a_const_client_calls) {
  redwire::memory::transport bus;
  redwire::service svc{bus, "face"};
  svc.bind(face_add, [](int a, int b) { return a + b; });
  svc.start();
  redwire::client cli{bus};
  const redwire::client& shared = cli;
  EXPECT_EQ(shared.call(face_add, 2, 3), 5);
  EXPECT_EQ(*shared.try_call(face_add, 2, 4), 6);
  EXPECT_EQ(shared.async_call(face_add, 2, 5).get(), 7);
  shared.notify(face_add, 2, 6);
  EXPECT_EQ(cli.with({.timeout = 2s}).call(face_add, 2, 7), 9);
  svc.stop();
}

}  // namespace
