//! The history table's size columns, on every backend: what they record
//! for a step that changes one table, for one that changes several, and
//! how an older history table gains them with its rows kept.

mod support;

use arx_migrate_core::{Backend, FnMigration, MigrationSet, Migrator, Ops};
use arx_migrate_testing::{mysql_test_url, MysqlTestDatabase};
use support::*;

/// 001 creates `notes` and an index on it (one table); 002 fills it with
/// rows (one table, grows it); 003 creates two tables (no single table).
fn chain() -> MigrationSet {
    MigrationSet::new()
        .with(FnMigration::new(
            "001",
            &[],
            |op: &mut Ops| {
                // MySQL indexes a TEXT column by a prefix only.
                let body = match op.backend() {
                    Backend::Mysql => "VARCHAR(600)",
                    Backend::Sqlite | Backend::Postgres => "TEXT",
                };
                op.sql(format!(
                    "CREATE TABLE notes (id INTEGER PRIMARY KEY, body {body})"
                ))?;
                op.sql("CREATE INDEX notes_body ON notes (body)")
            },
            |op: &mut Ops| op.sql("DROP TABLE notes"),
        ))
        .with(FnMigration::new(
            "002",
            &["001"],
            |op: &mut Ops| {
                let sql = match op.backend() {
                    Backend::Postgres => {
                        "INSERT INTO notes (id, body) SELECT g, repeat('x', 500) FROM generate_series(1, 2000) AS g"
                    }
                    Backend::Sqlite => {
                        "INSERT INTO notes (id, body) WITH RECURSIVE g(n) AS \
                         (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 2000) \
                         SELECT n, printf('%.500c', 'x') FROM g"
                    }
                    // MariaDB's sequence engine.
                    Backend::Mysql => {
                        "INSERT INTO notes (id, body) SELECT seq, REPEAT('x', 500) FROM seq_1_to_2000"
                    }
                };
                op.sql(sql)
            },
            |op: &mut Ops| op.sql("DELETE FROM notes"),
        ))
        .with(FnMigration::new(
            "003",
            &["002"],
            |op: &mut Ops| {
                op.sql("CREATE TABLE a (id INTEGER PRIMARY KEY)")?;
                op.sql("CREATE TABLE b (id INTEGER PRIMARY KEY)")
            },
            |op: &mut Ops| {
                op.sql("DROP TABLE b")?;
                op.sql("DROP TABLE a")
            },
        ))
}

#[test]
fn each_step_records_the_database_size_and_its_one_table_s_size() {
    for db in backends("each_step_records_the_database_size_and_its_one_table_s_size") {
        let backend = db.backend();
        let migrator = Migrator::new(chain()).unwrap();
        let mut conn = db.connect();
        migrator.upgrade(&mut *conn, "head").unwrap();
        migrator.downgrade(&mut *conn, "001").unwrap();
        let history = migrator.history(&mut *conn).unwrap();
        let [created, filled, two, _, emptied] = history.as_slice() else {
            panic!("{backend}: five steps expected, got {history:#?}");
        };
        for entry in &history {
            let sizes = &entry.sizes;
            assert!(
                sizes.database_before.unwrap() > 0 && sizes.database_after.unwrap() > 0,
                "{backend} {}: {sizes:?}",
                entry.revision
            );
        }
        // 001 created the table: nothing before, its index and table after.
        assert_eq!(created.sizes.table.as_deref(), Some("notes"), "{backend}");
        assert_eq!(created.sizes.table_before, Some(0), "{backend}");
        assert!(created.sizes.table_after.unwrap() > 0, "{backend}");
        // 002 wrote ~1 MB into it: table and database grew by at least that.
        assert_eq!(filled.sizes.table.as_deref(), Some("notes"), "{backend}");
        assert!(
            filled.sizes.table_delta().unwrap() >= 1_000_000,
            "{backend}: {:?}",
            filled.sizes
        );
        assert!(
            filled.sizes.database_delta().unwrap() >= 1_000_000,
            "{backend}: {:?}",
            filled.sizes
        );
        assert_eq!(filled.sizes.table_before, created.sizes.table_after);
        // 003 changed two tables: no single table to record.
        assert_eq!(two.sizes.table, None, "{backend}");
        assert_eq!(two.sizes.table_before, None, "{backend}");
        // The downgrade of 002 emptied it (the pages stay allocated on
        // both backends until VACUUM, so the size does not grow).
        assert_eq!(emptied.revision, "002");
        assert_eq!(emptied.sizes.table.as_deref(), Some("notes"), "{backend}");
        assert!(emptied.sizes.table_delta().unwrap() <= 0, "{backend}");
    }
}

