#!/usr/bin/env bash
# The fleet benchmarks of BENCHMARKS.md §8: N tenant schemas in one
# PostgreSQL database, the `cli_demo` chain (six small revisions), and the
# Arxos chain (PostGIS) on 50 schemas. Each `fleet` figure has its
# baseline in the same run: a shell loop of one single-database process
# per schema (its search_path given in the URL).
#
#   cargo build --release --example cli_demo --features cli
#   cargo build --release -p arx-schema --bin arx-migrate
#   scripts/fleet-bench.sh [SCHEMAS]        # default 1000
#   SECTIONS=arxos scripts/fleet-bench.sh   # only the Arxos chain (or: demo)
#   ROUNDS=2 scripts/fleet-bench.sh         # each measurement and its baseline twice
#
# Needs psql and /usr/bin/time; the server is $ARX_MIGRATE_BENCH_PG
# (default postgresql://postgres@127.0.0.1:5432), where it creates and
# drops the databases arx_fleet_bench and arx_fleet_bench_arxos.
set -euo pipefail
shopt -s inherit_errexit

SERVER=${ARX_MIGRATE_BENCH_PG:-postgresql://postgres@127.0.0.1:5432}
N=${1:-1000}
ARXOS_N=50
DEMO=${DEMO:-target/release/examples/cli_demo}
ARXOS=${ARXOS:-target/release/arx-migrate}
DB=arx_fleet_bench
ADB=arx_fleet_bench_arxos

psql_on() { local db=$1; shift; psql -q -X -v ON_ERROR_STOP=1 "$SERVER/$db" "$@"; }

# Fresh database $1 with schemas $2_0001..$2_$3 (and PostGIS with $4=postgis).
fresh() {
    psql_on postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" 2>/dev/null
    if [ "${4:-}" = postgis ]; then psql_on "$1" -c "CREATE EXTENSION postgis"; fi
    psql_on "$1" -c "DO \$\$BEGIN FOR i IN 1..$3 LOOP
        EXECUTE format('CREATE SCHEMA $2_%s', lpad(i::text, 4, '0')); END LOOP; END\$\$"
}

# Runs a command under /usr/bin/time; prints "seconds peak_kib".
measure() {
    /usr/bin/time -f "%e %M" -o /tmp/fleet-bench.time "$@" >/dev/null 2>/tmp/fleet-bench.err || {
        echo "failed: $*" >&2; cat /tmp/fleet-bench.err >&2; exit 1; }
    cat /tmp/fleet-bench.time
}

# One single-database process per schema, in a shell loop: the baseline.
# Its search_path: the schema, then public (where PostGIS is), as a fleet's.
loop() {
    local binary=$1 db=$2 prefix=$3 count=$4; shift 4
    local start end
    start=$(date +%s.%N)
    for i in $(seq -f "%04g" 1 "$count"); do
        "$binary" --url "$SERVER/$db?options=-csearch_path%3D${prefix}_$i%2Cpublic" "$@" >/dev/null
    done
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

ratio() { echo "scale=2; $1 / $2" | bc; }

SECTIONS=${SECTIONS:-demo arxos}
echo "fleet benchmarks: $N schemas, $(nproc) cores, $(psql_on postgres -Atc 'SHOW server_version'), load $(cut -d' ' -f1-3 /proc/loadavg)"

ROUNDS=${ROUNDS:-1}

if [[ $SECTIONS == *demo* ]]; then
for round in $(seq 1 "$ROUNDS"); do
    echo "-- round $round (load $(cut -d' ' -f1-3 /proc/loadavg))"
    fresh $DB tenant "$N"
    base_loop=$(loop "$DEMO" $DB tenant "$N" upgrade head)
    echo "baseline: shell loop of $N \`cli_demo upgrade head\` processes: ${base_loop} s"
    for jobs in 1 2 4 8; do
        fresh $DB tenant "$N"
        read -r secs kib < <(measure "$DEMO" --url "$SERVER/$DB" fleet upgrade head --schemas 'tenant_*' --jobs "$jobs")
        echo "fleet upgrade head --jobs $jobs: ${secs} s ($(ratio "$secs" "$base_loop") x the loop), peak RSS ${kib} KiB"
    done
    read -r secs kib < <(measure "$DEMO" --url "$SERVER/$DB" fleet status --schemas 'tenant_*')
    echo "fleet status at head: ${secs} s, peak RSS ${kib} KiB"
    status_loop=$(loop "$DEMO" $DB tenant "$N" current)
    echo "baseline: shell loop of $N \`cli_demo current\` processes: ${status_loop} s (fleet status: $(ratio "$secs" "$status_loop") x)"
    read -r secs kib < <(measure "$DEMO" --url "$SERVER/$DB" fleet upgrade head --schemas 'tenant_*')
    echo "fleet upgrade head at head (a rerun, default jobs): ${secs} s, peak RSS ${kib} KiB"
done
peak_single=$(measure "$DEMO" --url "$SERVER/$DB?options=-csearch_path%3Dtenant_0001" upgrade head | cut -d' ' -f2)
echo "baseline: one \`upgrade head\` process at head: peak RSS ${peak_single} KiB"
psql_on postgres -c "DROP DATABASE $DB"
fi

if [[ $SECTIONS == *arxos* ]]; then
for round in $(seq 1 "$ROUNDS"); do
    echo "-- round $round (load $(cut -d' ' -f1-3 /proc/loadavg))"
    fresh $ADB org "$ARXOS_N" postgis
    arxos_loop=$(loop "$ARXOS" $ADB org "$ARXOS_N" upgrade head)
    echo "baseline: shell loop of $ARXOS_N Arxos \`arx-migrate upgrade head\` processes: ${arxos_loop} s"
    for jobs in 1 4; do
        fresh $ADB org "$ARXOS_N" postgis
        read -r secs kib < <(measure "$ARXOS" --url "$SERVER/$ADB" fleet upgrade head --schemas 'org_*' --jobs "$jobs")
        echo "Arxos fleet upgrade head --jobs $jobs on $ARXOS_N schemas: ${secs} s ($(ratio "$secs" "$arxos_loop") x the loop), peak RSS ${kib} KiB"
    done
done
psql_on postgres -c "DROP DATABASE $ADB"
fi
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
