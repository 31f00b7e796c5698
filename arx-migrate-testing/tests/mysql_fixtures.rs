//! The MariaDB/MySQL fixtures against a real server
//! (`ARX_MIGRATE_TEST_MYSQL`): pooled databases are exact copies of the
//! migrated template, one per test; the rollback fixture keeps every
//! write from the shared database, refuses what would commit, and fails a
//! test that escapes its transaction; databases of dead processes are
//! reclaimed.
#![cfg(feature = "mysql")]

use arx_migrate_core::mysql::prelude::Queryable;
use arx_migrate_core::mysql::Conn;
use arx_migrate_core::{FnMigration, MigrationSet, Migrator};
use arx_migrate_testing::{mysql_test_url, reclaim_stale_mysql, MysqlFixture};

/// Tables with a foreign key, a generated column, a CHECK, a trigger
/// that writes a side table, a view, a function and a seeded row: what a
/// copy must reproduce, and what `CREATE TABLE … LIKE` would lose.
fn chain() -> Migrator {
    Migrator::new(
        MigrationSet::new()
            .with(FnMigration::new(
                "f001",
                &[],
                |op| {
                    op.sql("CREATE TABLE owners (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64) NOT NULL UNIQUE, name_length INT AS (CHAR_LENGTH(name)) VIRTUAL, CONSTRAINT name_not_blank CHECK (name <> ''))")?;
                    op.sql("CREATE TABLE pets (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, owner_id INT NOT NULL, CONSTRAINT pets_owner FOREIGN KEY (owner_id) REFERENCES owners (id) ON DELETE CASCADE, KEY pets_owner_idx (owner_id))")
                },
                |op| {
                    op.sql("DROP TABLE pets")?;
                    op.sql("DROP TABLE owners")
                },
            ))
            .with(FnMigration::new(
                "f002",
                &["f001"],
                |op| {
                    op.sql("CREATE TABLE audit (owner_id INT NOT NULL)")?;
                    op.sql("CREATE TRIGGER owners_audit AFTER INSERT ON owners FOR EACH ROW INSERT INTO audit (owner_id) VALUES (NEW.id)")?;
                    op.sql("CREATE VIEW owner_names AS SELECT name FROM owners")?;
                    op.sql("CREATE FUNCTION shout(s VARCHAR(64)) RETURNS VARCHAR(64) DETERMINISTIC RETURN UPPER(s)")?;
                    op.sql("INSERT INTO owners (name) VALUES ('seed')")
                },
                |op| {
                    op.sql("DROP FUNCTION shout")?;
                    op.sql("DROP VIEW owner_names")?;
                    op.sql("DROP TRIGGER owners_audit")?;
                    op.sql("DELETE FROM owners WHERE name = 'seed'")?;
                    op.sql("DROP TABLE audit")
                },
            )),
    )
    .unwrap()
}

fn count(conn: &mut Conn, sql: &str) -> i64 {
    conn.query_first::<i64, _>(sql).unwrap().unwrap()
}

