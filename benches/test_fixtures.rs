//! Time per test on PostgreSQL, Arxos chain with PostGIS, for each way a
//! test can get its database, at 1 and 8 threads, beside the two baselines
//! measured in the same run: migrating a new database from empty, and a
//! database per test copied from a template. Then the growth of the shared
//! database over many schemas, with the pool's catalog vacuum and without.
//!
//! ```sh
//! ARX_MIGRATE_TEST_PG=postgresql://postgres@127.0.0.1:5432/postgres cargo bench --bench test_fixtures
//! ```
//!
//! A "test" is what a real one costs the suite: get the database, open
//! what the test gets (a transaction, a client), insert a user and count
//! the users, and let go. The pools are full when a run starts (they fill
//! while earlier tests run); `sustained` shows what happens when tests
//! outrun the pool's filler.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use arx_migrate::testing::{CopyStrategy, PgFixture, PgTestDatabase, REGISTRY_DATABASE};
use arx_migrate::Migrator;

const COUNT: &str = "SELECT count(*) FROM users";

/// A user of its own per test: tests that write the same unique key wait
/// for each other under the rollback strategy (see docs/testing.md).
fn insert() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("INSERT INTO users (email, username, password_hash) VALUES ('u{n}@example.com', 'u{n}', 'x')")
}

/// How long tests waited for their database to be handed out.
#[derive(Default)]
struct Handouts(std::sync::Mutex<Vec<Duration>>);

impl Handouts {
    fn time<T>(&self, handout: impl FnOnce() -> T) -> T {
        let began = Instant::now();
        let handed = handout();
        self.0.lock().unwrap().push(began.elapsed());
        handed
    }

    /// Median and slowest, and forgets them.
    fn take(&self) -> (Duration, Duration) {
        let mut all = std::mem::take(&mut *self.0.lock().unwrap());
        all.sort();
        (all[all.len() / 2], all[all.len() - 1])
    }
}

