// detail/auth.hpp: the HMAC-SHA256 of frames, checked byte by byte.
#include <redwire/codec.hpp>
#include <redwire/detail/auth.hpp>
#include <redwire/detail/bytes.hpp>
#include <redwire/envelope.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

std::string hex(const redwire::detail::mac_bytes& m) {
  std::string s;
  for (unsigned char c : m) s += redwire::detail::to_hex(c, 2);
  return s;
}

std::string make_request(std::size_t& header_size) {
  redwire::envelope e;
  e.kind = redwire::message_kind::request;
  e.call_id = 42;
  e.fingerprint = 0x1234;
  e.deadline_ms = 1'900'000'000'000;
  e.procedure = "calc.add";
  e.reply_to = "rw:reply:{c1}";
  e.caller = "c1";
  e.trace_id = "t1";
  e.key = "k";
  std::string frame;
  redwire::encode_envelope_header(frame, e);
  header_size = frame.size();
  redwire::encode_values(frame, 2, 3);
  return frame;
}

const char* check(const std::string& bytes, const redwire::detail::hmac_key& key) {
  return redwire::detail::check_request(bytes, redwire::decode_envelope(bytes), key);
}

}  // namespace

TEST(message_auth, hmac_sha256_matches_rfc_4231) {  // test case 2
  redwire::detail::hmac_key key{"Jefe"};
  EXPECT_EQ(hex(key.mac({"what do ya want ", "for nothing?"})),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(message_auth, signed_frame_checks_and_keeps_its_fields) {
  std::size_t header_size = 0;
  std::string frame = make_request(header_size);
  const std::string unsigned_frame = frame;
  redwire::detail::hmac_key key{"s3cret"};
  redwire::detail::sign_frame(frame, header_size, key);
  EXPECT_EQ(frame.size(), unsigned_frame.size() + redwire::detail::auth_token_size);
  EXPECT_EQ(frame.find("s3cret"), std::string::npos);
  auto e = redwire::decode_envelope(frame);
  EXPECT_EQ(e.procedure, "calc.add");
  EXPECT_EQ(e.key, "k");
  EXPECT_EQ(e.token.size(), redwire::detail::auth_token_size);
  EXPECT_EQ(std::get<1>(redwire::decode_values<int, int>(e.payload)), 3);
  EXPECT_EQ(check(frame, key), nullptr);
  EXPECT_NE(check(frame, redwire::detail::hmac_key{"s3creT"}), nullptr);
  EXPECT_NE(check(unsigned_frame, key), nullptr);
}

TEST(message_auth, any_changed_byte_is_refused) {
  std::size_t header_size = 0;
  std::string frame = make_request(header_size);
  redwire::detail::hmac_key key{"s3cret"};
  redwire::detail::sign_frame(frame, header_size, key);
  for (std::size_t i = 0; i < frame.size(); ++i) {
    for (unsigned char flip : {0x01, 0x80}) {
      std::string bad = frame;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      try {
        EXPECT_NE(check(bad, key), nullptr) << "byte " << i << " changed and still accepted";
      } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), redwire::errc::bad_message);  // no longer decodes: refused too
      }
    }
  }
  EXPECT_NE(check(frame + "x", key), nullptr);  // appended payload
  EXPECT_NE(check(frame.substr(0, frame.size() - 1), key), nullptr);
}

TEST(message_auth, request_without_deadline_is_refused) {
  redwire::envelope e;
  e.procedure = "calc.add";
  std::string frame;
  redwire::encode_envelope_header(frame, e);
  const std::size_t header_size = frame.size();
  redwire::detail::hmac_key key{"s3cret"};
  redwire::detail::sign_frame(frame, header_size, key);
  EXPECT_EQ(redwire::detail::check_frame(frame, redwire::decode_envelope(frame), key), nullptr);
  ASSERT_NE(check(frame, key), nullptr);
  EXPECT_NE(std::string(check(frame, key)).find("deadline"), std::string::npos);
}

TEST(message_auth, client_keys_choose_per_service) {
  redwire::detail::client_keys none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.for_service("calc"), nullptr);
  redwire::detail::client_keys some{"", {{"calc", "a"}}};
  EXPECT_NE(some.for_service("calc"), nullptr);
  EXPECT_EQ(some.for_service("audit"), nullptr);
  redwire::detail::client_keys all{"b", {{"calc", "a"}}};
  EXPECT_NE(all.for_service("audit"), nullptr);
  EXPECT_NE(all.for_service("calc"), all.for_service("audit"));
  EXPECT_THROW(redwire::detail::hmac_key{""}, std::invalid_argument);
}
