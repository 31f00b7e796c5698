//! The rollback fixture: a transaction on a database at the target, never
//! committed, rolled back when the test ends.

#[path = "../../arx-migrate-core/tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use arx_migrate_core::{Connection, Migrator};
use arx_migrate_testing::{self as testing, postgres_test_url, PgFixture};
use postgres::Transaction;
use support::*;

fn migrator() -> Migrator {
    Migrator::new(branchy_chain()).unwrap()
}

fn rows(tx: &mut Transaction<'_>, sql: &str) -> i64 {
    tx.query_one(sql, &[]).unwrap().get(0)
}

fn user_tables(tx: &mut Transaction<'_>) -> std::collections::BTreeSet<String> {
    tx.query(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
         AND tablename NOT LIKE 'arx\\_migrate\\_%'",
        &[],
    )
    .unwrap()
    .into_iter()
    .map(|row| row.get(0))
    .collect()
}

#[test]
fn a_rollback_test_sees_the_target_and_leaves_nothing_behind() {
    let Some(server) =
        postgres_test_url("a_rollback_test_sees_the_target_and_leaves_nothing_behind")
    else {
        return;
    };
    let migrator = migrator();
    let fixture = PgFixture::new(&migrator, &server);
    let mut db = fixture.rollback().unwrap();
    let url = db.url().to_string();
    let mut tx = db.transaction().unwrap();
    assert_eq!(
        user_tables(&mut tx),
        names(&["001", "002", "003a", "003b", "004", "005"])
    );
    let version: String = tx
        .query_one("SELECT version_num FROM arx_migrate_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, "005");
    tx.batch_execute("INSERT INTO t001 (id, note) VALUES (1, 'kept until the end')")
        .unwrap();
    {
        // A nested transaction is a savepoint: rolled back on its own.
        let mut nested = tx.transaction().unwrap();
        nested.batch_execute("DELETE FROM t001").unwrap();
        assert_eq!(rows(&mut nested, "SELECT count(*) FROM t001"), 0);
    }
    assert_eq!(rows(&mut tx, "SELECT count(*) FROM t001"), 1);
    // A nested transaction that commits releases its savepoint only.
    let mut nested = tx.transaction().unwrap();
    nested
        .batch_execute("INSERT INTO t002 (id) VALUES (7)")
        .unwrap();
    nested.commit().unwrap();
    assert_eq!(rows(&mut tx, "SELECT count(*) FROM t002"), 1);

    // Other sessions see the database as migrated, without the test's rows.
    let mut other = testing::connect(&url).unwrap();
    assert_eq!(count(&mut other, "SELECT count(*) FROM t001"), 0);
    drop(tx);
    drop(db);

    let mut again = fixture.rollback().unwrap();
    let mut tx = again.transaction().unwrap();
    assert_eq!(rows(&mut tx, "SELECT count(*) FROM t001"), 0);
    assert_eq!(rows(&mut tx, "SELECT count(*) FROM t002"), 0);

    let mut at_002 = fixture.clone().at("002").rollback().unwrap();
    let mut tx = at_002.transaction().unwrap();
    assert_eq!(user_tables(&mut tx), names(&["001", "002"]));
}

#[test]
fn a_rollback_test_cannot_commit() {
    let Some(server) = postgres_test_url("a_rollback_test_cannot_commit") else {
        return;
    };
    let migrator = migrator();
    let fixture = PgFixture::new(&migrator, &server);
    let mut db = fixture.rollback().unwrap();
    let mut tx = db.transaction().unwrap();
    tx.batch_execute("INSERT INTO t003a (id, note) VALUES (1, 'must not stay')")
        .unwrap();
    let refused = tx.commit().unwrap_err();
    let message = refused
        .as_db_error()
        .map(|e| e.message().to_string())
        .unwrap();
    assert!(
        message.contains("rollback test fixture"),
        "the commit is refused with a reason: {message}"
    );
    // The same through SQL, in a fresh transaction of the same session.
    let mut tx = db.transaction().unwrap();
    tx.batch_execute("INSERT INTO t003a (id, note) VALUES (2, 'nor this')")
        .unwrap();
    assert!(tx.batch_execute("COMMIT").is_err());
    drop(tx);
    drop(db);
    let mut other = testing::connect(&testing::with_database(
        &server,
        &fixture.rollback_database_name(),
    ))
    .unwrap();
    assert_eq!(count(&mut other, "SELECT count(*) FROM t003a"), 0);
}

#[test]
fn sessions_are_reset_before_the_next_test() {
    let Some(server) = postgres_test_url("sessions_are_reset_before_the_next_test") else {
        return;
    };
    let migrator = migrator();
    let fixture = PgFixture::new(&migrator, &server);
    let key: i64 = 0x0a7c_f1c5 + i64::from(std::process::id());
    let mut db = fixture.rollback().unwrap();
    let mut tx = db.transaction().unwrap();
    // Session-level state that a rollback does not undo.
    tx.execute("SELECT pg_advisory_lock($1)", &[&key]).unwrap();
    tx.batch_execute("LISTEN arx_fixture_test").unwrap();
    drop(tx);
    let mut observer = testing::connect(&server).unwrap();
    let held = |observer: &mut postgres::Client| -> i64 {
        observer
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
                 AND ((classid::bigint << 32) | objid::bigint) = $1",
                &[&key],
            )
            .unwrap()
            .get(0)
    };
    assert_eq!(held(&mut observer), 1);
    drop(db);
    assert_eq!(held(&mut observer), 0, "the advisory lock is released");
}

