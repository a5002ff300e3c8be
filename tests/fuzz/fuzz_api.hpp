// The procedures and the complex value type the wire fuzzer feeds (tests/fuzz/wire_fuzzer.cpp)
// and the seed program makes valid frames of (tests/fuzz/make_corpus.cpp).
#pragma once

#include <redwire/redwire.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

namespace fuzz_api {

struct point {
  double x;
  double y;
};

struct shipment {
  std::string id;
  std::vector<point> route;
  std::optional<std::int64_t> priority;
  std::map<std::string, std::vector<std::string>> tags;
  std::variant<std::monostate, int, std::string, std::vector<point>> extra;
  std::tuple<bool, std::uint8_t, std::set<int>> flags;
  std::vector<std::optional<std::string>> notes;
  std::chrono::milliseconds wait;
};

inline constexpr redwire::procedure<"fz.add", int(int, int)> add{};
inline constexpr redwire::procedure<"fz.ship", shipment(shipment, std::vector<std::byte>)> ship{};
inline constexpr redwire::procedure<"fz.ping", int()> ping{};

inline constexpr const char* secret = "fuzz-secret";

/// Harnesses, chosen by the first byte of an input.
enum harness : unsigned char {
  envelope_bytes = 0,   ///< decode_envelope (and the MAC check of what decodes)
  value_bytes = 1,      ///< redwire::decode_values<shipment, std::vector<std::byte>>
  service_request = 2,  ///< pushed into the queue of a running service (memory transport)
  secured_request = 3,  ///< the same, to a service that has a secret
  harness_count = 4,
};

inline shipment sample_shipment() {
  return shipment{"s-1",
                  {{1, 2}, {3.5, -4}},
                  7,
                  {{"k", {"a", "b"}}, {"empty", {}}},
                  std::vector<point>{{0, 0}},
                  {true, 3, {1, 2, 3}},
                  {std::nullopt, "note"},
                  std::chrono::milliseconds(250)};
}

}  // namespace fuzz_api
