# Compile-fail checks: each case is compiled with -fsyntax-only by ctest; the test passes when
# the compiler's output matches the expected diagnostic (a failing compile is not enough: it
# must fail for the right reason, naming the procedure and the argument).
set(cf_source ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/cases.cpp)
# -I flags for `folders` (of this repository) and the include folders of `targets`, into `out`
# (evaluated here: a generator expression in a list would be split at its own semicolons).
function(redwire_include_flags out)
  cmake_parse_arguments(arg "" "" "FOLDERS;TARGETS" ${ARGN})
  set(flags "")
  foreach(folder IN LISTS arg_FOLDERS)
    list(APPEND flags -I${PROJECT_SOURCE_DIR}/${folder})
  endforeach()
  foreach(target IN LISTS arg_TARGETS)
    get_target_property(dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
    foreach(dir IN LISTS dirs)
      if(dir AND NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)  # -I/usr/include breaks
        list(APPEND flags -I${dir})                                       # #include_next
      endif()
    endforeach()
  endforeach()
  set(${out} ${flags} PARENT_SCOPE)
endfunction()
redwire_include_flags(cf_includes FOLDERS include transports/memory/include
                                  TARGETS Boost::headers cereal::cereal)

# Every case parses the same headers, most of its time: with g++ they are precompiled once at
# build time (common_headers.hpp) and each case takes them with -include (10.8 s -> 3.4 s of CPU
# a case, measured). g++ checks that the precompiled header matches the flags and, if it does
# not or is missing (ctest before a build), reads the header itself: slower, never different.
set(cf_pch "")
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set(cf_pch_header ${CMAKE_CURRENT_BINARY_DIR}/compile_fail/common_headers.hpp)
  configure_file(${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/common_headers.hpp ${cf_pch_header}
                 COPYONLY)
  add_custom_command(OUTPUT ${cf_pch_header}.gch
    COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 ${cf_includes} -x c++-header ${cf_pch_header}
            -o ${cf_pch_header}.gch -MD -MF ${cf_pch_header}.d
    DEPENDS ${cf_pch_header}
    DEPFILE ${cf_pch_header}.d
    COMMENT "Precompiling the compile-fail cases' headers"
    COMMAND_EXPAND_LISTS)
  add_custom_target(compile_fail_headers ALL DEPENDS ${cf_pch_header}.gch)
  set(cf_pch -include ${cf_pch_header})
endif()

# g++ prints the procedure's name inside the instantiation (fixed_string<8>{"calc.add"}); clang 14
# prints its bytes there, so with clang the name is found in the quoted call site instead.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set(in_add "[^\n]*calc\\.add[^\n]*")
  set(after_add "")
else()
  set(in_add "[^\n]*")
  set(after_add "(.|\n)*calc::add")
endif()

# "The first error says so": what precedes the first line that says "error: " is matched by
# `before_first_error`, the lines in between by `no_error_lines`. g++ prints the instantiation at
# fault above its first error; clang prints it in a note below.
set(no_error_lines "(([^e\n]|e[^r\n]|er[^r\n]|err[^o\n]|erro[^r\n]|error[^:\n]|error:[^ \n])*")
string(APPEND no_error_lines "(e|er|err|erro|error|error:)?\n)*")
set(before_first_error "^${no_error_lines}")
function(redwire_first_error case instantiation message)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    set(pattern "${before_first_error}[^\n]*In instantiation of [^\n]*${instantiation}[^\n]*\n")
    string(APPEND pattern "${no_error_lines}[^\n]*error: [^\n]*${message}")
  else()
    set(pattern "${before_first_error}[^\n]*error: [^\n]*${message}[^\n]*\n")
    string(APPEND pattern "${no_error_lines}[^\n]*${instantiation}")
  endif()
  redwire_compile_fail(${case} "${pattern}")
endfunction()

function(redwire_compile_fail case pattern)
  add_test(NAME compile_fail.${case}
    COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only ${cf_includes} ${cf_pch}
            -DREDWIRE_CASE_${case} ${cf_source}
    COMMAND_EXPAND_LISTS)
  set_tests_properties(compile_fail.${case} PROPERTIES PASS_REGULAR_EXPRESSION "${pattern}"
                       TIMEOUT 300)
endfunction()

add_test(NAME compile_fail.baseline_compiles
  COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only ${cf_includes} ${cf_pch} ${cf_source}
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
redwire_compile_fail(coroutine_handler_result_type
  "handler_result_does_not_convert<${in_add}(.|\n)*====> redwire: this handler returns a type${after_add}")
redwire_compile_fail(argument_not_serializable
  "procedure_argument_is_not_serializable<[^\n]*argument<2>, std::thread>(.|\n)*calc\\.spawn")
redwire_compile_fail(result_not_serializable
  "procedure_result_is_not_serializable<[^\n]*std::function<void ?\\(\\)>(.|\n)*calc\\.make")
redwire_compile_fail(procedure_without_service
  "procedure_name_has_no_service<(.|\n)*\\.reset")
# g++ spells the name out; clang 14 gives its bytes ("ping" is 112, 105, 110, 103).
redwire_compile_fail(procedure_without_dot
  "procedure_name_has_no_service<[^\n]*(\"ping\"|{112, 105, 110, 103, 0})")
# "$ping", "$stats", "$describe": every instance answers them itself (introspection.hpp).
redwire_compile_fail(procedure_name_reserved
  "procedure_name_is_reserved<(.|\n)*====> redwire: procedure names with a '\\$' are reserved")

# A type that cannot be serialized: the first error names the part at fault.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set(worker_field "field<2, redwire::fixed_string<6>{\"worker\"}>")
else()
  set(worker_field "field<2, {{119, 111, 114, 107, 101, 114, 0}}>")
endif()
redwire_first_error(field_not_serializable
  "struct_field_is_not_serializable<holds_thread, redwire::detail::field<2>, std::thread>"
  "====> redwire: this field of this struct cannot be serialized")
redwire_first_error(described_field_not_serializable
  "struct_field_is_not_serializable<described_job, redwire::detail::${worker_field}, std::thread>"
  "====> redwire: this field of this struct cannot be serialized")
redwire_first_error(enum_without_fixed_type
  "enum_without_fixed_underlying_type<color>"
  "====> redwire: this enum has no fixed underlying type")
redwire_first_error(described_struct_leaves_out_a_field
  "described_struct_leaves_out_a_field<half_described, redwire::detail::field<2> ?>"
  "====> redwire: the BOOST_DESCRIBE_STRUCT of this struct does not name the field")
