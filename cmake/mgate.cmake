# Helpers shared by every CMakeLists.txt in the tree.

# mgate_target_defaults(target): our warning flags and include roots.
function(mgate_target_defaults target)
  target_compile_options(${target} PRIVATE ${MGATE_WARNINGS})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR}/generated)
endfunction()

# Unity builds: a target's .cpp files are compiled in batches, so the headers every file shares
# (nlohmann/json, fmt, httplib, CLI11, gtest) are parsed, instantiated and optimised once per batch
# instead of once per file. On a 2-core machine that halves a fresh build. It costs incremental
# rebuilds a little (a change recompiles its batch), so it can be turned off:
# -DMGATE_UNITY_BUILD=OFF. A file whose file-local names clash with another file's goes out of
# the batches with set_source_files_properties(... PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON).
option(MGATE_UNITY_BUILD "Compile the big targets as unity batches" ON)

# mgate_unity(target [BATCH n]): compile target's sources in batches of n (default 8).
function(mgate_unity target)
  cmake_parse_arguments(U "" "BATCH" "" ${ARGN})
  if(NOT U_BATCH)
    set(U_BATCH 8)
  endif()
  if(MGATE_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES
      UNITY_BUILD ON UNITY_BUILD_MODE BATCH UNITY_BUILD_BATCH_SIZE ${U_BATCH})
  endif()
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
  # The test's own files (not the libraries under test, which keep the build type's -O2) at -O1:
  # gtest's macro-expanded bodies take a third longer to compile at -O2 and run no faster.
  target_compile_options(${T_NAME} PRIVATE $<$<CONFIG:RelWithDebInfo>:-O1>)
  # Batches of 6: test binaries build last, so smaller batches keep both cores busy to the end.
  mgate_unity(${T_NAME} BATCH 6)
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