#[test]
fn parallel_rollback_tests_writing_the_same_key_wait_for_each_other() {
    let Some(server) =
        postgres_test_url("parallel_rollback_tests_writing_the_same_key_wait_for_each_other")
    else {
        return;
    };
    let migrator = Arc::new(migrator());
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (migrator, server) = (Arc::clone(&migrator), server.clone());
            std::thread::spawn(move || {
                for _ in 0..3 {
                    let mut db = PgFixture::new(&migrator, &server).rollback().unwrap();
                    let mut tx = db.transaction().unwrap();
                    // The same primary key in every test: each waits for
                    // the one holding it to roll back, then succeeds.
                    tx.batch_execute("INSERT INTO t004 (id, note) VALUES (1, 'same key')")
                        .unwrap();
                    assert_eq!(rows(&mut tx, "SELECT count(*) FROM t004"), 1);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let name = PgFixture::new(&migrator, &server).rollback_database_name();
    let mut other = testing::connect(&testing::with_database(&server, &name)).unwrap();
    assert_eq!(
        Connection::query(&mut other, "SELECT count(*) FROM t004").unwrap()[0][0].as_deref(),
        Some("0")
    );
}

/// How many rows of `t005` the shared rollback database holds with `note`,
/// seen from a session of its own.
fn committed_notes(server: &str, fixture: &PgFixture<'_>, note: &str) -> i64 {
    let url = testing::with_database(server, &fixture.rollback_database_name());
    testing::connect(&url)
        .unwrap()
        .query_one("SELECT count(*) FROM t005 WHERE note = $1", &[&note])
        .unwrap()
        .get(0)
}

fn read_only_refusal(error: &postgres::Error) -> String {
    let message = error
        .as_db_error()
        .map(|e| e.message().to_string())
        .unwrap_or_else(|| error.to_string());
    assert!(
        message.contains("read-only transaction"),
        "the write is refused as outside the test's transaction: {message}"
    );
    message
}

#[test]
fn writes_after_the_test_transaction_ended_fail_and_leave_nothing() {
    let Some(server) =
        postgres_test_url("writes_after_the_test_transaction_ended_fail_and_leave_nothing")
    else {
        return;
    };
    let migrator = migrator();
    let fixture = PgFixture::new(&migrator, &server);
    let note = format!("leaked by process {}", std::process::id());
    let insert = format!("INSERT INTO t005 (id, note) VALUES (1, '{note}')");
    // Each way SQL can end the test's transaction, then a write: in
    // autocommit, in a new transaction, after settings are reset.
    for ending in [
        "COMMIT",
        "END",
        "ROLLBACK",
        "ABORT",
        "COMMIT; BEGIN",
        "ROLLBACK; RESET ALL",
    ] {
        let mut db = fixture.rollback().unwrap();
        let mut tx = db.transaction().unwrap();
        // A refused commit is an error, a rollback is not.
        let _ = tx.batch_execute(ending);
        let refused = tx.batch_execute(&insert).unwrap_err();
        read_only_refusal(&refused);
        let _ = tx.batch_execute("COMMIT");
        drop(tx);
        drop(db);
        assert_eq!(
            committed_notes(&server, &fixture, &note),
            0,
            "after {ending}, nothing reached the shared database"
        );
    }
    // Sessions opened on the shared database by other means are read-only
    // too.
    let url = testing::with_database(&server, &fixture.rollback_database_name());
    let refused = testing::connect(&url)
        .unwrap()
        .batch_execute(&insert)
        .unwrap_err();
    read_only_refusal(&refused);
}

#[test]
fn a_test_that_ends_its_transaction_fails_and_one_that_fails_a_statement_does_not() {
    let Some(server) = postgres_test_url(
        "a_test_that_ends_its_transaction_fails_and_one_that_fails_a_statement_does_not",
    ) else {
        return;
    };
    let migrator = migrator();
    let fixture = PgFixture::new(&migrator, &server);
    let note = format!("ended early by process {}", std::process::id());
    let mut db = fixture.rollback().unwrap();
    let error = db
        .with_transaction(|tx| {
            assert!(tx.batch_execute("COMMIT").is_err());
            let insert = format!("INSERT INTO t005 (id, note) VALUES (2, '{note}')");
            read_only_refusal(&tx.batch_execute(&insert).unwrap_err());
        })
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the test ended its transaction")
            && error.contains("strategy = schema")
            && !error.contains("dropped"),
        "the test fails, saying why, and the database is kept: {error}"
    );
    drop(db);
    assert_eq!(committed_notes(&server, &fixture, &note), 0);

    // A statement that fails leaves the test's own transaction aborted,
    // not ended: the test decides.
    let mut db = fixture.rollback().unwrap();
    let returned = db
        .with_transaction(|tx| tx.batch_execute("SELECT 1/0").is_err())
        .unwrap();
    assert!(returned);
}

#[test]
fn what_a_test_commits_by_a_transaction_of_its_own_is_dropped_with_the_database() {
    let Some(server) = postgres_test_url(
        "what_a_test_commits_by_a_transaction_of_its_own_is_dropped_with_the_database",
    ) else {
        return;
    };
    let migrator = migrator();
    // A target no other test of this binary uses: its database is dropped.
    let fixture = PgFixture::new(&migrator, &server).at("004");
    let name = fixture.rollback_database_name();
    let url = testing::with_database(&server, &name);
    let leaked = |what: &str| -> i64 {
        testing::connect(&url)
            .unwrap()
            .query_one("SELECT count(*) FROM t004 WHERE note = $1", &[&what])
            .unwrap()
            .get(0)
    };
    // ROLLBACK AND CHAIN keeps the test's read-write mode: the one way
    // past the read-only default without changing a setting.
    for (sql, change) in [
        (
            "ROLLBACK AND CHAIN; INSERT INTO t004 (id, note) VALUES (3, 'chained'); COMMIT",
            "rows of t004 were written",
        ),
        (
            "ROLLBACK AND CHAIN; DELETE FROM arx_migrate_version; COMMIT",
            "rows of arx_migrate_version were written",
        ),
        (
            "ROLLBACK AND CHAIN; CREATE TABLE chained (id int); COMMIT",
            "table chained was created",
        ),
    ] {
        let mut db = fixture.rollback().unwrap();
        let error = db
            .with_transaction(|tx| tx.batch_execute(sql).unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(change) && error.contains(&format!("the database {name} was dropped")),
            "{sql}: the error says what changed and that the database is gone: {error}"
        );
        drop(db);
        let mut again = fixture.rollback().unwrap();
        let mut tx = again.transaction().unwrap();
        let version: i64 = tx
            .query_one("SELECT count(*) FROM arx_migrate_version", &[])
            .unwrap()
            .get(0);
        assert_eq!(version, 1, "{sql}: rebuilt at the target");
        assert!(tx.batch_execute("SELECT 1 FROM chained").is_err());
        drop(tx);
        drop(again);
        assert_eq!(leaked("chained"), 0, "{sql}: nothing is left");
    }
}
