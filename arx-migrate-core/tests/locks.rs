//! Locks and failures in operation: a run killed in the middle of a
//! statement does not block the next one, a waiting run says who holds the
//! lock, and a timeout bounds each statement once.
//!
//! The runs that get killed are real processes (this test binary, started
//! again as a worker) killed with SIGKILL.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use arx_migrate_core::{
    Connection, Error, FnMigration, LockWait, MigrationSet, Migrator, Progress,
};
use arx_migrate_testing::{connect, postgres_test_url, PgTestDatabase};
use support::*;

/// What a worker does: `upgrade` (to head, blocking on whatever blocks it)
/// or `hold-write` (SQLite: hold the write lock until killed).
const WORKER: &str = "ARX_LOCKS_WORKER";
const WORKER_URL: &str = "ARX_LOCKS_WORKER_URL";
const WORKER_APP: &str = "ARX_LOCKS_WORKER_APP";

/// 001 creates t001; 002 alters it, so it waits while another session
/// holds a lock on t001.
fn chain() -> MigrationSet {
    MigrationSet::new()
        .with(m(
            "001",
            None,
            "CREATE TABLE t001 (id INTEGER PRIMARY KEY)",
            "DROP TABLE t001",
        ))
        .with(m(
            "002",
            Some("001"),
            "ALTER TABLE t001 ADD COLUMN note TEXT",
            "ALTER TABLE t001 DROP COLUMN note",
        ))
}

/// Runs in a child process when the parent sets the worker variables.
#[test]
fn locks_worker() {
    let (Ok(what), Ok(url)) = (std::env::var(WORKER), std::env::var(WORKER_URL)) else {
        return; // Not a worker: nothing to do.
    };
    match what.as_str() {
        "upgrade" => {
            let mut config: postgres::Config = url.parse().unwrap();
            config.application_name(&std::env::var(WORKER_APP).unwrap());
            let mut client = config.connect(postgres::NoTls).unwrap();
            // Blocks on the parent's table lock until killed.
            let _ = Migrator::new(chain()).unwrap().upgrade(&mut client, "head");
        }
        "hold-write" => {
            let connection = rusqlite::Connection::open(&url).unwrap();
            connection
                .execute_batch("BEGIN IMMEDIATE; INSERT INTO t001 (id) VALUES (1)")
                .unwrap();
            println!("holding the write lock");
            std::thread::sleep(Duration::from_secs(600));
        }
        other => panic!("unknown worker {other}"),
    }
}

fn spawn_worker(what: &str, url: &str, app: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["locks_worker", "--exact", "--test-threads=1", "--nocapture"])
        .env(WORKER, what)
        .env(WORKER_URL, url)
        .env(WORKER_APP, app)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Polls `check` until it holds; a minute is far more than it ever takes,
