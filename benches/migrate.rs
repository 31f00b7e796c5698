//! The Arxos chain on both backends, each figure beside a baseline measured
//! in the same run (the machines are noisy; ratios are what we compare).
//!
//! ```sh
//! ARX_MIGRATE_TEST_PG=postgresql://postgres@127.0.0.1:5432/postgres cargo bench --bench migrate
//! ```
//!
//! Groups:
//! - `upgrade base to head`: our runner vs. the same DDL in one batch, in
//!   one transaction, straight through the driver (the physical limit);
//! - `startup at head`: `migrate_to_head()` on a database already at head
//!   vs. one `SELECT version_num FROM alembic_version`;
//! - `fresh test database`: a fixture copy vs. migrating an empty database;
//! - `16 fresh databases at once`: the ways to copy under parallel load;
//! - `downgrade head to base`: our runner vs. the downgrade DDL in one batch.

use std::time::{Duration, Instant};

use arx_migrate::testing::{fresh_postgres, fresh_sqlite, PgTestDatabase, TEST_PG_ENV};
use arx_migrate::{Backend, Connection, Direction, Migrator, TransactionMode};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

/// The SQL every Arxos revision renders on `backend`, in order, as one
/// script in one transaction.
fn batch(migrator: &Migrator, backend: Backend, direction: Direction) -> String {
    let mut migrations: Vec<_> = migrator.graph().in_order().cloned().collect();
    if direction == Direction::Downgrade {
        migrations.reverse();
    }
    let mut script = String::from("BEGIN;\n");
    for migration in migrations {
        let statements = arx_migrate::render(migration.as_ref(), backend, direction)
            .into_result()
            .expect("the Arxos chain renders offline");
        for statement in statements {
            script.push_str(&statement);
            script.push_str(";\n");
        }
    }
    script.push_str("COMMIT;\n");
    script
}

struct SqliteFile {
    _dir: tempfile::TempDir,
    conn: rusqlite::Connection,
}

fn sqlite_file() -> SqliteFile {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("bench.db")).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    SqliteFile { _dir: dir, conn }
}

fn sqlite_at_head(migrator: &Migrator) -> SqliteFile {
    let mut file = sqlite_file();
    migrator.upgrade(&mut file.conn, "head").unwrap();
    file
}

fn pg_server() -> Option<String> {
    let url = std::env::var(TEST_PG_ENV).ok();
    if url.is_none() {
        eprintln!("PostgreSQL benchmarks skipped: set {TEST_PG_ENV}");
    }
    url
}

fn pg_empty(server: &str) -> (PgTestDatabase, postgres::Client) {
    let db = PgTestDatabase::create(server).unwrap();
    let client = db.connect().unwrap();
    (db, client)
}

