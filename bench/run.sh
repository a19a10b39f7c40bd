#!/usr/bin/env bash
# `make bench`: datasets of 10,000 and 100,000 companies (BENCH_SIZES=10000,100000,1000000 for more),
# a fixed workload with wrk and pgbench, written to bench/RESULTS.md. See bench/harness.py.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
    echo "bench: installing wrk" >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
fi
command -v pgbench >/dev/null || { echo "bench: pgbench missing (Debian: postgresql-contrib / postgresql-client)" >&2; exit 1; }
exec .venv/bin/python -m bench.harness "$@"
