// Each REDWIRE_CASE_* below must NOT compile, and its diagnostic must name the procedure and,
// where it applies, the argument at fault. Without a case defined the file must compile: that
// proves the failures come from the one line each case adds. Run by ctest (compile_fail.cmake).
#include <redwire/memory.hpp>
#include <redwire/redwire.hpp>

#include <functional>
#include <string>
#include <thread>

namespace calc {
inline constexpr redwire::procedure<"calc.add", int(int, int)> add{};
}

int main() {
  redwire::memory::transport bus;
  redwire::client cli{bus};
  redwire::service svc{bus, "calc"};
  svc.bind(calc::add, [](int a, int b) { return a + b; });  // the well-formed baseline
  (void)cli;

#if defined(REDWIRE_CASE_call_wrong_arity)
  cli.call(calc::add, 1);
#elif defined(REDWIRE_CASE_call_argument_type)
  cli.call(calc::add, 2, "x");
#elif defined(REDWIRE_CASE_async_argument_type)
  auto f = cli.async_call(calc::add, std::string("1"), 2);
#elif defined(REDWIRE_CASE_handler_parameter_type)
  svc.bind(calc::add, [](int a, std::string b) { return a + int(b.size()); });
#elif defined(REDWIRE_CASE_handler_arity)
  svc.bind(calc::add, [](int a) { return a; });
#elif defined(REDWIRE_CASE_handler_result_type)
  svc.bind(calc::add, [](int, int) { return std::string("no"); });
#elif defined(REDWIRE_CASE_argument_not_serializable)
  constexpr redwire::procedure<"calc.spawn", int(int, std::thread)> spawn{};
  (void)spawn;
#elif defined(REDWIRE_CASE_result_not_serializable)
  constexpr redwire::procedure<"calc.make", std::function<void()>(int)> make{};
  (void)make;
#elif defined(REDWIRE_CASE_procedure_without_service)
  constexpr redwire::procedure<".reset", void()> reset{};
  (void)reset;
#endif
  return 0;
}
