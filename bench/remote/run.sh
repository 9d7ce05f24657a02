#!/usr/bin/env bash
# bench/remote/run.sh -- lsql's remote mode vs @libsql/client (Node) vs the
# raw libcurl loopback floor, all against ONE lsqld in the same run.
#
# Builds lsqld and bench_remote (Release, -O2) in build-rbench/, starts one
# lsqld on an ephemeral loopback port with a fresh database (t: 10,000 rows
# (id INTEGER PRIMARY KEY, v TEXT); t2(id INTEGER PRIMARY KEY, v INTEGER)),
# then runs, repetition after repetition (the order of the implementations
# rotates every repetition):
#   point     sequential `SELECT v FROM t WHERE id = ?` (random id)
#             floor: bench_remote --impl floor (libcurl, prebuilt bodies; JSON
#                    to /v2/pipeline and protobuf to /v3-protobuf/pipeline)
#             lsql:  bench_remote --impl lsql: lsql_query_value, and prepare
#                    once + bind/step/reset; in the negotiated encoding
#                    (protobuf) and with encoding=json
#             node:  node_client.mjs: await client.execute({sql, args})
#   batch100  sequential atomic batches of 100 `INSERT INTO t2(v) VALUES (?)`
#             (BEGIN IMMEDIATE: @libsql/client's batch(stmts, "write"); lsql:
#             lsql_batch_run with LSQL_BATCH_ATOMIC|LSQL_BATCH_IMMEDIATE);
#             t2 is emptied before every run
# and reports, per implementation and case, the median run (by req/s) of
# LSQL_RBENCH_REPS: req/s, p50, p99, client CPU and lsqld CPU per request.
# Then counts the client's instructions per request under callgrind (lsql and
# the floor; the server is another process and is not counted) and writes
# the section between <!-- remote-bench:start --> and <!-- remote-bench:end -->
# of docs/PERFORMANCE.md (the rest of the file is left alone).
#
#   bench/remote/run.sh            full run (about 3 minutes on 2 cores)
#   bench/remote/run.sh --quick    small counts, 1 repetition (a smoke run)
#   bench/remote/run.sh --no-doc   print the report, do not touch the doc
#
# Environment: LSQL_RBENCH_REPS (5), LSQL_RBENCH_N_POINT (20000 queries per
# run), LSQL_RBENCH_N_BATCH (1000 batches per run), LSQL_RBENCH_CG_N_POINT
# (2000), LSQL_RBENCH_CG_N_BATCH (100), LSQL_RBENCH_BUILD (build directory),
# LSQL_RBENCH_LSQLD (use this lsqld binary instead of building one),
# LSQL_BENCH_NODE_MODULES (where @libsql/client is installed; default
# tests/interop/node_modules, installed from its lockfile when missing),
# LSQL_RBENCH_NO_NODE=1 / LSQL_RBENCH_NO_CG=1 skip those parts,
# LSQL_RBENCH_PIN=same|split|none: lsqld and the clients all on CPU 0 (the
# default); lsqld on CPU 0 and the clients on the other CPUs; no pinning.
# Unpinned, a sequential loopback client runs at one of two speeds depending
# on whether the scheduler puts it on the server's core (fast: no cross-CPU
# wake-up) or not, from run to run (on the 2-core VM: floor point 14k-36k
# req/s unpinned, 36.0k-36.3k pinned to one core). On one core a request
# costs client CPU + server CPU + the loopback, which is what the targets
# compare.
# If lsql's remote mode is not available (LSQL_NOTSUP_MODE), its rows say so
# and the rest is measured anyway.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${LSQL_RBENCH_BUILD:-$root/build-rbench}
reps=${LSQL_RBENCH_REPS:-5}
n_point=${LSQL_RBENCH_N_POINT:-20000}
n_batch=${LSQL_RBENCH_N_BATCH:-1000}
cg_n_point=${LSQL_RBENCH_CG_N_POINT:-2000}
cg_n_batch=${LSQL_RBENCH_CG_N_BATCH:-100}
rows=10000
pin=${LSQL_RBENCH_PIN:-same}
doc=1
quick=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 reps=1 n_point=2000 n_batch=100 cg_n_point=300 cg_n_batch=20 ;;
    --no-doc) doc=0 ;;
    -h|--help) sed -n '2,46p' "$0"; exit 0 ;;
    *) echo "bench/remote/run.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
cmd="bench/remote/run.sh $*"
[ -n "${LSQL_RBENCH_PIN:-}" ] && cmd="LSQL_RBENCH_PIN=$LSQL_RBENCH_PIN $cmd"
cmd=${cmd% }

