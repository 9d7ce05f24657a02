#!/usr/bin/env bash
# Interop tests: lsqld driven by the real @libsql/client, @libsql/hrana-client
# and the npm libsql package (Hrana v3, remote mode).
#   tests/interop/run.sh PATH/TO/lsqld [extra node --test args...]
# Installs the pinned node packages (npm ci) unless node_modules already matches
# package-lock.json, then runs node's test runner. Its closing summary
# ("# pass N", "# fail N", "# cancelled N") is what scripts/test.sh counts.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-}
[ $# -gt 0 ] && shift
if [ -z "$bin" ]; then
  echo "usage: $0 PATH/TO/lsqld [node --test args...]" >&2; exit 2
fi
if [ ! -x "$bin" ]; then
  echo "interop: lsqld binary not found or not executable: $bin (build the lsqld target first)" >&2
  exit 2
fi
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "interop: $tool is required (node >= 20)" >&2; exit 2; }
done
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then echo "interop: node >= 20 required, found $(node --version)" >&2; exit 2; fi

export LSQLD_BIN
LSQLD_BIN=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin") # absolute, before cd
cd "$here"
stamp=node_modules/.lsql-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --no-audit --no-fund --loglevel=error --prefer-offline
  echo "$want" >"$stamp"
fi

# One file at a time keeps the 100-way concurrency tests from competing with
# each other on a 2-core machine; every file starts its own lsqld.
exec node --test --test-concurrency=1 --test-timeout=120000 "$@" test/*.test.js
