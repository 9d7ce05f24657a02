#!/usr/bin/env bash
# bench/run.sh -- the core benchmark: lsql against the raw SQLite C API.
#
# Builds bench_core (Release, -O2) in its own build directory (build-bench/),
# runs the timed benchmark, the default-tuning experiment and the callgrind
# runs, and regenerates the generated part of docs/PERFORMANCE.md (the text
# outside the GENERATED markers is kept).
#
#   bench/run.sh            full run (about 5 minutes on 2 cores)
#   bench/run.sh --quick    small sizes, to check that everything works
#   bench/run.sh --no-doc   do not touch docs/PERFORMANCE.md
#
# Environment overrides: BENCH_N (rows, 100000), BENCH_REPS (repetitions,
# 9), BENCH_CG_N (rows under callgrind, 20000), BENCH_TUNE_NS (row counts of
# the tuning experiment, "100000 1000000"), BENCH_BUILD (build directory),
# BENCH_JOBS (parallel callgrind runs, nproc).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD:-$root/build-bench}
n=${BENCH_N:-100000}
reps=${BENCH_REPS:-9}
cg_n=${BENCH_CG_N:-20000}
tune_ns=${BENCH_TUNE_NS:-"100000 1000000"}
jobs=${BENCH_JOBS:-$(nproc)}
doc=1
for a in "$@"; do
  case "$a" in
    --quick) n=20000 reps=3 cg_n=2000 tune_ns=20000 ;;
    --no-doc) doc=0 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

command -v python3 >/dev/null || { echo "bench/run.sh: python3 is needed to write the report" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "bench/run.sh: valgrind is needed for the instruction counts" >&2; exit 1; }

start=$(date +%s)
log() { printf '[%4ds] %s\n' $(( $(date +%s) - start )) "$*" >&2; }

# ---- build -------------------------------------------------------------------
log "configuring and building $build (Release, -O2)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DLSQL_BUILD_TESTS=OFF -DLSQL_BUILD_EXAMPLES=OFF -DLSQL_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target bench_core -j"$(nproc)" >/dev/null
bin=$build/bench/bench_core
res=$build/results
tmp=$build/tmp
rm -rf "$res" "$tmp"
mkdir -p "$res/cg" "$tmp"

# ---- machine ---------------------------------------------------------------------
{
  "$bin" --info
  printf 'nproc\t%s\n' "$(nproc)"
  printf 'cpu\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  printf 'kernel\t%s\n' "$(uname -srm)"
  printf 'cc\t%s\n' "$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")"
  printf 'cc_version\t%s\n' "$("$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")" --version | head -1)"
  printf 'cflags\t%s\n' "-O2 -DNDEBUG (CMAKE_BUILD_TYPE=Release)"
  printf 'valgrind\t%s\n' "$(valgrind --version)"
  printf 'fs\t%s\n' "$(df -T "$tmp" | awk 'NR==2 {print $2 " on " $1}')"
  printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'n\t%s\nreps\t%s\ncg_n\t%s\ntune_ns\t%s\n' "$n" "$reps" "$cg_n" "$tune_ns"
  printf 'git\t%s\n' "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >"$res/info.tsv"

# ---- timed benchmark ---------------------------------------------------------------
# Other processes on the machine distort the timings (not the instruction
# counts): the load average before and after is recorded in the report.
log "timed benchmark: $n rows, best of $reps"
printf 'load_before\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$res/info.tsv"
"$bin" --n "$n" --reps "$reps" --dir "$tmp" | tee "$res/timed.tsv" | cut -f2-4,9 | column -t >&2
printf 'load_after\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$res/info.tsv"

# ---- default tuning (raw SQLite) -----------------------------------------------------
: >"$res/tune.tsv"
for tn in $tune_ns; do
  log "tuning experiment: $tn rows"
  "$bin" --tune --n "$tn" --reps 3 --dir "$tmp" | tee -a "$res/tune.tsv" | column -t >&2
done

# ---- callgrind ------------------------------------------------------------------------
# Every (case, mode, implementation) once, counting only the measured loop.
if [ "$("$bin" --has-callgrind)" = 1 ]; then
  cg_opts="--instr-atstart=no"
else
  cg_opts="--collect-atstart=no --toggle-collect=loop_*"
fi
jobfile=$res/cg/jobs
: >"$jobfile"
for mode in file memory memory_private; do
  for ci in "insert:raw lsql" "exec:raw raw_prepare lsql_exec" \
            "select:raw_default raw_default_wal raw lsql lsql_int64 lsql_query" \
            "scan:raw lsql lsql_rows"; do
    c=${ci%%:*}
    for impl in ${ci#*:}; do
      [ "$impl" = raw_default_wal ] && [ "$mode" != file ] && continue
      echo "$c $mode $impl" >>"$jobfile"
    done
  done
done
log "callgrind: $(wc -l <"$jobfile") runs of $cg_n rows, $jobs at a time"
export bin cg_n cg_opts res tmp
# shellcheck disable=SC2016
xargs -P "$jobs" -L 1 sh -c '
  d="$tmp/cg-$0-$1-$2"; mkdir -p "$d"
  out="$res/cg/$0.$1.$2.out"
  valgrind --tool=callgrind $cg_opts --callgrind-out-file="$out" \
    "$bin" --case "$0" --mode "$1" --impl "$2" --n "$cg_n" --dir "$d" \
    >"$res/cg/$0.$1.$2.log" 2>&1 || { echo "callgrind failed: $0 $1 $2" >&2; exit 255; }
  rm -rf "$d"
' <"$jobfile"
while read -r c mode impl; do
  tot=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$res/cg/$c.$mode.$impl.out" | head -1)
  [ -n "$tot" ] || tot=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$res/cg/$c.$mode.$impl.out" | head -1)
  printf 'CG\t%s\t%s\t%s\t%s\t%s\n' "$c" "$mode" "$impl" "$cg_n" "$tot"
done <"$jobfile" >"$res/callgrind.tsv"
rm -rf "$tmp"

# ---- report ------------------------------------------------------------------------
if [ "$doc" = 1 ]; then
  log "writing docs/PERFORMANCE.md"
  python3 "$root/bench/report.py" "$res" "$root/docs/PERFORMANCE.md"
else
  python3 "$root/bench/report.py" "$res" -
fi
log "done (results in $res)"
