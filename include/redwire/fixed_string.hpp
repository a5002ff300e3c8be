// redwire/fixed_string.hpp — a string usable as a template argument.
//
// procedure<"calc.add", int(int, int)> carries its name in its type; fixed_string is what
// makes that possible, and what builds type descriptions and fingerprints at compile time.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace redwire {

/// A compile-time string: `fixed_string name = "calc.add";` — usable as a template argument.
/// `N` counts the characters, not the terminating zero.
template <std::size_t N>
struct fixed_string {
  char chars[N + 1]{};

  constexpr fixed_string() = default;
  constexpr fixed_string(const char (&text)[N + 1]) { std::copy_n(text, N + 1, chars); }

  static constexpr std::size_t size() { return N; }
  constexpr std::string_view view() const { return {chars, N}; }
  constexpr operator std::string_view() const { return view(); }
  constexpr const char* c_str() const { return chars; }

  template <std::size_t M>
  constexpr fixed_string<N + M> operator+(const fixed_string<M>& other) const {
    fixed_string<N + M> joined;
    std::copy_n(chars, N, joined.chars);
    std::copy_n(other.chars, M + 1, joined.chars + N);
    return joined;
  }
  template <std::size_t M>
  constexpr auto operator+(const char (&text)[M]) const {
    return *this + fixed_string<M - 1>(text);
  }
  template <std::size_t M>
  constexpr bool operator==(const fixed_string<M>& other) const {
    return view() == other.view();
  }
};

template <std::size_t M>
fixed_string(const char (&)[M]) -> fixed_string<M - 1>;

template <std::size_t N, std::size_t M>
constexpr auto operator+(const char (&text)[M], const fixed_string<N>& s) {
  return fixed_string<M - 1>(text) + s;
}

namespace detail {

/// For a static_assert that fails whenever its template is instantiated.
template <class...>
inline constexpr bool always_false = false;

/// Decimal digits of a compile-time number, as a fixed_string: to_fixed_string<42>() == "42".
template <std::uint64_t V>
constexpr auto to_fixed_string() {
  constexpr std::size_t digits = [] {
    std::size_t n = 1;
    for (std::uint64_t x = V; x >= 10; x /= 10) ++n;
    return n;
  }();
  fixed_string<digits> s;
  std::uint64_t x = V;
  for (std::size_t i = digits; i-- > 0; x /= 10) s.chars[i] = static_cast<char>('0' + x % 10);
  return s;
}

}  // namespace detail
}  // namespace redwire