"$root/scripts/deps.sh" bench
for tool in curl python3 cmake; do
  command -v "$tool" >/dev/null || { echo "bench/remote/run.sh: $tool is needed" >&2; exit 1; }
done
use_node=1
[ "${LSQL_RBENCH_NO_NODE:-0}" = 1 ] && use_node=0
use_cg=1
[ "${LSQL_RBENCH_NO_CG:-0}" = 1 ] && use_cg=0
if [ "$use_cg" = 1 ] && ! command -v valgrind >/dev/null; then
  echo "bench/remote/run.sh: valgrind not found: no instruction counts" >&2; use_cg=0
fi

report.py() { python3 "$here/report.py" "$@"; }
srv_pin=() cli_pin=()
case "$pin" in
  none) ;;
  same|split)
    command -v taskset >/dev/null || { echo "bench/remote/run.sh: LSQL_RBENCH_PIN needs taskset" >&2; exit 1; }
    srv_pin=(taskset -c 0)
    if [ "$pin" = same ]; then cli_pin=(taskset -c 0)
    elif [ "$(nproc)" -ge 2 ]; then cli_pin=(taskset -c "1-$(( $(nproc) - 1 ))")
    else echo "bench/remote/run.sh: LSQL_RBENCH_PIN=split needs 2 CPUs" >&2; exit 1; fi ;;
  *) echo "bench/remote/run.sh: LSQL_RBENCH_PIN must be none, same or split" >&2; exit 2 ;;
esac
start=$(date +%s)
log() { printf '[%4ds] %s\n' $(( $(date +%s) - start )) "$*" >&2; }

# ---- build ------------------------------------------------------------------
mkdir -p "$build"
log "building bench_remote and lsqld (Release, -O2) in $build"
# -Werror stays with the test builds: a warning that only -O2 finds must not
# stop a measurement.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DLSQL_BUILD_TESTS=OFF -DLSQL_BUILD_EXAMPLES=OFF -DLSQL_BUILD_BENCH=ON -DLSQL_WERROR=OFF \
      >"$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
targets=(--target bench_remote)
[ -z "${LSQL_RBENCH_LSQLD:-}" ] && targets+=(--target lsqld)
cmake --build "$build" "${targets[@]}" -j"${BENCH_JOBS:-$(nproc)}" >"$build/build.log" 2>&1 \
  || { tail -50 "$build/build.log"; exit 1; }
bin=$build/bench/bench_remote
if [ -n "${LSQL_RBENCH_LSQLD:-}" ]; then
  lsqld=$LSQL_RBENCH_LSQLD
else
  lsqld=$build/src/server/lsqld
  [ -x "$lsqld" ] || lsqld=$(find "$build" -type f -name lsqld -perm -u+x | head -1)
fi
[ -x "$lsqld" ] || { echo "bench/remote/run.sh: no lsqld binary" >&2; exit 1; }

# ---- node and @libsql/client ------------------------------------------------------
node_v="" client_v=""
if [ "$use_node" = 1 ]; then
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "bench/remote/run.sh: node/npm not found (node >= 20 and npm are needed for @libsql/client); skipping it" >&2
    use_node=0
  else
    node_v=$(node --version)
    if [ -z "${LSQL_BENCH_NODE_MODULES:-}" ]; then
      # the project's pinned install (what tests/interop/run.sh does)
      interop=$root/tests/interop
      stamp=$interop/node_modules/.lsql-lock.sha256
      want=$(sha256sum "$interop/package-lock.json" | cut -d' ' -f1)
      if [ ! -f "$interop/node_modules/@libsql/client/package.json" ] \
         || { [ -f "$stamp" ] && [ "$(cat "$stamp")" != "$want" ]; }; then
        log "installing @libsql/client (npm ci in tests/interop)"
        (cd "$interop" && npm ci --no-audit --no-fund --loglevel=error --prefer-offline \
           && echo "$want" >"$stamp")
      fi
    fi
    client_v=$(node "$here/node_client.mjs" --version)
  fi
fi

