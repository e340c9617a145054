# Helpers shared by every CMakeLists.txt in the tree.

# mgate_target_defaults(target): our warning flags and include roots.
function(mgate_target_defaults target)
  target_compile_options(${target} PRIVATE ${MGATE_WARNINGS})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR}/generated)
endfunction()

# mgate_add_test(NAME name LABEL unit|integration|ui SOURCES ... LIBS ... [TIMEOUT s])
# One gtest binary per module, registered as one CTest test with a label, so a
# binary that needs the sandbox starts it once for all of its cases.
function(mgate_add_test)
  cmake_parse_arguments(T "" "NAME;LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  mgate_target_defaults(${T_NAME})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME} --gtest_color=no)
  set_tests_properties(${T_NAME} PROPERTIES LABELS ${T_LABEL} TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "MGATE_SOURCE_DIR=${PROJECT_SOURCE_DIR};MGATE_BUILD_DIR=${CMAKE_BINARY_DIR};MGATE_SHARED_DIR=${PROJECT_SOURCE_DIR}/../shared")
  # Two integration binaries starting their sandboxes at the same instant have been seen to
  # lose a work dir (under investigation: the stale sweep / janitor); until that is fixed,
  # integration binaries run one at a time while the others run beside them.
  if(T_LABEL STREQUAL "integration")
    set_tests_properties(${T_NAME} PROPERTIES RESOURCE_LOCK mgate_sandbox)
  endif()
endfunction()