#[test]
fn pooled_databases_are_copies_at_head_one_per_test() {
    let Some(server) = mysql_test_url("pooled_databases_are_copies_at_head_one_per_test") else {
        return;
    };
    let migrator = chain();
    let fixture = MysqlFixture::new(&migrator, &server).pool_size(2);
    let (a, b) = (fixture.database().unwrap(), fixture.database().unwrap());
    assert_ne!(a.name(), b.name());
    assert!(a.is_copy() && b.is_copy(), "copies of this chain are exact");
    let mut conn = a.connect().unwrap();
    assert_eq!(migrator.current(&mut conn).unwrap(), ["f002"]);
    // The seeded row came along, and the trigger did not fire on the copy.
    assert_eq!(count(&mut conn, "SELECT COUNT(*) FROM owners"), 1);
    assert_eq!(count(&mut conn, "SELECT COUNT(*) FROM audit"), 1);
    // The trigger, the generated column, the view and the function work.
    conn.query_drop("INSERT INTO owners (name) VALUES ('ada')")
        .unwrap();
    assert_eq!(count(&mut conn, "SELECT COUNT(*) FROM audit"), 2);
    assert_eq!(
        count(
            &mut conn,
            "SELECT name_length FROM owners WHERE name = 'ada'"
        ),
        3
    );
    assert_eq!(count(&mut conn, "SELECT COUNT(*) FROM owner_names"), 2);
    let shouted: String = conn.query_first("SELECT shout('ada')").unwrap().unwrap();
    assert_eq!(shouted, "ADA");
    // The foreign key and the check were copied.
    assert!(conn
        .query_drop("INSERT INTO pets (owner_id) VALUES (999)")
        .is_err());
    assert!(conn
        .query_drop("INSERT INTO owners (name) VALUES ('')")
        .is_err());
    // The other test's database did not see any of it.
    let mut other = b.connect().unwrap();
    assert_eq!(count(&mut other, "SELECT COUNT(*) FROM owners"), 1);
    // And the copy downgrades like a migrated database.
    migrator.downgrade(&mut other, "base").unwrap();
    assert_eq!(
        count(&mut other, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('owners', 'pets', 'audit', 'owner_names')"),
        0
    );
}

#[test]
fn the_rollback_fixture_keeps_nothing_and_refuses_to_commit() {
    let Some(server) = mysql_test_url("the_rollback_fixture_keeps_nothing_and_refuses_to_commit")
    else {
        return;
    };
    let migrator = chain();
    let fixture = MysqlFixture::new(&migrator, &server).pool_size(1);
    let mut db = fixture.rollback().unwrap();
    let shared = db.database_name().to_string();
    db.with_transaction(|conn| {
        conn.query_drop("INSERT INTO owners (name) VALUES ('ada')")
            .unwrap();
        assert_eq!(count(conn, "SELECT COUNT(*) FROM owners"), 2);
        // Savepoints nest.
        conn.query_drop("SAVEPOINT inner_step").unwrap();
        conn.query_drop("DELETE FROM owners").unwrap();
        conn.query_drop("ROLLBACK TO SAVEPOINT inner_step").unwrap();
        assert_eq!(count(conn, "SELECT COUNT(*) FROM owners"), 2);
        // Whatever would commit is refused by the server (XAER_RMFAIL).
        for commits in [
            "COMMIT",
            "ROLLBACK",
            "START TRANSACTION",
            "CREATE TABLE escape (id INT)",
            "TRUNCATE owners",
            "ALTER TABLE owners ADD COLUMN x INT",
        ] {
            match conn.query_drop(commits) {
                Err(arx_migrate_core::mysql::Error::MySqlError(e)) => {
                    assert_eq!(e.code, 1399, "{commits}: {e}")
                }
                other => panic!("{commits} was not refused: {other:?}"),
            }
        }
        conn.query_drop("SET autocommit = 1").unwrap();
        conn.query_drop("INSERT INTO owners (name) VALUES ('bob')")
            .unwrap();
    })
    .unwrap();
    drop(db);
    // From another session: nothing stayed.
    let mut db = fixture.rollback().unwrap();
    assert_eq!(db.database_name(), shared, "the shared database is kept");
    db.with_transaction(|conn| {
        assert_eq!(count(conn, "SELECT COUNT(*) FROM owners"), 1);
        assert_eq!(count(conn, "SELECT COUNT(*) FROM audit"), 1);
        assert_eq!(
            count(conn, "SELECT @@autocommit"),
            1,
            "the session was reset"
        );
    })
    .unwrap();
    let mut outside =
        Conn::new(arx_migrate_core::backend::mysql::opts_from_url(&server).unwrap()).unwrap();
    assert_eq!(
        count(
            &mut outside,
            &format!("SELECT COUNT(*) FROM `{shared}`.owners")
        ),
        1
    );
}

#[test]
fn a_test_that_ends_its_xa_transaction_fails_and_retires_the_database() {
    let Some(server) =
        mysql_test_url("a_test_that_ends_its_xa_transaction_fails_and_retires_the_database")
    else {
        return;
    };
    let migrator = chain();
    let fixture = MysqlFixture::new(&migrator, &server).at("f001");
    let mut db = fixture.rollback().unwrap();
    let shared = db.database_name().to_string();
    let error = db
        .with_transaction(|conn| {
            conn.query_drop("INSERT INTO owners (name) VALUES ('kept')")
                .unwrap();
            // Code that ends the fixture's XA transaction and commits it:
            // the writes stay, so the fixture must notice.
            end_and_commit(conn);
        })
        .unwrap_err()
        .to_string();
    assert!(error.contains("retired"), "{error}");
    assert!(error.contains("strategy = database"), "{error}");
    drop(db);
    let mut next = fixture.rollback().unwrap();
    assert_ne!(next.database_name(), shared, "a new shared database");
    next.with_transaction(|conn| {
        assert_eq!(
            count(conn, "SELECT COUNT(*) FROM owners WHERE name = 'kept'"),
            0
        );
    })
    .unwrap();
}

/// Ends the session's active XA transaction and commits it. Its id is
/// not published; the fixture's follow `arx-fixture-<pid>-<n>`, so this
/// tries them (`XA END` of another id fails and leaves it active).
fn end_and_commit(conn: &mut Conn) {
    let pid = std::process::id();
    for n in 0..1_000 {
        let id = format!("arx-fixture-{pid}-{n}");
        if conn.query_drop(format!("XA END '{id}'")).is_ok() {
            conn.query_drop(format!("XA COMMIT '{id}' ONE PHASE"))
                .unwrap();
            return;
        }
    }
    panic!("no active XA transaction found");
}

#[test]
fn databases_of_dead_processes_are_reclaimed() {
    let Some(server) = mysql_test_url("databases_of_dead_processes_are_reclaimed") else {
        return;
    };
    let mut admin =
        Conn::new(arx_migrate_core::backend::mysql::opts_from_url(&server).unwrap()).unwrap();
    // A fixture database whose owner lock nobody holds: its process died.
    let orphan = "arx_fx_0123456789ab_7";
    admin
        .query_drop(format!("CREATE DATABASE IF NOT EXISTS `{orphan}`"))
        .unwrap();
    // One whose owner is alive (this session holds its lock) is kept.
    let alive = "arx_fx_ba9876543210_1";
    admin
        .query_drop(format!("CREATE DATABASE IF NOT EXISTS `{alive}`"))
        .unwrap();
    let taken: i64 = admin
        .query_first("SELECT GET_LOCK('arx-fixture-owner:ba9876543210', 0)")
        .unwrap()
        .unwrap();
    assert_eq!(taken, 1);
    assert!(reclaim_stale_mysql(&server).unwrap() >= 1);
    let exists = |admin: &mut Conn, name: &str| {
        count(
            admin,
            &format!(
                "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{name}'"
            ),
        ) == 1
    };
    assert!(!exists(&mut admin, orphan));
    assert!(exists(&mut admin, alive));
    admin
        .query_drop(format!("DROP DATABASE `{alive}`"))
        .unwrap();
}

#[test]
fn a_set_the_copy_cannot_reproduce_is_migrated_per_test() {
    let Some(server) = mysql_test_url("a_set_the_copy_cannot_reproduce_is_migrated_per_test")
    else {
        return;
    };
    // The copy does not reproduce events: each test migrates its own.
    let migrator = Migrator::new(MigrationSet::new().with(FnMigration::new(
        "e001",
        &[],
        |op| {
            op.sql("CREATE TABLE ticks (at DATETIME(6) NOT NULL)")?;
            op.sql("CREATE EVENT tick ON SCHEDULE EVERY 1 DAY DISABLE DO INSERT INTO ticks VALUES (NOW(6))")
        },
        |op| {
            op.sql("DROP EVENT tick")?;
            op.sql("DROP TABLE ticks")
        },
    )))
    .unwrap();
    let db = MysqlFixture::new(&migrator, &server).database().unwrap();
    assert!(!db.is_copy());
    let mut conn = db.connect().unwrap();
    assert_eq!(migrator.current(&mut conn).unwrap(), ["e001"]);
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()"
        ),
        1
    );
}
