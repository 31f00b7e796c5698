//! Databases another version table records: the hint when a run from an
//! empty version table fails, and `Migrator::adopt` for databases sqlx or
//! refinery migrated.

mod support;

use std::path::{Path, PathBuf};

use arx_migrate_core::takeover::Tool;
use arx_migrate_core::{Backend, Connection, Error, MigrationSet, Migrator};
use support::{backends, count, m, tables, TestDb};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sql")
        .join(name)
}

fn sqlx_migrator() -> Migrator {
    Migrator::new(MigrationSet::from_sql_dir(fixture("sqlx")).unwrap()).unwrap()
}

fn refinery_migrator() -> Migrator {
    Migrator::new(MigrationSet::from_sql_dir(fixture("refinery")).unwrap()).unwrap()
}

/// Runs a fixture file's SQL as the other tool would have.
fn apply_file(conn: &mut dyn Connection, path: PathBuf) {
    let sql = std::fs::read_to_string(path).unwrap();
    for statement in arx_migrate_sqlfiles::split_statements(&sql).unwrap() {
        conn.execute(&statement).unwrap();
    }
}

/// A database as sqlx leaves it after applying `versions` (successfully
/// unless listed in `failed`).
fn migrated_by_sqlx(db: &TestDb, versions: &[&str], failed: &[&str]) -> Box<dyn Connection> {
    let mut conn = db.connect();
    let (ddl, empty_checksum) = match db.backend() {
        Backend::Sqlite => (
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)",
            "X''",
        ),
        Backend::Postgres => (
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)",
            "'\\x'::bytea",
        ),
        Backend::Mysql => unreachable!("backends() gives no MySQL database"),
    };
    conn.execute(ddl).unwrap();
    let files: Vec<PathBuf> = std::fs::read_dir(fixture("sqlx"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for version in versions.iter().chain(failed) {
        if versions.contains(version) {
            let up = files
                .iter()
                .find(|p| {
                    let name = p.file_name().unwrap().to_string_lossy();
                    name.starts_with(version) && name.ends_with(".up.sql")
                })
                .unwrap();
            apply_file(&mut *conn, up.clone());
        }
        let success = if failed.contains(version) {
            "false"
        } else {
            "true"
        };
        conn.execute(&format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ({version}, 'd', {success}, {empty_checksum}, 1)"
        ))
        .unwrap();
    }
    conn
}

#[test]
fn a_failed_run_names_the_version_table_that_records_the_schema() {
    let migrations = || {
        MigrationSet::new()
            .with(m(
                "001",
                None,
                "CREATE TABLE users (id integer PRIMARY KEY)",
                "DROP TABLE users",
            ))
            .with(m(
                "002",
                Some("001"),
                "CREATE TABLE projects (id integer PRIMARY KEY)",
                "DROP TABLE projects",
            ))
    };
    let alembic = Migrator::new(migrations())
        .unwrap()
        .version_table("alembic_version");
    let default = Migrator::new(migrations()).unwrap();
    for db in backends("a_failed_run_names_the_version_table_that_records_the_schema") {
        let mut conn = db.connect();
        alembic.upgrade(&mut *conn, "head").unwrap();
        let error = default.upgrade(&mut *conn, "head").unwrap_err();
        let failure = error.statement_failure().expect("a statement failure");
        let hint = failure.hint.as_deref().unwrap_or_default();
        assert!(
            hint.contains("version table alembic_version (at 002)"),
            "{error}"
        );
        assert!(
            hint.contains("Migrator::version_table(\"alembic_version\")"),
            "{error}"
        );
        assert!(hint.contains("arx_migrate_version"), "{error}");
        assert!(error.to_string().contains("hint: "), "{error}");
        // Nothing changed, and the right table carries on.
        assert_eq!(alembic.current(&mut *conn).unwrap(), ["002"]);
        assert!(default.current(&mut *conn).unwrap().is_empty());
    }
}

#[test]
fn a_failed_run_on_a_sqlx_database_points_to_adopt() {
    for db in backends("a_failed_run_on_a_sqlx_database_points_to_adopt") {
        let mut conn = migrated_by_sqlx(&db, &["20240101000000"], &[]);
        let error = sqlx_migrator().upgrade(&mut *conn, "head").unwrap_err();
        let hint = error
            .statement_failure()
            .and_then(|f| f.hint.clone())
            .unwrap_or_default();
        assert!(
            hint.contains("migrated by sqlx (_sqlx_migrations, up to version 20240101000000)"),
            "{error}"
        );
        assert!(hint.contains("Migrator::adopt"), "{error}");
    }
}

