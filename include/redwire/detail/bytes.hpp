// redwire/detail/bytes.hpp — the byte and text encodings that frames, names and ids are made of,
// each written once: FNV-1a so far.
#pragma once

#include <cstdint>
#include <string_view>

namespace redwire::detail {

// ---------------------------------------------------------------------------------------------
// FNV-1a (64 bits): the fingerprints of procedures and events, and the keys of rendezvous hashing.
// Stable across compilers and platforms, so fingerprints computed at compile time on one machine
// match those of another.

/// The published FNV-1a 64-bit starting value: the hash of no bytes.
inline constexpr std::uint64_t fnv1a_offset_basis = 0xcbf29ce484222325ull;
/// The published FNV-1a 64-bit prime.
inline constexpr std::uint64_t fnv1a_prime = 0x100000001b3ull;

/// FNV-1a of `text`, continued from `hash`: fnv1a(b, fnv1a(a)) == fnv1a(a + b), so the hash of
/// a concatenation needs no concatenated string. Never fails.
constexpr std::uint64_t fnv1a(std::string_view text,
                              std::uint64_t hash = fnv1a_offset_basis) noexcept {
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= fnv1a_prime;
  }
  return hash;
}

}  // namespace redwire::detail
