// Each REDWIRE_CASE_* below must NOT compile, and its diagnostic must name the topic or stream
// and say what is wrong. Without a case defined the file must compile. Run by ctest
// (events_compile_fail.cmake).
#include <redwire/memory.hpp>
#include <redwire/redwire.hpp>

#include <string>
#include <string_view>
#include <thread>

struct order {
  std::string id;
  int quantity = 0;
};
inline constexpr redwire::topic<"orders.created", order> order_created{};
inline constexpr redwire::stream<"orders.log", order> order_log{};

int main() {
  redwire::memory::transport bus;
  redwire::client cli{bus};
  redwire::service svc{bus, "billing"};
  svc.subscribe(order_created, [](order) {});  // the well-formed baseline
  svc.consume(order_log, "billing", [](const order&) {});

#if defined(REDWIRE_CASE_publish_value_type)
  cli.publish(order_created, 42);
#elif defined(REDWIRE_CASE_append_value_type)
  cli.append(order_log, std::string("x"));
#elif defined(REDWIRE_CASE_publish_to_stream)
  cli.publish(order_log, order{});
#elif defined(REDWIRE_CASE_append_to_topic)
  cli.append(order_created, order{});
#elif defined(REDWIRE_CASE_subscribe_handler_parameter)
  svc.subscribe(order_created, [](int) {});
#elif defined(REDWIRE_CASE_consume_handler_result)
  svc.consume(order_log, "billing", [](order) { return true; });
#elif defined(REDWIRE_CASE_consume_a_topic)
  svc.consume(order_created, "billing", [](order) {});
#elif defined(REDWIRE_CASE_value_not_serializable)
  constexpr redwire::topic<"threads.spawned", std::thread> spawned{};
  (void)spawned;
#elif defined(REDWIRE_CASE_glob_in_topic_name)
  constexpr redwire::topic<"orders.*", order> any{};
  (void)any;
#endif
  return 0;
}