#[test]
fn a_sqlx_database_is_adopted_and_migrated_on() {
    for db in backends("a_sqlx_database_is_adopted_and_migrated_on") {
        let mut conn = migrated_by_sqlx(&db, &["20240101000000", "20240102000000"], &[]);
        let migrator = sqlx_migrator();
        let adopted = migrator.adopt(&mut *conn).unwrap();
        assert_eq!(adopted.tool, Tool::Sqlx);
        assert_eq!(adopted.table, "_sqlx_migrations");
        assert_eq!(adopted.applied, ["20240101000000", "20240102000000"]);
        assert_eq!(adopted.heads, ["20240102000000"]);
        // Adopting twice is refused: the version table now has a row.
        let again = migrator.adopt(&mut *conn).unwrap_err();
        assert!(
            again.to_string().contains("already holds 20240102000000"),
            "{again}"
        );

        let report = migrator.upgrade(&mut *conn, "head").unwrap();
        let applied: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
        assert_eq!(applied, ["20240103000000"]);
        migrator.downgrade(&mut *conn, "base").unwrap();
        let left = tables(&mut *conn);
        assert!(
            !left.contains("users") && !left.contains("posts"),
            "{left:?}"
        );
        // sqlx's own table is left as it was.
        assert_eq!(
            count(&mut *conn, "SELECT count(*) FROM _sqlx_migrations"),
            2
        );
    }
}

#[test]
fn a_refinery_database_is_adopted() {
    for db in backends("a_refinery_database_is_adopted") {
        let mut conn = db.connect();
        conn.execute("CREATE TABLE refinery_schema_history (version INT4 PRIMARY KEY, name VARCHAR(255), applied_on VARCHAR(255), checksum VARCHAR(255))").unwrap();
        for (version, file) in [(1, "V1__initial.sql"), (2, "V2__add_cars.sql")] {
            apply_file(&mut *conn, fixture("refinery").join(file));
            conn.execute(&format!(
                "INSERT INTO refinery_schema_history VALUES ({version}, 'n', '2024-01-01T00:00:00Z', '1')"
            ))
            .unwrap();
        }
        let migrator = refinery_migrator();
        let adopted = migrator.adopt(&mut *conn).unwrap();
        assert_eq!(adopted.tool, Tool::Refinery);
        assert_eq!(adopted.heads, ["2"]);
        let report = migrator.upgrade(&mut *conn, "head").unwrap();
        assert_eq!(report.steps.len(), 1);
        assert_eq!(migrator.current(&mut *conn).unwrap(), ["3"]);
    }
}

#[test]
fn adoption_refuses_what_it_cannot_stand_for() {
    for db in backends("adoption_refuses_what_it_cannot_stand_for") {
        let migrator = sqlx_migrator();
        // Nothing to adopt.
        let mut conn = db.connect();
        let error = migrator.adopt(&mut *conn).unwrap_err();
        assert!(matches!(error, Error::TakeOver(_)), "{error}");
        assert!(
            error
                .to_string()
                .contains("no _sqlx_migrations or refinery_schema_history"),
            "{error}"
        );
        drop(conn);
    }
    for db in backends("adoption_refuses_what_it_cannot_stand_for_2") {
        // A version recorded as failed.
        let mut conn = migrated_by_sqlx(&db, &["20240101000000"], &["20240102000000"]);
        let error = sqlx_migrator().adopt(&mut *conn).unwrap_err();
        assert!(
            error.to_string().contains("20240102000000 as failed"),
            "{error}"
        );
        assert!(sqlx_migrator().current(&mut *conn).unwrap().is_empty());
    }
    for db in backends("adoption_refuses_what_it_cannot_stand_for_3") {
        // A gap: the second file was never applied.
        let mut conn = migrated_by_sqlx(&db, &["20240101000000"], &[]);
        conn.execute("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) SELECT 20240103000000, description, success, checksum, 1 FROM _sqlx_migrations").unwrap();
        let error = sqlx_migrator().adopt(&mut *conn).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("20240102000000 were applied too"),
            "{error}"
        );
        // A version no revision has.
        let error = refinery_like_versions(&mut *conn);
        assert!(error.contains("99 that no revision"), "{error}");
    }
}

/// Adopting a database whose sqlx table records a version the program
/// does not have.
fn refinery_like_versions(conn: &mut dyn Connection) -> String {
    conn.execute("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) SELECT 99, description, success, checksum, 1 FROM _sqlx_migrations WHERE version = 20240101000000").unwrap();
    sqlx_migrator().adopt(conn).unwrap_err().to_string()
}