fn upgrade(c: &mut Criterion) {
    let migrator = arx_schema::migrator().unwrap();
    let all_in_one = arx_schema::migrator()
        .unwrap()
        .transaction_mode(TransactionMode::AllInOne);
    let mut group = c.benchmark_group("upgrade base to head");
    group.sample_size(20);

    let script = batch(&migrator, Backend::Sqlite, Direction::Upgrade);
    group.bench_function("sqlite file: baseline, one batch", |b| {
        b.iter_batched(
            sqlite_file,
            |file| file.conn.execute_batch(&script).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("sqlite file: migrator, per migration", |b| {
        b.iter_batched(
            sqlite_file,
            |mut file| migrator.upgrade(&mut file.conn, "head").unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("sqlite file: migrator, all in one", |b| {
        b.iter_batched(
            sqlite_file,
            |mut file| all_in_one.upgrade(&mut file.conn, "head").unwrap(),
            BatchSize::PerIteration,
        )
    });

    if let Some(server) = pg_server() {
        group.sample_size(10);
        let script = batch(&migrator, Backend::Postgres, Direction::Upgrade);
        group.bench_function("postgres: baseline, one batch", |b| {
            b.iter_batched(
                || pg_empty(&server),
                |(_db, mut client)| client.batch_execute(&script).unwrap(),
                BatchSize::PerIteration,
            )
        });
        group.bench_function("postgres: migrator, per migration", |b| {
            b.iter_batched(
                || pg_empty(&server),
                |(_db, mut client)| migrator.upgrade(&mut client, "head").unwrap(),
                BatchSize::PerIteration,
            )
        });
        group.bench_function("postgres: migrator, all in one", |b| {
            b.iter_batched(
                || pg_empty(&server),
                |(_db, mut client)| all_in_one.upgrade(&mut client, "head").unwrap(),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn startup(c: &mut Criterion) {
    let migrator = arx_schema::migrator().unwrap();
    let mut group = c.benchmark_group("startup at head");
    let baseline = "SELECT version_num FROM alembic_version";

    let mut file = sqlite_at_head(&migrator);
    group.bench_function("sqlite file: baseline, one select", |b| {
        b.iter(|| file.conn.query(baseline).unwrap())
    });
    group.bench_function("sqlite file: arx_schema::migrate_to_head", |b| {
        b.iter(|| arx_schema::migrate_to_head(&mut file.conn).unwrap())
    });
    group.bench_function("sqlite file: reused Migrator::upgrade(head)", |b| {
        b.iter(|| migrator.upgrade(&mut file.conn, "head").unwrap())
    });

    if let Some(server) = pg_server() {
        let db = fresh_postgres(&migrator, &server).unwrap();
        let mut client = db.connect().unwrap();
        group.bench_function("postgres: baseline, one select", |b| {
            b.iter(|| Connection::query(&mut client, baseline).unwrap())
        });
        group.bench_function("postgres: arx_schema::migrate_to_head", |b| {
            b.iter(|| arx_schema::migrate_to_head(&mut client).unwrap())
        });
        group.bench_function("postgres: reused Migrator::upgrade(head)", |b| {
            b.iter(|| migrator.upgrade(&mut client, "head").unwrap())
        });
    }
    group.finish();
}

fn fresh_database(c: &mut Criterion) {
    use arx_migrate::testing::{CopyStrategy, PgFixture};
    let migrator = arx_schema::migrator().unwrap();
    let mut group = c.benchmark_group("fresh test database");
    group.sample_size(10);

    // Warm the per-process image so that the copy is what is measured.
    drop(fresh_sqlite(&migrator).unwrap());
    group.bench_function("sqlite memory: migrate from empty", |b| {
        b.iter(|| {
            let mut conn = rusqlite::Connection::open_in_memory().unwrap();
            migrator.upgrade(&mut conn, "head").unwrap();
            conn
        })
    });
    group.bench_function("sqlite memory: fixture copy", |b| {
        b.iter(|| fresh_sqlite(&migrator).unwrap())
    });

    if let Some(server) = pg_server() {
        drop(fresh_postgres(&migrator, &server).unwrap());
        // Dropping is part of a test's cost, so it is timed too.
        group.bench_function("postgres: create, migrate, drop", |b| {
            b.iter(|| {
                let (db, mut client) = pg_empty(&server);
                migrator.upgrade(&mut client, "head").unwrap();
                drop(client);
                drop(db);
            })
        });
        // Made on the spot; the prepared pool and the rollback fixture are
        // measured by the test_fixtures bench.
        let made = PgFixture::new(&migrator, &server);
        group.bench_function(
            "postgres: fixture, schema per test made on the spot, drop",
            |b| b.iter(|| drop(made.create().unwrap())),
        );
        let template = PgFixture::new(&migrator, &server).strategy(CopyStrategy::WalLog);
        drop(template.create().unwrap());
        group.bench_function("postgres: fixture, template copy, drop", |b| {
            b.iter(|| drop(template.create().unwrap()))
        });
    }
    group.finish();
}

fn downgrade(c: &mut Criterion) {
    let migrator = arx_schema::migrator().unwrap();
    let mut group = c.benchmark_group("downgrade head to base");
    group.sample_size(20);

    let script = batch(&migrator, Backend::Sqlite, Direction::Downgrade);
    group.bench_function("sqlite file: baseline, one batch", |b| {
        b.iter_batched(
            || sqlite_at_head(&migrator),
            |file| file.conn.execute_batch(&script).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("sqlite file: migrator", |b| {
        b.iter_batched(
            || sqlite_at_head(&migrator),
            |mut file| migrator.downgrade(&mut file.conn, "base").unwrap(),
            BatchSize::PerIteration,
        )
    });

    if let Some(server) = pg_server() {
        group.sample_size(10);
        let script = batch(&migrator, Backend::Postgres, Direction::Downgrade);
        let at_head = || {
            let db = fresh_postgres(&migrator, &server).unwrap();
            let client = db.connect().unwrap();
            (db, client)
        };
        group.bench_function("postgres: baseline, one batch", |b| {
            b.iter_batched(
                at_head,
                |(_db, mut client)| client.batch_execute(&script).unwrap(),
                BatchSize::PerIteration,
            )
        });
        group.bench_function("postgres: migrator", |b| {
            b.iter_batched(
                at_head,
                |(_db, mut client)| migrator.downgrade(&mut client, "base").unwrap(),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// 16 tests asking for a fresh PostgreSQL database at once: the ways to
/// copy the schema, timed until all 16 have one (dropping them is not
/// timed).
fn parallel_copies(c: &mut Criterion) {
    use arx_migrate::testing::{CopyStrategy, PgFixture};
    let Some(server) = pg_server() else { return };
    let migrator = arx_schema::migrator().unwrap();
    let mut group = c.benchmark_group("16 fresh databases at once");
    group.sample_size(10);
    let sixteen_at_once = |make: &(dyn Fn() -> Box<dyn Send> + Sync)| -> Duration {
        let started = Instant::now();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..16).map(|_| scope.spawn(make)).collect();
            let made: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            let elapsed = started.elapsed();
            drop(made);
            elapsed
        })
    };
    for (name, strategy) in [
        ("schema per test (default)", CopyStrategy::SchemaPerTest),
        ("template, WAL_LOG", CopyStrategy::WalLog),
        ("template, FILE_COPY", CopyStrategy::FileCopy),
    ] {
        let fixture = PgFixture::new(&migrator, &server).strategy(strategy);
        drop(fixture.create().unwrap()); // build the shared database or template first
        group.bench_function(name, |b| {
            b.iter_custom(|iterations| {
                (0..iterations)
                    .map(|_| {
                        sixteen_at_once(&|| Box::new(fixture.create().unwrap()) as Box<dyn Send>)
                    })
                    .sum()
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    startup,
    upgrade,
    fresh_database,
    downgrade,
    parallel_copies
);
criterion_main!(benches);
