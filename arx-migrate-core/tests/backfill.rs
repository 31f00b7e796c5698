//! Durable batched backfills: killed with SIGKILL at random points and run
//! again, every row is updated exactly once; progress reaches the
//! callback; a backfill refuses a transaction and a table without its key.
//!
//! The killed runs are real processes (this test binary, started again as
//! a worker).

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arx_migrate_core::{
    Backfill, BackfillProgress, Connection, Error, FnMigration, MigrationSet, Migrator, Progress,
};
use arx_migrate_testing::{postgres_test_url, PgTestDatabase};
use support::*;

const WORKER: &str = "ARX_BACKFILL_WORKER_URL";
const ROWS: i64 = 1_000_000;

/// 001 makes `big` with `ROWS` rows; 002 counts, per row, how often the
/// backfill updated it.
fn chain(rows: i64) -> MigrationSet {
    MigrationSet::new()
        .with(FnMigration::new(
            "001",
            &[],
            move |op| {
                op.sql("CREATE TABLE big (id BIGINT PRIMARY KEY, hits INTEGER NOT NULL DEFAULT 0)")?;
                op.postgres(format!(
                    "INSERT INTO big (id) SELECT generate_series(1, {rows})"
                ))?;
                op.sqlite(format!(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) INSERT INTO big (id) SELECT i FROM n"
                ))
            },
            |op| op.sql("DROP TABLE big"),
        ))
        .with(
            FnMigration::new(
                "002",
                &["001"],
                |op| op.backfill(Backfill::new("big").set("hits", "hits + 1")),
                |_| Ok(()),
            )
            .non_transactional(),
        )
}

/// Runs in a child process when the parent sets the worker variable.
#[test]
fn backfill_worker() {
    let Ok(url) = std::env::var(WORKER) else {
        return; // Not a worker: nothing to do.
    };
    let mut conn = connect_url(&url);
    // Killed part way, mostly; else it finishes.
    let _ = Migrator::new(chain(ROWS))
        .unwrap()
        .upgrade(&mut *conn, "head");
}

