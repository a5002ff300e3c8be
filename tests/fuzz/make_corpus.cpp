// Writes the wire fuzzer's seed corpus: valid frames and values for each harness (the first
// byte of each file picks it; see fuzz_api::harness). Usage: make_corpus <directory>
#include <redwire/detail/auth.hpp>
#include <redwire/redwire.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz_api.hpp"

namespace {

using namespace fuzz_api;

std::string frame(redwire::message_kind kind, std::string_view procedure, std::uint64_t fingerprint,
                  const std::string& payload, std::string_view key = {}, bool sign = false) {
  redwire::envelope e;
  e.kind = kind;
  e.call_id = 7;
  e.fingerprint = fingerprint;
  e.deadline_ms = 1'900'000'000'000;
  e.procedure = procedure;
  if (kind == redwire::message_kind::request) e.reply_to = "rw:fz:seed-replies";
  e.caller = "seed";
  e.trace_id = "0123456789abcdef";
  e.key = key;
  if (kind == redwire::message_kind::reply || kind == redwire::message_kind::error_reply)
    e.instance = "fz-1";
  if (kind == redwire::message_kind::error_reply) e.error = redwire::errc::remote_exception;
  std::string out;
  redwire::encode_envelope_header(out, e);
  const std::size_t header_size = out.size();
  out += payload;
  if (sign) redwire::detail::sign_frame(out, header_size, redwire::detail::hmac_key{secret});
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus <directory>\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  int n = 0;
  auto write = [&](harness h, const std::string& bytes) {
    std::ofstream(dir / ("seed-" + std::to_string(n++)), std::ios::binary)
        << static_cast<char>(h) << bytes;
  };
  using redwire::message_kind;
  std::string add_args, ship_args, ship_result, empty_ship;
  redwire::encode_values(add_args, 2, 3);
  const std::vector<std::byte> blob{std::byte{1}, std::byte{0xff}, std::byte{0}};
  redwire::encode_values(ship_args, sample_shipment(), blob);
  redwire::encode_values(ship_result, sample_shipment());
  redwire::encode_values(empty_ship, shipment{}, std::vector<std::byte>{});

  const std::string requests[] = {
      frame(message_kind::request, add.name, add.fingerprint, add_args),
      frame(message_kind::request, ship.name, ship.fingerprint, ship_args, "key-1"),
      frame(message_kind::notification, add.name, add.fingerprint, add_args),
      frame(message_kind::request, "fz.nothing", 42, add_args),               // unknown procedure
      frame(message_kind::request, add.name, add.fingerprint + 1, add_args),  // mismatch
  };
  for (const auto& r : requests) {
    write(envelope_bytes, r);
    write(service_request, r);
    write(secured_request, r);  // the harness MACs it
  }
  write(envelope_bytes,
        frame(message_kind::request, add.name, add.fingerprint, add_args, {}, true));
  write(envelope_bytes, frame(message_kind::reply, ship.name, ship.fingerprint, ship_result));
  write(envelope_bytes, frame(message_kind::error_reply, add.name, add.fingerprint, "boom"));
  write(value_bytes, ship_args);
  write(value_bytes, empty_ship);
  std::string huge;  // a string that claims 4 GiB
  redwire::detail::output(huge).write_varint(std::uint64_t{4} << 30);
  write(value_bytes, huge + "abc");
  std::printf("make_corpus: %d seeds in %s\n", n, dir.c_str());
  return 0;
}