# ---- lsqld --------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/lsql-rbench.XXXXXX")
srv_pid=""
cleanup() {
  if [ -n "$srv_pid" ]; then kill "$srv_pid" 2>/dev/null || true; wait "$srv_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"${srv_pin[@]}" "$lsqld" --db "$work/bench.db" --listen 127.0.0.1:0 --port-file "$work/lsqld.port" \
  --log-level error >"$work/lsqld.log" 2>&1 &
srv_pid=$!
port=""
for _ in $(seq 1 200); do
  if [ -s "$work/lsqld.port" ] && grep -qE '^[0-9]+$' "$work/lsqld.port"; then port=$(cat "$work/lsqld.port"); break; fi
  kill -0 "$srv_pid" 2>/dev/null || { echo "lsqld died:" >&2; cat "$work/lsqld.log" >&2; exit 1; }
  sleep 0.05
done
[ -n "$port" ] || { echo "lsqld wrote no port file in 10 s" >&2; exit 1; }
url="http://127.0.0.1:$port"
lsqld_v=$(curl -sS "$url/version")
log "lsqld ($lsqld_v) on $url"

pipeline() { # JSON body -> response (fails on HTTP errors and Hrana errors)
  local out
  out=$(curl -sS --fail-with-body -H 'content-type: application/json' --data "$1" "$url/v2/pipeline")
  if grep -q '"type":"error"' <<<"$out"; then echo "lsqld: $out" >&2; return 1; fi
  printf '%s' "$out"
}
log "creating t ($rows rows) and t2"
pipeline "{\"requests\":[{\"type\":\"sequence\",\"sql\":\"CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL); CREATE TABLE t2(id INTEGER PRIMARY KEY, v INTEGER NOT NULL); INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $rows) SELECT i, 'value-' || i FROM c;\"},{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT count(*) FROM t\"}},{\"type\":\"close\"}]}" \
  | grep -qE "\"value\": *\"$rows\"" || { echo "seeding failed" >&2; exit 1; }
empty_t2() { pipeline '{"requests":[{"type":"execute","stmt":{"sql":"DELETE FROM t2"}},{"type":"execute","stmt":{"sql":"PRAGMA wal_checkpoint(TRUNCATE)"}},{"type":"close"}]}' >/dev/null; }

# ---- is lsql's remote mode there? -----------------------------------------------------
use_lsql=1 lsql_note=""
set +e
probe=$("$bin" --probe --url "$url" 2>&1)
prc=$?
set -e
if [ "$prc" != 0 ]; then
  use_lsql=0
  lsql_note=$(printf '%s' "$probe" | tail -1 | sed -e 's/^bench_remote: //' -e 's/^lsql remote mode is not available: //')
  if [ "$prc" = 3 ]; then
    log "lsql remote mode not available: $lsql_note (measuring floor and node only)"
  else
    log "lsql remote probe FAILED (exit $prc): $lsql_note (measuring floor and node only)"
  fi
fi

# ---- timed runs -------------------------------------------------------------------
results=$work/results.jsonl
: >"$results"
srv_cpu() { # lsqld's user+system CPU time in clock ticks (all threads, dead ones too)
  awk '{print $14 + $15}' "/proc/$srv_pid/stat"
}
hz=$(getconf CLK_TCK)
warm_point=500 warm_batch=20
run_one() { # rep impl[/variant][@encoding] case
  local rep=$1 spec=${2%%@*} enc=() impl variant=all cs=$3 n warm c0 c1 out got
  [ "$spec" != "$2" ] && enc=(--encoding "${2#*@}")
  impl=${spec%%/*}
  [ "$impl" != "$spec" ] && variant=${spec#*/}
  if [ "$cs" = point ]; then n=$n_point warm=$warm_point; else n=$n_batch warm=$warm_batch; fi
  [ "$cs" = batch100 ] && empty_t2
  c0=$(srv_cpu)
  case "$impl" in
    floor|lsql) out=$("${cli_pin[@]}" "$bin" --impl "$impl" --case "$cs" --variant "$variant" --url "$url" \
                      "${enc[@]}" --n "$n" --warmup "$warm" --rows "$rows" --seed "$rep") ;;
    node) out=$("${cli_pin[@]}" node "$here/node_client.mjs" --case "$cs" --url "$url" --n "$n" \
                --warmup "$warm" --rows "$rows" --seed "$rep") ;;
  esac
  c1=$(srv_cpu)
  if [ "$cs" = batch100 ]; then # every batch must have inserted its 100 rows
    got=$(pipeline '{"requests":[{"type":"execute","stmt":{"sql":"SELECT count(*) FROM t2"}},{"type":"close"}]}' \
          | sed -n 's/.*"value": *"\([0-9]*\)".*/\1/p')
    if [ "$got" != $(( (n + warm) * 100 )) ]; then
      echo "bench/remote/run.sh: $impl batch100 left $got rows in t2, expected $(( (n + warm) * 100 ))" >&2
      exit 1
    fi
  fi
  # one line per result, with the repetition and lsqld's CPU per request
  # (warm-up requests included: lsqld cannot tell them apart)
  report.py append "$rep" "$c0" "$c1" "$hz" "$(( n + warm ))" "$results" <<<"$out"
}

