// The services that the `redwire` tool's tests poke: "types" echoes one value of every type the
// codec supports (types.<name>), "calc" adds, fails, sleeps, and handles a topic and a stream
// (whose consumer always fails, to fill the dead letters). Prints "ready" once both serve.
//   tool_services <redis url> <suffix>     instances "types-<suffix>" and "calc-<suffix>"
#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <cereal/types/string.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <iostream>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <variant>
#include <vector>

namespace shop {
enum class color : std::uint8_t { red = 1, green = 2, blue = 3 };
BOOST_DESCRIBE_ENUM(color, red, green, blue)
enum class level : std::int16_t { low = -1, high = 1 };  // not described: numbers only

struct point {  // plain: by position
  double x;
  double y;
};
struct person {  // described: by name
  std::string name;
  std::optional<int> age;
  std::vector<std::string> tags;
};
BOOST_DESCRIBE_STRUCT(person, (), (name, age, tags))

struct order {
  int id;
  std::string item;
};
BOOST_DESCRIBE_STRUCT(order, (), (id, item))

struct sealed {  // its own serialize(): opaque to the tool
  std::string secret;
  static constexpr std::string_view redwire_name = "shop.sealed/1";
  template <class A>
  void serialize(A& a) {
    a(secret);
  }
};
}  // namespace shop

template <redwire::fixed_string N, class T>
void echo(redwire::service& svc) {
  static constexpr redwire::procedure<N, T(T)> p{};
  svc.bind(p, [](T v) { return v; });
}

void bind_types(redwire::service& svc) {
  using namespace shop;
  echo<"types.bool", bool>(svc);
  echo<"types.char", char>(svc);
  echo<"types.byte", std::byte>(svc);
  echo<"types.i8", std::int8_t>(svc);
  echo<"types.u8", std::uint8_t>(svc);
  echo<"types.i16", std::int16_t>(svc);
  echo<"types.u16", std::uint16_t>(svc);
  echo<"types.i32", std::int32_t>(svc);
  echo<"types.u32", std::uint32_t>(svc);
  echo<"types.i64", std::int64_t>(svc);
  echo<"types.u64", std::uint64_t>(svc);
  echo<"types.f32", float>(svc);
  echo<"types.f64", double>(svc);
  echo<"types.str", std::string>(svc);
  echo<"types.bytes", std::vector<std::byte>>(svc);
  echo<"types.color", color>(svc);
  echo<"types.level", level>(svc);
  echo<"types.opt", std::optional<int>>(svc);
  echo<"types.variant", std::variant<std::monostate, int, std::string>>(svc);
  echo<"types.vec", std::vector<int>>(svc);
  echo<"types.deque", std::deque<std::string>>(svc);
  echo<"types.list", std::list<double>>(svc);
  echo<"types.array", std::array<int, 3>>(svc);
  echo<"types.set", std::set<std::string>>(svc);
  echo<"types.map", std::map<std::string, int>>(svc);
  echo<"types.imap", std::map<int, std::string>>(svc);
  echo<"types.tuple", std::tuple<int, std::string, bool>>(svc);
  echo<"types.pair", std::pair<std::string, double>>(svc);
  echo<"types.ms", std::chrono::milliseconds>(svc);
  echo<"types.time", std::chrono::sys_time<std::chrono::seconds>>(svc);
  echo<"types.point", point>(svc);
  echo<"types.person", person>(svc);
  echo<"types.nested", std::vector<std::map<std::string, std::optional<point>>>>(svc);
  echo<"types.sealed", sealed>(svc);
}

inline constexpr redwire::procedure<"calc.add", int(int, int)> add{};
inline constexpr redwire::procedure<"calc.centroid", shop::point(std::vector<shop::point>)>
    centroid{};
inline constexpr redwire::procedure<"calc.fail", int(std::string)> fail{};
inline constexpr redwire::procedure<"calc.sleep", int(int)> sleep_ms{};
inline constexpr redwire::topic<"orders.created", shop::order> created{};
inline constexpr redwire::stream<"orders.log", shop::order> log_stream{};

void bind_calc(redwire::service& svc, const std::string& suffix) {
  svc.bind(add, [](int a, int b) { return a + b; });
  svc.bind(centroid, [](const std::vector<shop::point>& ps) {
    shop::point c{0, 0};
    for (const auto& p : ps) {
      c.x += p.x / static_cast<double>(ps.size());
      c.y += p.y / static_cast<double>(ps.size());
    }
    return c;
  });
  svc.bind(fail, [](const std::string& why) -> int { throw std::runtime_error(why); });
  svc.bind(sleep_ms, [](int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
  });
  svc.subscribe(created, [](shop::order) {});
  svc.consume(log_stream, "billing",
              [](shop::order) { throw std::runtime_error("billing is down"); },
              {.consumer = "billing-" + suffix, .max_deliveries = 1});
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: tool_services <redis url> <suffix>\n";
    return 2;
  }
  redwire::redis::transport bus{argv[1]};
  const std::string suffix = argv[2];
  redwire::service types{bus, "types", {.instance_id = "types-" + suffix}};
  bind_types(types);
  redwire::service calc{bus, "calc", {.instance_id = "calc-" + suffix}};
  bind_calc(calc, suffix);
  types.start();
  calc.start();
  std::cout << "ready" << std::endl;
  calc.run();  // until killed
}
