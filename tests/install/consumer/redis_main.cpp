// Only has to compile and link: proves redwire::redis brings hiredis along.
#include <redwire/redis.hpp>

int main(int argc, char**) {
  if (argc > 5) redwire::redis::transport bus{"redis://127.0.0.1:1"};
  return 0;
}
