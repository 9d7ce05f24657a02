#!/usr/bin/env bash
# The main job on the embedded default: builds lsql if needed and runs its
# shell on ./lsql.db (a local SQLite file in the current directory) with the
# SQL given as arguments, or read from standard input.
#   scripts/run.sh "SELECT sqlite_version()"
#   echo "SELECT 1; SELECT 2" | scripts/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" build
build="$root/build/release"
if [ ! -x "$build/lsql" ] || [ -n "$(find "$root/src" "$root/include" "$root/CMakeLists.txt" -newer "$build/lsql" -print -quit)" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLSQL_BUILD_TESTS=OFF \
        -DLSQL_BUILD_EXAMPLES=OFF -DLSQL_BUILD_BENCH=OFF >/dev/null
  cmake --build "$build" -j"$(nproc)" --target lsql_cli >/dev/null
fi
exec "$build/lsql" "$@"
