// bench/latency.hpp — the latency tool (latency.cpp) as a function, so that two programs run the
// same code with the same options: redwire-latency (latency_main.cpp) and `redwire bench` (the
// redwire tool, tools/redwire).
#pragma once

namespace redwire::latency {

/// Runs the tool on the options in argv[1..argc) (argv[0] is not read). `program` names it in
/// its help and messages ("redwire-latency", "redwire bench"). Returns the exit code: 0, or 1
/// when every call failed or the run could not start; a bad option exits with 2.
int run(int argc, char** argv, const char* program);

}  // namespace redwire::latency
