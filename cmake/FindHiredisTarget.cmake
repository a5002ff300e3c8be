# Defines redwire::hiredis from Debian's libhiredis-dev (0.14 ships no imported target).
if(NOT TARGET redwire::hiredis)
  find_path(REDWIRE_HIREDIS_INCLUDE_DIR hiredis/hiredis.h REQUIRED)
  find_library(REDWIRE_HIREDIS_LIBRARY NAMES hiredis REQUIRED)
  add_library(redwire::hiredis UNKNOWN IMPORTED)
  set_target_properties(redwire::hiredis PROPERTIES
    IMPORTED_LOCATION "${REDWIRE_HIREDIS_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${REDWIRE_HIREDIS_INCLUDE_DIR}")
endif()
