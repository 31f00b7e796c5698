//! Alembic and arx-migrate on one MariaDB database, in both directions:
//! real Alembic (through PyMySQL) and arx-migrate run the same three
//! revisions (`tests/alembic/mariadb/`: items, tags, an index) and take
//! over from each other at any revision, through Alembic's own
//! `alembic_version`, whose layout arx-migrate creates the same way.
//!
//! Needs `ARX_MIGRATE_TEST_MYSQL` and the Python of
//! `tests/alembic/requirements.txt` (with PyMySQL); without either the
//! test says it was skipped, except under `CI`, where that is a failure.

#[path = "support/alembic_python.rs"]
mod alembic_python;

use std::process::Command;

use alembic_python::{folder, python};
use arx_migrate::mysql::prelude::Queryable;
use arx_migrate::mysql::Conn;
use arx_migrate::testing::{mysql_test_url, MysqlTestDatabase};
use arx_migrate::{FnMigration, MigrationSet, Migrator, Ops};

/// The chain of `tests/alembic/mariadb/versions`, as arx-migrate
/// migrations keeping their versions in `alembic_version`.
fn migrator() -> Migrator {
    let set = MigrationSet::new()
        .with(
            FnMigration::new(
                "001",
                &[],
                |op: &mut Ops| {
                    op.sql("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL)")
                },
                |op: &mut Ops| op.sql("DROP TABLE items"),
            )
            .message("create items"),
        )
        .with(
            FnMigration::new(
                "002",
                &["001"],
                |op: &mut Ops| op.sql("CREATE TABLE tags (id INT PRIMARY KEY, tag VARCHAR(40))"),
                |op: &mut Ops| op.sql("DROP TABLE tags"),
            )
            .message("create tags"),
        )
        .with(
            FnMigration::new(
                "003",
                &["002"],
                |op: &mut Ops| op.sql("CREATE INDEX items_by_name ON items (name)"),
                |op: &mut Ops| op.sql("DROP INDEX items_by_name ON items"),
            )
            .message("index items by name"),
        );
    Migrator::new(set).unwrap().version_table("alembic_version")
}

/// The Python with the pinned Alembic and PyMySQL, or `None` (skipped)
/// outside CI.
fn alembic_python(test: &str) -> Option<String> {
    match python(&["pymysql"]) {
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

/// SQLAlchemy's URL of the database: the same, with the PyMySQL driver.
fn sqlalchemy_url(url: &str) -> String {
    let rest = url
        .strip_prefix("mysql://")
        .or_else(|| url.strip_prefix("mariadb://"))
        .unwrap();
    format!("mysql+pymysql://{rest}")
}

/// Runs `run.py URL ARGS…` and returns what it printed, one line each.
fn alembic(python: &str, db: &MysqlTestDatabase, args: &[&str]) -> Vec<String> {
    let output = Command::new(python)
        .arg(folder().join("mariadb/run.py"))
        .arg(sqlalchemy_url(db.url()))
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "alembic {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The user tables and indexes of the database: what either tool built.
fn schema(conn: &mut Conn) -> Vec<String> {
    conn.query(
        "SELECT CONCAT(TABLE_NAME, '.', INDEX_NAME, '.', COLUMN_NAME) FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('items', 'tags') ORDER BY 1",
    )
    .unwrap()
}

/// `alembic_version`'s layout: column, type, nullability, key.
fn version_table_layout(conn: &mut Conn) -> Vec<(String, String, String, String)> {
    conn.query(
        "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'alembic_version' ORDER BY ORDINAL_POSITION",
    )
    .unwrap()
}

#[test]
fn arx_migrate_takes_over_from_alembic_and_alembic_from_arx_migrate() {
    const TEST: &str = "arx_migrate_takes_over_from_alembic_and_alembic_from_arx_migrate";
    let Some(server) = mysql_test_url(TEST) else {
        return;
    };
    let Some(python) = alembic_python(TEST) else {
        return;
    };
    let migrator = migrator();

    // Alembic builds 001 and 002; arx-migrate reads where it stands and
    // applies only 003.
    let by_alembic = MysqlTestDatabase::create(&server).unwrap();
    alembic(&python, &by_alembic, &["upgrade", "002"]);
    let mut conn = by_alembic.connect().unwrap();
    let alembic_layout = version_table_layout(&mut conn);
    assert_eq!(migrator.current(&mut conn).unwrap(), ["002"]);
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!(status.pending, ["003"]);
    let report = migrator.upgrade(&mut conn, "head").unwrap();
    assert_eq!(report.steps.len(), 1);
    assert!(migrator.status(&mut conn).unwrap().is_ready());
    // Alembic reads arx-migrate's head, and goes down from it.
    assert_eq!(alembic(&python, &by_alembic, &["current"]), ["003"]);
    alembic(&python, &by_alembic, &["downgrade", "001"]);
    assert_eq!(migrator.current(&mut conn).unwrap(), ["001"]);
    assert_eq!(schema(&mut conn), ["items.PRIMARY.id"]);
    // And arx-migrate goes up again from Alembic's 001.
    migrator.upgrade(&mut conn, "head").unwrap();
    let built_in_turns = schema(&mut conn);

    // arx-migrate builds everything; Alembic reads and goes down to base.
    let by_arx = MysqlTestDatabase::create(&server).unwrap();
    let mut conn = by_arx.connect().unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    // The version table arx-migrate creates is Alembic's.
    assert_eq!(version_table_layout(&mut conn), alembic_layout);
    assert_eq!(
        alembic_layout,
        [(
            "version_num".to_string(),
            "varchar(32)".to_string(),
            "NO".to_string(),
            "PRI".to_string()
        )]
    );
    assert_eq!(
        schema(&mut conn),
        built_in_turns,
        "the same schema either way"
    );
    assert_eq!(alembic(&python, &by_arx, &["current"]), ["003"]);
    alembic(&python, &by_arx, &["downgrade", "base"]);
    assert!(migrator.current(&mut conn).unwrap().is_empty());
    assert!(schema(&mut conn).is_empty());
    // Alembic up to head from there; arx-migrate agrees it is at head.
    alembic(&python, &by_arx, &["upgrade", "head"]);
    assert!(migrator.status(&mut conn).unwrap().is_ready());
    assert_eq!(schema(&mut conn), built_in_turns);

    // A stamp by Alembic is a stamp for arx-migrate, and the reverse.
    alembic(&python, &by_arx, &["stamp", "001"]);
    assert_eq!(migrator.current(&mut conn).unwrap(), ["001"]);
    migrator.stamp(&mut conn, "003").unwrap();
    assert_eq!(alembic(&python, &by_arx, &["current"]), ["003"]);
}
