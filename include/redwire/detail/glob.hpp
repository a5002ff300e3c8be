// redwire/detail/glob.hpp — glob matching as Redis PSUBSCRIBE does it: * ? [abc] [^a] [a-z] \x
//
// The memory transport delivers to its pattern subscriptions with it; the Redis transport on a
// cluster finds with it the channels that a pattern subscriber elsewhere must also get by
// classic PUBLISH (redis/pattern_registry.hpp).
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>

namespace redwire::detail {

constexpr bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      char c = pattern[p];
      if (c == '*') {
        star_p = p++;
        star_t = t;
        continue;
      }
      if (c == '?') {
        ++p;
        ++t;
        continue;
      }
      if (c == '[') {
        std::size_t q = p + 1;
        bool negate = q < pattern.size() && pattern[q] == '^';
        if (negate) ++q;
        bool matched = false;
        while (q < pattern.size() && pattern[q] != ']') {
          if (pattern[q] == '\\' && q + 1 < pattern.size()) {
            matched |= pattern[q + 1] == text[t];
            q += 2;
          } else if (q + 2 < pattern.size() && pattern[q + 1] == '-' && pattern[q + 2] != ']') {
            char lo = pattern[q], hi = pattern[q + 2];
            if (lo > hi) std::swap(lo, hi);
            matched |= text[t] >= lo && text[t] <= hi;
            q += 3;
          } else {
            matched |= pattern[q] == text[t];
            ++q;
          }
        }
        if (q < pattern.size() && matched != negate) {
          p = q + 1;
          ++t;
          continue;
        }
      } else {
        if (c == '\\' && p + 1 < pattern.size()) c = pattern[++p];
        if (c == text[t]) {
          ++p;
          ++t;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace redwire::detail
