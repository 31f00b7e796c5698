//! A database per test on MariaDB: what a test waits for, by fixture, on
//! the Arxos chain. Interleaved rounds, medians:
//!
//! - `migrate`: a database created and migrated on the spot
//!   (`MysqlFixture::create`) — the baseline;
//! - `copy`: a test that finds the pool empty (its one ready copy just
//!   taken by another) and copies the template itself;
//! - `ready`: taken after a pause the size of a short test, when the
//!   background thread has a copy ready (`PAUSE_MS`, default 5000);
//! - `rollback`: a session on the shared database, an XA transaction
//!   opened and rolled back.
//!
//! ```sh
//! ARX_MIGRATE_TEST_MYSQL=mysql://root@127.0.0.1:3306/test cargo bench --bench mysql_fixtures --features mysql,testing
//! ```

use std::time::{Duration, Instant};

use arx_migrate::testing::MysqlFixture;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let Ok(server) = std::env::var("ARX_MIGRATE_TEST_MYSQL") else {
        eprintln!("set ARX_MIGRATE_TEST_MYSQL to run the MariaDB fixture benchmark");
        return;
    };
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(15);
    // The pause stands for a test's own work, during which the background
    // thread makes the next copy.
    let pause = Duration::from_millis(
        std::env::var("PAUSE_MS")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(5000),
    );
    let migrator = arx_schema::migrator().unwrap();
    let fixture = MysqlFixture::new(&migrator, &server).pool_size(1);
    // The template, the first copy and the pool: once per process.
    let start = Instant::now();
    drop(fixture.database().unwrap());
    println!(
        "first fixture of the process (template migrated, first copy checked): {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    let (mut migrate, mut copy, mut ready, mut rollback) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        let start = Instant::now();
        let db = fixture.create().unwrap();
        migrate.push(start.elapsed());
        drop(db);

        // The pool's one ready copy goes to a first test; the next test,
        // back to back, copies its own.
        let first = fixture.database().unwrap();
        let start = Instant::now();
        let db = fixture.database().unwrap();
        copy.push(start.elapsed());
        assert!(db.is_copy());
        drop((first, db));

        std::thread::sleep(pause);
        let start = Instant::now();
        let db = fixture.database().unwrap();
        ready.push(start.elapsed());
        drop(db);

        let start = Instant::now();
        let mut session = fixture.rollback().unwrap();
        session.with_transaction(|_| ()).unwrap();
        drop(session);
        rollback.push(start.elapsed());
    }
    let base = median(migrate.clone());
    for (name, samples) in [
        ("migrate", migrate),
        ("copy", copy),
        ("ready", ready),
        ("rollback", rollback),
    ] {
        let m = median(samples);
        println!(
            "{name:>8}: median {:8.2} ms  ({:.3} x migrate)",
            m.as_secs_f64() * 1e3,
            m.as_secs_f64() / base.as_secs_f64()
        );
    }
}
