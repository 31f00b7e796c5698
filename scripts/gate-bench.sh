#!/usr/bin/env bash
# The CI-gate benchmark of BENCHMARKS.md §10: `check` (a database at head)
# and `validate` of the Arxos chain on PostgreSQL. For each command: the
# first, cold run (the schema cache emptied, so it builds the chain's
# entry), then WARM warm runs, and WARM runs with --no-scratch-cache (a
# replay every time), interleaved with the warm ones. Medians, and each as
# a ratio to the cold run of the same round.
#
#   cargo build --release -p arx-schema --bin arx-migrate
#   scripts/gate-bench.sh [WARM]        # default 9
#   ROUNDS=2 scripts/gate-bench.sh      # the whole measurement twice
#   BASELINE=/tmp/arx-migrate-main scripts/gate-bench.sh
#       # also WARM runs of another build (e.g. main's, before the cache),
#       # interleaved, as a ratio to the same cold run
#
# The server is $ARX_MIGRATE_BENCH_PG (default
# postgresql://postgres@127.0.0.1:5432); the script creates and drops the
# database arx_gate_bench there, and drops every schema-cache entry
# (arx_cache_*) on it before each cold run.
set -euo pipefail
shopt -s inherit_errexit

SERVER=${ARX_MIGRATE_BENCH_PG:-postgresql://postgres@127.0.0.1:5432}
ARXOS=${ARXOS:-target/release/arx-migrate}
BASELINE=${BASELINE:-}
WARM=${1:-9}
ROUNDS=${ROUNDS:-1}
DB=arx_gate_bench

psql_on() { local db=$1; shift; psql -q -X -v ON_ERROR_STOP=1 "$SERVER/$db" "$@"; }

drop_cache() {
    psql_on postgres -At -c "SELECT format('DROP DATABASE %I WITH (FORCE)', datname)
        FROM pg_database WHERE datname LIKE 'arx\_cache\_%'" |
        while read -r statement; do psql_on postgres -c "$statement"; done
}

# Seconds one run of the binary takes (it must succeed).
timed() { timed_with "$ARXOS" "$@"; }
timed_with() {
    local binary=$1 start end; shift
    start=$(date +%s.%N)
    "$binary" --url "$SERVER/$DB" "$@" >/tmp/gate-bench.out 2>&1 || {
        echo "failed: $*" >&2; cat /tmp/gate-bench.out >&2; exit 1; }
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { echo "scale=2; $1 / $2" | bc; }
ms() { echo "$1 * 1000 / 1" | bc; }

echo "gate benchmark: $WARM warm runs, $(nproc) cores, $(psql_on postgres -Atc 'SHOW server_version'), load $(cut -d' ' -f1-3 /proc/loadavg)"
psql_on postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
"$ARXOS" --url "$SERVER/$DB" upgrade head >/dev/null

for round in $(seq 1 "$ROUNDS"); do
    echo "-- round $round (load $(cut -d' ' -f1-3 /proc/loadavg))"
    for command in check validate; do
        drop_cache
        cold=$(timed "$command")
        warm=() uncached=() baseline=()
        for _ in $(seq 1 "$WARM"); do
            warm+=("$(timed "$command")")
            uncached+=("$(timed "$command" --no-scratch-cache)")
            if [ -n "$BASELINE" ]; then baseline+=("$(timed_with "$BASELINE" "$command")"); fi
        done
        w=$(printf '%s\n' "${warm[@]}" | median)
        u=$(printf '%s\n' "${uncached[@]}" | median)
        line="$command: cold $(ms "$cold") ms; warm median $(ms "$w") ms ($(ratio "$w" "$cold") x cold); --no-scratch-cache median $(ms "$u") ms ($(ratio "$u" "$cold") x cold)"
        if [ -n "$BASELINE" ]; then
            b=$(printf '%s\n' "${baseline[@]}" | median)
            line="$line; baseline median $(ms "$b") ms ($(ratio "$b" "$cold") x cold)"
        fi
        echo "$line"
    done
done
psql_on postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
