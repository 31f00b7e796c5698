//! The cost of the journal of half-applied revisions on MariaDB: `upgrade
//! head` of a chain of revisions of several DDL statements each (every
//! statement journalled), against the same statements sent one by one on
//! one connection with no bookkeeping at all, in turn (each side first in
//! every other round), round after round;
//! prints the medians and their ratio.
//!
//! `ARX_MIGRATE_TEST_MYSQL=mysql://root@127.0.0.1:3306/test cargo bench --bench mysql_journal --features mysql,testing`
//! (`ARX_BENCH_REVISIONS`, default 20; `ARX_BENCH_ROUNDS`, default 5).

use std::time::{Duration, Instant};

use arx_migrate::mysql::prelude::Queryable;
use arx_migrate::testing::{MysqlTestDatabase, TEST_MYSQL_ENV};
use arx_migrate::{FnMigration, MigrationSet, Migrator, Ops};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The three DDL statements of revision `i`.
fn statements(i: usize) -> [String; 3] {
    [
        format!("CREATE TABLE t{i} (id BIGINT NOT NULL PRIMARY KEY, note LONGTEXT)"),
        format!(
            "ALTER TABLE t{i} ADD COLUMN created_at DATETIME(6) NULL, ALGORITHM=INSTANT, LOCK=NONE"
        ),
        format!("CREATE INDEX t{i}_by_created ON t{i} (created_at)"),
    ]
}

fn chain(revisions: usize) -> MigrationSet {
    let mut set = MigrationSet::new();
    for i in 0..revisions {
        let id: &'static str = Box::leak(format!("{:03}", i + 1).into_boxed_str());
        let parent: &'static [&'static str] = if i == 0 {
            &[]
        } else {
            Box::leak(vec![&*Box::leak(format!("{i:03}").into_boxed_str())].into_boxed_slice())
        };
        set = set.with(FnMigration::new(
            id,
            parent,
            move |op: &mut Ops| {
                for sql in statements(i) {
                    op.sql(sql)?;
                }
                Ok(())
            },
            move |op: &mut Ops| op.sql(format!("DROP TABLE t{i}")),
        ));
    }
    set
}

fn main() {
    let Ok(server) = std::env::var(TEST_MYSQL_ENV) else {
        eprintln!("set {TEST_MYSQL_ENV} to a MariaDB server URL");
        return;
    };
    let revisions = env_number("ARX_BENCH_REVISIONS", 20);
    let rounds = env_number("ARX_BENCH_ROUNDS", 5);
    let migrator = Migrator::new(chain(revisions)).unwrap();
    let (mut raw, mut journalled) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Each side goes first in every other round.
        for side in [round % 2, 1 - round % 2] {
            let db = MysqlTestDatabase::create(&server).unwrap();
            let mut conn = db.connect().unwrap();
            let started = Instant::now();
            if side == 0 {
                for i in 0..revisions {
                    for sql in statements(i) {
                        conn.query_drop(sql).unwrap();
                    }
                }
                raw.push(started.elapsed());
            } else {
                migrator.upgrade(&mut conn, "head").unwrap();
                journalled.push(started.elapsed());
            }
        }
    }
    let (raw, journalled) = (median(raw), median(journalled));
    println!(
        "{revisions} revisions x 3 DDL statements, median of {rounds}: raw statements {:.1} ms, upgrade head (journalled) {:.1} ms, ratio {:.2}",
        raw.as_secs_f64() * 1000.0,
        journalled.as_secs_f64() * 1000.0,
        journalled.as_secs_f64() / raw.as_secs_f64()
    );
}