fn spawn_worker(url: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["backfill_worker", "--exact", "--test-threads=1"])
        .env(WORKER, url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The rows the backfill has recorded as done (0 before its row exists).
fn rows_done(conn: &mut dyn Connection) -> i64 {
    conn.query("SELECT rows_done FROM arx_migrate_backfill")
        .ok()
        .and_then(|rows| rows.first().cloned())
        .and_then(|row| row[0].clone())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A small xorshift generator, seeded from the clock and printed, so that
/// a failing run can be repeated with `ARX_BACKFILL_SEED`.
struct Random(u64);

impl Random {
    fn new() -> Self {
        let seed = std::env::var("ARX_BACKFILL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("ARX_BACKFILL_SEED={seed}");
        Random(seed)
    }
    fn below(&mut self, bound: i64) -> i64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as i64
    }
}

#[test]
fn a_backfill_killed_at_random_points_resumes_and_updates_every_row_exactly_once() {
    let Some(server) = postgres_test_url(
        "a_backfill_killed_at_random_points_resumes_and_updates_every_row_exactly_once",
    ) else {
        return;
    };
    let db = PgTestDatabase::create(&server).unwrap();
    let mut conn = connect_url(db.url());
    let migrator = Migrator::new(chain(ROWS)).unwrap();
    migrator.upgrade(&mut *conn, "001").unwrap();

    let mut random = Random::new();
    let mut kills = 0;
    let mut done_before = 0;
    // Three kills, each at a random number of rows past the last one.
    for _ in 0..3 {
        let threshold = done_before + 1 + random.below(ROWS / 4);
        let mut worker = spawn_worker(db.url());
        let started = Instant::now();
        let mut finished = false;
        loop {
            if rows_done(&mut *conn) >= threshold {
                break;
            }
            if worker.try_wait().unwrap().is_some() {
                finished = true; // it ran to the end before the threshold
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the worker made no progress"
            );
            std::thread::yield_now();
        }
        if finished {
            break;
        }
        worker.kill().unwrap();
        worker.wait().unwrap();
        kills += 1;
        let done = rows_done(&mut *conn);
        assert!(
            done >= done_before,
            "the recorded position went back: {done} < {done_before}"
        );
        done_before = done;
        // Status shows the killed backfill, for an upgrade to resume, and
        // not as an interrupted step that needs cleaning up by hand.
        let status = migrator.status(&mut *conn).unwrap();
        assert!(status.interrupted.is_empty(), "{status:?}");
        assert_eq!(status.backfills.len(), 1, "{status:?}");
        assert_eq!(status.backfills[0].revision, "002");
        assert_eq!(status.backfills[0].rows_done, done);
        assert_eq!(status.backfills[0].rows_total_estimate, Some(ROWS));
    }
    assert!(kills > 0, "no worker was killed part way");

    let mut events: Vec<BackfillProgress> = Vec::new();
    migrator
        .upgrade_with_progress(&mut *conn, "head", &mut |event| {
            if let Progress::Backfill(progress) = event {
                events.push(progress.clone());
            }
        })
        .unwrap();
    // It resumed where the last kill left it (or later, had the killed
    // run committed one more batch after the position was read).
    let first = events.first().expect("the resumed run reported no batch");
    assert!(
        first.rows_done > done_before,
        "{first:?} did not resume after {done_before}"
    );
    assert!(events.last().unwrap().finished);
    assert_eq!(
        count(&mut *conn, "SELECT count(*) FROM big WHERE hits = 1"),
        ROWS,
        "rows updated twice: {}, never: {}",
        count(&mut *conn, "SELECT count(*) FROM big WHERE hits > 1"),
        count(&mut *conn, "SELECT count(*) FROM big WHERE hits = 0"),
    );
    let status = migrator.status(&mut *conn).unwrap();
    assert!(
        status.is_ready() && status.backfills.is_empty(),
        "{status:?}"
    );
    assert_eq!(
        count(&mut *conn, "SELECT count(*) FROM arx_migrate_backfill"),
        0
    );
    let history = count(
        &mut *conn,
        "SELECT count(*) FROM arx_migrate_history WHERE revision = '002' AND outcome = 'started'",
    );
    assert_eq!(
        history, 0,
        "the resumed step left its started marker behind"
    );
}

#[test]
fn a_backfill_reports_each_batch_to_the_progress_callback_and_updates_each_row_once() {
    for db in
        backends("a_backfill_reports_each_batch_to_the_progress_callback_and_updates_each_row_once")
    {
        let mut conn = db.connect();
        let set = chain(5_000).with(
            FnMigration::new(
                "003",
                &["002"],
                |op| {
                    op.backfill(
                        Backfill::new("big")
                            .named("even")
                            .set("hits", "hits + 10")
                            .where_("id % 2 = 0")
                            .batch_size(700, 700, 700),
                    )
                },
                |_| Ok(()),
            )
            .non_transactional(),
        );
        let migrator = Migrator::new(set).unwrap();
        migrator.upgrade(&mut *conn, "002").unwrap();
        let mut events: Vec<BackfillProgress> = Vec::new();
        migrator
            .upgrade_with_progress(&mut *conn, "head", &mut |event| {
                if let Progress::Backfill(progress) = event {
                    events.push(progress.clone());
                }
            })
            .unwrap();
        let done: Vec<i64> = events.iter().map(|e| e.rows_done).collect();
        assert_eq!(
            done,
            [700, 1400, 2100, 2800, 3500, 4200, 4900, 5000],
            "{:?}",
            db.backend()
        );
        let last = events.last().unwrap();
        assert!(last.finished && events.iter().filter(|e| e.finished).count() == 1);
        assert!(events.iter().all(|e| e.rows_total == Some(5_000)
            && e.name == "even"
            && e.revision == "003"
            && e.table == "big"));
        assert!(
            last.to_string().contains("5000 of ~5000 rows (100%)"),
            "{last}"
        );
        assert_eq!(
            count(&mut *conn, "SELECT count(*) FROM big WHERE hits = 11"),
            2_500
        );
        assert_eq!(
            count(&mut *conn, "SELECT count(*) FROM big WHERE hits = 1"),
            2_500
        );
    }
}

#[test]
fn a_backfill_refuses_a_transactional_migration_and_a_table_without_its_key() {
    for db in backends("a_backfill_refuses_a_transactional_migration_and_a_table_without_its_key") {
        let mut conn = db.connect();
        let base = || {
            MigrationSet::new().with(m(
                "001",
                None,
                "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
                "DROP TABLE notes",
            ))
        };
        let in_transaction = base().with(FnMigration::new(
            "002",
            &["001"],
            |op| op.backfill(Backfill::new("notes").set("body", "'x'")),
            |_| Ok(()),
        ));
        let error = Migrator::new(in_transaction)
            .unwrap()
            .upgrade(&mut *conn, "head")
            .unwrap_err();
        assert!(matches!(error, Error::Migration { .. }), "{error:?}");
        assert!(error.to_string().contains("non-transactional"), "{error}");

        for (backfill, expected) in [
            (
                Backfill::new("nowhere").set("body", "'x'"),
                "table nowhere does not exist",
            ),
            (
                Backfill::new("notes").set("body", "'x'").key("uid"),
                "has no column uid",
            ),
            (
                Backfill::new("notes").set("body", "'x'").key("body"),
                "may be NULL",
            ),
        ] {
            let set = base().with(
                FnMigration::new(
                    "002",
                    &["001"],
                    move |op| op.backfill(backfill.clone()),
                    |_| Ok(()),
                )
                .non_transactional(),
            );
            let error = Migrator::new(set)
                .unwrap()
                .upgrade(&mut *conn, "head")
                .unwrap_err();
            assert!(
                error.to_string().contains(expected),
                "{:?}: {error}",
                db.backend()
            );
            assert_eq!(
                Migrator::new(base()).unwrap().current(&mut *conn).unwrap(),
                ["001"]
            );
        }
    }
}

/// Throttling on the database's health (PostgreSQL): while another session
/// of the database has waited on a lock for longer than `max_lock_wait`,
/// the backfill runs no batch, and says why in its progress; once the lock
/// is free it goes on and updates every row once. `max_replica_lag` on a
/// server without standbys reads no lag and never pauses.
#[test]
fn a_backfill_pauses_while_a_session_waits_on_a_lock_longer_than_its_bound() {
    let Some(server) = postgres_test_url(
        "a_backfill_pauses_while_a_session_waits_on_a_lock_longer_than_its_bound",
    ) else {
        return;
    };
    let db = PgTestDatabase::create(&server).unwrap();
    let mut conn = connect_url(db.url());
    let set = chain(3_000).with(
        FnMigration::new(
            "003",
            &["002"],
            |op| {
                op.backfill(
                    Backfill::new("big")
                        .named("throttled")
                        .set("hits", "hits + 10")
                        .batch_size(1_000, 1_000, 1_000)
                        .max_lock_wait(Duration::from_millis(200))
                        .max_replica_lag(Duration::from_secs(1)),
                )
            },
            |_| Ok(()),
        )
        .non_transactional(),
    );
    let migrator = Migrator::new(set).unwrap();
    migrator.upgrade(&mut *conn, "002").unwrap();

    // A session holds a lock on another table, and another waits for it
    // (as a service's queries queue behind a migration's DDL).
    let mut holder =
        arx_migrate_core::postgres::Client::connect(db.url(), arx_migrate_core::postgres::NoTls)
            .unwrap();
    holder
        .batch_execute("CREATE TABLE other (id INTEGER)")
        .unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE other IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let url = db.url().to_string();
    let waiter = std::thread::spawn(move || {
        let mut client =
            arx_migrate_core::postgres::Client::connect(&url, arx_migrate_core::postgres::NoTls)
                .unwrap();
        client.batch_execute("SELECT count(*) FROM other").unwrap();
    });
    // Until the waiter has waited past the bound.
    let started = Instant::now();
    while count(
        &mut *conn,
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database() AND clock_timestamp() - query_start > interval '300 milliseconds'",
    ) == 0
    {
        assert!(started.elapsed() < Duration::from_secs(60), "no session waits on the lock");
        std::thread::sleep(Duration::from_millis(20));
    }

    let mut events: Vec<BackfillProgress> = Vec::new();
    let mut released = false;
    migrator
        .upgrade_with_progress(&mut *conn, "head", &mut |event| {
            if let Progress::Backfill(progress) = event {
                events.push(progress.clone());
                if progress.paused.is_some() && !released {
                    holder.batch_execute("ROLLBACK").unwrap();
                    released = true;
                }
            }
        })
        .unwrap();
    waiter.join().unwrap();

    let first = &events[0];
    let reason = first.paused.as_deref().unwrap_or_default();
    assert!(
        first.rows_done == 0
            && reason.starts_with("a lock wait of")
            && reason.ends_with("over the bound of 200 ms"),
        "{events:?}"
    );
    assert!(
        first.to_string().contains("; paused: a lock wait of"),
        "{first}"
    );
    // After the pause, batches of 1,000 rows to the end, none paused for
    // replica lag.
    let batches: Vec<i64> = events
        .iter()
        .filter(|e| e.paused.is_none())
        .map(|e| e.rows_done)
        .collect();
    assert_eq!(batches, [1_000, 2_000, 3_000, 3_000], "{events:?}");
    assert!(events
        .iter()
        .filter_map(|e| e.paused.as_deref())
        .all(|reason| reason.starts_with("a lock wait")));
    assert_eq!(
        count(&mut *conn, "SELECT count(*) FROM big WHERE hits = 11"),
        3_000
    );
}
