# The pool suite in remote mode: the pool works for every mode with the same
# API, so tests/pool/test_*.c are built again with -DLSQL_TEST_REMOTE=1 as
# remote_pool_test_X (tests/common/target.h: every database they open is a
# REMOTE database of an lsqld started in-process). The names contain "pool",
# so the TSan stage runs them too. (lsql_add_remote_test: tests/core/remote.cmake)
set(LSQL_REMOTE_POOL_TESTS pool pool_stress)

if(TARGET lsqld_core)
  foreach(t ${LSQL_REMOTE_POOL_TESTS})
    lsql_add_remote_test(remote_pool_test_${t} ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c)
  endforeach()
endif()
