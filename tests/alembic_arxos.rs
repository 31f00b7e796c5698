//! A team moving from Alembic: real Alembic builds the Arxos schema from the
//! revisions an Alembic user would write (`tests/alembic/arxos/`: plain
//! `op.create_table` with `sa.Integer` primary keys, so SERIAL on
//! PostgreSQL and upper-case type names on SQLite; partial indexes with
//! `postgresql_where` / `sqlite_where`; no R*Tree on SQLite), arx-migrate
//! takes the database over as it is (the Arxos migrations keep their
//! versions in Alembic's own `alembic_version`), and `check` compares it
//! with what the Arxos migrations produce.
//!
//! What the schema spec allows either way is an `equivalent` line, not
//! drift; `--strict` makes it drift. On SQLite what is left is the R*Tree
//! spatial indexes (virtual table, map, shadow tables, triggers) that the
//! Alembic build does not make, each named.
//!
//! Needs the Python of `tests/alembic/requirements.txt` (with psycopg2 for
//! PostgreSQL); without it the test says it was skipped, except under `CI`.

#[path = "support/alembic_python.rs"]
mod alembic_python;

use std::collections::BTreeSet;
use std::process::Command;

use alembic_python::{folder, python};
use arx_migrate::cli::{execute, CliConfig};
use arx_migrate::testing::{postgres_test_url, PgTestDatabase};
use serde_json::Value;

/// The BIM object tables, each with a spatial index `idx_<table>_geom`
/// (an R*Tree on SQLite) and the two partial indexes `idx_<table>_active`
/// and `idx_<table>_locked`.
const BIM_TABLES: [&str; 7] = [
    "rooms", "walls", "doors", "windows", "devices", "labels", "zones",
];

/// The tables whose `id` is `serial pk`.
const SERIAL_TABLES: [&str; 13] = [
    "users",
    "projects",
    "buildings",
    "floors",
    "drawings",
    "comments",
    "assignments",
    "object_history",
    "categories",
    "user_category_permissions",
    "audit_logs",
    "chat_messages",
    "catalog_items",
];

/// The Python to run Alembic with, or `None` (skipped) outside CI.
fn alembic_python(test: &str, modules: &[&str]) -> Option<String> {
    match python(modules) {
        Ok(python) => Some(python),
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!("{test}: {why}; CI requires it: pip install -r tests/alembic/requirements.txt")
        }
        Err(why) => {
            eprintln!(
                "skipped {test}: {why} (pip install -r tests/alembic/requirements.txt to run it)"
            );
            None
        }
    }
}

