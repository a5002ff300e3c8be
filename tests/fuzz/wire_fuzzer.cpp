// A libFuzzer target for everything that decodes bytes from the wire. The first byte of an
// input picks the harness (fuzz_api::harness); the rest are the bytes as they would arrive:
//   envelope_bytes   decode_envelope, the MAC check, and encode(decode(x)) round trips
//   value_bytes      redwire::decode_values of a complex type, and its round trip
//   service_request  pushed into the queue of a running service (memory transport, one worker)
//   secured_request  the same, MACed by the harness, for a service with a secret
// Decoding may only ever throw std::system_error with errc::bad_message or errc::too_large; a
// service must answer or drop, never crash or stop answering. Build: -DREDWIRE_BUILD_FUZZERS=ON
// with clang; runs: see docs/reliability.md.
#include <redwire/detail/auth.hpp>
#include <redwire/memory.hpp>
#include <redwire/redwire.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "fuzz_api.hpp"

namespace {

using namespace fuzz_api;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "wire_fuzzer: %s\n", what);
  std::abort();
}

/// Decoders may refuse only with redwire's bad_message or too_large.
void expect_refusal(const std::system_error& e) {
  if (e.code() != redwire::errc::bad_message && e.code() != redwire::errc::too_large)
    fail("a decoder threw a std::system_error that is neither bad_message nor too_large");
}

void fuzz_envelope(std::string_view bytes) {
  redwire::envelope e;
  try {
    e = redwire::decode_envelope(bytes);
  } catch (const std::system_error& error) {
    expect_refusal(error);
    return;
  }
  static const redwire::detail::hmac_key key{secret};
  (void)redwire::detail::check_request(bytes, e, key);
  std::string again;
  redwire::encode_envelope_header(again, e);
  again.append(e.payload);
  const redwire::envelope back = redwire::decode_envelope(again);  // must not throw
  if (back.kind != e.kind || back.call_id != e.call_id || back.fingerprint != e.fingerprint ||
      back.deadline_ms != e.deadline_ms || back.error != e.error || back.procedure != e.procedure ||
      back.reply_to != e.reply_to || back.caller != e.caller || back.trace_id != e.trace_id ||
      back.key != e.key || back.instance != e.instance || back.token != e.token ||
      back.payload != e.payload)
    fail("an envelope does not survive encode(decode(bytes))");
}

void fuzz_values(std::string_view bytes) {
  using redwire::decode_values;
  using redwire::encode_values;
  std::string once;
  try {
    auto [s, blob] = decode_values<shipment, std::vector<std::byte>>(bytes);
    encode_values(once, s, blob);
  } catch (const std::system_error& error) {
    expect_refusal(error);
    return;
  }
  auto [s, blob] = decode_values<shipment, std::vector<std::byte>>(once);  // must not throw
  std::string twice;
  encode_values(twice, s, blob);
  if (once != twice) fail("a value does not survive encode(decode(bytes))");
}

/// A service on its own in-memory bus, and a client that checks it still answers.
class system_under_test {
 public:
  explicit system_under_test(std::string key)
      : service_(bus_, "fz", {.workers = 1, .secret = key}), client_(bus_, {.secret = key}) {
    if (!key.empty()) key_ = std::make_unique<redwire::detail::hmac_key>(key);
    service_.bind(add, [](int a, int b) {
      return static_cast<int>(static_cast<unsigned>(a) + static_cast<unsigned>(b));
    });
    service_.bind(ship, [](shipment s, std::vector<std::byte> blob) {
      s.id += std::to_string(blob.size());
      return s;
    });
    service_.bind(ping, [] { return 1; });
    service_.start();
    queue_ = redwire::detail::service_queue(bus_.prefix(), "fz");
  }

  void feed(std::string bytes) {
    if (key_) {
      authenticate(bytes);
    } else if (bytes.size() >= 29) {
      bytes.replace(21, 8, 8, '\0');  // no deadline: a seed's would have passed
    }
    bus_.push(queue_, bytes);
    // One worker, one FIFO queue: once ping is answered, the input before it was handled.
    auto r = client_.with({.timeout = std::chrono::seconds(10)}).try_call(ping);
    if (!r && r.error().code() == redwire::errc::timeout) fail("the service stopped answering");
  }

 private:
  // Frames that decode with an empty token get a deadline ahead and a valid MAC, so fuzzed
  // headers and payloads reach the handlers of the secured service too.
  void authenticate(std::string& bytes) {
    std::size_t header_size = 0;
    try {
      const redwire::envelope e = redwire::decode_envelope(bytes);
      if (!e.token.empty()) return;
      header_size = static_cast<std::size_t>(e.payload.data() - bytes.data());
    } catch (const std::system_error&) {
      return;
    }
    const auto ahead = std::chrono::duration_cast<std::chrono::milliseconds>(
        (std::chrono::system_clock::now() + std::chrono::minutes(10)).time_since_epoch());
    redwire::detail::store_little_endian(bytes.data() + 21,
                                         static_cast<std::int64_t>(ahead.count()));
    redwire::detail::sign_frame(bytes, header_size, *key_);
  }

  std::unique_ptr<redwire::detail::hmac_key> key_;
  redwire::memory::transport bus_;
  redwire::service service_;
  redwire::client client_;
  std::string queue_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const bool quiet = [] {
    redwire::set_log_sink([](redwire::log_level, std::string_view) {});  // dropped-message noise
    return true;
  }();
  (void)quiet;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % harness_count) {
    case envelope_bytes:
      fuzz_envelope(bytes);
      break;
    case value_bytes:
      fuzz_values(bytes);
      break;
    case service_request: {
      static auto* plain = new system_under_test("");  // lives to the end of the process
      plain->feed(std::string(bytes));
      break;
    }
    case secured_request: {
      static auto* secured = new system_under_test(secret);
      secured->feed(std::string(bytes));
      break;
    }
  }
  return 0;
}
