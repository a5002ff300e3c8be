# Helper programs of the registry suite's multi-process test: an instance that beats until it
# is killed, and a watcher that prints the membership events it hears.
add_executable(registry_member registry/programs/registry_member.cpp)
target_link_libraries(registry_member PRIVATE redwire::redis)
add_executable(registry_watcher registry/programs/registry_watcher.cpp)
target_link_libraries(registry_watcher PRIVATE redwire::redis)
add_dependencies(registry_tests registry_member registry_watcher)
target_compile_definitions(registry_tests PRIVATE
  REDWIRE_REGISTRY_MEMBER="$<TARGET_FILE:registry_member>"
  REDWIRE_REGISTRY_WATCHER="$<TARGET_FILE:registry_watcher>")
