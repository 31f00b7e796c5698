//! The prepared pool: schemas and databases built ahead, claimed once each,
//! dropped in the background after use; what a crashed process or an
//! earlier version left behind is reclaimed.

#[path = "../../arx-migrate-core/tests/support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::io::BufRead;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arx_migrate_core::{FnMigration, MigrationSet, Migrator};
use arx_migrate_testing::{
    self as testing, postgres_test_url, reclaim_stale, PgFixture, ReclaimPolicy, REGISTRY_DATABASE,
};
use support::*;

/// A chain of its own (by its table's name), so that the test's pool is
/// its own. The same in every run, as a user's would be: the pool and the
/// databases it is built from stay on the server for the next run.
fn own_chain(tag: &str) -> Migrator {
    let table = format!("pool_{tag}");
    Migrator::new(MigrationSet::new().with(FnMigration::new(
        "p001",
        &[],
        move |op| op.sql(format!("CREATE TABLE {table} (id INTEGER PRIMARY KEY)")),
        ok,
    )))
    .unwrap()
}

fn registry(server: &str) -> postgres::Client {
    testing::connect(&testing::with_database(server, REGISTRY_DATABASE)).unwrap()
}

/// The registry's states of a migration set's objects.
fn states(server: &str, fixture: &PgFixture<'_>) -> Vec<(String, String)> {
    let digest = fixture
        .template_name()
        .trim_start_matches("arx_tpl_")
        .to_string();
    registry(server)
        .query(
            "SELECT name, state FROM fixture_objects WHERE set_key = $1 ORDER BY name",
            &[&digest],
        )
        .unwrap()
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

fn schema_exists(server: &str, database: &str, schema: &str) -> bool {
    let mut conn = testing::connect(&testing::with_database(server, database)).unwrap();
    count(
        &mut conn,
        &format!("SELECT count(*) FROM pg_namespace WHERE nspname = '{schema}'"),
    ) == 1
}

fn database_exists(server: &str, name: &str) -> bool {
    let mut admin = testing::connect(server).unwrap();
    count(
        &mut admin,
        &format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'"),
    ) == 1
}

/// Waits for background work (not a timing assertion: the deadline only
/// turns a hang into a failure).
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn pooled_schemas_are_at_the_target_isolated_and_dropped_after_use() {
    let Some(server) =
        postgres_test_url("pooled_schemas_are_at_the_target_isolated_and_dropped_after_use")
    else {
        return;
    };
    let migrator = Arc::new(Migrator::new(branchy_chain()).unwrap());
    // Eight tests at once: each gets a schema of its own.
    let handed: Vec<_> = (0..8)
        .map(|_| {
            let (migrator, server) = (Arc::clone(&migrator), server.clone());
            std::thread::spawn(move || PgFixture::new(&migrator, &server).schema().unwrap())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|thread| thread.join().unwrap())
        .collect();
    let distinct: BTreeSet<_> = handed.iter().map(|db| db.schema().unwrap()).collect();
    assert_eq!(distinct.len(), 8);

    let (first, second) = (&handed[0], &handed[1]);
    let mut a = first.connect().unwrap();
    let mut b = second.connect().unwrap();
    assert_eq!(
        tables(&mut a),
        names(&["001", "002", "003a", "003b", "004", "005"])
    );
    assert_eq!(migrator.current(&mut a).unwrap(), ["005"]);
    // A schema of its own commits, and migrates down and up.
    a.batch_execute("INSERT INTO t001 (id, note) VALUES (1, 'only here')")
        .unwrap();
    assert_eq!(count(&mut b, "SELECT count(*) FROM t001"), 0);
    migrator.downgrade(&mut b, "002").unwrap();
    assert_eq!(tables(&mut b), names(&["001", "002"]));
    assert_eq!(tables(&mut a).len(), 6);

    let at_002 = PgFixture::new(&migrator, &server)
        .at("002")
        .schema()
        .unwrap();
    let mut c = at_002.connect().unwrap();
    assert_eq!(tables(&mut c), names(&["001", "002"]));

    let given_back = (
        first.name().to_string(),
        first.schema().unwrap().to_string(),
    );
    drop((a, b, c));
    drop(handed);
    eventually("the given-back schema is dropped", || {
        !schema_exists(&server, &given_back.0, &given_back.1)
    });
}

#[test]
fn the_pool_is_filled_ahead_up_to_its_size() {
    let Some(server) = postgres_test_url("the_pool_is_filled_ahead_up_to_its_size") else {
        return;
    };
    let migrator = own_chain("ahead");
    let fixture = PgFixture::new(&migrator, &server).pool_size(3);
    let first = fixture.schema().unwrap();
    eventually("three schemas are ready", || {
        states(&server, &fixture)
            .iter()
            .filter(|(_, state)| state == "ready")
            .count()
            == 3
    });
    let ready: BTreeSet<String> = states(&server, &fixture)
        .into_iter()
        .filter(|(_, state)| state == "ready")
        .map(|(name, _)| name)
        .collect();
    let second = fixture.schema().unwrap();
    assert!(ready.contains(second.schema().unwrap()), "a prepared one");
    // Refilled, never beyond the size.
    eventually("the pool is refilled", || {
        states(&server, &fixture)
            .iter()
            .filter(|(_, state)| state == "ready")
            .count()
            == 3
    });
    std::thread::sleep(Duration::from_millis(300));
    let pending = states(&server, &fixture)
        .iter()
        .filter(|(_, state)| state == "ready" || state == "building")
        .count();
    assert_eq!(pending, 3);

    // Having taken two, the process claims one ahead: the next test's is
    // already its own.
    let in_use: BTreeSet<String> = [&first, &second]
        .iter()
        .map(|db| db.schema().unwrap().to_string())
        .collect();
    let claimed_ahead = || -> Vec<String> {
        states(&server, &fixture)
            .into_iter()
            .filter(|(name, state)| state == "claimed" && !in_use.contains(name))
            .map(|(name, _)| name)
            .collect()
    };
    eventually("one is claimed ahead", || claimed_ahead().len() == 1);
    let ahead = claimed_ahead();
    let third = fixture.schema().unwrap();
    assert_eq!(third.schema().unwrap(), ahead[0]);
    drop((first, second, third));
}

#[test]
fn a_chain_with_a_data_migration_gets_pooled_databases() {
    let Some(server) = postgres_test_url("a_chain_with_a_data_migration_gets_pooled_databases")
    else {
        return;
    };
    let set = MigrationSet::new().with(FnMigration::new(
        "pd001",
        &[],
        |op| {
            op.sql("CREATE TABLE counters (n INTEGER)")?;
            match op.connection()? {
                arx_migrate_core::DataConnection::Postgres(client) => client
                    .batch_execute("INSERT INTO counters VALUES (41 + 1)")
                    .map_err(arx_migrate_core::Error::custom),
                _ => Ok(()),
            }
        },
        ok,
    ));
    let migrator = Migrator::new(set).unwrap();
    let fixture = PgFixture::new(&migrator, &server).pool_size(1);
    let db = fixture.schema().unwrap();
    assert!(db.schema().is_none(), "a database of its own");
    let mut conn = db.connect().unwrap();
    assert_eq!(count(&mut conn, "SELECT n FROM counters"), 42);
    let name = db.name().to_string();
    drop(conn);
    drop(db);
    eventually("the given-back database is dropped", || {
        !database_exists(&server, &name)
    });
}

/// The child of `what_a_crashed_process_held_is_reclaimed`: claims a schema
/// and a database, prints where they are, and dies without dropping them.
#[test]
#[ignore = "run as a child process by what_a_crashed_process_held_is_reclaimed"]
fn child_claims_and_crashes() {
    let Ok(server) = std::env::var("ARX_FIXTURE_CRASH_CHILD") else {
        return;
    };
    let migrator = own_chain("crash");
    let fixture = PgFixture::new(&migrator, &server).pool_size(1);
    let schema = fixture.schema().unwrap();
    let database = fixture.database().unwrap();
    println!(
        "HELD {} {} {}",
        schema.name(),
        schema.schema().unwrap(),
        database.name()
    );
    std::process::abort();
}

#[test]
fn what_a_crashed_process_held_is_reclaimed() {
    let Some(server) = postgres_test_url("what_a_crashed_process_held_is_reclaimed") else {
        return;
    };
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_claims_and_crashes",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ARX_FIXTURE_CRASH_CHILD", &server)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!child.status.success(), "the child aborts");
    let held = child
        .stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.split("HELD ").nth(1).map(str::to_string))
        .expect("the child says what it held");
    let held: Vec<&str> = held.split(' ').collect();
    let (shared, schema, database) = (held[0], held[1], held[2]);
    assert!(schema_exists(&server, shared, schema));
    assert!(database_exists(&server, database));

    // The owner session ended with the process: reclaimed without waiting
    // for any age bound.
    eventually(
        "the crashed process's schema and database are dropped",
        || {
            reclaim_stale(&server, &ReclaimPolicy::default()).unwrap();
            !schema_exists(&server, shared, schema) && !database_exists(&server, database)
        },
    );
}