/// `alembic upgrade head` of the Arxos revisions on the database at the
/// SQLAlchemy URL `url`.
fn alembic_upgrade_head(python: &str, url: &str) {
    let output = Command::new(python)
        .arg(folder().join("arxos/upgrade.py"))
        .arg(url)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "alembic upgrade head failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs the Arxos command line in process: exit code and stdout.
fn arx(url: &str, args: &[&str]) -> (u8, String) {
    let config = CliConfig::default()
        .program_name("arx-migrate")
        .migrations(arx_schema::migrations())
        .version_table(arx_schema::VERSION_TABLE);
    let mut argv = vec!["arx-migrate", "--url", url];
    argv.extend(args);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = execute(argv, &config, &mut stdout, &mut stderr);
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    assert!(
        code == 0 || code == 1,
        "{args:?} exited {code}: {stdout}{}",
        String::from_utf8_lossy(&stderr)
    );
    (code, stdout)
}

/// `check --format json [extra]`: exit code and the report.
fn check_json(url: &str, extra: &[&str]) -> (u8, Value) {
    let mut args = vec!["--format", "json", "check"];
    args.extend(extra);
    let (code, stdout) = arx(url, &args);
    (code, serde_json::from_str(&stdout).unwrap())
}

/// The arx side takes the Alembic database over as it is: it reads the
/// revision Alembic recorded.
fn assert_taken_over_at_head(url: &str) {
    let (code, stdout) = arx(url, &["--format", "json", "current"]);
    assert_eq!(code, 0, "{stdout}");
    let current: Value = serde_json::from_str(&stdout).unwrap();
    let revisions: Vec<&str> = current["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_str().unwrap())
        .collect();
    assert_eq!(revisions, [arx_schema::HEAD], "{stdout}");
}

/// (kind or rule, table, object) of each entry of a report's list.
fn entries(report: &Value, list: &str, kind: &str) -> BTreeSet<(String, String, String)> {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d[kind].as_str().unwrap().to_string(),
                d["table"].as_str().unwrap().to_string(),
                d["object"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn entry(kind: &str, table: &str, object: &str) -> (String, String, String) {
    (kind.to_string(), table.to_string(), object.to_string())
}

#[test]
fn sqlite_alembic_build_checks_clean_apart_from_the_rtree_objects() {
    let Some(python) = alembic_python("alembic_arxos_sqlite", &[]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("arxos.db");
    alembic_upgrade_head(&python, &format!("sqlite:///{}", path.display()));
    let url = format!("sqlite://{}", path.display());
    assert_taken_over_at_head(&url);

    let (code, report) = check_json(&url, &[]);
    // What the Alembic build lacks: each BIM table's R*Tree (a virtual
    // table, and a table too as SQLite lists it), its map, the R*Tree's
    // shadow tables and the three triggers that keep it.
    let rtree: BTreeSet<_> = BIM_TABLES
        .iter()
        .flat_map(|table| {
            let index = format!("idx_{table}_geom");
            let mut missing = vec![
                entry("missing-virtual-table", &index, ""),
                entry("missing-table", &index, ""),
            ];
            for suffix in ["map", "node", "parent", "rowid"] {
                missing.push(entry("missing-table", &format!("{index}_{suffix}"), ""));
            }
            for event in ["insert", "update", "delete"] {
                missing.push(entry("missing-trigger", table, &format!("{index}_{event}")));
            }
            missing
        })
        .collect();
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(entries(&report, "differences", "kind"), rtree);

    let equivalent = entries(&report, "equivalences", "rule");
    let predicates: BTreeSet<_> = BIM_TABLES
        .iter()
        .flat_map(|table| {
            ["active", "locked"]
                .map(|suffix| entry("index-predicate", table, &format!("idx_{table}_{suffix}")))
        })
        .collect();
    let found_predicates: BTreeSet<_> = equivalent
        .iter()
        .filter(|(rule, ..)| rule == "index-predicate")
        .cloned()
        .collect();
    assert_eq!(found_predicates, predicates);
    for expected in [
        entry("type-case", "assignments", "assigned_at"),
        entry("type-case", "users", "email"),
        entry("type-case", "catalog_items", "approved"),
    ] {
        assert!(equivalent.contains(&expected), "{expected:?}: {report:#}");
    }
    assert!(
        equivalent
            .iter()
            .all(|(rule, ..)| rule == "type-case" || rule == "index-predicate"),
        "{report:#}"
    );
    for e in report["equivalences"].as_array().unwrap() {
        if e["rule"] == "type-case" {
            let (expected, found) = (e["expected"].as_str(), e["actual"].as_str());
            assert_eq!(
                expected.map(str::to_ascii_lowercase),
                found.map(str::to_ascii_lowercase),
                "{e}"
            );
        }
    }

    // Text: the equivalences are info lines, the R*Tree objects drift.
    let (code, text) = arx(&url, &["check"]);
    assert_eq!(code, 1);
    assert!(
        text.contains(
            "equivalent (type-case): users.email (expected varchar(255), found VARCHAR(255))"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "equivalent (index-predicate): rooms.idx_rooms_active (expected \"status\" = 'active', found status = 'active')"
        ),
        "{text}"
    );
    assert!(
        text.contains("missing-virtual-table: idx_rooms_geom"),
        "{text}"
    );

    // Strict: every equivalence is drift again, as the kind it was.
    let (code, strict) = check_json(&url, &["--strict"]);
    assert_eq!(code, 1);
    assert_eq!(strict["strict"], true);
    assert!(strict["equivalences"].as_array().unwrap().is_empty());
    let strict_differences = entries(&strict, "differences", "kind");
    let as_drift: BTreeSet<_> = equivalent
        .iter()
        .map(|(rule, table, object)| {
            let kind = if rule == "type-case" {
                "column-type"
            } else {
                "index-predicate"
            };
            entry(kind, table, object)
        })
        .chain(rtree.iter().cloned())
        .collect();
    assert_eq!(strict_differences, as_drift);
}

#[test]
fn postgres_alembic_build_checks_clean_with_serial_as_identity() {
    let Some(server) = postgres_test_url("alembic_arxos_postgres") else {
        return;
    };
    let Some(python) = alembic_python("alembic_arxos_postgres", &["psycopg2"]) else {
        return;
    };
    let db = PgTestDatabase::create(&server).unwrap();
    let url = db.url().to_string();
    // SQLAlchemy names the scheme `postgresql`.
    let sqlalchemy_url = match url.strip_prefix("postgres://") {
        Some(rest) => format!("postgresql://{rest}"),
        None => url.clone(),
    };
    alembic_upgrade_head(&python, &sqlalchemy_url);
    assert_taken_over_at_head(&url);

    let (code, report) = check_json(&url, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["clean"], true);
    let serial: BTreeSet<_> = SERIAL_TABLES
        .iter()
        .map(|table| entry("serial-identity", table, "id"))
        .collect();
    assert_eq!(entries(&report, "equivalences", "rule"), serial);

    let (code, text) = arx(&url, &["check"]);
    assert_eq!(code, 0);
    assert!(
        text.contains(
            "equivalent (serial-identity): users.id (expected integer GENERATED BY DEFAULT AS IDENTITY, found integer DEFAULT nextval('users_id_seq') OWNED BY the column (serial))"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "the schema matches the migrations at 006 (13 equivalent spelling(s), not drift)"
        ),
        "{text}"
    );
    let (_, markdown) = arx(&url, &["--format", "markdown", "check"]);
    assert!(
        markdown.contains("| serial-identity | users | id |"),
        "{markdown}"
    );

    // Strict: each serial column is a default, an identity and an extra
    // sequence of difference.
    let (code, strict) = check_json(&url, &["--strict"]);
    assert_eq!(code, 1);
    let as_drift: BTreeSet<_> = SERIAL_TABLES
        .iter()
        .flat_map(|table| {
            [
                entry("default", table, "id"),
                entry("identity", table, "id"),
                entry("extra-sequence", &format!("{table}_id_seq"), ""),
            ]
        })
        .collect();
    assert_eq!(entries(&strict, "differences", "kind"), as_drift);

    // A serial column whose sequence is not its own is drift: the default
    // of `users.id` moved to a sequence nobody owns.
    db.connect()
        .unwrap()
        .batch_execute(
            "CREATE SEQUENCE loose_seq; \
             ALTER TABLE users ALTER COLUMN id SET DEFAULT nextval('loose_seq')",
        )
        .unwrap();
    let (code, report) = check_json(&url, &[]);
    assert_eq!(code, 1);
    let differences = entries(&report, "differences", "kind");
    for expected in [
        entry("default", "users", "id"),
        entry("identity", "users", "id"),
        entry("extra-sequence", "users_id_seq", ""),
        entry("extra-sequence", "loose_seq", ""),
    ] {
        assert!(differences.contains(&expected), "{expected:?}: {report:#}");
    }
    assert!(!entries(&report, "equivalences", "rule").contains(&entry(
        "serial-identity",
        "users",
        "id"
    )));
}
