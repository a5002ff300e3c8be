# Compile-fail checks: each case is compiled with -fsyntax-only by ctest; the test passes when
# the compiler's output matches the expected diagnostic (a failing compile is not enough: it
# must fail for the right reason, naming the procedure and the argument).
set(cf_source ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/cases.cpp)
set(cf_includes
  -I${PROJECT_SOURCE_DIR}/include
  -I${PROJECT_SOURCE_DIR}/transports/memory/include
  "-I$<JOIN:$<TARGET_PROPERTY:Boost::headers,INTERFACE_INCLUDE_DIRECTORIES>,;-I>"
  "-I$<JOIN:$<TARGET_PROPERTY:cereal::cereal,INTERFACE_INCLUDE_DIRECTORIES>,;-I>")

# g++ prints the procedure's name inside the instantiation (fixed_string<8>{"calc.add"}); clang 14
# prints its bytes there, so with clang the name is found in the quoted call site instead.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set(in_add "[^\n]*calc\\.add[^\n]*")
  set(after_add "")
else()
  set(in_add "[^\n]*")
  set(after_add "(.|\n)*calc::add")
endif()

function(redwire_compile_fail case pattern)
  add_test(NAME compile_fail.${case}
    COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only ${cf_includes}
            -DREDWIRE_CASE_${case} ${cf_source}
    COMMAND_EXPAND_LISTS)
  set_tests_properties(compile_fail.${case} PROPERTIES PASS_REGULAR_EXPRESSION "${pattern}"
                       TIMEOUT 300)
endfunction()

add_test(NAME compile_fail.baseline_compiles
  COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only ${cf_includes} ${cf_source}
  COMMAND_EXPAND_LISTS)

redwire_compile_fail(call_wrong_arity
  "call_with_wrong_number_of_arguments<${in_add}expected<2>[^\n]*given<1>${after_add}")
redwire_compile_fail(call_argument_type
  "call_argument_does_not_convert<${in_add}argument<2>, const char \\(&\\)\\[2\\], int>${after_add}")
redwire_compile_fail(async_argument_type
  "call_argument_does_not_convert<${in_add}argument<1>, std::(__cxx11::)?basic_string${after_add}")
redwire_compile_fail(handler_parameter_type
  "handler_parameter_does_not_accept_argument<${in_add}argument<2>${after_add}")
redwire_compile_fail(handler_arity
  "handler_takes_wrong_number_of_parameters<${in_add}expected<2>[^\n]*given<1>${after_add}")
redwire_compile_fail(handler_result_type
  "handler_result_does_not_convert<${in_add}(.|\n)*====> redwire: this handler returns a type${after_add}")
redwire_compile_fail(argument_not_serializable
  "procedure_argument_is_not_serializable<[^\n]*argument<2>, std::thread>(.|\n)*calc\\.spawn")
redwire_compile_fail(result_not_serializable
  "procedure_result_is_not_serializable<[^\n]*std::function<void ?\\(\\)>(.|\n)*calc\\.make")
redwire_compile_fail(procedure_without_service
  "procedure_name_has_no_service<(.|\n)*\\.reset")
