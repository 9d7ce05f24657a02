#!/usr/bin/env bash
# bench/server/run.sh -- lsqld against the loopback floor.
#
# Builds lsqld (Release, its own build directory build-bench-server/) and the
# floor server (bench/server/floor.c: libmicrohttpd answering a fixed body),
# seeds a 10k-row table, then drives both with wrk over keep-alive connections:
#   floor   POST /v2/pipeline  -> fixed 200 response (the HTTP stack + loopback),
#                                 thread per connection like lsqld; plus the same
#                                 with MHD's epoll thread pool, for reference
#   lsqld   GET  /health       -> lsqld's HTTP layer alone
#   lsqld   POST /v2/pipeline  -> [execute "SELECT * FROM t WHERE id = ?", close]
#                                 without a baton, like @libsql/client's execute()
# at 1 and 32 connections, LSQL_BENCH_DURATION seconds each (default 5),
# LSQL_BENCH_REPS times (default 3, the median run is reported), and writes the
# section between <!-- lsqld-bench:start --> and <!-- lsqld-bench:end --> of
# docs/PERFORMANCE.md (the rest of the file is left alone).
#
#   bench/server/run.sh             full run (about 3 minutes)
#   bench/server/run.sh --quick     1 s runs, 1 repetition
#   bench/server/run.sh --no-doc    print the results only
# LSQL_BENCH_LSQLD=PATH uses that lsqld binary instead of building one;
# LSQL_BENCH_PIN=1 pins the servers to CPU 0 and wrk to the other CPUs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${LSQL_BENCH_BUILD:-$root/build-bench-server}
duration=${LSQL_BENCH_DURATION:-5}
reps=${LSQL_BENCH_REPS:-3}
rows=10000
doc=1
for a in "$@"; do
  case "$a" in
    --quick) duration=1 reps=1 ;;
    --no-doc) doc=0 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "bench/server/run.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

"$root/scripts/deps.sh" bench
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "bench/server/run.sh: $tool is needed" >&2; exit 1; }
done

start=$(date +%s)
log() { printf '[%4ds] %s\n' $(( $(date +%s) - start )) "$*" >&2; }

# ---- build ------------------------------------------------------------------
mkdir -p "$build"
if [ -n "${LSQL_BENCH_LSQLD:-}" ]; then
  lsqld=$LSQL_BENCH_LSQLD # a binary built elsewhere (must be a Release build to compare)
  log "using lsqld $lsqld"
else
  log "building lsqld (Release) in $build"
  # -Werror stays with the test builds: a warning that only -O3 finds must not
  # stop a measurement.
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLSQL_BUILD_TESTS=OFF \
        -DLSQL_BUILD_EXAMPLES=OFF -DLSQL_BUILD_BENCH=OFF -DLSQL_WERROR=OFF \
        >"$build/configure.log" 2>&1 \
    || { cat "$build/configure.log"; exit 1; }
  cmake --build "$build" --target lsqld -j"$(nproc)" >"$build/build.log" 2>&1 \
    || { tail -50 "$build/build.log"; exit 1; }
  lsqld=$(find "$build" -type f -name lsqld -perm -u+x | head -1)
  [ -n "$lsqld" ] || { echo "bench/server/run.sh: the lsqld target produced no binary" >&2; exit 1; }
fi

log "building the floor server"
floor="$build/bench-floor"
${CC:-cc} -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
  -Wall -Wextra -Werror -Wstrict-prototypes -Wshadow -Wmissing-prototypes -Wpointer-arith \
  -o "$floor" "$here/floor.c" $(pkg-config --cflags --libs libmicrohttpd) -pthread

# ---- servers ------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/lsqld-bench.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

wait_port() { # port file, pid -> prints the port
  local i
  for i in $(seq 1 200); do
    if [ -s "$1" ] && grep -qE '^[0-9]+$' "$1"; then cat "$1"; return 0; fi
    kill -0 "$2" 2>/dev/null || { echo "server $2 died" >&2; return 1; }
    sleep 0.05
  done
  echo "no port file $1 after 10 s" >&2; return 1
}

threads=$(nproc)
# LSQL_BENCH_PIN=1: servers on CPU 0, wrk on the other CPUs (steadier numbers,
# the server gets one core).
srv_pin=() wrk_pin=()
if [ "${LSQL_BENCH_PIN:-0}" = 1 ] && [ "$threads" -ge 2 ] && command -v taskset >/dev/null; then
  srv_pin=(taskset -c 0) wrk_pin=(taskset -c "1-$((threads - 1))")
fi
"${srv_pin[@]}" "$lsqld" --db "$work/bench.db" --listen 127.0.0.1:0 --port-file "$work/lsqld.port" \
  --log-level error >"$work/lsqld.log" 2>&1 &
pids+=($!)
lport=$(wait_port "$work/lsqld.port" "${pids[-1]}") || { cat "$work/lsqld.log"; exit 1; }
lurl="http://127.0.0.1:$lport"

