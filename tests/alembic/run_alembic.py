"""Runs the scenarios of scenarios.toml through real Alembic and prints what
happened as JSON, for tests/alembic.rs to compare with arx-migrate.

    python3 tests/alembic/run_alembic.py tests/alembic/scenarios.toml WORKDIR

For each graph of the file it writes an Alembic script directory (one
version file per revision, each creating and dropping its marker table
t_<rev>), then runs each scenario's commands, in order, on a fresh SQLite
file, in this one process. After each command it records the exit status
(0, or 1 when Alembic raised), the version table's rows, the marker tables
present, and for the verbs that list revisions (history, heads, current)
the revision ids printed, in order. A step that starts with "!" is SQL
run on the database directly, as a change made by hand.
"""

import contextlib
import io
import json
import os
import re
import shlex
import sqlite3
import sys
import tomllib

from alembic import command
from alembic.config import Config

ENV_PY = '''
from alembic import context
from sqlalchemy import create_engine, event

url = context.config.get_main_option("sqlalchemy.url")
engine = create_engine(url)


# Scratch files: no need to wait for the disk on every commit.
@event.listens_for(engine, "connect")
def no_sync(connection, _record):
    connection.execute("PRAGMA synchronous = OFF")


with engine.connect() as connection:
    context.configure(connection=connection, version_table="alembic_version")
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
'''


def literal(value):
    if value is None or value == []:
        return "None"
    if isinstance(value, list):
        return "(" + "".join(repr(v) + ", " for v in value) + ")"
    return repr(value)


def write_script_directory(path, revisions):
    os.makedirs(os.path.join(path, "versions"), exist_ok=True)
    with open(os.path.join(path, "env.py"), "w") as f:
        f.write(ENV_PY)
    with open(os.path.join(path, "script.py.mako"), "w") as f:
        f.write("")
    for rev in revisions:
        rid = rev["rev"]
        with open(os.path.join(path, "versions", f"{rid}.py"), "w") as f:
            f.write(f'"""{rev.get("message", "create t_" + rid)}"""\n')
            f.write("from alembic import op\n\n")
            f.write(f"revision = {rid!r}\n")
            f.write(f"down_revision = {literal(rev.get('down'))}\n")
            f.write(f"branch_labels = {literal(rev.get('labels'))}\n")
            f.write(f"depends_on = {literal(rev.get('depends_on'))}\n\n")
            f.write("def upgrade():\n")
            f.write(f'    op.execute("CREATE TABLE t_{rid} (id INTEGER)")\n\n')
            f.write("def downgrade():\n")
            f.write(f'    op.execute("DROP TABLE t_{rid}")\n')


# The revision id of a line Alembic prints: the word before " (" or ","
# after "-> " (history), or the line's first word (heads, current).
LISTED = re.compile(r"(?:-> )?([A-Za-z0-9_]+)(?: \(|,|$)")


def listed_ids(output):
    ids = []
    for line in output.splitlines():
        line = line.strip()
        if not line:
            continue
        if " -> " in line:
            line = line.split(" -> ", 1)[1]
        match = LISTED.match(line)
        if match:
            ids.append(match.group(1))
    return ids


def run_command(config, words):
    verb, args = words[0], words[1:]
    purge = "--purge" in args
    args = [a for a in args if a != "--purge"]
    if verb == "upgrade":
        command.upgrade(config, args[0])
    elif verb == "downgrade":
        command.downgrade(config, args[0])
    elif verb == "stamp":
        command.stamp(config, args if len(args) > 1 else args[0], purge=purge)
    elif verb == "history":
        rev_range = args[args.index("-r") + 1] if "-r" in args else None
        command.history(config, rev_range=rev_range)
    elif verb == "heads":
        command.heads(config)
    elif verb == "branches":
        command.branches(config)
    elif verb == "current":
        command.current(config)
    else:
        raise SystemExit(f"run_alembic.py: unknown verb {verb!r}")


def by_hand(database, sql):
    connection = sqlite3.connect(database)
    try:
        connection.executescript(sql)
        connection.commit()
    finally:
        connection.close()


def state(database):
    connection = sqlite3.connect(database)
    try:
        tables = sorted(
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
        )
        rows = []
        if "alembic_version" in tables:
            rows = sorted(
                r for (r,) in connection.execute("SELECT version_num FROM alembic_version")
            )
        return rows, [t for t in tables if t.startswith("t_")]
    finally:
        connection.close()


def main():
    scenarios_path, workdir = sys.argv[1], sys.argv[2]
    with open(scenarios_path, "rb") as f:
        spec = tomllib.load(f)
    configs = {}
    for name, graph in spec["graph"].items():
        path = os.path.join(workdir, name)
        write_script_directory(path, graph["revisions"])
        configs[name] = path
    results = []
    for number, scenario in enumerate(spec["scenario"]):
        database = os.path.join(workdir, f"scenario{number}.db")
        if os.path.exists(database):
            os.remove(database)
        config = Config()
        config.set_main_option("script_location", configs[scenario["graph"]])
        config.set_main_option("sqlalchemy.url", f"sqlite:///{database}")
        steps = []
        for line in scenario["steps"]:
            out = io.StringIO()
            config.stdout = out
            error = None
            try:
                if line.startswith("!"):
                    by_hand(database, line[1:])
                else:
                    with contextlib.redirect_stderr(io.StringIO()):
                        run_command(config, shlex.split(line))
                code = 0
            except Exception as e:  # Alembic's CommandError, and its asserts
                code = 1
                error = f"{type(e).__name__}: {e}"
            rows, tables = state(database)
            steps.append(
                {
                    "command": line,
                    "code": code,
                    "rows": rows,
                    "tables": tables,
                    "listed": listed_ids(out.getvalue()),
                    "output": out.getvalue(),
                    "error": error,
                }
            )
        results.append({"name": scenario["name"], "steps": steps})
    json.dump(results, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
