// Tests of redwire/codec.hpp: round trips of every supported type, the wire format, and
// decoding of truncated, corrupt and hostile bytes.
#include <redwire/codec.hpp>
#include <redwire/type_description.hpp>

#include <gtest/gtest.h>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <thread>

namespace {

using redwire::decode_values;
using redwire::encode_values;

struct point {
  double x;
  double y;
};
struct segment {
  point from;
  point to;
  std::string label;
  std::vector<point> waypoints;
  std::optional<int> weight;
};
bool operator==(const point& a, const point& b) {
  return a.x == b.x && a.y == b.y;
}
bool operator==(const segment& a, const segment& b) {
  return a.from == b.from && a.to == b.to && a.label == b.label && a.waypoints == b.waypoints &&
         a.weight == b.weight;
}

enum class color : std::uint8_t { red = 1, green = 2, blue = 200 };
enum plain_enum : int { plain_a = -5, plain_b = 70000 };
enum unfixed_enum { unfixed_a, unfixed_b };  // any other value would be undefined behaviour

/// A class with its own cereal serialize, which must win over reflection: it is an aggregate
/// too, but writes its fields in reverse order.
struct tagged {
  std::vector<int> numbers;
  std::string name;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(CEREAL_NVP(name), CEREAL_NVP(numbers));
  }
  bool operator==(const tagged&) const = default;
};

/// Split save/load as free functions, with a private member.
class account {
 public:
  account() = default;
  account(std::string owner, std::int64_t cents) : owner_(std::move(owner)), cents_(cents) {}
  bool operator==(const account&) const = default;

 private:
  template <class Archive>
  friend void save(Archive& archive, const account& a) {
    archive(a.owner_, a.cents_);
  }
  template <class Archive>
  friend void load(Archive& archive, account& a) {
    archive(a.owner_, a.cents_);
  }
  std::string owner_;
  std::int64_t cents_ = 0;
};

template <class T>
redwire::wire_type_t<T> round_trip(const T& value) {
  std::string bytes;
  encode_values(bytes, value);
  return std::get<0>(decode_values<redwire::wire_type_t<T>>(bytes));
}

template <class T>
std::string encoded(const T& value) {
  std::string bytes;
  encode_values(bytes, value);
  return bytes;
}

redwire::errc error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().category(), redwire::error_category()) << e.what();
    return static_cast<redwire::errc>(e.code().value());
  }
  ADD_FAILURE() << "no exception";
  return redwire::errc{};
}

