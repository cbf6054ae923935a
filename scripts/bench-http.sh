#!/usr/bin/env bash
# HTTP over tokio: spectls-tokio against tokio-rustls under wrk, and memory per idle connection
# (spectls-tokio/benches/http.rs says what it measures and how). Raises the open-files limit
# first: the idle part holds 10,000 connections (about 10,100 descriptors in each of the
# server and the client process). The bench raises its soft limit to the hard one itself;
# this script also tries to raise the hard limit, which needs root. Arguments go to the
# bench, e.g. `scripts/bench-http.sh --quick` or `scripts/bench-http.sh --no-load`.
set -euo pipefail
cd "$(dirname "$0")/.."

want=20000
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$want" ]; then
  ulimit -Hn "$want" 2>/dev/null ||
    echo "bench-http: cannot raise the hard open-files limit to $want (it is $(ulimit -Hn); needs root): the idle part will use fewer connections" >&2
fi
ulimit -n "$(ulimit -Hn)"
command -v wrk >/dev/null 2>&1 ||
  echo "bench-http: wrk is not installed (apt-get install wrk): the load part is skipped" >&2

exec cargo bench -p spectls-tokio --bench http -- "$@"
