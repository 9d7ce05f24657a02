#!/bin/sh
# Runs an example that needs a libSQL server: starts lsqld on a free
# loopback port with a fresh database, passes the example its URL, stops
# the server. Usage: run_remote.sh LSQLD EXAMPLE
set -u
lsqld=$1
example=$2
dir=${TMPDIR:-/tmp}/remote-example.$$
mkdir -p "$dir"
"$lsqld" --db "$dir/db" --listen 127.0.0.1:0 --port-file "$dir/port" --log-level warn &
pid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
if [ ! -s "$dir/port" ]; then
  kill $pid 2>/dev/null
  echo "lsqld did not start" >&2
  exit 1
fi
"$example" "http://127.0.0.1:$(cat "$dir/port")"
rc=$?
kill $pid
wait $pid 2>/dev/null
rm -rf "$dir"
exit $rc
