# Compile-fail checks of the event API (events_cases.cpp): each case must fail with the
# diagnostic that names the topic or stream and what is wrong with it.
set(ev_cf_source ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/events_cases.cpp)
function(redwire_event_compile_fail case pattern)
  add_test(NAME compile_fail.events.${case}
    COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only ${cf_includes} ${cf_pch}
            -DREDWIRE_CASE_${case} ${ev_cf_source}
    COMMAND_EXPAND_LISTS)
  set_tests_properties(compile_fail.events.${case} PROPERTIES PASS_REGULAR_EXPRESSION "${pattern}"
                       TIMEOUT 300)
endfunction()

add_test(NAME compile_fail.events.baseline_compiles
  COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only ${cf_includes} ${cf_pch} ${ev_cf_source}
  COMMAND_EXPAND_LISTS)

redwire_event_compile_fail(publish_value_type
  "published_value_does_not_convert<[^\n]*orders\\.created(.|\n)*====> redwire: the value published")
redwire_event_compile_fail(append_value_type
  "appended_value_does_not_convert<[^\n]*orders\\.log(.|\n)*====> redwire: the value appended")
redwire_event_compile_fail(publish_to_stream
  "publish_to_a_stream<[^\n]*orders\\.log(.|\n)*this is a stream: append")
redwire_event_compile_fail(append_to_topic
  "append_to_a_topic<[^\n]*orders\\.created(.|\n)*this is a topic: publish")
redwire_event_compile_fail(subscribe_handler_parameter
  "event_handler_cannot_take_the_value<[^\n]*orders\\.created")
redwire_event_compile_fail(consume_handler_result
  "event_handler_does_not_return_void<[^\n]*orders\\.log[^\n]*bool")
redwire_event_compile_fail(consume_a_topic
  "consume_a_topic<[^\n]*orders\\.created(.|\n)*this is a topic: subscribe")
redwire_event_compile_fail(value_not_serializable
  "event_value_is_not_serializable<[^\n]*threads\\.spawned[^\n]*std::thread")
redwire_event_compile_fail(glob_in_topic_name
  "topic_name_contains_a_glob_character<[^\n]*orders\\.\\*(.|\n)*declare a topic_pattern")
