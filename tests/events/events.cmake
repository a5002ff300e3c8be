# The event suite (tests/events): topics, streams, metrics on both transports, plus the consumer
# process that the at-least-once test kills. Included from tests/CMakeLists.txt.
add_executable(event_consumer_process events/helper/event_consumer.cpp)
target_include_directories(event_consumer_process PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(event_consumer_process PRIVATE redwire::redis)
target_compile_options(event_consumer_process PRIVATE -Wall -Wextra)
add_dependencies(event_tests event_consumer_process)
target_compile_definitions(event_tests PRIVATE
  REDWIRE_EVENT_CONSUMER="$<TARGET_FILE:event_consumer_process>")
set_tests_properties(event_tests PROPERTIES TIMEOUT 300)
