// The Inventa frame codec: names, escaping, frames, call ids, and hostile bytes.
#include <gtest/gtest.h>

#include <redwire/inventa.hpp>

#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

namespace inv = redwire::inventa;
using items = std::vector<std::string>;

TEST(inventa_frame, full_ids_are_three_parts_starting_with_svc) {
  auto i = inv::instance::parse("svc:calc:one");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->type, "calc");
  EXPECT_EQ(i->id, "one");
  EXPECT_EQ(i->channel(), "ch:svc:calc:one");
  auto orc = inv::instance::parse("svc:orc:");
  ASSERT_TRUE(orc);
  EXPECT_EQ(orc->type, "orc");
  EXPECT_EQ(orc->id, "");
  for (const char* bad : {"", "svc", "svc:a", "svc:a:b:c", "bad-sender", "svx:a:b", "svc:a|x:b"})
    EXPECT_FALSE(inv::instance::parse(bad)) << bad;
}

TEST(inventa_frame, requests_and_responses_are_encoded_as_the_recorded_ones) {
  EXPECT_EQ(inv::detail::encode_request("Ptrbd-1796008394", "svc:calc:one", "register",
                                        items{"svc:calc:one"}),
            "req|Ptrbd-1796008394|svc:calc:one|register|svc:calc:one");
  EXPECT_EQ(inv::detail::encode_response("Ptrbd-1796008394", "svc:orc:", items{"registered"}),
            "resp|Ptrbd-1796008394|svc:orc:|registered");
  EXPECT_EQ(
      inv::detail::encode_request("WkXvk-1796008403", "svc:client:c1", "sum", items{"465", "855"}),
      "req|WkXvk-1796008403|svc:client:c1|sum|465!855");
  EXPECT_EQ(inv::detail::encode_response("manual-3", "svc:probe:p1",
                                         items{"error", "unknown command type: nope"}),
            "resp|manual-3|svc:probe:p1|error!unknown command type: nope");
  EXPECT_EQ(inv::detail::encode_request("x", "svc:a:b", "nope", items{}), "req|x|svc:a:b|nope|");
}

TEST(inventa_frame, frames_parse_by_field_index) {
  auto f = inv::detail::parse("req|WkXvk-1796008403|svc:client:c1|sum|465!855");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, inv::detail::frame::request);
  EXPECT_EQ(f->call_id, "WkXvk-1796008403");
  EXPECT_EQ(f->from, "svc:client:c1");
  EXPECT_EQ(f->method, "sum");
  EXPECT_EQ(f->items, (items{"465", "855"}));
  auto r = inv::detail::parse("resp|manual-3|svc:probe:p1|error!unknown command type: nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, inv::detail::frame::response);
  EXPECT_EQ(r->items, (items{"error", "unknown command type: nope"}));
  // Extra fields are ignored, as the libraries do.
  auto extra = inv::detail::parse("resp|id|svc:a:b|1|junk");
  ASSERT_TRUE(extra);
  EXPECT_EQ(extra->items, items{"1"});
}

TEST(inventa_frame, an_empty_list_arrives_as_one_empty_item) {
  auto f = inv::detail::parse(inv::detail::encode_request("x", "svc:a:b", "m", items{}));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->items, items{""});
}

TEST(inventa_frame, what_is_not_a_frame_is_refused) {
  for (const char* bad : {"", "hello world", "req", "req|", "req|x", "req|x|svc:a:b",
                          "req|x|svc:a:b|m", "req|manual-5|bad-sender|sum|1!2", "resp|x|svc:a:b",
                          "resp|x", "REQ|x|svc:a:b|m|", "|||||", "resp||||"})
    EXPECT_FALSE(inv::detail::parse(bad)) << bad;
}

TEST(inventa_frame, escaping_round_trips_every_byte_value) {
  for (int b = 0; b < 256; ++b) {
    const std::string item(1, static_cast<char>(b));
    const std::string frame =
        inv::detail::encode_response("id", "svc:a:b", items{item, "x" + item + "y", item + item});
    auto f = inv::detail::parse(frame);
    ASSERT_TRUE(f) << b;
    EXPECT_EQ(f->items, (items{item, "x" + item + "y", item + item})) << b;
  }
}

TEST(inventa_frame, pipes_and_bangs_travel_escaped_and_percent_is_left_alone) {
  std::string out;
  inv::detail::append_escaped(out, "a|b!c%d");
  EXPECT_EQ(out, "a%pipe%b%exc%c%d");
  EXPECT_EQ(inv::detail::unescape("100%exc%"), "100!");  // what py-inventa delivers too
  EXPECT_EQ(inv::detail::unescape("%pipe%"), "|");
  EXPECT_EQ(inv::detail::unescape("%exc%pipe%"), "%exc|");  // "%pipe%" first, as py-inventa
  EXPECT_FALSE(inv::detail::escape_is_lossless("%%exc!"));  // escaped: "%%exc%exc%"
  EXPECT_TRUE(inv::detail::escape_is_lossless("50% off | 100%!"));
  EXPECT_TRUE(inv::detail::escape_is_lossless("%exc|"));
  EXPECT_FALSE(inv::detail::escape_is_lossless("a%pipe%b"));
  EXPECT_FALSE(inv::detail::escape_is_lossless("%exc%"));
}

TEST(inventa_frame, random_items_round_trip_unless_they_hold_an_escape_as_text) {
  std::mt19937 rng(19);
  const std::string alphabet = "ab|!%pipexc\0\xff";
  for (int round = 0; round < 5000; ++round) {
    items in(1 + rng() % 4);
    for (auto& item : in) {
      const std::size_t n = rng() % 12;
      for (std::size_t i = 0; i < n; ++i) item += alphabet[rng() % alphabet.size()];
    }
    auto f = inv::detail::parse(inv::detail::encode_request("id", "svc:a:b", "m", in));
    ASSERT_TRUE(f);
    bool lossless = true;
    for (auto& item : in) lossless = lossless && inv::detail::escape_is_lossless(item);
    if (lossless) {
      EXPECT_EQ(f->items, in);
    }
    EXPECT_EQ(f->items.size(), in.size());
  }
}

TEST(inventa_frame, random_bytes_never_crash_the_parser) {
  std::mt19937 rng(7);
  const std::string alphabet = "req|svc:ab!%\0";
  for (int round = 0; round < 20000; ++round) {
    std::string payload;
    const std::size_t n = rng() % 40;
    for (std::size_t i = 0; i < n; ++i) payload += alphabet[rng() % alphabet.size()];
    if (rng() % 2) payload = (rng() % 2 ? "req|" : "resp|") + payload;
    auto f = inv::detail::parse(payload);
    if (f) {
      EXPECT_TRUE(inv::instance::parse(f->from));
    }
  }
}

TEST(inventa_frame, call_ids_have_the_libraries_form_and_never_repeat) {
  inv::detail::call_ids ids;
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    std::string id = ids.next();
    ASSERT_GT(id.size(), 7u);
    for (int k = 0; k < 5; ++k) EXPECT_TRUE(std::isalpha(static_cast<unsigned char>(id[k])));
    EXPECT_EQ(id[5], '-');
    EXPECT_EQ(id.find_first_not_of("0123456789", 6), std::string::npos);
    EXPECT_TRUE(seen.insert(id.substr(6)).second) << id;
  }
}

}  // namespace
