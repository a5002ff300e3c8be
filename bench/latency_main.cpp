// bench/latency_main.cpp — the program redwire-latency (see latency.cpp, or --help).
#include "latency.hpp"

int main(int argc, char** argv) {
  return redwire::latency::run(argc, argv, "redwire-latency");
}
