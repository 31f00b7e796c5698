#!/usr/bin/env bash
# BENCHMARKS.md §14: the Arxos chain on MariaDB through the command line.
#
#   upgrade head from an empty database:
#     raw      the chain's DDL (`upgrade head --sql`, the same statements)
#              piped into the `mariadb` client            -- the baseline
#     arx      arx-migrate upgrade head
#     alembic  Alembic (PyMySQL) upgrade head, its revisions running the
#              same statements, one revision each
#   the no-op at head (a service's startup):
#     bare     mariadb -e 'select 1'                       -- the baseline
#     arx      arx-migrate upgrade head
#     alembic  Alembic upgrade head
#
# Each round runs every contestant in turn, on a database dropped and
# created outside the timing; medians of ROUNDS rounds, as ratios to the
# baseline of the same run.
#
#   cargo build --release -p arx-schema --bin arx-migrate
#   scripts/mariadb-bench.sh [ROUNDS]      # default 9
#
# The server is $ARX_MIGRATE_BENCH_MYSQL (default mysql://root@127.0.0.1:3306,
# user root without a password); the script creates and drops the
# databases arx_bench_raw, arx_bench_arx and arx_bench_alembic there.
set -euo pipefail
shopt -s inherit_errexit

SERVER=${ARX_MIGRATE_BENCH_MYSQL:-mysql://root@127.0.0.1:3306}
ARXOS=${ARXOS:-target/release/arx-migrate}
PYTHON=${ARX_MIGRATE_PYTHON:-python3}
ROUNDS=${1:-9}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

hostport=${SERVER#*://}; hostport=${hostport#*@}; host=${hostport%%:*}; port=${hostport##*:}
client() { mariadb -h "$host" -P "$port" -u root "$@"; }
fresh() { client -e "DROP DATABASE IF EXISTS $1; CREATE DATABASE $1"; }

# Seconds a command takes (it must succeed).
timed() {
    local start end
    start=$(date +%s.%N)
    "$@" >"$WORK/out" 2>&1 || { echo "failed: $*" >&2; cat "$WORK/out" >&2; exit 1; }
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { echo "scale=2; $1 / $2" | bc; }
ms() { echo "$1 * 1000 / 1" | bc; }

# The chain's script, and one Alembic revision per Arxos revision with the
# same statements (the version-table changes left to Alembic).
"$ARXOS" --url "$SERVER/arx_bench_raw" upgrade head --sql >"$WORK/script.sql"
# The client splits at every `;`: a trigger's body (BEGIN … END) is sent
# whole between DELIMITER lines, as a hand-written script would.
"$PYTHON" - "$WORK/script.sql" "$WORK/up.sql" <<'PY'
import re, sys
out = []
for line in open(sys.argv[1]):
    if re.match(r"CREATE (TRIGGER|PROCEDURE|FUNCTION)\b", line):
        out.append("DELIMITER $$\n" + line.rstrip().rstrip(";") + "$$\nDELIMITER ;\n")
    else:
        out.append(line)
open(sys.argv[2], "w").write("".join(out))
PY
mkdir -p "$WORK/alembic/versions"
cat >"$WORK/alembic/env.py" <<'PY'
from alembic import context
from sqlalchemy import create_engine
from pymysql.constants import CLIENT

engine = create_engine(context.config.get_main_option("sqlalchemy.url"),
                       connect_args={"client_flag": CLIENT.MULTI_STATEMENTS})
with engine.connect() as connection:
    context.configure(connection=connection, version_table="alembic_version")
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
PY
cat >"$WORK/alembic/run.py" <<'PY'
import os, sys
from alembic import command
from alembic.config import Config
config = Config()
config.set_main_option("script_location", os.path.dirname(os.path.abspath(__file__)))
config.set_main_option("sqlalchemy.url", sys.argv[1])
command.upgrade(config, "head")
PY
previous=base
for revision in $("$ARXOS" --url "$SERVER/arx_bench_raw" history --format json | "$PYTHON" -c '
import json, sys
print(" ".join(reversed([r["revision"] for r in json.load(sys.stdin)["revisions"]])))'); do
    "$ARXOS" --url "$SERVER/arx_bench_raw" upgrade "$previous:$revision" --sql >"$WORK/$revision.sql"
    "$PYTHON" - "$WORK/$revision.sql" "$WORK/alembic/versions/r$revision.py" "$revision" "$previous" <<'PY'
import re, sys
source, target, revision, previous = sys.argv[1:]
text = open(source).read()
# The statements of the revision, without the script's bookkeeping
# (version table, history table, transactions), which Alembic does itself.
statements = [s for s in re.split(r";\s*\n", text) if s.strip()]
keep = []
for s in statements:
    body = "\n".join(l for l in s.splitlines() if not l.strip().startswith("--")).strip()
    if not body or re.search(r"alembic_version|arx_migrate_", body) or re.fullmatch(r"(START TRANSACTION|BEGIN|COMMIT)", body, re.I):
        continue
    keep.append(body)
down = "None" if previous == "base" else repr(previous)
with open(target, "w") as f:
    f.write(f"from alembic import op\nrevision = {revision!r}\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n")
    f.write(f"STATEMENTS = {keep!r}\n")
    f.write("def upgrade():\n    for s in STATEMENTS:\n        op.execute(s)\n")
    f.write("def downgrade():\n    raise NotImplementedError\n")
PY
    previous=$revision
done

echo "MariaDB benchmark: $ROUNDS rounds, $(nproc) cores, $(client -N -e 'select version()'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "the chain: $(grep -c ';' "$WORK/up.sql") statements in the script"
for round in $(seq 1 "$ROUNDS"); do
    fresh arx_bench_raw
    timed sh -c "mariadb -h $host -P $port -u root arx_bench_raw <'$WORK/up.sql'" >>"$WORK/up_raw"
    fresh arx_bench_arx
    timed "$ARXOS" --url "$SERVER/arx_bench_arx" upgrade head >>"$WORK/up_arx"
    fresh arx_bench_alembic
    timed "$PYTHON" "$WORK/alembic/run.py" "mysql+pymysql://root@$host:$port/arx_bench_alembic" >>"$WORK/up_alembic"
done
for round in $(seq 1 "$ROUNDS"); do
    timed client -e 'select 1' >>"$WORK/noop_bare"
    timed "$ARXOS" --url "$SERVER/arx_bench_arx" upgrade head >>"$WORK/noop_arx"
    timed "$PYTHON" "$WORK/alembic/run.py" "mysql+pymysql://root@$host:$port/arx_bench_alembic" >>"$WORK/noop_alembic"
done
# The three databases hold the same tables.
for db in arx_bench_raw arx_bench_arx arx_bench_alembic; do
    echo "$db: $(client -N -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$db'") tables, $(client -N -e "SELECT COUNT(DISTINCT TABLE_NAME, INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '$db'") indexes, $(client -N -e "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '$db'") triggers"
done
raw=$(median <"$WORK/up_raw"); bare=$(median <"$WORK/noop_bare")
printf '%-28s %8s ms\n' "upgrade, raw script" "$(ms "$raw")"
printf '%-28s %8s ms  %s x raw\n' "upgrade, arx-migrate" "$(ms "$(median <"$WORK/up_arx")")" "$(ratio "$(median <"$WORK/up_arx")" "$raw")"
printf '%-28s %8s ms  %s x raw\n' "upgrade, Alembic" "$(ms "$(median <"$WORK/up_alembic")")" "$(ratio "$(median <"$WORK/up_alembic")" "$raw")"
printf '%-28s %8s ms\n' "no-op, mariadb -e 'select 1'" "$(ms "$bare")"
printf '%-28s %8s ms  %s x bare\n' "no-op, arx-migrate" "$(ms "$(median <"$WORK/noop_arx")")" "$(ratio "$(median <"$WORK/noop_arx")" "$bare")"
printf '%-28s %8s ms  %s x bare\n' "no-op, Alembic" "$(ms "$(median <"$WORK/noop_alembic")")" "$(ratio "$(median <"$WORK/noop_alembic")" "$bare")"
client -e "DROP DATABASE IF EXISTS arx_bench_raw; DROP DATABASE IF EXISTS arx_bench_arx; DROP DATABASE IF EXISTS arx_bench_alembic"
