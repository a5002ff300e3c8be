// A libFuzzer target for Inventa's frame parser (redwire/inventa/frame.hpp) and the typed
// mapping of items: any payload parses or is refused without a crash, and what parses
// re-encodes to a frame that parses to the same fields (the items as the escaping delivers
// them). Build: -DREDWIRE_BUILD_FUZZERS=ON with clang; runs as wire_fuzzer does.
#include <redwire/inventa/frame.hpp>
#include <redwire/inventa/mapping.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "inventa_fuzzer: %s\n", what);
  std::abort();
}

namespace d = redwire::inventa::detail;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  std::optional<d::frame> f = d::parse(payload);
  if (!f) return 0;
  if (f->items.empty()) fail("a parsed frame has no item");
  if (!redwire::inventa::instance::parse(f->from)) fail("a parsed frame has a bad sender");
  // Items that would arrive changed are refused by the sender; the others round-trip.
  bool lossless = true;
  for (const std::string& item : f->items) lossless = lossless && d::escape_is_lossless(item);
  const std::string again = f->kind == d::frame::request
                                ? d::encode_request(f->call_id, f->from, f->method, f->items)
                                : d::encode_response(f->call_id, f->from, f->items);
  std::optional<d::frame> g = d::parse(again);
  if (!g) fail("a re-encoded frame does not parse");
  if (g->call_id != f->call_id || g->from != f->from || g->method != f->method)
    fail("a re-encoded frame has other header fields");
  if (lossless && g->items != f->items) fail("lossless items did not round-trip");
  // The typed mapping reads anything without crashing.
  std::string why;
  (void)d::items_to_arguments<std::int64_t, double, std::string>(f->items, why);
  (void)d::items_to_result<std::tuple<std::uint8_t, float>>(f->items, why);
  return 0;
}
