#!/usr/bin/env bash
# Installs a built tree into a scratch prefix and builds two consumers against
# it: one with pkg-config (shared library), one with find_package(lsql).
#   tests/install/check.sh BUILD_DIR PREFIX
set -euo pipefail
build=$1; prefix=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$prefix"
cmake --install "$build" --prefix "$prefix"
test -f "$prefix/include/lsql.h"
test -f "$prefix/lib/liblsql.a"
readelf -d "$prefix"/lib/liblsql.so | grep -q "SONAME.*liblsql.so.0"
# pkg-config consumer
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cc -std=c11 -Wall -Werror $(pkg-config --cflags lsql) "$here/consumer.c" -o "$prefix/consumer-pc" \
   $(pkg-config --libs lsql)
LD_LIBRARY_PATH="$prefix/lib" "$prefix/consumer-pc"
# CMake consumer
cmake -S "$here/cmake-consumer" -B "$prefix/cmake-consumer" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/cmake-consumer" >/dev/null
LD_LIBRARY_PATH="$prefix/lib" "$prefix/cmake-consumer/consumer"
echo "install check ok"
