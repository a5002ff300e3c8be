// The wire frame: round trips, and refusal of anything malformed.
#include <gtest/gtest.h>

#include <redwire/envelope.hpp>

#include <random>

namespace {

redwire::envelope sample() {
  redwire::envelope e;
  e.kind = redwire::message_kind::request;
  e.call_id = 0x0102030405060708ull;
  e.fingerprint = 0xfedcba9876543210ull;
  e.deadline_ms = 1764000000000;
  e.procedure = "calc.add";
  e.reply_to = "rw:reply:{client-1}";
  e.caller = "client-1";
  e.trace_id = "0123456789abcdef";
  e.key = "user-42";
  return e;
}

TEST(envelope, round_trip) {
  std::string bytes;
  redwire::encode_envelope_header(bytes, sample());
  bytes += "payload";
  redwire::envelope d = redwire::decode_envelope(bytes);
  EXPECT_EQ(d.kind, redwire::message_kind::request);
  EXPECT_EQ(d.call_id, 0x0102030405060708ull);
  EXPECT_EQ(d.fingerprint, 0xfedcba9876543210ull);
  EXPECT_EQ(d.deadline_ms, 1764000000000);
  EXPECT_EQ(d.procedure, "calc.add");
  EXPECT_EQ(d.reply_to, "rw:reply:{client-1}");
  EXPECT_EQ(d.caller, "client-1");
  EXPECT_EQ(d.trace_id, "0123456789abcdef");
  EXPECT_EQ(d.key, "user-42");
  EXPECT_EQ(d.instance, "");
  EXPECT_EQ(d.payload, "payload");
  EXPECT_EQ(bytes.substr(0, 3), std::string("RW\x01", 3));
}

TEST(envelope, flags_travel_in_byte_4) {
  auto e = sample();
  std::string bytes;
  redwire::encode_envelope_header(bytes, e);
  EXPECT_EQ(bytes[4], 0);
  EXPECT_EQ(redwire::decode_envelope(bytes).flags, 0);
  e.flags = redwire::envelope::cancellable;
  bytes.clear();
  redwire::encode_envelope_header(bytes, e);
  EXPECT_EQ(bytes[4], 1);
  EXPECT_EQ(redwire::decode_envelope(bytes).flags, redwire::envelope::cancellable);
}

TEST(envelope, error_code_travels) {
  auto e = sample();
  e.kind = redwire::message_kind::error_reply;
  e.error = redwire::errc::unauthorized;
  std::string bytes;
  redwire::encode_envelope_header(bytes, e);
  EXPECT_EQ(redwire::decode_envelope(bytes).error, redwire::errc::unauthorized);
}

TEST(envelope, every_truncation_is_bad_message) {
  std::string bytes;
  redwire::encode_envelope_header(bytes, sample());
  // Every cut before the end of the last string field must be refused.
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    try {
      redwire::decode_envelope(std::string_view(bytes).substr(0, cut));
      ADD_FAILURE() << "accepted a frame cut at " << cut;
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code(), redwire::errc::bad_message);
    }
  }
}

TEST(envelope, wrong_magic_version_or_kind) {
  std::string bytes;
  redwire::encode_envelope_header(bytes, sample());
  for (std::size_t at : {0u, 1u, 2u, 3u}) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] + 17);
    EXPECT_THROW(redwire::decode_envelope(bad), std::system_error) << at;
  }
}

TEST(envelope, random_bytes_never_crash) {
  std::mt19937_64 rng(7);
  std::string good;
  redwire::encode_envelope_header(good, sample());
  int accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string bytes = good;
    // Mutate a few bytes after the fixed magic so that decoding goes deep.
    for (int k = 0; k < 3; ++k) bytes[5 + rng() % (bytes.size() - 5)] = static_cast<char>(rng());
    if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
    try {
      auto e = redwire::decode_envelope(bytes);
      EXPECT_LE(e.procedure.size() + e.payload.size(), bytes.size());
      ++accepted;
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code(), redwire::errc::bad_message);
    }
  }
  EXPECT_GT(accepted, 0);
}

TEST(envelope, expiry) {
  auto e = sample();
  e.deadline_ms = 0;
  EXPECT_FALSE(e.expired());
  e.deadline_ms = 1;
  EXPECT_TRUE(e.expired());
}

}  // namespace
