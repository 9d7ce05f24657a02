# The pool suite in remote mode: the pool works for every mode with the same
# API, so tests/pool/test_*.c are built again with -DLSQL_TEST_REMOTE=1 as
# remote_pool_test_X (tests/common/target.h: every database they open is a
# REMOTE database of an lsqld started in-process). The names contain "pool",
# so the TSan stage runs them too.
set(LSQL_REMOTE_POOL_TESTS pool pool_stress)

if(TARGET lsqld_core)
  foreach(t ${LSQL_REMOTE_POOL_TESTS})
    set(target remote_pool_test_${t})
    add_executable(${target} ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c)
    target_compile_definitions(${target} PRIVATE LSQL_TEST_REMOTE=1)
    target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests/common)
    target_compile_options(${target} PRIVATE ${LSQL_WARNINGS})
    target_link_libraries(${target} PRIVATE lsqld_core lsql_static PkgConfig::CMOCKA
                          Threads::Threads)
    add_test(NAME ${target} COMMAND ${target})
    set_tests_properties(${target} PROPERTIES TIMEOUT ${LSQL_TEST_TIMEOUT}
        ENVIRONMENT "LSQL_TEST_TMPDIR=${PROJECT_BINARY_DIR}/test-tmp")
  endforeach()
endif()