# one process per implementation and variant (lsqld's CPU is per process)
point_impls=(floor floor@protobuf) batch_impls=(floor floor@protobuf)
[ "$use_lsql" = 1 ] && point_impls+=(lsql/query_value lsql/prepared lsql/query_value@json) \
  && batch_impls+=(lsql lsql@json)
[ "$use_node" = 1 ] && point_impls+=(node) batch_impls+=(node)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for rep in $(seq 1 "$reps"); do
  log "repetition $rep/$reps"
  # rotate the order so that no implementation always runs first
  k=$(( (rep - 1) % ${#point_impls[@]} ))
  for impl in "${point_impls[@]:$k}" "${point_impls[@]:0:$k}"; do run_one "$rep" "$impl" point; done
  k=$(( (rep - 1) % ${#batch_impls[@]} ))
  for impl in "${batch_impls[@]:$k}" "${batch_impls[@]:0:$k}"; do run_one "$rep" "$impl" batch100; done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# lsqld must still answer correctly
pipeline '{"requests":[{"type":"execute","stmt":{"sql":"SELECT v FROM t WHERE id = ?","args":[{"type":"integer","value":"4242"}]}},{"type":"close"}]}' \
  | grep -q '"value-4242"' || { echo "lsqld gave a wrong answer after the runs" >&2; exit 1; }

# ---- callgrind: client instructions per request --------------------------------------
cg=$work/cg.tsv
: >"$cg"
if [ "$use_cg" = 1 ] && [ "$("$bin" --has-callgrind)" = 1 ]; then
  cg_jobs=("floor point all" "floor batch100 all" "floor@protobuf point all"
           "floor@protobuf batch100 all")
  [ "$use_lsql" = 1 ] && cg_jobs+=("lsql point query_value" "lsql point prepared" "lsql batch100 all"
                                   "lsql@json point query_value" "lsql@json batch100 all")
  for job in "${cg_jobs[@]}"; do
    read -r impl cs variant <<<"$job"
    enc=()
    [ "${impl%@*}" != "$impl" ] && enc=(--encoding "${impl#*@}") && impl=${impl%@*}
    n=$([ "$cs" = point ] && echo "$cg_n_point" || echo "$cg_n_batch")
    [ "$cs" = batch100 ] && empty_t2
    log "callgrind: $impl $cs $variant ($n requests)"
    out=$work/cg.$impl${enc[1]:+-${enc[1]}}.$cs.$variant.out
    "${cli_pin[@]}" valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
      "$bin" --impl "$impl" --case "$cs" --variant "$variant" --url "$url" "${enc[@]}" --n "$n" \
      --rows "$rows" --warmup 20 >"$out.log" 2>&1 || { cat "$out.log" >&2; exit 1; }
    variant=$(sed -n 's/^RESULT .*"variant":"\([^"]*\)".*/\1/p' "$out.log" | head -1)
    # instructions by object (libcurl, libc, ... and bench_remote itself, which
    # holds lsql and its Hrana codec, linked statically)
    callgrind_annotate --inclusive=no --threshold=100 "$out" \
      | report.py callgrind "$impl" "$cs" "$variant" "$n" >>"$cg"
  done
fi

# ---- report -------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
curl_v=$("$bin" --info | sed -n 's/^curl_version\t//p')
cc_v=$("$bin" --info | sed -n 's/^compiler\t//p')
mkdir -p "$root/bench/out"
cp "$results" "$root/bench/out/remote-results.jsonl"
cp "$cg" "$root/bench/out/remote-callgrind.tsv"
report.py write "$results" "$cg" "$root/docs/PERFORMANCE.md" "$doc" \
  "cpu=$cpu" "cores=$(nproc)" "kernel=$(uname -r)" "node=$node_v" "client=$client_v" \
  "lsqld=$lsqld_v" "curl=$curl_v" "cc=cc $cc_v" "reps=$reps" "n_point=$n_point" \
  "n_batch=$n_batch" "cg_n_point=$cg_n_point" "cg_n_batch=$cg_n_batch" "rows=$rows" \
  "lsql_note=$lsql_note" "load_before=$load_before" "load_after=$load_after" \
  "quick=$quick" "pin=$pin" "cmd=$cmd" "git=$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)" \
  "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
log "done"