#[test]
fn leftovers_of_earlier_versions_are_reclaimed_once_stale() {
    let Some(server) = postgres_test_url("leftovers_of_earlier_versions_are_reclaimed_once_stale")
    else {
        return;
    };
    let pid = std::process::id();
    // What earlier versions left: a scratch database, a shared fixture
    // database of an edited chain, a per-test schema in it.
    let scratch = format!("arx_scratch_left_{pid}");
    let shared = format!("arx_fx_left{pid}");
    let mut admin = testing::connect(&server).unwrap();
    for name in [&scratch, &shared] {
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}; "))
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
    }
    let schema = format!("arx_test_{pid}_0_1");
    let mut in_shared = testing::connect(&testing::with_database(&server, &shared)).unwrap();
    in_shared
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap();
    drop(in_shared);

    // First seen now: nothing is old enough yet.
    let dropped = reclaim_stale(&server, &ReclaimPolicy::default()).unwrap();
    assert!(!dropped.iter().any(|name| name.contains(&pid.to_string())));
    assert!(database_exists(&server, &scratch));

    // As if the sweep had first seen the unowned ones long ago; the shared
    // database was used recently.
    registry(&server)
        .execute(
            "UPDATE fixture_objects SET created_at = now() - interval '2 hours' \
             WHERE kind = 'scratch' AND database = ANY($1)",
            &[&vec![scratch.clone(), shared.clone()]],
        )
        .unwrap();
    // A connected session keeps a database.
    let keeper = testing::connect(&testing::with_database(&server, &scratch)).unwrap();
    let dropped = reclaim_stale(&server, &ReclaimPolicy::default()).unwrap();
    assert!(
        dropped.contains(&format!("{shared}.{schema}")),
        "{dropped:?}"
    );
    assert!(!schema_exists(&server, &shared, &schema));
    assert!(database_exists(&server, &shared), "used recently");
    assert!(database_exists(&server, &scratch), "in use");
    drop(keeper);

    // Unused for longer than the policy allows.
    registry(&server)
        .execute(
            "UPDATE fixture_objects SET used_at = now() - interval '2 days' \
             WHERE database = $1 AND name = $1",
            &[&shared],
        )
        .unwrap();
    eventually("the stale databases are dropped once unused", || {
        reclaim_stale(&server, &ReclaimPolicy::default()).unwrap();
        !database_exists(&server, &scratch) && !database_exists(&server, &shared)
    });
}
