// Each REDWIRE_CASE_* below must NOT compile, and its diagnostic must name the procedure, the
// position (argument N or the result) and the type that has no Inventa form. Without a case
// defined the file must compile. Run by ctest (inventa_compile_fail.cmake).
#include <redwire/inventa.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

struct point {
  double x;
  double y;
};
namespace calc {
inline constexpr redwire::procedure<"calc.sum", std::int64_t(std::int64_t, std::int64_t)> sum{};
inline constexpr redwire::procedure<"calc.scale", double(double, std::map<int, int>)> scale{};
inline constexpr redwire::procedure<"calc.where", point(std::string)> where{};
inline constexpr redwire::procedure<"calc.flag", std::int64_t(bool)> flag{};
}  // namespace calc

void baseline(redwire::inventa::node& n) {  // the well-formed baseline
  n.bind(calc::sum, [](std::int64_t a, std::int64_t b) { return a + b; });
  (void)n.try_call("svc:calc:one", calc::sum, 2, 3);

#if defined(REDWIRE_CASE_inventa_argument_map)
  n.bind(calc::scale, [](double f, const std::map<int, int>&) { return f; });
#elif defined(REDWIRE_CASE_inventa_result_struct)
  (void)n.try_call("svc:calc:one", calc::where, "here");
#elif defined(REDWIRE_CASE_inventa_argument_bool)
  (void)n.async_call("svc:calc:one", calc::flag, true);
#endif
}

int main() {}