/// and only keeps a broken test from hanging.
fn until(what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "gave up waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A run that waits at most `wait` for the lock, and what it reported
/// while it waited.
fn waiting_run(conn: &mut dyn Connection, wait: Duration) -> (Error, Vec<LockWait>) {
    let mut waits = Vec::new();
    let error = Migrator::new(chain())
        .unwrap()
        .lock_wait(wait)
        .upgrade_with_progress(conn, "head", &mut |event| {
            if let Progress::Waiting(wait) = event {
                waits.push(wait.clone());
            }
        })
        .unwrap_err();
    (error, waits)
}

#[test]
fn a_run_killed_while_waiting_on_a_table_lock_does_not_keep_the_migration_lock() {
    let Some(server) = postgres_test_url(
        "a_run_killed_while_waiting_on_a_table_lock_does_not_keep_the_migration_lock",
    ) else {
        return;
    };
    let db = PgTestDatabase::create(&server).unwrap();
    let mut conn = connect(db.url()).unwrap();
    Migrator::new(chain())
        .unwrap()
        .upgrade(&mut conn, "001")
        .unwrap();
    // Another session holds a lock that 002's ALTER TABLE must wait for.
    let mut table_holder = connect(db.url()).unwrap();
    table_holder
        .batch_execute("BEGIN; LOCK TABLE t001 IN ACCESS SHARE MODE")
        .unwrap();

    let app = format!("arx_locks_worker_{}", std::process::id());
    let mut worker = spawn_worker("upgrade", db.url(), &app);
    let mut worker_pid = 0;
    until("the worker's ALTER TABLE waits for the table lock", || {
        let rows = conn
            .query(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
                &[&app],
            )
            .unwrap();
        worker_pid = rows.first().map_or(0, |row| row.get::<_, i32>(0));
        worker_pid != 0
    });

    // Meanwhile a second run waits for the migration lock, and says who
    // holds it: the worker's session, its program and what it is doing.
    let (error, waits) = waiting_run(&mut conn, Duration::from_millis(1500));
    let Error::LockTimeout {
        holder: Some(holder),
        ..
    } = &error
    else {
        panic!("unexpected {error:?}");
    };
    assert_eq!(holder.pid, i64::from(worker_pid), "{error}");
    assert_eq!(holder.program.as_deref(), Some(app.as_str()), "{error}");
    assert!(
        holder
            .waiting_on
            .as_deref()
            .unwrap_or_default()
            .starts_with("Lock"),
        "{error}"
    );
    assert!(
        holder
            .statement
            .as_deref()
            .unwrap_or_default()
            .contains("ALTER TABLE t001"),
        "{error}"
    );
    assert!(error.to_string().contains("lock_wait"), "{error}");
    assert!(!waits.is_empty(), "no progress while waiting");
    assert_eq!(waits[0].holder.as_ref().map(|h| h.pid), Some(holder.pid));

    // Kill the worker in the middle of its statement; the table lock stays
    // held. Its server session notices the client is gone and ends,
    // freeing the migration lock: the next run gets it (and then waits on
    // the table lock itself, until its lock_timeout), long before the 30 s
    // it would wait for the migration lock.
    worker.kill().unwrap();
    worker.wait().unwrap();
    let next = Migrator::new(chain())
        .unwrap()
        .lock_wait(Duration::from_secs(30))
        .lock_timeout(Duration::from_millis(300));
    match next.upgrade(&mut conn, "head").unwrap_err() {
        Error::Statement(failure) => {
            assert_eq!(failure.revision, "002");
            assert_eq!(failure.source.code.as_deref(), Some("55P03"));
        }
        other => panic!("the killed run kept the migration lock: {other}"),
    }
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT count(*) FROM pg_stat_activity WHERE application_name = '{app}'")
        ),
        0
    );

    table_holder.batch_execute("ROLLBACK").unwrap();
    let report = next.upgrade(&mut conn, "head").unwrap();
    assert_eq!(report.heads_after, ["002"]);
}

#[test]
fn a_sqlite_writer_killed_in_its_transaction_frees_the_database() {
    let db = TestDb::sqlite();
    let mut conn = db.connect();
    Migrator::new(chain())
        .unwrap()
        .upgrade(&mut *conn, "001")
        .unwrap();

    let mut writer = spawn_worker("hold-write", &db.url(), "");
    let mut lines = BufReader::new(writer.stdout.take().unwrap()).lines();
    until("the worker holds the write lock", || {
        lines
            .next()
            .is_some_and(|line| line.unwrap().contains("holding the write lock"))
    });

    // A run waits at most lock_wait, says so while it waits, and names the
    // other writer where the platform tells.
    let (error, waits) = waiting_run(&mut *conn, Duration::from_millis(1500));
    assert!(matches!(error, Error::LockTimeout { .. }), "{error:?}");
    assert!(error.to_string().contains("lock_wait"), "{error}");
    assert!(!waits.is_empty(), "no progress while waiting");
    if cfg!(target_os = "linux") {
        let Error::LockTimeout {
            holder: Some(holder),
            ..
        } = &error
        else {
            panic!("the writer is not named: {error}");
        };
        assert_eq!(holder.pid, i64::from(writer.id()), "{error}");
        assert!(!holder.this_process && holder.program.is_some(), "{error}");
    }

    // Killed in the middle of its transaction: the system frees its locks,
    // the next run rolls the hot journal back and migrates.
    writer.kill().unwrap();
    writer.wait().unwrap();
    let report = Migrator::new(chain())
        .unwrap()
        .lock_wait(Duration::from_secs(30))
        .upgrade(&mut *conn, "head")
        .unwrap();
    assert_eq!(report.heads_after, ["002"]);
    assert_eq!(count(&mut *conn, "SELECT count(*) FROM t001"), 0);
}