log "seeding $rows rows"
seed=$(cat <<EOF
{"requests":[{"type":"sequence","sql":"CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL NOT NULL); DELETE FROM t; INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $rows) SELECT i, 'name-' || i, i + 0.5 FROM c;"},{"type":"execute","stmt":{"sql":"SELECT count(*) FROM t"}},{"type":"close"}]}
EOF
)
out=$(curl -sS --fail-with-body -H 'content-type: application/json' --data "$seed" "$lurl/v2/pipeline")
grep -qE "\"value\": *\"$rows\"" <<<"$out" || { echo "seeding failed: $out" >&2; exit 1; }

# One real response: checks that point SELECTs work and gives the floor the
# same body size.
probe='{"requests":[{"type":"execute","stmt":{"sql":"SELECT * FROM t WHERE id = ?","args":[{"type":"integer","value":"4242"}],"named_args":[],"want_rows":true}},{"type":"close"}]}'
curl -sS --fail-with-body -H 'content-type: application/json' --data "$probe" "$lurl/v2/pipeline" >"$work/body.json"
grep -q '"name-4242"' "$work/body.json" || { echo "point SELECT failed: $(cat "$work/body.json")" >&2; exit 1; }

# Does lsqld keep GET connections alive? (If not, the /health row measures a
# new TCP connection and thread per request; the report says so.)
health_close=0
curl -sS -D - -o /dev/null "$lurl/health" | grep -qi '^connection: *close' && health_close=1

# The floor uses lsqld's threading model (libmicrohttpd, one thread per
# connection); a second floor with MHD's epoll thread pool is reported for
# reference.
"${srv_pin[@]}" "$floor" --port-file "$work/floor.port" --model per-connection --body-file "$work/body.json" \
  >"$work/floor.log" 2>&1 &
pids+=($!)
fport=$(wait_port "$work/floor.port" "${pids[-1]}") || { cat "$work/floor.log"; exit 1; }
furl="http://127.0.0.1:$fport"
"${srv_pin[@]}" "$floor" --port-file "$work/floorpool.port" --model pool --threads "$threads" \
  --body-file "$work/body.json" >"$work/floorpool.log" 2>&1 &
pids+=($!)
pport=$(wait_port "$work/floorpool.port" "${pids[-1]}") || { cat "$work/floorpool.log"; exit 1; }
purl="http://127.0.0.1:$pport"

# ---- load -----------------------------------------------------------------------
results="$work/results.jsonl"
: >"$results"
run_wrk() { # name, url, conns, method, path
  local name=$1 url=$2 conns=$3 method=$4 path=$5 t rep line
  t=$(( conns < threads ? conns : threads ))
  # warm-up (connections, page cache, statement caches)
  LSQL_BENCH_METHOD=$method LSQL_BENCH_PATH=$path LSQL_BENCH_ROWS=$rows \
    "${wrk_pin[@]}" wrk -t"$t" -c"$conns" -d1s -s "$here/pipeline.lua" "$url" >/dev/null
  for rep in $(seq 1 "$reps"); do
    line=$(LSQL_BENCH_METHOD=$method LSQL_BENCH_PATH=$path LSQL_BENCH_ROWS=$rows \
      "${wrk_pin[@]}" wrk -t"$t" -c"$conns" -d"${duration}s" --latency -s "$here/pipeline.lua" "$url" \
      | sed -n 's/^LSQL_RESULT //p')
    [ -n "$line" ] || { echo "wrk printed no result for $name" >&2; exit 1; }
    printf '{"name":"%s","conns":%d,"threads":%d,"rep":%d,"run":%s}\n' \
      "$name" "$conns" "$t" "$rep" "$line" >>"$results"
    log "$name c=$conns rep $rep: $(python3 -c 'import json, sys
r = json.loads(sys.argv[1])
errs = sum(r[k] for k in ("err_status", "err_connect", "err_read", "err_write", "err_timeout"))
print("%.0f req/s, p50 %d us, p99 %d us, errors %d" % (r["rps"], r["p50_us"], r["p99_us"], errs))' "$line")"
  done
}
for conns in 1 32; do
  run_wrk floor "$furl" "$conns" POST /v2/pipeline
  run_wrk floor-pool "$purl" "$conns" POST /v2/pipeline
  run_wrk lsqld-health "$lurl" "$conns" GET /health
  run_wrk lsqld "$lurl" "$conns" POST /v2/pipeline
done

# lsqld must still be alive and correct after the load
curl -sS --fail-with-body -H 'content-type: application/json' --data "$probe" "$lurl/v2/pipeline" \
  | grep -q '"name-4242"' || { echo "lsqld gave a wrong answer after the load" >&2; exit 1; }

# ---- report -----------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
wrkv=$( { wrk -v 2>&1 || true; } | awk 'NR == 1 {print $2}')
mhdv=$(pkg-config --modversion libmicrohttpd)
mkdir -p "$root/bench/out"
cp "$results" "$root/bench/out/server-results.jsonl"
python3 "$here/report.py" "$results" "$root/docs/PERFORMANCE.md" "$doc" \
  "cpu=$cpu" "cores=$threads" "kernel=$(uname -r)" "wrk=$wrkv" "libmicrohttpd=$mhdv" \
  "duration=$duration" "reps=$reps" "rows=$rows" "floor_threads=$threads" \
  "health_close=$health_close" "pinned=$([ ${#srv_pin[@]} -gt 0 ] && echo 1 || echo 0)"
log "done"
