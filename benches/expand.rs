//! Expand/contract on PostgreSQL: what a rename's expand costs against
//! its physical limit, and what its sync trigger adds to each write.
//!
//! In each round, on a fresh, vacuumed table of `ARX_BENCH_ROWS` rows:
//! - the limit: `ALTER TABLE … ADD COLUMN full_name text` and one
//!   `UPDATE users SET full_name = name` (no trigger, one transaction);
//! - `Ops::expand(Expand::rename_column("users", "name", "full_name"))`
//!   (the column, the trigger, the batched backfill);
//! - single-row `UPDATE`s of the old column (`ARX_BENCH_WRITES` of them,
//!   each its own transaction), on the table without the trigger and on
//!   the expanded one, where the trigger copies each write to the new
//!   column.
//!
//! The contestants alternate which goes first; medians are compared.
//!
//! `ARX_MIGRATE_TEST_PG=postgresql://postgres@127.0.0.1:5432/postgres cargo bench --features testing --bench expand`
//! (`ARX_BENCH_ROWS`, default 1,000,000; `ARX_BENCH_ROUNDS`, default 3;
//! `ARX_BENCH_WRITES`, default 5,000).

use std::time::{Duration, Instant};

use arx_migrate::testing::{PgTestDatabase, TEST_PG_ENV};
use arx_migrate::{Expand, FnMigration, MigrationSet, Migrator, Ops};

fn env_number(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A fresh, vacuumed `users` table of `rows` rows, and no bookkeeping.
fn fill(client: &mut postgres::Client, rows: i64) {
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS users, arx_migrate_version, arx_migrate_history, arx_migrate_backfill, arx_migrate_expand; \
             CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT NOT NULL, note TEXT); \
             INSERT INTO users (id, name, note) SELECT i, 'user ' || i, md5(i::text) FROM generate_series(1, {rows}) AS i"
        ))
        .unwrap();
    client.batch_execute("VACUUM ANALYZE users").unwrap();
}

/// `writes` single-row updates of the old column, each committed alone.
fn writes(client: &mut postgres::Client, rows: i64, writes: i64) -> Duration {
    let update = client
        .prepare("UPDATE users SET name = $1 WHERE id = $2")
        .unwrap();
    let started = Instant::now();
    for n in 0..writes {
        let id = (n * 7_919) % rows + 1;
        client
            .execute(&update, &[&format!("written {n}"), &id])
            .unwrap();
    }
    started.elapsed()
}

fn rename() -> Expand {
    Expand::rename_column("users", "name", "full_name")
}

fn main() {
    let Ok(server) = std::env::var(TEST_PG_ENV) else {
        eprintln!("set {TEST_PG_ENV} to a PostgreSQL server URL to run this bench");
        return;
    };
    let rows = env_number("ARX_BENCH_ROWS", 1_000_000);
    let rounds = env_number("ARX_BENCH_ROUNDS", 3);
    let write_count = env_number("ARX_BENCH_WRITES", 5_000);
    let db = PgTestDatabase::create(&server).unwrap();
    let mut client = postgres::Client::connect(db.url(), postgres::NoTls).unwrap();
    let migrator = Migrator::new(
        MigrationSet::new().with(
            FnMigration::new(
                "001",
                &[],
                |op: &mut Ops| op.expand(&rename()),
                |op: &mut Ops| op.undo_expand(&rename()),
            )
            .non_transactional(),
        ),
    )
    .unwrap();
    let (mut limit, mut expand, mut plain_writes, mut synced_writes) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for use_expand in order {
            fill(&mut client, rows);
            if use_expand {
                let started = Instant::now();
                migrator.upgrade(&mut client, "head").unwrap();
                expand.push(started.elapsed());
                synced_writes.push(writes(&mut client, rows, write_count));
                let drift: i64 = client
                    .query_one(
                        "SELECT count(*) FROM users WHERE full_name IS DISTINCT FROM name",
                        &[],
                    )
                    .unwrap()
                    .get(0);
                assert_eq!(drift, 0, "the trigger let the columns drift apart");
            } else {
                plain_writes.push(writes(&mut client, rows, write_count));
                let started = Instant::now();
                client
                    .batch_execute(
                        "BEGIN; ALTER TABLE users ADD COLUMN full_name text; UPDATE users SET full_name = name; COMMIT",
                    )
                    .unwrap();
                limit.push(started.elapsed());
            }
        }
    }
    let (limit, expand) = (median(limit), median(expand));
    let (plain, synced) = (median(plain_writes), median(synced_writes));
    println!("rows: {rows}, rounds: {rounds}, single-row writes per round: {write_count}");
    println!(
        "ADD COLUMN + one UPDATE (no trigger): {:>8.0} ms",
        ms(limit)
    );
    println!(
        "Ops::expand (column, trigger, backfill): {:>5.0} ms",
        ms(expand)
    );
    println!(
        "expand / limit: {:.2}x",
        expand.as_secs_f64() / limit.as_secs_f64()
    );
    println!(
        "{write_count} writes of the old column: {:.0} ms without the trigger, {:.0} ms with it: {:.2}x",
        ms(plain),
        ms(synced),
        synced.as_secs_f64() / plain.as_secs_f64()
    );
}