template <class... T>
redwire::errc decode_error(std::string_view bytes,
                           std::size_t limit = redwire::detail::default_max_message_size) {
  return error_of([&] { (void)decode_values<T...>(bytes, limit); });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Round trips

TEST(codec, numbers_round_trip) {
  EXPECT_EQ(round_trip(true), true);
  EXPECT_EQ(round_trip(false), false);
  EXPECT_EQ(round_trip('z'), 'z');
  EXPECT_EQ(round_trip(std::numeric_limits<std::int8_t>::min()),
            std::numeric_limits<std::int8_t>::min());
  EXPECT_EQ(round_trip(std::numeric_limits<std::uint8_t>::max()),
            std::numeric_limits<std::uint8_t>::max());
  EXPECT_EQ(round_trip(std::numeric_limits<std::int16_t>::min()),
            std::numeric_limits<std::int16_t>::min());
  EXPECT_EQ(round_trip(std::numeric_limits<std::uint16_t>::max()),
            std::numeric_limits<std::uint16_t>::max());
  EXPECT_EQ(round_trip(std::numeric_limits<std::int32_t>::min()),
            std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(round_trip(std::numeric_limits<std::uint32_t>::max()),
            std::numeric_limits<std::uint32_t>::max());
  EXPECT_EQ(round_trip(std::numeric_limits<std::int64_t>::min()),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(round_trip(std::numeric_limits<std::uint64_t>::max()),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(round_trip(1.5f), 1.5f);
  EXPECT_EQ(round_trip(-0.1), -0.1);
  EXPECT_EQ(round_trip(std::numeric_limits<double>::infinity()),
            std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(round_trip(std::numeric_limits<double>::quiet_NaN())));
}

TEST(codec, enums_round_trip_as_their_underlying_type) {
  EXPECT_EQ(round_trip(color::blue), color::blue);
  EXPECT_EQ(round_trip(plain_a), plain_a);
  EXPECT_EQ(round_trip(plain_b), plain_b);
  EXPECT_EQ(encoded(color::blue), std::string(1, static_cast<char>(200)));
  EXPECT_EQ(round_trip(std::byte{0xab}), std::byte{0xab});
}

TEST(codec, strings_round_trip) {
  EXPECT_EQ(round_trip(std::string{}), "");
  EXPECT_EQ(round_trip(std::string("with\0zero", 9)), std::string("with\0zero", 9));
  EXPECT_EQ(round_trip(std::string(300, 'q')), std::string(300, 'q'));
  std::string from_view = round_trip(std::string_view{"view"});
  EXPECT_EQ(from_view, "view");
  const char* text = "pointer";
  std::string from_pointer = round_trip(text);
  EXPECT_EQ(from_pointer, "pointer");
  const char* null_text = nullptr;
  EXPECT_EQ(round_trip(null_text), "");
}

TEST(codec, sequences_round_trip) {
  EXPECT_EQ(round_trip(std::vector<int>{}), std::vector<int>{});
  EXPECT_EQ(round_trip(std::vector<int>{1, -2, 3}), (std::vector<int>{1, -2, 3}));
  EXPECT_EQ(round_trip(std::vector<double>{0.5, 2.25}), (std::vector<double>{0.5, 2.25}));
  EXPECT_EQ(round_trip(std::vector<bool>{true, false, true}),
            (std::vector<bool>{true, false, true}));
  EXPECT_EQ(round_trip(std::vector<std::string>{"a", "", "ccc"}),
            (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_EQ(round_trip(std::vector<std::vector<int>>{{}, {1}, {2, 3}}),
            (std::vector<std::vector<int>>{{}, {1}, {2, 3}}));
  EXPECT_EQ(round_trip(std::deque<int>{}), std::deque<int>{});
  EXPECT_EQ(round_trip(std::deque<int>{4, 5}), (std::deque<int>{4, 5}));
  EXPECT_EQ(round_trip(std::list<std::string>{}), std::list<std::string>{});
  EXPECT_EQ(round_trip(std::list<std::string>{"x", "y"}), (std::list<std::string>{"x", "y"}));
  EXPECT_EQ(round_trip(std::array<int, 3>{7, 8, 9}), (std::array<int, 3>{7, 8, 9}));
  EXPECT_EQ(round_trip(std::array<std::string, 2>{"p", "q"}),
            (std::array<std::string, 2>{"p", "q"}));
  EXPECT_EQ(round_trip(std::array<int, 0>{}), (std::array<int, 0>{}));
  // vector, deque and list share one wire format
  EXPECT_EQ(encoded(std::vector<int>{1, 2}), encoded(std::list<int>{1, 2}));
  EXPECT_EQ(encoded(std::vector<int>{1, 2}), encoded(std::deque<int>{1, 2}));
}

TEST(codec, byte_vectors_round_trip) {
  std::vector<std::byte> bytes{std::byte{0}, std::byte{255}, std::byte{7}};
  EXPECT_EQ(round_trip(bytes), bytes);
  EXPECT_EQ(round_trip(std::vector<std::byte>{}), std::vector<std::byte>{});
  EXPECT_EQ(round_trip(std::vector<char>{'a', '\0', 'b'}), (std::vector<char>{'a', '\0', 'b'}));
  EXPECT_EQ(round_trip(std::vector<std::uint8_t>{1, 2, 255}),
            (std::vector<std::uint8_t>{1, 2, 255}));
  EXPECT_EQ(encoded(bytes), std::string("\x03\x00\xff\x07", 4));
}

TEST(codec, associative_containers_round_trip) {
  std::map<std::string, int> ordered{{"a", 1}, {"b", 2}};
  EXPECT_EQ(round_trip(ordered), ordered);
  EXPECT_EQ(round_trip(std::map<int, int>{}), (std::map<int, int>{}));
  std::unordered_map<int, std::vector<std::string>> hashed{{1, {"x"}}, {2, {}}};
  EXPECT_EQ(round_trip(hashed), hashed);
  EXPECT_EQ(round_trip(std::set<int>{3, 1, 2}), (std::set<int>{1, 2, 3}));
  EXPECT_EQ(round_trip(std::set<std::string>{}), std::set<std::string>{});
  EXPECT_EQ(round_trip(std::unordered_set<std::string>{"u", "v"}),
            (std::unordered_set<std::string>{"u", "v"}));
}

TEST(codec, optional_variant_pair_tuple_round_trip) {
  EXPECT_EQ(round_trip(std::optional<int>{}), std::nullopt);
  EXPECT_EQ(round_trip(std::optional<int>{42}), 42);
  EXPECT_EQ(round_trip(std::optional<std::string>{""}), std::optional<std::string>{""});
  using v = std::variant<std::monostate, int, std::string, std::vector<double>>;
  EXPECT_EQ(round_trip(v{}), v{});
  EXPECT_EQ(round_trip(v{5}), v{5});
  EXPECT_EQ(round_trip(v{std::string("five")}), v{std::string("five")});
  EXPECT_EQ(round_trip(v{std::vector<double>{5.0}}), v{std::vector<double>{5.0}});
  using same_twice = std::variant<int, int>;
  EXPECT_EQ(round_trip(same_twice{std::in_place_index<1>, 3}).index(), 1u);
  EXPECT_EQ(round_trip(std::pair<int, std::string>{1, "one"}),
            (std::pair<int, std::string>{1, "one"}));
  EXPECT_EQ(round_trip(std::tuple<>{}), std::tuple<>{});
  EXPECT_EQ(round_trip(std::tuple<int, bool, std::string>{1, true, "t"}),
            (std::tuple<int, bool, std::string>{1, true, "t"}));
  EXPECT_EQ(round_trip(std::monostate{}), std::monostate{});
  EXPECT_EQ(encoded(std::monostate{}), "");
}

TEST(codec, chrono_round_trips) {
  using namespace std::chrono_literals;
  EXPECT_EQ(round_trip(1500ms), 1500ms);
  EXPECT_EQ(round_trip(-3s), -3s);
  EXPECT_EQ(round_trip(std::chrono::duration<double>(0.25)), std::chrono::duration<double>(0.25));
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(round_trip(now), now);
  const auto steady = std::chrono::steady_clock::now();
  EXPECT_EQ(round_trip(steady), steady);
  EXPECT_EQ(encoded(1ms), encoded(std::int64_t{1}));
}

TEST(codec, aggregates_round_trip_by_reflection) {
  point p{1.5, -2.5};
  EXPECT_EQ(round_trip(p), p);
  EXPECT_EQ(encoded(p), encoded(std::tuple<double, double>{1.5, -2.5}));
  segment s{{0, 1}, {2, 3}, "s", {{4, 5}, {6, 7}}, 9};
  EXPECT_EQ(round_trip(s), s);
  segment empty{};
  EXPECT_EQ(round_trip(empty), empty);
  std::vector<segment> many(3, s);
  EXPECT_EQ(round_trip(many), many);
  std::map<std::string, std::optional<point>> nested{{"here", point{1, 1}},
                                                     {"nowhere", std::nullopt}};
  EXPECT_EQ(round_trip(nested), nested);
}

TEST(codec, cereal_serialize_wins_over_reflection) {
  tagged t{{1, 2, 3}, "name"};
  EXPECT_EQ(round_trip(t), t);
  // serialize() writes name first: a size tag (varint 4), then the characters
  EXPECT_EQ(encoded(t).substr(0, 5), std::string("\x04name", 5));
  EXPECT_EQ(encoded(t).size(), 1 + 4 + 1 + 3 * 4u);
  EXPECT_EQ(round_trip(tagged{}), tagged{});
  std::vector<tagged> list{t, tagged{}, t};
  EXPECT_EQ(round_trip(list), list);
}

TEST(codec, cereal_free_save_load) {
  account a{"ada", -1234};
  EXPECT_EQ(round_trip(a), a);
  EXPECT_EQ(round_trip(std::optional<account>{a}), std::optional<account>{a});
}

TEST(codec, several_values_at_once) {
  std::string bytes;
  encode_values(bytes, 7, std::string("seven"), point{7, 7}, color::green, std::vector<int>{7});
  auto [i, s, p, c, v] = decode_values<int, std::string, point, color, std::vector<int>>(bytes);
  EXPECT_EQ(i, 7);
  EXPECT_EQ(s, "seven");
  EXPECT_EQ(p, (point{7, 7}));
  EXPECT_EQ(c, color::green);
  EXPECT_EQ(v, std::vector<int>{7});
  // appends, never overwrites
  std::string twice = "prefix";
  encode_values(twice, 1);
  encode_values(twice, 2);
  EXPECT_EQ(twice.substr(6), encoded(1) + encoded(2));
  EXPECT_EQ((decode_values<int, int>(twice.substr(6))), (std::tuple<int, int>{1, 2}));
  EXPECT_EQ(decode_values<>(""), std::tuple<>{});
}

TEST(codec, big_payloads) {
  std::vector<std::byte> bytes(9u << 20);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::byte>(i * 31 + 7);
  EXPECT_EQ(round_trip(bytes), bytes);
  std::string text(8u << 20, 'x');
  text[12345] = 'y';
  EXPECT_EQ(round_trip(text), text);
  std::vector<double> numbers(1u << 20, 0.5);
  EXPECT_EQ(round_trip(numbers), numbers);
  std::vector<std::string> strings(1u << 18, "abc");
  EXPECT_EQ(round_trip(strings), strings);
}

// ---------------------------------------------------------------------------------------------
// Wire format

TEST(codec, numbers_are_fixed_width_little_endian) {
  EXPECT_EQ(encoded(std::int32_t{1}), std::string("\x01\x00\x00\x00", 4));
  EXPECT_EQ(encoded(std::uint16_t{0x1234}), std::string("\x34\x12", 2));
  EXPECT_EQ(encoded(std::int64_t{-1}), std::string(8, '\xff'));
  EXPECT_EQ(encoded(1.0), std::string("\x00\x00\x00\x00\x00\x00\xf0\x3f", 8));
  EXPECT_EQ(encoded(true), std::string("\x01", 1));
  EXPECT_EQ(encoded(std::string("ab")),
            "\x02"
            "ab");
  EXPECT_EQ(encoded(std::optional<std::uint8_t>{}), std::string("\x00", 1));
  EXPECT_EQ(encoded(std::optional<std::uint8_t>{9}), std::string("\x01\x09", 2));
  EXPECT_EQ(encoded(std::variant<int, std::uint8_t>{std::uint8_t{5}}), std::string("\x01\x05", 2));
}

TEST(codec, varints) {
  auto varint = [](std::uint64_t v) {
    std::string bytes;
    redwire::detail::output out{bytes};
    out.write_varint(v);
    EXPECT_EQ(bytes.size(), redwire::detail::varint_size(v));
    return bytes;
  };
  auto read = [](std::string_view bytes) {
    redwire::detail::input in{bytes};
    auto v = in.read_varint();
    EXPECT_TRUE(in.empty());
    return v;
  };
  EXPECT_EQ(varint(0), std::string("\x00", 1));
  EXPECT_EQ(varint(127), "\x7f");
  EXPECT_EQ(varint(128), "\x80\x01");
  EXPECT_EQ(varint(300), "\xac\x02");
  EXPECT_EQ(varint(UINT64_MAX), "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 16383ull, 16384ull, (1ull << 32) - 1,
                          1ull << 32, (1ull << 63) - 1, 1ull << 63, ~0ull}) {
    EXPECT_EQ(read(varint(v)), v) << v;
  }
  // a non-minimal encoding is still the same number
  EXPECT_EQ(read(std::string("\x80\x00", 2)), 0u);
  auto fails = [](std::string_view bytes) {
    return error_of([&] {
      redwire::detail::input in{bytes};
      (void)in.read_varint();
    });
  };
  EXPECT_EQ(fails(""), redwire::errc::bad_message);
  EXPECT_EQ(fails("\x80"), redwire::errc::bad_message);
  EXPECT_EQ(fails("\xff\xff\xff"), redwire::errc::bad_message);
  // the tenth byte may only carry bit 63
  EXPECT_EQ(fails("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"), redwire::errc::bad_message);
  // eleven bytes
  EXPECT_EQ(fails("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x00"), redwire::errc::bad_message);
  EXPECT_EQ(fails("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00"), redwire::errc::bad_message);
}

// ---------------------------------------------------------------------------------------------
// Bad input

TEST(codec, invalid_tags_are_bad_messages) {
  EXPECT_EQ(decode_error<bool>("\x02"), redwire::errc::bad_message);
  EXPECT_EQ(decode_error<std::optional<int>>("\x02\x00\x00\x00\x00"), redwire::errc::bad_message);
  EXPECT_EQ((decode_error<std::variant<int, bool>>("\x02\x00")), redwire::errc::bad_message);
  EXPECT_EQ((decode_error<std::variant<int, bool>>("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01")),
            redwire::errc::bad_message);
  EXPECT_EQ(decode_error<std::vector<bool>>("\x01\x07"), redwire::errc::bad_message);
  EXPECT_EQ(decode_error<int>(encoded(1) + "x"), redwire::errc::bad_message);  // trailing byte
  EXPECT_EQ(decode_error<int>(""), redwire::errc::bad_message);
  EXPECT_EQ(decode_error<>("x"), redwire::errc::bad_message);
}

TEST(codec, truncation_at_every_cut_point_is_a_bad_message) {
  using message =
      std::tuple<int, std::string, segment, std::map<std::string, std::vector<int>>,
                 std::variant<std::monostate, point, std::string>, tagged, std::optional<color>,
                 std::chrono::milliseconds, std::vector<std::byte>, account>;
  std::string bytes;
  segment s{{0, 1}, {2, 3}, "seg", {{4, 5}}, 6};
  encode_values(bytes, 1, std::string("two"), s,
                std::map<std::string, std::vector<int>>{{"k", {1, 2}}},
                std::variant<std::monostate, point, std::string>{std::string("v")},
                tagged{{9}, "t"}, std::optional<color>{color::red}, std::chrono::milliseconds{5},
                std::vector<std::byte>{std::byte{1}, std::byte{2}}, account{"o", 3});
  auto decode = [&](std::string_view b) {
    return decode_values<int, std::string, segment, std::map<std::string, std::vector<int>>,
                         std::variant<std::monostate, point, std::string>, tagged,
                         std::optional<color>, std::chrono::milliseconds, std::vector<std::byte>,
                         account>(b);
  };
  message whole = decode(bytes);
  EXPECT_EQ(std::get<2>(whole), s);
  EXPECT_EQ(std::get<9>(whole), (account{"o", 3}));
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_EQ(error_of([&] { (void)decode(std::string_view(bytes).substr(0, cut)); }),
              redwire::errc::bad_message)
        << "cut at " << cut;
  }
}

TEST(codec, random_bytes_only_ever_fail_cleanly) {
  using hostile =
      std::tuple<std::vector<std::string>, std::map<int, std::optional<segment>>,
                 std::variant<std::monostate, std::set<std::string>, std::vector<double>, tagged>,
                 std::list<std::pair<bool, std::string>>, std::unordered_map<std::string, point>>;
  std::mt19937_64 random{12345};
  std::string valid;
  encode_values(valid, hostile{{"a", "b"},
                               {{1, segment{}}, {2, std::nullopt}},
                               {tagged{{1}, "x"}},
                               {{true, "y"}},
                               {{"p", point{1, 2}}}});
  std::size_t decoded = 0;
  auto attempt = [&](const std::string& bytes) {
    try {
      (void)decode_values<hostile>(bytes);
      ++decoded;
    } catch (const std::system_error& e) {
      const auto code = static_cast<redwire::errc>(e.code().value());
      ASSERT_EQ(e.code().category(), redwire::error_category());
      ASSERT_TRUE(code == redwire::errc::bad_message || code == redwire::errc::too_large)
          << e.what();
    }
  };
  std::string bytes;
  for (int round = 0; round < 100'000; ++round) {
    bytes.resize(random() % 80);
    for (auto& c : bytes) c = static_cast<char>(random() % 4 == 0 ? 0 : random());
    attempt(bytes);
    // and a valid message with a few bytes changed, which gets deeper into the decoder
    bytes = valid;
    for (int flips = 1 + static_cast<int>(random() % 3); flips > 0; --flips) {
      bytes[random() % bytes.size()] = static_cast<char>(random());
    }
    attempt(bytes);
  }
  EXPECT_GT(decoded, 0u);  // some corrupted messages still decode; that is fine
}

TEST(codec, huge_claimed_lengths_are_rejected_before_allocating) {
  std::string four_gib;
  redwire::detail::output out{four_gib};
  out.write_varint(std::uint64_t{4} << 30);
  four_gib += "abc";
  EXPECT_EQ(decode_error<std::string>(four_gib), redwire::errc::too_large);
  EXPECT_EQ(decode_error<std::vector<std::string>>(four_gib), redwire::errc::too_large);
  EXPECT_EQ(decode_error<tagged>(four_gib), redwire::errc::too_large);  // cereal's size tag
  // with no limit to speak of, the count is still checked against the bytes that remain
  const std::size_t no_limit = std::numeric_limits<std::size_t>::max();
  EXPECT_EQ(decode_error<std::string>(four_gib, no_limit), redwire::errc::bad_message);
  EXPECT_EQ(decode_error<std::vector<std::string>>(four_gib, no_limit), redwire::errc::bad_message);
  EXPECT_EQ(decode_error<std::vector<std::int64_t>>(four_gib, no_limit),
            redwire::errc::bad_message);
  EXPECT_EQ((decode_error<std::unordered_map<int, int>>(four_gib, no_limit)),
            redwire::errc::bad_message);
  EXPECT_EQ(decode_error<tagged>(four_gib, no_limit), redwire::errc::bad_message);
  // an element count of 2^63 of empty elements
  std::string many_empty;
  redwire::detail::output many{many_empty};
  many.write_varint(std::uint64_t{1} << 63);
  EXPECT_EQ(decode_error<std::vector<std::monostate>>(many_empty), redwire::errc::too_large);
  // each int takes 4 bytes: a count of 2 with 7 bytes left is a lie
  EXPECT_EQ(decode_error<std::vector<int>>(std::string("\x02\x01\x00\x00\x00\x02\x00\x00", 8)),
            redwire::errc::bad_message);
}

TEST(codec, message_size_limit) {
  const std::string bytes = encoded(std::string(100, 'x'));
  EXPECT_EQ(std::get<0>(decode_values<std::string>(bytes, bytes.size())), std::string(100, 'x'));
  EXPECT_EQ(decode_error<std::string>(bytes, bytes.size() - 1), redwire::errc::too_large);
  // a length over the limit is too_large even when the message itself is small
  EXPECT_EQ(decode_error<std::string>(std::string("\x65", 1), 64), redwire::errc::too_large);
}

// ---------------------------------------------------------------------------------------------
// What is and is not serializable

namespace {
struct with_pointer {
  int* p;
};
struct with_function {
  std::function<void()> f;
};
struct with_nested_bad {
  point ok;
  std::vector<with_pointer> bad;
};
}  // namespace

static_assert(redwire::serializable<int>);
static_assert(redwire::serializable<const std::string&>);
static_assert(redwire::serializable<const char*>);
static_assert(redwire::serializable<std::string_view>);
static_assert(redwire::serializable<segment>);
static_assert(redwire::serializable<tagged>);
static_assert(redwire::serializable<account>);
static_assert(redwire::serializable<std::map<std::string, std::variant<int, point>>>);
static_assert(redwire::serializable<std::chrono::system_clock::time_point>);
static_assert(!redwire::serializable<int*>);
static_assert(!redwire::serializable<char*>);
static_assert(!redwire::serializable<void*>);
static_assert(!redwire::serializable<void>);
static_assert(!redwire::serializable<long double>);
static_assert(!redwire::serializable<std::function<void()>>);
static_assert(!redwire::serializable<std::thread>);
static_assert(!redwire::serializable<with_pointer>);
static_assert(!redwire::serializable<with_function>);
static_assert(!redwire::serializable<with_nested_bad>);
static_assert(!redwire::serializable<std::vector<int*>>);
static_assert(!redwire::serializable<std::optional<std::function<void()>>>);
static_assert(!redwire::serializable<std::variant<int, std::thread>>);
static_assert(!redwire::serializable<unfixed_enum>);
static_assert(redwire::serializable<plain_enum>);
