// bench/codec_bench.cpp — redwire's codec against the same values through cereal's binary
// archives by hand. Each case encodes then decodes one value; both sides reuse their buffer.
//   codec_bench [--benchmark_filter=small] [--benchmark_repetitions=3]
// The closing table gives redwire's time over cereal's for each case (goal: <= 1.3x).
#include <benchmark/benchmark.h>

#include <cereal/archives/binary.hpp>
#include <cereal/types/string.hpp>

#include <redwire/codec.hpp>

#include <cstdint>
#include <istream>
#include <ostream>
#include <streambuf>
#include <string>

#include "ratio_reporter.hpp"

namespace {

struct small_struct {
  std::int32_t id;
  double x;
  double y;
  std::string name;
  std::uint64_t flags;
};

small_struct make_small() {
  return {42, 1.5, -2.25, "order-42", 0xfeedULL};
}

std::string make_payload(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 31 + 7);
  return s;
}

// cereal writes to a std::ostream. To hold cereal to its best, its stream appends to a reused
// std::string (no ostringstream copies) and reads straight from that string's bytes.
class string_sink : public std::streambuf {
 public:
  std::string bytes;

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    bytes.append(s, static_cast<std::size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) bytes.push_back(static_cast<char>(c));
    return c;
  }
};

class view_source : public std::streambuf {
 public:
  void reset(const std::string& s) {
    char* p = const_cast<char*>(s.data());
    setg(p, p, p + s.size());
  }
};

// ---- small struct: redwire by reflection, cereal field by field ------------------------------

void redwire_small(benchmark::State& state) {
  const small_struct value = make_small();
  std::string buffer;
  for (auto _ : state) {
    buffer.clear();
    redwire::encode_values(buffer, value);
    auto decoded = redwire::decode_values<small_struct>(buffer);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * buffer.size()));
}

void cereal_small(benchmark::State& state) {
  const small_struct value = make_small();
  string_sink sink;
  std::ostream os(&sink);
  view_source source;
  std::istream is(&source);
  for (auto _ : state) {
    sink.bytes.clear();
    {
      cereal::BinaryOutputArchive out(os);
      out(value.id, value.x, value.y, value.name, value.flags);
    }
    source.reset(sink.bytes);
    is.clear();
    small_struct decoded;
    {
      cereal::BinaryInputArchive in(is);
      in(decoded.id, decoded.x, decoded.y, decoded.name, decoded.flags);
    }
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * sink.bytes.size()));
}

// ---- byte payloads (std::string) ------------------------------------------------------------

void redwire_payload(benchmark::State& state) {
  const std::string value = make_payload(static_cast<std::size_t>(state.range(0)));
  std::string buffer;
  for (auto _ : state) {
    buffer.clear();
    redwire::encode_values(buffer, value);
    auto decoded = redwire::decode_values<std::string>(buffer);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void cereal_payload(benchmark::State& state) {
  const std::string value = make_payload(static_cast<std::size_t>(state.range(0)));
  string_sink sink;
  std::ostream os(&sink);
  view_source source;
  std::istream is(&source);
  for (auto _ : state) {
    sink.bytes.clear();
    {
      cereal::BinaryOutputArchive out(os);
      out(value);
    }
    source.reset(sink.bytes);
    is.clear();
    std::string decoded;
    {
      cereal::BinaryInputArchive in(is);
      in(decoded);
    }
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

}  // namespace

BENCHMARK(redwire_small)->Name("redwire/small");
BENCHMARK(cereal_small)->Name("cereal/small");
BENCHMARK(redwire_payload)->Name("redwire/payload")->Arg(1 << 10)->Arg(64 << 10)->Arg(1 << 20);
BENCHMARK(cereal_payload)->Name("cereal/payload")->Arg(1 << 10)->Arg(64 << 10)->Arg(1 << 20);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  bench::ratio_reporter reporter("redwire/", "cereal/", 1.3);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
