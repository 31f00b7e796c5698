//! The MariaDB/MySQL backend against a real server (`ARX_MIGRATE_TEST_MYSQL`):
//! the bookkeeping, upgrade and downgrade, status and history, the run
//! lock and who holds it, a run killed with its lock, and the session
//! settings of a run.

mod support;

use std::time::Duration;

use arx_migrate_core::backend::mysql::lock_name;
use arx_migrate_core::lock::lock_key;
use arx_migrate_core::mysql::prelude::Queryable;
use arx_migrate_core::{
    Backend, Connection, DbErrorKind, Error, FnMigration, HistoryOperation, HistoryOutcome,
    MigrationSet, Migrator, Ops,
};
use arx_migrate_testing::{mysql_test_url, MysqlTestDatabase};
use support::*;

fn database(test: &str) -> Option<MysqlTestDatabase> {
    mysql_test_url(test).map(|url| MysqlTestDatabase::create(&url).unwrap())
}

/// 001 → 002 → 003, one table each (one DDL statement per revision).
fn chain() -> MigrationSet {
    let table = |id: &'static str, parents: &'static [&'static str]| {
        FnMigration::new(
            id,
            parents,
            move |op: &mut Ops| {
                op.sql(format!(
                    "CREATE TABLE t{id} (id INT NOT NULL PRIMARY KEY, note LONGTEXT)"
                ))
            },
            move |op: &mut Ops| op.sql(format!("DROP TABLE t{id}")),
        )
        .message(format!("create t{id}"))
    };
    MigrationSet::new()
        .with(table("001", &[]))
        .with(table("002", &["001"]))
        .with(table("003", &["002"]))
}

#[test]
fn upgrade_downgrade_status_and_history() {
    let Some(db) = database("upgrade_downgrade_status_and_history") else {
        return;
    };
    let migrator = Migrator::new(chain()).unwrap();
    let mut conn = db.connect().unwrap();
    assert_eq!(Connection::backend(&conn), Backend::Mysql);
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!(status.pending, ["001", "002", "003"]);
    assert!(!status.at_head);

    let report = migrator.upgrade(&mut conn, "head").unwrap();
    assert_eq!(report.steps.len(), 3);
    assert_eq!(migrator.current(&mut conn).unwrap(), ["003"]);
    assert_eq!(tables(&mut conn), names(&["001", "002", "003"]));
    assert!(migrator.status(&mut conn).unwrap().is_ready());
    // Running again at head changes nothing.
    assert!(migrator
        .upgrade(&mut conn, "head")
        .unwrap()
        .steps
        .is_empty());

    migrator.downgrade(&mut conn, "001").unwrap();
    assert_eq!(migrator.current(&mut conn).unwrap(), ["001"]);
    assert_eq!(tables(&mut conn), names(&["001"]));
    migrator.downgrade(&mut conn, "base").unwrap();
    assert!(migrator.current(&mut conn).unwrap().is_empty());
    assert!(tables(&mut conn).is_empty());

    let history = migrator.history(&mut conn).unwrap();
    let steps: Vec<(String, HistoryOperation)> = history
        .iter()
        .map(|entry| (entry.revision.clone(), entry.operation))
        .collect();
    use HistoryOperation::{Downgrade, Upgrade};
    assert_eq!(
        steps,
        [
            ("001".into(), Upgrade),
            ("002".into(), Upgrade),
            ("003".into(), Upgrade),
            ("003".into(), Downgrade),
            ("002".into(), Downgrade),
            ("001".into(), Downgrade),
        ]
    );
    for entry in &history {
        assert_eq!(entry.outcome, HistoryOutcome::Ok);
        // RFC 3339, UTC, milliseconds: as on the other backends.
        assert_eq!(entry.started_at.len(), 24, "{}", entry.started_at);
        assert!(entry.started_at.ends_with('Z'), "{}", entry.started_at);
        assert!(entry.duration_ms.is_some());
    }
    // Alembic's version table layout.
    let columns: Vec<(String, String, String)> = Queryable::query(
        &mut conn,
        format!(
            "SELECT column_name, column_type, is_nullable FROM information_schema.columns \
             WHERE table_schema = '{}' AND table_name = 'arx_migrate_version'",
            db.name()
        ),
    )
    .unwrap();
    assert_eq!(
        columns,
        [("version_num".into(), "varchar(32)".into(), "NO".into())]
    );
}

