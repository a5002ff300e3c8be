// Each REDWIRE_CASE_* below must NOT compile, and its diagnostic must name the procedure and,
// where it applies, the argument at fault. Without a case defined the file must compile: that
// proves the failures come from the one line each case adds. Run by ctest (compile_fail.cmake).
#include <redwire/memory.hpp>
#include <redwire/redwire.hpp>

#include <boost/describe/class.hpp>

#if defined(REDWIRE_CASE_coroutine_handler_result_type)
#include <redwire/asio.hpp>
#endif

#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace calc {
inline constexpr redwire::procedure<"calc.add", int(int, int)> add{};
}

// Types that cannot be serialized, for the cases that say which part is at fault.
enum color { red, green };  // no fixed underlying type
struct painted {
  int id;
  color shade;
};
struct holds_thread {
  int id;
  std::thread worker;
};
struct job {
  int priority;
  holds_thread runner;
};
struct described_job {
  int id;
  std::thread worker;
};
BOOST_DESCRIBE_STRUCT(described_job, (), (id, worker))
struct half_described {
  double x;
  double y;
};
BOOST_DESCRIBE_STRUCT(half_described, (), (x))

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
#elif defined(REDWIRE_CASE_coroutine_handler_result_type)
  svc.bind(calc::add, [](int, int) -> boost::asio::awaitable<std::string> { co_return "no"; });
#elif defined(REDWIRE_CASE_argument_not_serializable)
  constexpr redwire::procedure<"calc.spawn", int(int, std::thread)> spawn{};
  (void)spawn;
#elif defined(REDWIRE_CASE_result_not_serializable)
  constexpr redwire::procedure<"calc.make", std::function<void()>(int)> make{};
  (void)make;
#elif defined(REDWIRE_CASE_procedure_without_service)
  constexpr redwire::procedure<".reset", void()> reset{};
  (void)reset;
#elif defined(REDWIRE_CASE_procedure_without_dot)
  constexpr redwire::procedure<"ping", void()> ping{};
  (void)ping;
#elif defined(REDWIRE_CASE_procedure_name_reserved)
  constexpr redwire::procedure<"calc.$ping", int()> fake_ping{};
  (void)fake_ping;
#elif defined(REDWIRE_CASE_field_not_serializable)
  constexpr redwire::procedure<"calc.run", int(int, job)> run{};
  (void)run;
#elif defined(REDWIRE_CASE_described_field_not_serializable)
  constexpr redwire::procedure<"calc.hire", described_job(int)> hire{};
  (void)hire;
#elif defined(REDWIRE_CASE_enum_without_fixed_type)
  constexpr redwire::procedure<"calc.paint", int(std::vector<painted>)> paint{};
  (void)paint;
#elif defined(REDWIRE_CASE_described_struct_leaves_out_a_field)
  constexpr redwire::procedure<"calc.move", half_described(half_described)> move{};
  (void)move;
#endif
  return 0;
}
