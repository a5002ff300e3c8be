# Compile-fail checks of Inventa's type mapping (inventa_cases.cpp): a procedure whose types have
# no Inventa form fails with type_has_no_inventa_form<procedure, position, type>.
set(inv_cf_source ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/inventa_cases.cpp)
redwire_include_flags(inv_cf_includes
  FOLDERS include transports/redis/include transports/inventa/include
  TARGETS Boost::headers cereal::cereal redwire::hiredis)

function(redwire_inventa_compile_fail case pattern)
  add_test(NAME compile_fail.inventa.${case}
    COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only ${inv_cf_includes}
            -DREDWIRE_CASE_${case} ${inv_cf_source}
    COMMAND_EXPAND_LISTS)
  set_tests_properties(compile_fail.inventa.${case} PROPERTIES
                       PASS_REGULAR_EXPRESSION "${pattern}" TIMEOUT 300)
endfunction()

add_test(NAME compile_fail.inventa.baseline_compiles
  COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only ${inv_cf_includes} ${inv_cf_source}
  COMMAND_EXPAND_LISTS)

redwire_inventa_compile_fail(inventa_argument_map
  "type_has_no_inventa_form<[^\n]*argument<2>, std::map<int, int>(.|\n)*====> redwire::inventa")
redwire_inventa_compile_fail(inventa_result_struct
  "type_has_no_inventa_form<[^\n]*result, point>(.|\n)*====> redwire::inventa")
redwire_inventa_compile_fail(inventa_argument_bool
  "type_has_no_inventa_form<[^\n]*argument<1>, bool>(.|\n)*====> redwire::inventa")
