//! Backfill throughput against the physical limit: `Ops::backfill` (batches
//! aimed at 100 ms, each committed with its position) and one `UPDATE` of
//! the same table, on PostgreSQL, in turn, round after round; prints the
//! medians and the backfill's speed as a share of the single UPDATE's.
//!
//! `ARX_MIGRATE_TEST_PG=postgresql://postgres@127.0.0.1:5432/postgres cargo bench --bench backfill`
//! (`ARX_BENCH_ROWS`, default 1,000,000; `ARX_BENCH_ROUNDS`, default 3).

use std::time::{Duration, Instant};

use arx_migrate::testing::{PgTestDatabase, TEST_PG_ENV};
use arx_migrate::{Backfill, FnMigration, MigrationSet, Migrator};

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

/// A fresh, vacuumed table of `rows` rows.
fn fill(client: &mut postgres::Client, table: &str, rows: i64) {
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS {table}; \
             CREATE TABLE {table} (id BIGINT PRIMARY KEY, hits INTEGER NOT NULL DEFAULT 0, note TEXT); \
             INSERT INTO {table} (id, note) SELECT i, md5(i::text) FROM generate_series(1, {rows}) AS i"
        ))
        .unwrap();
    // Alone: VACUUM cannot run in a multi-statement batch.
    client
        .batch_execute(&format!("VACUUM ANALYZE {table}"))
        .unwrap();
}

fn main() {
    let Ok(server) = std::env::var(TEST_PG_ENV) else {
        eprintln!("set {TEST_PG_ENV} to a PostgreSQL server URL to run this bench");
        return;
    };
    let rows = env_number("ARX_BENCH_ROWS", 1_000_000);
    let rounds = env_number("ARX_BENCH_ROUNDS", 3);
    let db = PgTestDatabase::create(&server).unwrap();
    let mut client = postgres::Client::connect(db.url(), postgres::NoTls).unwrap();
    let (mut single, mut batched, mut batches) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate which goes first, so that neither always meets a
        // warmer cache.
        let order = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for use_backfill in order {
            client
                .batch_execute("DROP TABLE IF EXISTS arx_migrate_version, arx_migrate_history, arx_migrate_backfill")
                .unwrap();
            fill(&mut client, "big", rows);
            if use_backfill {
                let set = MigrationSet::new().with(
                    FnMigration::new(
                        "001",
                        &[],
                        |op| op.backfill(Backfill::new("big").set("hits", "hits + 1")),
                        |_| Ok(()),
                    )
                    .non_transactional(),
                );
                let migrator = Migrator::new(set).unwrap();
                let mut count = 0;
                let started = Instant::now();
                migrator
                    .upgrade_with_progress(&mut client, "head", &mut |event| {
                        if let arx_migrate::Progress::Backfill(_) = event {
                            count += 1;
                        }
                    })
                    .unwrap();
                batched.push(started.elapsed());
                batches.push(count);
            } else {
                let started = Instant::now();
                client
                    .batch_execute("UPDATE big SET hits = hits + 1")
                    .unwrap();
                single.push(started.elapsed());
            }
        }
    }
    let (single, batched) = (median(single), median(batched));
    println!("rows: {rows}, rounds: {rounds}, batches per backfill: {batches:?}");
    println!(
        "one UPDATE:            {:>8.0} ms",
        single.as_secs_f64() * 1000.0
    );
    println!(
        "Ops::backfill (100ms): {:>8.0} ms",
        batched.as_secs_f64() * 1000.0
    );
    println!(
        "backfill speed as a share of the single UPDATE's: {:.0}%",
        100.0 * single.as_secs_f64() / batched.as_secs_f64()
    );
}