#[test]
fn a_failing_statement_is_named_and_recorded() {
    let Some(db) = database("a_failing_statement_is_named_and_recorded") else {
        return;
    };
    let set = chain().with(FnMigration::new(
        "004",
        &["003"],
        |op: &mut Ops| op.sql("CREATE TABLE t003 (id INT)"),
        ok,
    ));
    let migrator = Migrator::new(set).unwrap();
    let mut conn = db.connect().unwrap();
    let error = migrator.upgrade(&mut conn, "head").unwrap_err();
    let Error::Statement(failure) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(failure.revision, "004");
    assert!(failure.statement.contains("CREATE TABLE t003"), "{error}");
    assert_eq!(failure.source.code.as_deref(), Some("1050"), "{error}");
    assert_eq!(failure.source.kind(), DbErrorKind::Syntax);
    // MySQL commits DDL implicitly: the message does not claim a rollback.
    assert!(!failure.rolled_back, "{error}");
    assert_eq!(migrator.current(&mut conn).unwrap(), ["003"]);
    let history = migrator.history(&mut conn).unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.revision.as_str(), last.outcome),
        ("004", HistoryOutcome::Failed)
    );
}

#[test]
fn bound_values_round_trip_with_quotes_and_backslashes() {
    let Some(db) = database("bound_values_round_trip_with_quotes_and_backslashes") else {
        return;
    };
    let mut conn = db.connect().unwrap();
    use arx_migrate_core::Param;
    Connection::execute(&mut conn, "CREATE TABLE v (a LONGTEXT, b BIGINT)").unwrap();
    let text = r"it's a \back\slash; DROP TABLE v; -- $1";
    conn.execute_with(
        "INSERT INTO v (a, b) VALUES ($1, $2)",
        &[Param::Text(Some(text)), Param::Integer(Some(-7))],
    )
    .unwrap();
    let rows = conn
        .query_with(
            "SELECT a, b, NULL FROM v WHERE b = $2 AND a = $1",
            &[Param::Text(Some(text)), Param::Integer(Some(-7))],
        )
        .unwrap();
    assert_eq!(
        rows,
        [vec![Some(text.to_string()), Some("-7".to_string()), None]]
    );
    let missing = Connection::query(&mut conn, "SELECT * FROM nowhere").unwrap_err();
    assert!(conn.is_undefined_table(&missing), "{missing}");
}

#[test]
fn an_error_after_the_first_result_is_not_lost() {
    let Some(db) = database("an_error_after_the_first_result_is_not_lost") else {
        return;
    };
    let mut conn = db.connect().unwrap();
    // The second statement of a batch fails.
    let error = Connection::execute(&mut conn, "SELECT 1; SELECT * FROM nowhere").unwrap_err();
    assert!(conn.is_undefined_table(&error), "{error}");
    let error = Connection::query(&mut conn, "SELECT 1; SELECT * FROM nowhere").unwrap_err();
    assert!(conn.is_undefined_table(&error), "{error}");
    // A SELECT ended by the statement timeout after sending its columns.
    conn.query_drop("SET SESSION max_statement_time = 0.2")
        .unwrap();
    let error = Connection::execute(&mut conn, "SELECT SLEEP(3)").unwrap_err();
    assert_eq!(error.kind(), DbErrorKind::StatementTimeout, "{error}");
}