#[test]
fn another_connection_holding_the_sqlite_write_lock_is_named() {
    let db = TestDb::sqlite();
    let mut conn = db.connect();
    Migrator::new(chain())
        .unwrap()
        .upgrade(&mut *conn, "001")
        .unwrap();
    let holder = rusqlite::Connection::open(db.url()).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let (error, _) = waiting_run(&mut *conn, Duration::from_millis(300));
    if cfg!(target_os = "linux") {
        assert!(
            error
                .to_string()
                .contains("another connection of this process"),
            "{error}"
        );
    }
    holder.execute_batch("ROLLBACK").unwrap();
    Migrator::new(chain())
        .unwrap()
        .upgrade(&mut *conn, "head")
        .unwrap();
}

/// 001 creates t001 and a sequence; 002 takes a number from the sequence
/// (which no rollback gives back) and then alters t001.
fn probed_chain(own_timeout: bool) -> MigrationSet {
    MigrationSet::new()
        .with(m(
            "001",
            None,
            "CREATE TABLE t001 (id INTEGER PRIMARY KEY); CREATE SEQUENCE probe",
            "DROP TABLE t001; DROP SEQUENCE probe",
        ))
        .with(FnMigration::new(
            "002",
            &["001"],
            move |op| {
                if own_timeout {
                    op.sql("SET LOCAL lock_timeout = '300ms'")?;
                }
                op.sql("SELECT nextval('probe')")?;
                op.sql("ALTER TABLE t001 ADD COLUMN note TEXT")?;
                op.sql("CREATE TABLE t002 (id INTEGER)")
            },
            |op| op.sql("DROP TABLE t002; ALTER TABLE t001 DROP COLUMN note"),
        ))
}

#[test]
fn a_lock_timeout_bounds_each_statement_once_and_names_it() {
    let Some(server) = postgres_test_url("a_lock_timeout_bounds_each_statement_once_and_names_it")
    else {
        return;
    };
    for own_timeout in [false, true] {
        let db = PgTestDatabase::create(&server).unwrap();
        let mut conn = connect(db.url()).unwrap();
        let mut migrator = Migrator::new(probed_chain(own_timeout)).unwrap();
        if !own_timeout {
            migrator = migrator.lock_timeout(Duration::from_millis(300));
        }
        migrator.upgrade(&mut conn, "001").unwrap();
        let mut table_holder = connect(db.url()).unwrap();
        table_holder
            .batch_execute("BEGIN; LOCK TABLE t001 IN ACCESS SHARE MODE")
            .unwrap();

        let error = migrator.upgrade(&mut conn, "head").unwrap_err();
        let failure = error
            .statement_failure()
            .unwrap_or_else(|| panic!("unexpected {error:?}"));
        assert_eq!(failure.source.code.as_deref(), Some("55P03"), "{error}");
        assert_eq!(failure.statement, "ALTER TABLE t001 ADD COLUMN note TEXT");
        // The statements ran once: the failing one was not run (and waited
        // for) a second time to find it.
        assert_eq!(
            count(&mut conn, "SELECT last_value FROM probe"),
            1,
            "own timeout: {own_timeout}"
        );
        table_holder.batch_execute("ROLLBACK").unwrap();
        migrator.upgrade(&mut conn, "head").unwrap();
    }
}

#[test]
fn statements_travel_together_unless_a_timeout_may_cancel_one() {
    let Some(server) =
        postgres_test_url("statements_travel_together_unless_a_timeout_may_cancel_one")
    else {
        return;
    };
    let db = PgTestDatabase::create(&server).unwrap();
    let mut conn = connect(db.url()).unwrap();
    for timeout in [None, Some(Duration::from_secs(5))] {
        let mut migrator = Migrator::new(probed_chain(false)).unwrap();
        if let Some(timeout) = timeout {
            migrator = migrator.statement_timeout(timeout);
        }
        let mut counting = Counting::new(&mut conn);
        migrator.upgrade(&mut counting, "head").unwrap();
        let batched = counting.log.iter().any(|sql| sql.contains("SAVEPOINT"));
        assert_eq!(batched, timeout.is_none(), "{:#?}", counting.log);
        migrator.downgrade(&mut conn, "base").unwrap();
    }
}