#[test]
fn an_older_history_table_gains_the_size_columns_and_keeps_its_rows() {
    for db in backends("an_older_history_table_gains_the_size_columns_and_keeps_its_rows") {
        let backend = db.backend();
        let mut conn = db.connect();
        // The layout arx-migrate 0.2 created, with a row of it.
        let (id, started_at) = match backend {
            Backend::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT"),
            Backend::Postgres => ("BIGSERIAL PRIMARY KEY", "TIMESTAMPTZ"),
            Backend::Mysql => unreachable!("backends() gives SQLite and PostgreSQL"),
        };
        conn.execute(&format!(
            "CREATE TABLE arx_migrate_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT arx_migrate_version_pkc PRIMARY KEY (version_num));
             CREATE TABLE arx_migrate_history (id {id}, version_table VARCHAR(128) NOT NULL, revision VARCHAR(32) NOT NULL, operation VARCHAR(16) NOT NULL, checksum VARCHAR(64), started_at {started_at} NOT NULL, duration_ms BIGINT, executed_by VARCHAR(255), program VARCHAR(255), outcome VARCHAR(16) NOT NULL, message TEXT);
             INSERT INTO arx_migrate_history (version_table, revision, operation, checksum, started_at, duration_ms, executed_by, program, outcome, message) VALUES ('arx_migrate_version', '000', 'stamp', NULL, '2026-01-01T00:00:00.000Z', 0, 'old@host', 'old', 'ok', NULL);"
        ))
        .unwrap();
        let migrator = Migrator::new(chain()).unwrap();
        // History reads the old layout as it is (sizes unknown).
        let before = migrator.history(&mut *conn).unwrap();
        assert_eq!(before.len(), 1);
        assert!(!before[0].sizes.is_measured());
        // A no-op run does not touch it; a run with a step upgrades it.
        migrator.upgrade(&mut *conn, "001").unwrap();
        let history = migrator.history(&mut *conn).unwrap();
        assert_eq!(history.len(), 2, "{backend}");
        assert_eq!(history[0].executed_by.as_deref(), Some("old@host"));
        assert!(!history[0].sizes.is_measured());
        assert_eq!(history[1].sizes.table.as_deref(), Some("notes"));
        assert!(history[1].sizes.database_after.is_some(), "{backend}");
        // Running again finds the columns there.
        migrator.upgrade(&mut *conn, "head").unwrap();
        assert_eq!(migrator.history(&mut *conn).unwrap().len(), 4, "{backend}");
    }
}

/// On MariaDB the sizes are InnoDB's, read from `information_schema`
/// (pages allocated, refreshed with the table's statistics): each step
/// records them, and the one table a step changed is named with its size.
#[test]
fn mariadb_steps_record_innodb_sizes() {
    let Some(url) = mysql_test_url("mariadb_steps_record_innodb_sizes") else {
        return;
    };
    let db = MysqlTestDatabase::create(&url).unwrap();
    let mut conn = db.connect().unwrap();
    let migrator = Migrator::new(chain()).unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    let history = migrator.history(&mut conn).unwrap();
    let [created, filled, two] = history.as_slice() else {
        panic!("three steps expected, got {history:#?}");
    };
    for entry in &history {
        let sizes = &entry.sizes;
        assert!(
            sizes.database_before.is_some() && sizes.database_after.unwrap() > 0,
            "{}: {sizes:?}",
            entry.revision
        );
    }
    assert_eq!(created.sizes.table.as_deref(), Some("notes"));
    assert_eq!(created.sizes.table_before, Some(0));
    assert!(
        created.sizes.table_after.unwrap() > 0,
        "{:?}",
        created.sizes
    );
    assert_eq!(filled.sizes.table.as_deref(), Some("notes"));
    assert_eq!(two.sizes.table, None);
}
