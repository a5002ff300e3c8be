// What the compile-fail cases (cases.cpp, events_cases.cpp) include, precompiled once by the
// build with g++ (compile_fail.cmake): each case then parses only its own lines. Not included by
// anything: given with -include, so it has no include guard.
#include <redwire/memory.hpp>
#include <redwire/redwire.hpp>

#include <boost/describe/class.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
