# cmake --install, then a separate project finds the package and links redwire::memory.
add_test(NAME install.find_package
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/install/install_check.sh ${PROJECT_BINARY_DIR}
          ${CMAKE_CURRENT_SOURCE_DIR}/install/consumer ${CMAKE_CXX_COMPILER})
set_tests_properties(install.find_package PROPERTIES TIMEOUT 600
                     PASS_REGULAR_EXPRESSION "installed package found, built and ran")
