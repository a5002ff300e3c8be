// Calls hello.greet once and prints the answer.
//   hello_caller [redis-url] [name]
#include <redwire/redis.hpp>

#include <cstdio>

#include "../common/example_support.hpp"
#include "hello_api.hpp"

int main(int argc, char** argv) {
  redwire::redis::transport bus{example::redis_url(argc, argv)};
  redwire::client cli{bus};
  std::string name = argc > 2 ? argv[2] : "world";
  redwire::result<std::string> answer = cli.try_call(hello::greet, name);
  if (!answer) {
    std::fprintf(stderr, "%s\n", answer.error().what());
    return 1;
  }
  std::printf("%s\n", answer->c_str());
}
