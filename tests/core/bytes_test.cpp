// detail/bytes.hpp: every byte and text encoding against known values, and the refusal of
// truncated and overlong input.
#include <redwire/detail/bytes.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>

namespace {

using namespace redwire::detail;

// ---------------------------------------------------------------------------------------------
// FNV-1a

// The published 64-bit FNV-1a values; at compile time, as procedure fingerprints are.
static_assert(fnv1a("") == 0xcbf29ce484222325ull);
static_assert(fnv1a("a") == 0xaf63dc4c8601ec8cull);
static_assert(fnv1a("foobar") == 0x85944171f73967e8ull);

TEST(bytes, fnv1a_known_values) {
  EXPECT_EQ(fnv1a(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a("foobar"), 0x85944171f73967e8ull);
  // Bytes over 0x7f count as unsigned, whatever the signedness of char.
  EXPECT_EQ(fnv1a("\xff"), (0xcbf29ce484222325ull ^ 0xffu) * 0x100000001b3ull);
}

TEST(bytes, fnv1a_continues_a_hash_as_if_the_texts_were_joined) {
  EXPECT_EQ(fnv1a("bar", fnv1a("foo")), fnv1a("foobar"));
  EXPECT_EQ(fnv1a("", fnv1a("foobar")), fnv1a("foobar"));
  EXPECT_NE(fnv1a("foo", fnv1a("bar")), fnv1a("foobar"));
}

}  // namespace
