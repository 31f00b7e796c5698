//! Behaviour that only PostgreSQL has: advisory locks, lock and statement
//! timeouts, CREATE INDEX CONCURRENTLY, schemas, extensions, and the
//! blocking client inside an async runtime.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arx_migrate_core::lock::lock_key;
use arx_migrate_core::{Connection, Error, FnMigration, MigrationSet, Migrator, Ops};
use arx_migrate_testing::{connect, postgres_test_url, PgTestDatabase};
use support::*;

fn database(test: &str) -> Option<PgTestDatabase> {
    postgres_test_url(test).map(|url| PgTestDatabase::create(&url).unwrap())
}

#[test]
fn a_concurrent_index_build_does_not_block_writers() {
    let Some(db) = database("a_concurrent_index_build_does_not_block_writers") else {
        return;
    };
    let set = MigrationSet::new()
        .with(FnMigration::new(
            "001",
            &[],
            |op: &mut Ops| {
                op.sql("CREATE TABLE events (id BIGSERIAL PRIMARY KEY, payload TEXT)")?;
                op.sql("INSERT INTO events (payload) SELECT md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 400000) g")
            },
            |op: &mut Ops| op.sql("DROP TABLE events"),
        ))
        .with(
            FnMigration::new(
                "002",
                &["001"],
                |op: &mut Ops| op.sql("CREATE INDEX CONCURRENTLY idx_events_payload ON events (payload)"),
                |op: &mut Ops| op.sql("DROP INDEX CONCURRENTLY idx_events_payload"),
            )
            .non_transactional(),
        );
    let migrator = Migrator::new(set).unwrap();
    let mut conn = db.connect().unwrap();
    migrator.upgrade(&mut conn, "001").unwrap();

    // Another connection keeps inserting while the index is built.
    let stop = Arc::new(AtomicBool::new(false));
    let inserted_at: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let writer = {
        let (stop, inserted_at, url) = (stop.clone(), inserted_at.clone(), db.url().to_string());
        std::thread::spawn(move || {
            let mut writer = connect(&url).unwrap();
            while !stop.load(Ordering::SeqCst) {
                writer
                    .batch_execute("INSERT INTO events (payload) VALUES ('during the build')")
                    .unwrap();
                inserted_at.lock().unwrap().push(Instant::now());
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    // The writer is writing before the build starts.
    while inserted_at.lock().unwrap().is_empty() {
        std::thread::yield_now();
    }
    let started = Instant::now();
    let report = migrator.upgrade(&mut conn, "head").unwrap();
    let finished = Instant::now();
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();

    assert_eq!(report.steps.len(), 1);
    let during = inserted_at
        .lock()
        .unwrap()
        .iter()
        .filter(|t| **t > started && **t < finished)
        .count();
    let build = finished - started;
    assert!(
        during >= 20,
        "only {during} inserts landed during the {build:?} index build: writers were blocked"
    );
    let mut check: Box<dyn Connection> = Box::new(db.connect().unwrap());
    assert_eq!(
        count(&mut *check, "SELECT count(*) FROM pg_index WHERE indexrelid = 'idx_events_payload'::regclass AND indisvalid"),
        1
    );
}

#[test]
fn a_lock_wait_past_lock_timeout_is_an_error_naming_the_revision() {
    let Some(db) = database("a_lock_wait_past_lock_timeout_is_an_error_naming_the_revision") else {
        return;
    };
    let set = MigrationSet::new()
        .with(table_migration("001", &[]))
        .with(FnMigration::new(
            "002",
            &["001"],
            |op: &mut Ops| op.sql("ALTER TABLE t001 ADD COLUMN extra INTEGER"),
            |op: &mut Ops| op.sql("ALTER TABLE t001 DROP COLUMN extra"),
        ));
    let migrator = Migrator::new(set)
        .unwrap()
        .lock_timeout(Duration::from_millis(200));
    let mut conn = db.connect().unwrap();
    migrator.upgrade(&mut conn, "001").unwrap();

    let mut holder = db.connect().unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE t001 IN ACCESS SHARE MODE")
        .unwrap();
    let started = Instant::now();
    let error = migrator.upgrade(&mut conn, "head").unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "it hung");
    match &error {
        Error::Statement(failure) => {
            assert_eq!(failure.revision, "002");
            assert_eq!(failure.source.code.as_deref(), Some("55P03"), "{error}");
        }
        other => panic!("unexpected {other:?}"),
    }
    holder.batch_execute("ROLLBACK").unwrap();
    // The session setting was reset, and the run can be repeated.
    let rows = Connection::query(&mut conn, "SHOW lock_timeout").unwrap();
    assert_eq!(rows[0][0].as_deref(), Some("0"));
    migrator.upgrade(&mut conn, "head").unwrap();
}

#[test]
fn a_statement_past_statement_timeout_is_an_error() {
    let Some(db) = database("a_statement_past_statement_timeout_is_an_error") else {
        return;
    };
    let set = MigrationSet::new().with(FnMigration::new(
        "001",
        &[],
        |op: &mut Ops| op.sql("SELECT pg_sleep(2)"),
        ok,
    ));
    let migrator = Migrator::new(set)
        .unwrap()
        .statement_timeout(Duration::from_millis(100));
    let mut conn = db.connect().unwrap();
    match migrator.upgrade(&mut conn, "head").unwrap_err() {
        Error::Statement(failure) => {
            assert_eq!(failure.revision, "001");
            assert_eq!(failure.source.code.as_deref(), Some("57014"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_held_migration_lock_times_out_with_a_clear_error() {
    let Some(db) = database("a_held_migration_lock_times_out_with_a_clear_error") else {
        return;
    };
    let migrator = Migrator::new(branchy_chain())
        .unwrap()
        .lock_wait(Duration::from_millis(300));
    let mut holder = db.connect().unwrap();
    let key = lock_key("public", "arx_migrate_version");
    holder
        .batch_execute(&format!("SELECT pg_advisory_lock({key})"))
        .unwrap();
    let holder_pid: i32 = holder
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    let mut conn = db.connect().unwrap();
    let error = migrator.upgrade(&mut conn, "head").unwrap_err();
    // It names the holder, and the option that sets the wait.
    match &error {
        Error::LockTimeout { holder, .. } => {
            assert_eq!(
                holder.as_ref().unwrap().pid,
                i64::from(holder_pid),
                "{error}"
            )
        }
        other => panic!("unexpected {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains(&format!("pid {holder_pid}"))
            && message.contains("lock_wait")
            && message.contains(&format!("pg_terminate_backend({holder_pid})")),
        "{message}"
    );
    // Closing the holder's session frees the lock at once.
    drop(holder);
    migrator.upgrade(&mut conn, "head").unwrap();
}

#[test]
fn a_failed_run_releases_the_lock_at_once() {
    let Some(db) = database("a_failed_run_releases_the_lock_at_once") else {
        return;
    };
    let failing = MigrationSet::new().with(FnMigration::new(
        "001",
        &[],
        |op: &mut Ops| op.sql("SELECT * FROM nowhere"),
        ok,
    ));
    let mut first = db.connect().unwrap();
    assert!(Migrator::new(failing)
        .unwrap()
        .upgrade(&mut first, "head")
        .is_err());
    // `first` stays open; a second process must not wait for it.
    let mut second = db.connect().unwrap();
    let started = Instant::now();
    Migrator::new(branchy_chain())
        .unwrap()
        .lock_wait(Duration::from_millis(200))
        .upgrade(&mut second, "head")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn bookkeeping_goes_to_a_configured_schema_created_if_missing() {
    let Some(db) = database("bookkeeping_goes_to_a_configured_schema_created_if_missing") else {
        return;
    };
    let migrator = Migrator::new(branchy_chain())
        .unwrap()
        .schema("migrations meta");
    let mut conn = db.connect().unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    let mut check: Box<dyn Connection> = Box::new(db.connect().unwrap());
    assert_eq!(
        count(
            &mut *check,
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'migrations meta'"
        ),
        2
    );
    assert_eq!(migrator.current(&mut conn).unwrap(), ["005"]);
    // The default-schema migrator sees nothing of it.
    assert!(Migrator::new(branchy_chain())
        .unwrap()
        .current(&mut conn)
        .unwrap()
        .is_empty());
}

#[test]
fn a_missing_extension_stops_before_anything_changes() {
    let Some(db) = database("a_missing_extension_stops_before_anything_changes") else {
        return;
    };
    let set = MigrationSet::new().with(FnMigration::new(
        "001",
        &[],
        |op: &mut Ops| {
            op.require_extension("arx_no_such_extension")?;
            op.sql("CREATE TABLE should_not_exist (id INTEGER)")
        },
        ok,
    ));
    let mut conn = db.connect().unwrap();
    let error = Migrator::new(set)
        .unwrap()
        .upgrade(&mut conn, "head")
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("arx_no_such_extension is not installed on the database server"),
        "{text}"
    );
    let mut check: Box<dyn Connection> = Box::new(db.connect().unwrap());
    assert!(tables(&mut *check).is_empty());
}

#[test]
fn the_blocking_client_inside_an_async_runtime_is_an_error_not_a_panic() {
    let Some(db) = database("the_blocking_client_inside_an_async_runtime_is_an_error_not_a_panic")
    else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let migrator = Arc::new(Migrator::new(branchy_chain()).unwrap());
    let mut client = db.connect().unwrap();
    let (client, result) = runtime.block_on(async {
        let result = migrator.upgrade(&mut client, "head");
        (client, result)
    });
    assert!(
        matches!(result, Err(Error::InsideAsyncRuntime)),
        "{result:?}"
    );
    assert!(result.unwrap_err().to_string().contains("spawn_blocking"));

    // The documented pattern: migrate on a blocking thread.
    let url = db.url().to_string();
    let report = runtime
        .block_on(async move {
            let migrator = migrator.clone();
            tokio::task::spawn_blocking(move || {
                let mut client = connect(&url)?;
                migrator.upgrade(&mut client, "head")
            })
            .await
        })
        .unwrap()
        .unwrap();
    assert_eq!(report.heads_after, ["005"]);
    drop(client);
}

#[test]
fn connection_errors_never_show_the_password() {
    let Err(error) = connect("postgresql://postgres:hunter2-secret@127.0.0.1:1/nowhere") else {
        panic!("connected to a closed port");
    };
    let text = error.to_string();
    assert!(!text.contains("hunter2-secret"), "{text}");
    assert!(text.contains("postgres:***@127.0.0.1:1"), "{text}");
}

#[test]
fn driver_errors_carry_their_kind_and_the_drivers_error_as_source() {
    use arx_migrate_core::DbErrorKind;
    use std::error::Error as _;

    let Some(db) = database("driver_errors_carry_their_kind_and_the_drivers_error_as_source")
    else {
        return;
    };
    let set = MigrationSet::new()
        .with(FnMigration::new(
            "001",
            &[],
            |op: &mut Ops| op.sql("CREATE TABLE t (id INTEGER PRIMARY KEY)"),
            |op: &mut Ops| op.sql("DROP TABLE t"),
        ))
        .with(FnMigration::new(
            "002",
            &["001"],
            |op: &mut Ops| op.sql("INSERT INTO t VALUES (1), (1)"),
            ok,
        ));
    let migrator = Migrator::new(set).unwrap();
    let mut conn = db.connect().unwrap();
    let error = migrator.upgrade(&mut conn, "head").unwrap_err();
    let db_error = error.db_error().expect("a statement error");
    assert_eq!(db_error.kind(), DbErrorKind::Constraint);
    assert_eq!(db_error.code.as_deref(), Some("23505"));
    // Error -> DbError -> the driver's own error, through source().
    let source = error.source().expect("the database's error");
    let driver = source.source().expect("the driver's error");
    let driver = driver
        .downcast_ref::<postgres::Error>()
        .expect("a postgres::Error");
    assert_eq!(
        driver.code(),
        Some(&postgres::error::SqlState::UNIQUE_VIOLATION)
    );

    let syntax = Connection::execute(&mut conn, "SELEC 1").unwrap_err();
    assert_eq!(syntax.kind(), DbErrorKind::Syntax);
    let missing = Connection::query(&mut conn, "SELECT * FROM no_such_table").unwrap_err();
    assert_eq!(missing.kind(), DbErrorKind::Syntax);

    // A lock not granted within lock_timeout.
    let mut holder = db.connect().unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let timeout = Connection::execute(
        &mut conn,
        "SET lock_timeout = '50ms'; ALTER TABLE t ADD COLUMN x INTEGER",
    )
    .unwrap_err();
    assert_eq!(timeout.kind(), DbErrorKind::LockTimeout, "{timeout}");
    holder.batch_execute("ROLLBACK").unwrap();

    let cancelled = Connection::execute(
        &mut conn,
        "SET statement_timeout = '50ms'; SELECT pg_sleep(5)",
    )
    .unwrap_err();
    assert_eq!(cancelled.kind(), DbErrorKind::StatementTimeout);
}