/// Runs `tests` tests on `threads` threads; wall time per test and the
/// median time a test took.
fn run(threads: usize, tests: usize, test: &(dyn Fn() + Sync)) -> (Duration, Duration) {
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    while next.fetch_add(1, Ordering::Relaxed) < tests {
                        let began = Instant::now();
                        test();
                        mine.push(began.elapsed());
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let wall = started.elapsed();
    latencies.sort();
    (wall / tests as u32, latencies[latencies.len() / 2])
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn registry(server: &str) -> postgres::Client {
    arx_migrate::testing::connect(&arx_migrate::testing::with_database(
        server,
        REGISTRY_DATABASE,
    ))
    .unwrap()
}

/// Waits until the set's pool of `kind` has `size` ready, nothing being
/// built and nothing given back left to drop.
fn wait_for_pool(server: &str, fixture: &PgFixture<'_>, kind: &str, size: i64) {
    let key = fixture
        .template_name()
        .trim_start_matches("arx_tpl_")
        .to_string();
    let mut registry = registry(server);
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let row = registry
            .query_one(
                "SELECT count(*) FILTER (WHERE state = 'ready'), \
                        count(*) FILTER (WHERE state IN ('retired', 'building')) \
                 FROM fixture_objects WHERE set_key = $1 AND kind = $2",
                &[&key, &kind],
            )
            .unwrap();
        let (ready, busy): (i64, i64) = (row.get(0), row.get(1));
        if ready >= size && busy == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "the {kind} pool never filled");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn database_size(server: &str, name: &str) -> i64 {
    arx_migrate::testing::connect(server)
        .unwrap()
        .query_one("SELECT pg_database_size($1)", &[&name])
        .unwrap()
        .get(0)
}

fn use_client(client: &mut postgres::Client) {
    client.batch_execute(&insert()).unwrap();
    let _: i64 = client.query_one(COUNT, &[]).unwrap().get(0);
}

fn main() {
    let Ok(server) = std::env::var(arx_migrate::testing::TEST_PG_ENV) else {
        eprintln!(
            "skipped: set {} to a PostgreSQL server URL",
            arx_migrate::testing::TEST_PG_ENV
        );
        return;
    };
    let migrator: &'static Migrator = Box::leak(Box::new(arx_schema::migrator().unwrap()));
    const POOL: usize = 8;
    let fixture = PgFixture::new(migrator, &server).pool_size(POOL);

    // Everything built once per migration set is built before timing.
    drop(fixture.rollback().unwrap());
    let template = fixture.clone().strategy(CopyStrategy::WalLog);
    drop(template.create().unwrap());
    drop(fixture.schema().unwrap());
    drop(fixture.database().unwrap());

    let from_empty = || {
        let db = PgTestDatabase::create(&server).unwrap();
        let mut client = db.connect().unwrap();
        migrator.upgrade(&mut client, "head").unwrap();
        use_client(&mut client);
    };
    let template_copy = || {
        let db = template.create().unwrap();
        use_client(&mut db.connect().unwrap());
    };
    let rollback = || {
        let mut db = fixture.rollback().unwrap();
        let mut tx = db.transaction().unwrap();
        tx.batch_execute(&insert()).unwrap();
        let _: i64 = tx.query_one(COUNT, &[]).unwrap().get(0);
    };
    let handouts = Handouts::default();
    let schema = || {
        let db = handouts.time(|| fixture.schema().unwrap());
        use_client(&mut db.connect().unwrap());
    };
    let database = || {
        let db = handouts.time(|| fixture.database().unwrap());
        use_client(&mut db.connect().unwrap());
    };

    println!("time per test, Arxos chain (PostGIS), wall time / tests (median test)");
    for threads in [1, 8] {
        let few = threads.max(3);
        let baseline_empty = run(threads, few, &from_empty);
        let baseline_template = run(threads, few, &template_copy);
        let rolled = run(threads, 100 * threads, &rollback);
        // Both pools full and idle: a filler refilling one (or dropping
        // what was given back) would slow the other's measurement.
        let settled = || {
            wait_for_pool(&server, &fixture, "schema", POOL as i64);
            wait_for_pool(&server, &fixture, "database", POOL as i64);
        };
        settled();
        let schemas = run(threads, POOL, &schema);
        let schema_handouts = handouts.take();
        settled();
        let databases = run(threads, POOL, &database);
        let database_handouts = handouts.take();
        println!("\n{threads} thread(s)");
        for (name, (per_test, median)) in [
            ("baseline: migrate from empty", baseline_empty),
            ("baseline: template copy (WAL_LOG)", baseline_template),
            ("rollback", rolled),
            ("schema from the pool", schemas),
            ("database from the pool", databases),
        ] {
            println!(
                "  {name:<34} {:>10} ({:>10})   {:>7.1} x faster than from empty   {:>7.1} x than a template copy",
                ms(per_test),
                ms(median),
                baseline_empty.0.as_secs_f64() / per_test.as_secs_f64(),
                baseline_template.0.as_secs_f64() / per_test.as_secs_f64(),
            );
        }
        for (name, (median, slowest)) in
            [("schema", schema_handouts), ("database", database_handouts)]
        {
            println!(
                "  handing out a {name}: median {}, slowest {}",
                ms(median),
                ms(slowest)
            );
        }
    }

    // Tests that outrun the filler: 4 times the pool, 8 threads.
    wait_for_pool(&server, &fixture, "schema", POOL as i64);
    let sustained = run(8, 4 * POOL, &schema);
    let (median, slowest) = handouts.take();
    println!(
        "\nsustained: {} schema tests at 8 threads, pool of {POOL}: {} per test ({} median); handed out in {} median, {} slowest",
        4 * POOL,
        ms(sustained.0),
        ms(sustained.1),
        ms(median),
        ms(slowest)
    );

    // The shared database over many schemas, in rounds, each way in a
    // shared database of its own, new for the run (a version table of its
    // own makes the migration set another): made by `create()` (dropped on
    // the test's path, nothing vacuumed) and through the pool (dropped in
    // the background, catalogs vacuumed every few drops).
    let rounds = 3;
    let per_round = 24;
    let mb = |bytes: i64| format!("{:.1} MB", bytes as f64 / 1_048_576.0);
    let fresh_set = |name: &str| -> &'static Migrator {
        let table = format!("bench_{name}_{}", std::process::id());
        Box::leak(Box::new(
            arx_schema::migrator().unwrap().version_table(table),
        ))
    };
    let unpooled_fixture = PgFixture::new(fresh_set("create"), &server);
    drop(unpooled_fixture.create().unwrap());
    let unpooled_shared = unpooled_fixture.shared_database_name();
    let mut sizes = vec![mb(database_size(&server, &unpooled_shared))];
    for _ in 0..rounds {
        run(8, per_round, &|| {
            let db = unpooled_fixture.create().unwrap();
            use_client(&mut db.connect().unwrap());
        });
        sizes.push(mb(database_size(&server, &unpooled_shared)));
    }
    println!(
        "\nshared database size every {per_round} schemas, create() without vacuum: {}",
        sizes.join(" -> ")
    );
    let pooled_fixture = PgFixture::new(fresh_set("pool"), &server).pool_size(POOL);
    drop(pooled_fixture.schema().unwrap());
    let pooled_shared = pooled_fixture.shared_database_name();
    wait_for_pool(&server, &pooled_fixture, "schema", POOL as i64);
    let mut sizes = vec![mb(database_size(&server, &pooled_shared))];
    for _ in 0..rounds {
        run(8, per_round, &|| {
            let db = pooled_fixture.schema().unwrap();
            use_client(&mut db.connect().unwrap());
        });
        wait_for_pool(&server, &pooled_fixture, "schema", POOL as i64);
        sizes.push(mb(database_size(&server, &pooled_shared)));
    }
    println!(
        "shared database size every {per_round} schemas, from the pool (vacuumed): {}",
        sizes.join(" -> ")
    );
    let mut admin = arx_migrate::testing::connect(&server).unwrap();
    for shared in [unpooled_shared, pooled_shared] {
        admin
            .batch_execute(&format!("DROP DATABASE {shared} WITH (FORCE)"))
            .unwrap();
    }
}
