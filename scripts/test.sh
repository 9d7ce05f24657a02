#!/usr/bin/env bash
# Every test, in every configuration CI runs:
#   1. gcc, -Werror, RelWithDebInfo: unit tests, examples, header checks
#   2. clang, -Werror, AddressSanitizer + UndefinedBehaviorSanitizer: same tests
#   3. clang, ThreadSanitizer: the concurrency tests
#   4. install check: cmake --install, then a consumer built with pkg-config
#      and one with find_package(lsql)
#   5. interop: the gcc build's lsqld driven by the real @libsql/client and the
#      npm libsql package (tests/interop, node's test runner; needs node + npm)
# Ends with one line "tests: N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" test || exit 1
out="$root/build/ci"
jobs=$(nproc)
passed=0; failed=0; status=0

count() { # parses ctest's "N tests failed out of M"
  local log=$1 line
  line=$(grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" "$log" | tail -1)
  if [ -z "$line" ]; then failed=$((failed + 1)); status=1; return; fi
  local f t
  f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  t=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
  passed=$((passed + t - f)); failed=$((failed + f))
  [ "$f" -eq 0 ] || status=1
}

stage() { # name, build dir, ctest args..., -- cmake args...
  local name=$1 dir=$2; shift 2
  local ctest_args=() cmake_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do ctest_args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  cmake_args=("$@")
  echo "== $name"
  if ! cmake -S "$root" -B "$dir" -DLSQL_BUILD_BENCH=OFF "${cmake_args[@]}" >"$dir.configure.log" 2>&1; then
    cat "$dir.configure.log"; echo "== $name: configure FAILED"; failed=$((failed + 1)); status=1; return
  fi
  if ! cmake --build "$dir" -j"$jobs" >"$dir.build.log" 2>&1; then
    grep -E "error|warning" -A5 "$dir.build.log" | head -80
    echo "== $name: build FAILED"; failed=$((failed + 1)); status=1; return
  fi
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" "${ctest_args[@]}" 2>&1 | tee "$dir.ctest.log" | tail -n 25
  count "$dir.ctest.log"
}

mkdir -p "$out"
stage "gcc -Werror" "$out/gcc" -- -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
stage "clang ASan+UBSan" "$out/asan" -- -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
      -DCMAKE_CXX_COMPILER=clang++ -DLSQL_SANITIZE=address,undefined -DLSQL_BUILD_EXAMPLES=ON
TSAN_OPTIONS=halt_on_error=1 \
stage "clang TSan (concurrency tests)" "$out/tsan" -R "thread|concurr|pool" -- -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DLSQL_SANITIZE=thread -DLSQL_BUILD_EXAMPLES=OFF

echo "== install check"
if "$root/tests/install/check.sh" "$out/gcc" "$out/install" >"$out/install.log" 2>&1; then
  passed=$((passed + 1)); echo "install check passed"
else
  cat "$out/install.log"; failed=$((failed + 1)); status=1; echo "install check FAILED"
fi

echo "== interop (@libsql/client)"
lsqld="$out/gcc/src/server/lsqld"
if [ ! -x "$lsqld" ]; then
  echo "interop FAILED: $lsqld was not built (the gcc stage must build the lsqld target)"
  failed=$((failed + 1)); status=1
else
  "$root/tests/interop/run.sh" "$lsqld" --test-reporter=tap >"$out/interop.log" 2>&1
  irc=$?
  ipass=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$out/interop.log" | tail -1)
  ifail=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$out/interop.log" | tail -1)
  icanc=$(sed -nE 's/^# cancelled ([0-9]+)$/\1/p' "$out/interop.log" | tail -1)
  if [ -z "$ipass" ] || [ -z "$ifail" ]; then
    tail -n 40 "$out/interop.log"
    echo "interop FAILED: no test summary (exit $irc), log: $out/interop.log"
    failed=$((failed + 1)); status=1
  else
    ifail=$((ifail + ${icanc:-0}))
    # a non-zero exit with no failing test (a crash after the summary) still counts
    if [ "$irc" -ne 0 ] && [ "$ifail" -eq 0 ]; then ifail=1; fi
    passed=$((passed + ipass)); failed=$((failed + ifail))
    if [ "$ifail" -ne 0 ]; then
      status=1
      grep -E "^( *)not ok " "$out/interop.log" | head -40
      echo "interop: $ipass passed, $ifail failed (log: $out/interop.log)"
    else
      echo "interop: $ipass passed"
    fi
  fi
fi

echo "tests: $passed passed, $failed failed"
exit $status
