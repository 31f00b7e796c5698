//! Upgrade base → head and downgrade head → base of the Arxos chain, our
//! runner against the same DDL sent in one batch, in one transaction,
//! straight through the driver (the physical limit) — measured interleaved:
//! baseline, per-migration, all-in-one, baseline, … so that the drift of a
//! noisy machine (checkpoints, other load) falls on all three alike. Prints
//! the median of each and its ratio to the baseline.
//!
//! ```sh
//! ARX_MIGRATE_TEST_PG=postgresql://postgres@127.0.0.1:5432/postgres cargo bench --bench interleaved
//! ```

use std::time::{Duration, Instant};

use arx_migrate::testing::{PgFixture, PgTestDatabase, TEST_PG_ENV};
use arx_migrate::{Backend, Direction, Migrator, TransactionMode};

const ROUNDS: usize = 15;

/// The chain's SQL for `backend` in one transaction.
fn batch(migrator: &Migrator, backend: Backend, direction: Direction) -> String {
    let mut migrations: Vec<_> = migrator.graph().in_order().cloned().collect();
    if direction == Direction::Downgrade {
        migrations.reverse();
    }
    let mut statements = Vec::new();
    for migration in migrations {
        statements.extend(
            arx_migrate::render(migration.as_ref(), backend, direction)
                .into_result()
                .expect("the Arxos chain renders offline"),
        );
    }
    format!("BEGIN;\n{};\nCOMMIT;", statements.join(";\n"))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Runs each contestant once per round, in turn, on a database `setup`
/// prepares (not timed); prints medians and ratios to the first.
/// A named way to do the work on a prepared database.
type Contestant<'a, D> = (&'a str, &'a dyn Fn(&mut D));

fn contest<D>(title: &str, setup: impl Fn() -> D, contestants: &[Contestant<'_, D>]) {
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); contestants.len()];
    for _ in 0..ROUNDS {
        for (i, (_, run)) in contestants.iter().enumerate() {
            let mut database = setup();
            let started = Instant::now();
            run(&mut database);
            samples[i].push(started.elapsed());
        }
    }
    let medians: Vec<Duration> = samples.into_iter().map(median).collect();
    println!("{title} (median of {ROUNDS})");
    for ((name, _), m) in contestants.iter().zip(&medians) {
        println!(
            "  {name:<28} {:>9.2} ms   {:.2} x baseline",
            m.as_secs_f64() * 1000.0,
            m.as_secs_f64() / medians[0].as_secs_f64()
        );
    }
}

struct SqliteFile {
    _dir: tempfile::TempDir,
    conn: rusqlite::Connection,
}

fn sqlite_file(at_head: Option<&Migrator>) -> SqliteFile {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = rusqlite::Connection::open(dir.path().join("bench.db")).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    if let Some(migrator) = at_head {
        migrator.upgrade(&mut conn, "head").unwrap();
    }
    SqliteFile { _dir: dir, conn }
}

fn main() {
    let per_migration = arx_schema::migrator().unwrap();
    let all_in_one = arx_schema::migrator()
        .unwrap()
        .transaction_mode(TransactionMode::AllInOne);

    let up = batch(&per_migration, Backend::Sqlite, Direction::Upgrade);
    contest(
        "upgrade base to head, SQLite file",
        || sqlite_file(None),
        &[
            ("baseline: one batch", &|f: &mut SqliteFile| {
                f.conn.execute_batch(&up).unwrap()
            }),
            ("migrator, per migration", &|f: &mut SqliteFile| {
                per_migration.upgrade(&mut f.conn, "head").unwrap();
            }),
            ("migrator, all in one", &|f: &mut SqliteFile| {
                all_in_one.upgrade(&mut f.conn, "head").unwrap();
            }),
        ],
    );
    let down = batch(&per_migration, Backend::Sqlite, Direction::Downgrade);
    contest(
        "downgrade head to base, SQLite file",
        || sqlite_file(Some(&per_migration)),
        &[
            ("baseline: one batch", &|f: &mut SqliteFile| {
                f.conn.execute_batch(&down).unwrap()
            }),
            ("migrator, per migration", &|f: &mut SqliteFile| {
                per_migration.downgrade(&mut f.conn, "base").unwrap();
            }),
            ("migrator, all in one", &|f: &mut SqliteFile| {
                all_in_one.downgrade(&mut f.conn, "base").unwrap();
            }),
        ],
    );

    let Ok(server) = std::env::var(TEST_PG_ENV) else {
        eprintln!("PostgreSQL skipped: set {TEST_PG_ENV}");
        return;
    };
    type Pg = (PgTestDatabase, postgres::Client);
    let empty = || -> Pg {
        let db = PgTestDatabase::create(&server).unwrap();
        let client = db.connect().unwrap();
        (db, client)
    };
    let up = batch(&per_migration, Backend::Postgres, Direction::Upgrade);
    contest(
        "upgrade base to head, PostgreSQL",
        empty,
        &[
            ("baseline: one batch", &|(_, c): &mut Pg| {
                c.batch_execute(&up).unwrap()
            }),
            ("migrator, per migration", &|(_, c): &mut Pg| {
                per_migration.upgrade(c, "head").unwrap();
            }),
            ("migrator, all in one", &|(_, c): &mut Pg| {
                all_in_one.upgrade(c, "head").unwrap();
            }),
        ],
    );
    let template = PgFixture::new(&per_migration, &server)
        .strategy(arx_migrate::testing::CopyStrategy::WalLog);
    let at_head = || -> Pg {
        let db = template.create().unwrap();
        let client = db.connect().unwrap();
        (db, client)
    };
    let down = batch(&per_migration, Backend::Postgres, Direction::Downgrade);
    contest(
        "downgrade head to base, PostgreSQL",
        at_head,
        &[
            ("baseline: one batch", &|(_, c): &mut Pg| {
                c.batch_execute(&down).unwrap()
            }),
            ("migrator, per migration", &|(_, c): &mut Pg| {
                per_migration.downgrade(c, "base").unwrap();
            }),
            ("migrator, all in one", &|(_, c): &mut Pg| {
                all_in_one.downgrade(c, "base").unwrap();
            }),
        ],
    );
    contest(
        "fresh test database at head, PostgreSQL (drop included)",
        || (),
        &[
            ("baseline: create and migrate", &|_: &mut ()| {
                let (db, mut client) = empty();
                per_migration.upgrade(&mut client, "head").unwrap();
                drop(client);
                drop(db);
            }),
            ("fixture: schema per test", &|_: &mut ()| {
                drop(PgFixture::new(&per_migration, &server).create().unwrap())
            }),
            ("fixture: template copy", &|_: &mut ()| {
                drop(template.create().unwrap())
            }),
        ],
    );
}
