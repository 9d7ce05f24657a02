# The core functional suite in remote mode ("one suite, all modes"): each file
# below is built again with -DLSQL_TEST_REMOTE=1 as remote_core_test_X,
# linked with lsqld_core. tests/common/target.h then opens its databases as
# REMOTE databases of an lsqld started in-process on 127.0.0.1:0 (one server
# and one fresh database file per opened database, stopped in teardown).
# remote_core_test_X negotiates the encoding (protobuf, which lsqld offers);
# remote_json_core_test_X, built with -DLSQL_TEST_REMOTE_JSON=1 as well,
# forces Hrana 3 JSON, so that both encodings stay covered.
# (Names must not match the TSan stage's "thread|concurr|pool".)
set(LSQL_REMOTE_CORE_TESTS exec stmt params txn savepoint batch cursor meta errors cache)

# One test file built in remote mode (tests/common/target.h) as `target`;
# a further argument JSON forces Hrana 3 JSON.
function(lsql_add_remote_test target src)
  add_executable(${target} ${src})
  target_compile_definitions(${target} PRIVATE LSQL_TEST_REMOTE=1)
  if(ARGN STREQUAL "JSON")
    target_compile_definitions(${target} PRIVATE LSQL_TEST_REMOTE_JSON=1)
  endif()
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests/common)
  target_compile_options(${target} PRIVATE ${LSQL_WARNINGS})
  target_link_libraries(${target} PRIVATE lsqld_core lsql_static PkgConfig::CMOCKA
                        Threads::Threads)
  add_test(NAME ${target} COMMAND ${target})
  set_tests_properties(${target} PROPERTIES TIMEOUT ${LSQL_TEST_TIMEOUT}
      ENVIRONMENT "LSQL_TEST_TMPDIR=${PROJECT_BINARY_DIR}/test-tmp")
endfunction()

if(TARGET lsqld_core)
  foreach(t ${LSQL_REMOTE_CORE_TESTS})
    lsql_add_remote_test(remote_core_test_${t} ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c)
    lsql_add_remote_test(remote_json_core_test_${t} ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c JSON)
  endforeach()
endif()
