#!/usr/bin/env bash
# Changing a busy table (BENCHMARKS.md, "Changing a busy table under
# load"): benches/live_changes, ROUNDS times in a row (default 1), each
# round printing its markdown table. Each change of issue 22 is made
# naively, by hand-written safe SQL and through arx-migrate's Ops calls,
# each on a fresh table of ROWS rows under pgbench at RATE transactions per
# second (writers' statement_timeout 2 s), and compared with the same load
# and no migration.
#
#   scripts/live-bench.sh                      # 1,000,000 rows, all changes
#   ROUNDS=2 scripts/live-bench.sh             # the recorded measurement
#   ROWS=100000 CHANGES=index,unique scripts/live-bench.sh   # a quick check
#
# The server is $ARX_MIGRATE_TEST_PG (default
# postgresql://postgres@127.0.0.1:5432/postgres); each variant creates a
# database arx_live_<pid>_<n> there and drops it. Needs pgbench (PostgreSQL
# 15's, for --failures-detailed) on PATH. About 8 minutes a round at 1M rows.
set -euo pipefail
shopt -s inherit_errexit

command -v pgbench >/dev/null || { echo "live-bench: pgbench is not on PATH" >&2; exit 1; }
export ARX_MIGRATE_TEST_PG=${ARX_MIGRATE_TEST_PG:-postgresql://postgres@127.0.0.1:5432/postgres}
export ARX_BENCH_ROWS=${ROWS:-1000000}
export ARX_BENCH_RATE=${RATE:-200}
export ARX_BENCH_CLIENTS=${CLIENTS:-8}
if [ -n "${CHANGES:-}" ]; then export ARX_BENCH_CHANGES=$CHANGES; fi
ROUNDS=${ROUNDS:-1}

cd "$(dirname "$0")/.."
cargo bench --bench live_changes --no-run >/dev/null 2>&1 ||
    cargo bench --bench live_changes --no-run
for round in $(seq 1 "$ROUNDS"); do
    echo "## round $round of $ROUNDS, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
    cargo bench -q --bench live_changes
done
