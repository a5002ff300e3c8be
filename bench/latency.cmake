# The latency tool's code (latency.cpp), compiled once for both programs that run it:
# redwire-latency (bench/) and `redwire bench` (tools/redwire). Included by each; defined once.
include_guard(GLOBAL)
add_library(redwire_latency OBJECT ${CMAKE_CURRENT_LIST_DIR}/latency.cpp)
target_include_directories(redwire_latency PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(redwire_latency PUBLIC redwire::redis)
target_compile_options(redwire_latency PRIVATE -Wall -Wextra)
