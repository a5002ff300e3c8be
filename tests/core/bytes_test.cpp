// detail/bytes.hpp: every byte and text encoding against known values, and the refusal of
// truncated and overlong input.
#include <redwire/context.hpp>
#include <redwire/detail/bytes.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>

namespace redwire::detail {
// How a failed expectation shows a stream id.
void PrintTo(const stream_id& id, std::ostream* out) {
  *out << stream_id_text(id);
}
}  // namespace redwire::detail

namespace {

using namespace redwire::detail;

/// The error code `read` throws, or nothing when it returns.
template <class Read>
std::optional<std::error_code> refusal(Read read) {
  try {
    read();
  } catch (const std::system_error& e) {
    return e.code();
  }
  return std::nullopt;
}

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

// ---------------------------------------------------------------------------------------------
// Varints

std::string varint(std::uint64_t value) {
  std::string out;
  append_varint(out, value);
  return out;
}

/// Reads one varint that must take all of `bytes`.
std::uint64_t read_whole_varint(std::string_view bytes) {
  const char* position = bytes.data();
  const std::uint64_t value = take_varint(position, bytes.data() + bytes.size());
  EXPECT_EQ(position, bytes.data() + bytes.size()) << "bytes left after the varint";
  return value;
}

std::optional<std::error_code> varint_refusal(std::string_view bytes) {
  return refusal([&] { (void)read_whole_varint(bytes); });
}

TEST(bytes, varint_edge_values) {
  EXPECT_EQ(varint(0), std::string("\x00", 1));
  EXPECT_EQ(varint(127), "\x7f");
  EXPECT_EQ(varint(128), "\x80\x01");
  EXPECT_EQ(varint(std::uint64_t{1} << 63), "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01");
  EXPECT_EQ(varint(UINT64_MAX), "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
  EXPECT_EQ(varint_size(0), 1u);
  EXPECT_EQ(varint_size(127), 1u);
  EXPECT_EQ(varint_size(128), 2u);
  EXPECT_EQ(varint_size(std::uint64_t{1} << 63), max_varint_size);
  EXPECT_EQ(varint_size(UINT64_MAX), max_varint_size);
  for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{127}, std::uint64_t{128},
                          std::uint64_t{1} << 63, UINT64_MAX}) {
    EXPECT_EQ(read_whole_varint(varint(v)), v) << v;
  }
}

TEST(bytes, varint_longer_than_needed_still_reads) {
  EXPECT_EQ(read_whole_varint(std::string("\x80\x00", 2)), 0u);
  EXPECT_EQ(read_whole_varint(std::string("\xff\x80\x80\x80\x80\x80\x80\x80\x80\x00", 10)), 127u);
}

TEST(bytes, truncated_varint_is_refused) {
  const std::error_code bad_message = redwire::errc::bad_message;
  EXPECT_EQ(varint_refusal(""), bad_message);
  EXPECT_EQ(varint_refusal("\x80"), bad_message);
  EXPECT_EQ(varint_refusal("\xff\xff\xff\xff\xff\xff\xff\xff\xff"), bad_message);
}

TEST(bytes, varint_over_64_bits_or_10_bytes_is_refused) {
  const std::error_code bad_message = redwire::errc::bad_message;
  // The tenth byte may carry bit 63 only.
  EXPECT_EQ(varint_refusal("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"), bad_message);
  EXPECT_EQ(varint_refusal("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f"), bad_message);
  // Eleven bytes, even when the value would fit.
  EXPECT_EQ(varint_refusal("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x00"), bad_message);
  EXPECT_EQ(varint_refusal(std::string("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 11)),
            bad_message);
}

// ---------------------------------------------------------------------------------------------
// Fixed-width little-endian numbers

TEST(bytes, little_endian_numbers) {
  std::string out;
  append_little_endian(out, std::uint32_t{0x01020304});
  append_little_endian(out, std::uint16_t{0xa1b2});
  append_little_endian(out, std::int64_t{-2});
  EXPECT_EQ(out, std::string("\x04\x03\x02\x01"
                             "\xb2\xa1"
                             "\xfe\xff\xff\xff\xff\xff\xff\xff",
                             14));
  EXPECT_EQ(load_little_endian<std::uint32_t>(out.data()), 0x01020304u);
  EXPECT_EQ(load_little_endian<std::uint16_t>(out.data() + 4), 0xa1b2u);
  EXPECT_EQ(load_little_endian<std::int64_t>(out.data() + 6), -2);

  std::string frame(12, '.');
  store_little_endian(frame.data() + 2, std::uint64_t{0x0807060504030201});
  EXPECT_EQ(frame, std::string("..\x01\x02\x03\x04\x05\x06\x07\x08..", 12));
}

// ---------------------------------------------------------------------------------------------
// Length-prefixed strings

TEST(bytes, length_prefixed_strings_round_trip) {
  const std::string long_text(300, 'x');  // a length of two varint bytes
  std::string out;
  append_length_prefixed(out, "abc");
  append_length_prefixed(out, "");
  append_length_prefixed(out, long_text);
  EXPECT_EQ(out.substr(0, 5), std::string("\x03"
                                          "abc\x00",
                                          5));
  EXPECT_EQ(out.substr(5, 2), "\xac\x02");

  std::string_view in = out;
  EXPECT_EQ(take_length_prefixed(in), "abc");
  EXPECT_EQ(take_length_prefixed(in), "");
  EXPECT_EQ(take_length_prefixed(in), long_text);
  EXPECT_TRUE(in.empty());
}

TEST(bytes, length_prefixed_string_past_the_end_is_refused_and_input_kept) {
  const std::error_code bad_message = redwire::errc::bad_message;
  for (std::string_view bytes : {std::string_view("\x04"
                                                  "abc"),
                                 std::string_view(""), std::string_view("\x80"),
                                 std::string_view("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02"
                                                  "abc")}) {
    std::string_view in = bytes;
    EXPECT_EQ(refusal([&] { (void)take_length_prefixed(in); }), bad_message) << bytes;
    EXPECT_EQ(static_cast<const void*>(in.data()), bytes.data());
    EXPECT_EQ(in.size(), bytes.size());
  }
}

// ---------------------------------------------------------------------------------------------
// Hex

std::uint64_t from_hex(std::string_view digits) {
  std::uint64_t value = 0;
  for (char c : digits) {
    const int digit = hex_digit_value(c);
    EXPECT_GE(digit, 0) << c;
    value = (value << 4) | static_cast<std::uint64_t>(digit);
  }
  return value;
}

TEST(bytes, hex_known_values) {
  EXPECT_EQ(to_hex(0), "0000000000000000");
  EXPECT_EQ(to_hex(0x0123456789abcdefull), "0123456789abcdef");
  EXPECT_EQ(to_hex(UINT64_MAX), "ffffffffffffffff");
  EXPECT_EQ(to_hex(0xabc, 2), "bc");  // the low digits only
  EXPECT_EQ(to_hex(0x5, 3), "005");
  EXPECT_EQ(hex_digit_value('0'), 0);
  EXPECT_EQ(hex_digit_value('9'), 9);
  EXPECT_EQ(hex_digit_value('a'), 10);
  EXPECT_EQ(hex_digit_value('F'), 15);
  for (char c : {'/', ':', '@', 'G', '`', 'g', ' ', '\0'}) EXPECT_EQ(hex_digit_value(c), -1) << c;
}

TEST(bytes, hex_round_trip) {
  for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0xfedcba9876543210},
                          UINT64_MAX, std::uint64_t{1} << 63}) {
    EXPECT_EQ(from_hex(to_hex(v)), v) << v;
  }
  EXPECT_EQ(from_hex("DeadBeef"), 0xdeadbeefu);
}