#[test]
fn the_run_lock_is_named_and_dies_with_its_connection() {
    let Some(db) = database("the_run_lock_is_named_and_dies_with_its_connection") else {
        return;
    };
    let migrator = Migrator::new(chain())
        .unwrap()
        .lock_wait(Duration::from_millis(1500));
    let key = lock_key(db.name(), "arx_migrate_version");
    let mut holder = db.connect().unwrap();
    assert!(holder.try_run_lock(key).unwrap());
    // Another session cannot take it, and is told who holds it.
    let mut other = db.connect().unwrap();
    assert!(!other.try_run_lock(key).unwrap());
    let named = other.run_lock_holder(key).unwrap().expect("a holder");
    assert_eq!(named.pid, i64::from(holder.connection_id()));
    assert_eq!(named.user.as_deref(), Some("root"));
    assert!(named
        .if_stuck
        .as_deref()
        .unwrap()
        .starts_with("end its session with KILL"));

    let mut conn = db.connect().unwrap();
    let error = migrator.upgrade(&mut conn, "head").unwrap_err();
    let Error::LockTimeout {
        holder: Some(seen), ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(seen.pid, i64::from(holder.connection_id()), "{error}");
    assert!(migrator.current(&mut conn).unwrap().is_empty());

    // The holder's connection ends (as when its process is killed): the
    // lock goes with it, and the next run takes it.
    drop(holder);
    migrator.upgrade(&mut conn, "head").unwrap();
    assert_eq!(migrator.current(&mut conn).unwrap(), ["003"]);
    // And it was released at the end of the run.
    let name = lock_name(key);
    let free: Option<i64> = other
        .query_first(format!("SELECT IS_FREE_LOCK('{name}')"))
        .unwrap();
    assert_eq!(free, Some(1));
}

#[test]
fn a_run_sets_its_session_and_puts_it_back() {
    let Some(db) = database("a_run_sets_its_session_and_puts_it_back") else {
        return;
    };
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let set = {
        let seen = seen.clone();
        MigrationSet::new().with(FnMigration::new(
            "001",
            &[],
            move |op: &mut Ops| {
                let arx_migrate_core::DataConnection::Mysql(conn) = op.connection()? else {
                    unreachable!("a MySQL connection");
                };
                let row: Option<(String, u64)> = conn
                    .query_first("SELECT @@SESSION.sql_mode, @@SESSION.lock_wait_timeout")
                    .unwrap();
                *seen.lock().unwrap() = row;
                Ok(())
            },
            ok,
        ))
    };
    let migrator = Migrator::new(set)
        .unwrap()
        .lock_timeout(Duration::from_millis(2500));
    let mut conn = db.connect().unwrap();
    conn.query_drop("SET SESSION sql_mode = 'ANSI_QUOTES', SESSION lock_wait_timeout = 600")
        .unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    let (mode, wait) = seen.lock().unwrap().clone().unwrap();
    assert!(mode.contains("STRICT_ALL_TABLES"), "{mode}");
    assert!(!mode.contains("ANSI_QUOTES"), "{mode}");
    assert_eq!(wait, 3, "lock_timeout 2.5 s is 3 whole seconds");
    let after: Option<(String, u64)> = conn
        .query_first("SELECT @@SESSION.sql_mode, @@SESSION.lock_wait_timeout")
        .unwrap();
    assert_eq!(after, Some(("ANSI_QUOTES".to_string(), 600)));
}

#[test]
fn sea_query_statements_render_for_mysql_and_portable_alterations_refuse() {
    let Some(db) =
        database("sea_query_statements_render_for_mysql_and_portable_alterations_refuse")
    else {
        return;
    };
    use arx_migrate_core::sea_query::{ColumnDef, Index, Table};
    let set = MigrationSet::new()
        .with(FnMigration::new(
            "001",
            &[],
            |op: &mut Ops| {
                op.exec(
                    Table::create()
                        .table("notes")
                        .col(ColumnDef::new("id").integer().not_null().primary_key())
                        .col(ColumnDef::new("title").string_len(200).not_null()),
                )?;
                op.create_index(
                    Index::create()
                        .name("idx_notes_title")
                        .table("notes")
                        .col("title"),
                )
            },
            |op: &mut Ops| op.exec(Table::drop().table("notes")),
        ))
        .with(FnMigration::new(
            "002",
            &["001"],
            |op: &mut Ops| op.add_column("notes", ColumnDef::new("body").text()),
            ok,
        ));
    let migrator = Migrator::new(set).unwrap();
    let mut conn = db.connect().unwrap();
    migrator.upgrade(&mut conn, "001").unwrap();
    let indexes = count(
        &mut conn,
        "SELECT count(*) FROM information_schema.statistics \
         WHERE table_schema = DATABASE() AND index_name = 'idx_notes_title'",
    );
    assert_eq!(indexes, 1);
    let error = migrator.upgrade(&mut conn, "head").unwrap_err();
    assert!(matches!(error, Error::Unsupported { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("add_column") && message.contains("op.mysql"),
        "{message}"
    );
    assert_eq!(migrator.current(&mut conn).unwrap(), ["001"]);
    migrator.downgrade(&mut conn, "base").unwrap();
    assert!(tables(&mut conn).is_empty());
}

#[test]
fn timeouts_bound_a_statement_and_name_it() {
    let Some(db) = database("timeouts_bound_a_statement_and_name_it") else {
        return;
    };
    let set = MigrationSet::new()
        .with(FnMigration::new(
            "001",
            &[],
            |op: &mut Ops| op.sql("CREATE TABLE t001 (id INT NOT NULL PRIMARY KEY)"),
            |op: &mut Ops| op.sql("DROP TABLE t001"),
        ))
        .with(FnMigration::new(
            "002",
            &["001"],
            |op: &mut Ops| op.sql("ALTER TABLE t001 ADD COLUMN note LONGTEXT"),
            |op: &mut Ops| op.sql("ALTER TABLE t001 DROP COLUMN note"),
        ))
        .with(FnMigration::new(
            "003",
            &["002"],
            |op: &mut Ops| op.sql("SELECT SLEEP(5)"),
            ok,
        ));
    let mut conn = db.connect().unwrap();
    Migrator::new(set.clone())
        .unwrap()
        .upgrade(&mut conn, "001")
        .unwrap();

    // Another session's open transaction has read t001: the ALTER TABLE
    // waits for its metadata lock, for lock_timeout at most.
    let mut reader = db.connect().unwrap();
    reader
        .query_drop("START TRANSACTION; SELECT * FROM t001")
        .unwrap();
    let migrator = Migrator::new(set.clone())
        .unwrap()
        .lock_timeout(Duration::from_secs(1));
    let error = migrator.upgrade(&mut conn, "head").unwrap_err();
    let Error::Statement(failure) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(failure.revision, "002");
    assert_eq!(failure.source.kind(), DbErrorKind::LockTimeout, "{error}");
    assert!(failure.statement.contains("ALTER TABLE t001"), "{error}");
    reader.query_drop("COMMIT").unwrap();

    // The statement timeout (MariaDB's max_statement_time) ends the
    // SELECT SLEEP of 003 and names it.
    let migrator = Migrator::new(set)
        .unwrap()
        .statement_timeout(Duration::from_millis(500));
    let error = migrator.upgrade(&mut conn, "head").unwrap_err();
    let Error::Statement(failure) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(failure.revision, "003");
    assert_eq!(
        failure.source.kind(),
        DbErrorKind::StatementTimeout,
        "{error}"
    );
    assert_eq!(migrator.current(&mut conn).unwrap(), ["002"]);
    // And the session has its own setting back.
    let after: Option<f64> = conn
        .query_first("SELECT @@SESSION.max_statement_time")
        .unwrap();
    assert_eq!(after, Some(0.0));
}

#[test]
fn a_pooled_connection_migrates() {
    let Some(db) = database("a_pooled_connection_migrates") else {
        return;
    };
    let pool = arx_migrate_core::mysql::Pool::new(db.url()).unwrap();
    let mut conn = pool.get_conn().unwrap();
    let migrator = Migrator::new(chain()).unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    assert_eq!(migrator.current(&mut conn).unwrap(), ["003"]);
    assert_eq!(tables(&mut conn), names(&["001", "002", "003"]));
}
