// redwire/detail/selection.hpp — how the orchestrator picks an instance among the live ones
// (the policies themselves are public: redwire/selection.hpp).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../selection.hpp"
#include "bytes.hpp"

namespace redwire::detail {

/// A candidate: an instance id and this process's count of its calls in flight.
struct candidate {
  std::string id;
  std::shared_ptr<std::atomic<int>> outstanding = std::make_shared<std::atomic<int>>(0);
};

inline std::uint64_t mix64(std::uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Rendezvous (highest random weight) hashing: every caller maps `key` to the same instance
/// while the set of instances is the same, and when one leaves only its keys move.
inline std::size_t rendezvous(const std::vector<candidate>& among, std::string_view key) {
  const std::uint64_t k = fnv1a(key);
  std::size_t best = 0;
  std::uint64_t best_weight = 0;
  for (std::size_t i = 0; i < among.size(); ++i) {
    const std::uint64_t w = mix64(k ^ mix64(fnv1a(among[i].id)));
    if (i == 0 || w > best_weight) {
      best = i;
      best_weight = w;
    }
  }
  return best;
}

/// Index of the chosen candidate; `among` is not empty. `turn` is the service's round-robin
/// counter.
inline std::size_t choose(const std::vector<candidate>& among, selection policy,
                          std::string_view key, std::atomic<std::uint64_t>& turn) {
  if (!key.empty()) return rendezvous(among, key);
  const std::size_t n = among.size();
  switch (policy) {
    case selection::random:
      return static_cast<std::size_t>(random_u64() % n);
    case selection::least_outstanding: {
      const std::size_t start = static_cast<std::size_t>(turn.fetch_add(1) % n);  // fair ties
      std::size_t best = start;
      int fewest = std::numeric_limits<int>::max();
      for (std::size_t j = 0; j < n; ++j) {
        const std::size_t i = (start + j) % n;
        const int load = among[i].outstanding->load();
        if (load < fewest) {
          fewest = load;
          best = i;
        }
      }
      return best;
    }
    case selection::round_robin:
      break;
  }
  return static_cast<std::size_t>(turn.fetch_add(1) % n);
}

}  // namespace redwire::detail
