#!/usr/bin/env bash
# Installs the Debian packages lsql needs (build, tests, or benchmarks), only
# when something is missing, so that a machine that has them needs no network.
#   scripts/deps.sh build|test|bench
set -euo pipefail
what=${1:-build}
pkgs=(cmake make gcc pkg-config libsqlite3-dev libjansson-dev libmicrohttpd-dev libsodium-dev libcurl4-openssl-dev)
case "$what" in
  build) ;;
  test)  pkgs+=(g++ clang libclang-rt-14-dev libcmocka-dev openssl nghttp2-proxy) ;;
  bench) pkgs+=(valgrind wrk curl libmicrohttpd-dev) ;;
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # nghttp2-proxy (nghttpx, the HTTP/2 front of the remote tests, which start
  # their own) enables a system service on install: not wanted running
  if [[ " ${missing[*]} " == *" nghttp2-proxy "* ]] && command -v systemctl >/dev/null &&
     systemctl is-enabled --quiet nghttpx 2>/dev/null; then
    $SUDO systemctl disable --now nghttpx >/dev/null 2>&1 || true
  fi
fi