// ---------------------------------------------------------------------------------------------
// Ids

bool is_lower_hex(std::string_view text) {
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

TEST(bytes, a_new_trace_is_a_fresh_traceparent) {
  trace_id_buffer first_buffer, second_buffer;
  const std::string_view first = new_trace_id(first_buffer);
  const std::string_view second = new_trace_id(second_buffer);
  ASSERT_EQ(first.size(), 55u);  // "00-" trace "-" span "-01"
  EXPECT_TRUE(first.starts_with("00-") && first.ends_with("-01")) << first;
  EXPECT_TRUE(is_lower_hex(first.substr(3, 32))) << first;
  EXPECT_TRUE(is_lower_hex(first.substr(36, 16))) << first;
  EXPECT_EQ(static_cast<const void*>(first.data()), first_buffer.data());
  EXPECT_NE(first.substr(3, 32), second.substr(3, 32));  // random 128 bits alike: never
}

TEST(bytes, a_trace_goes_on_inside_a_call_and_is_new_outside) {
  trace_id_buffer buffer;
  const redwire::call_context outer{
      "calc.add", "4bf92f3577b34da6a3ce929d0e0e4736", "client", "instance", {}, "00f067aa0ba902b7"};
  {
    const call_scope scope(outer);  // what is sent is a child of the call being handled
    EXPECT_EQ(current_or_new_trace_id(buffer),
              "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  }
  const std::string_view fresh = current_or_new_trace_id(buffer);
  EXPECT_EQ(static_cast<const void*>(fresh.data()), buffer.data());
  EXPECT_NE(fresh.substr(3, 32), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_TRUE(is_lower_hex(fresh.substr(3, 32))) << fresh;
}

TEST(bytes, stream_ids_parse_and_order_as_numbers) {
  EXPECT_EQ(parse_stream_id("1700000000000-3"), (stream_id{1700000000000, 3}));
  EXPECT_EQ(parse_stream_id("0-0"), stream_id{});
  EXPECT_EQ(parse_stream_id("18446744073709551615-18446744073709551615"),
            (stream_id{UINT64_MAX, UINT64_MAX}));
  EXPECT_LT(parse_stream_id("5-9"), parse_stream_id("5-10"));  // not as text
  EXPECT_LT(parse_stream_id("9-99"), parse_stream_id("10-0"));
  for (std::string_view id : {"0-0", "1700000000000-3", "18446744073709551615-7"})
    EXPECT_EQ(stream_id_text(parse_stream_id(id)), id);
}

TEST(bytes, malformed_stream_id_parts_count_as_zero) {
  EXPECT_EQ(parse_stream_id(""), stream_id{});
  EXPECT_EQ(parse_stream_id("-"), stream_id{});
  EXPECT_EQ(parse_stream_id("12"), (stream_id{12, 0}));
  EXPECT_EQ(parse_stream_id("-7"), (stream_id{0, 7}));
  EXPECT_EQ(parse_stream_id("abc-def"), stream_id{});
  EXPECT_EQ(parse_stream_id("1x2-3y"), (stream_id{12, 3}));  // other characters are skipped
}

}  // namespace
