//! The fleet engine (feature `fleet`): parallel workers over targets,
//! failures kept to their target, `fail_fast`, the canary, and worker
//! state made again after a failure; on SQLite files and on the tenant
//! schemas of one PostgreSQL database.
#![cfg(feature = "fleet")]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use arx_migrate_core::backend::sqlite::db_error;
use arx_migrate_core::fleet::{self, Event, Options, Outcome, TargetOutcome, TargetResult};
use arx_migrate_core::{Error, FnMigration, MigrationSet, Migrator};
use arx_migrate_testing::{postgres_test_url, PgTestDatabase};

/// Two revisions: a table, then an index on it.
fn migrator() -> Migrator {
    Migrator::new(
        MigrationSet::new()
            .with(FnMigration::new(
                "001",
                &[],
                |op| op.sql("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)"),
                |op| op.sql("DROP TABLE items"),
            ))
            .with(FnMigration::new(
                "002",
                &["001"],
                |op| op.sql("CREATE INDEX items_by_name ON items (name)"),
                |op| op.sql("DROP INDEX items_by_name"),
            )),
    )
    .unwrap()
}

/// `count` SQLite files in `dir`, named `shop_1.db`, …
fn files(dir: &Path, count: usize) -> Vec<String> {
    (1..=count)
        .map(|i| dir.join(format!("shop_{i}.db")).display().to_string())
        .collect()
}

/// Upgrades one SQLite file to head on a connection of its own.
fn upgrade_file(migrator: &Migrator, file: &str) -> Result<TargetResult, Error> {
    let mut connection =
        rusqlite::Connection::open(file).map_err(|e| Error::Database(db_error(e)))?;
    Ok(migrator.upgrade(&mut connection, "head")?.into())
}

/// A file whose `items` table is there before the first revision runs,
/// so that its upgrade fails.
fn break_file(file: &str) {
    rusqlite::Connection::open(file)
        .unwrap()
        .execute_batch("CREATE TABLE items (other TEXT)")
        .unwrap();
}

/// The revisions recorded in a file's version table (none without one).
fn version(file: &str) -> Vec<String> {
    let mut connection = rusqlite::Connection::open(file).unwrap();
    let migrator = migrator();
    migrator.current(&mut connection).unwrap_or_default()
}

fn outcomes<E>(records: &[TargetOutcome<E>]) -> Vec<Outcome> {
    records.iter().map(|r| r.outcome).collect()
}

#[test]
fn every_job_works_on_a_target_at_the_same_time() {
    const JOBS: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let targets = files(dir.path(), JOBS);
    let migrator = migrator();
    // Each target's work waits until all JOBS works have begun: only a
    // pool that runs them at once gets past. The wait is bounded so that a
    // pool that does not fails its targets instead of hanging.
    let arrived = (Mutex::new(0usize), Condvar::new());
    let records = fleet::run(
        &targets,
        &Options::new().jobs(JOBS),
        || Ok(()),
        |_, file| {
            let (count, all_here) = &arrived;
            let mut count = count.lock().unwrap();
            *count += 1;
            all_here.notify_all();
            let (count, _) = all_here
                .wait_timeout_while(count, Duration::from_secs(60), |n| *n < JOBS)
                .unwrap();
            if *count < JOBS {
                return Err(Error::Config(format!(
                    "only {count} of {JOBS} targets were being worked on at once"
                )));
            }
            drop(count);
            upgrade_file(&migrator, file)
        },
        &mut |_| {},
    );
    assert_eq!(outcomes(&records), [Outcome::Migrated; JOBS]);
    for (record, file) in records.iter().zip(&targets) {
        assert_eq!(record.target, *file);
        assert_eq!(record.from, Some(vec![]));
        assert_eq!(record.to, Some(vec!["002".to_string()]));
        assert_eq!(record.steps, 2);
        assert!(record.error.is_none());
        assert_eq!(version(file), ["002"]);
    }
}

#[test]
fn a_failing_target_is_recorded_and_the_others_are_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let targets = files(dir.path(), 6);
    break_file(&targets[2]);
    let migrator = migrator();
    let mut finished = Vec::new();
    let records = fleet::run(
        &targets,
        &Options::new().jobs(3),
        || Ok(()),
        |_, file| upgrade_file(&migrator, file),
        &mut |event| {
            if let Event::Finished(index, record) = event {
                finished.push((index, record.outcome));
            }
        },
    );
    let mut expected = [Outcome::Migrated; 6];
    expected[2] = Outcome::Failed;
    assert_eq!(outcomes(&records), expected);
    let error = records[2].error.as_ref().unwrap();
    assert_eq!(error.kind(), "migration_failed");
    assert_eq!(error.revision(), Some("001"));
    assert_eq!(records[2].from, None);
    assert_eq!(version(&targets[2]), Vec::<String>::new());
    for i in [0, 1, 3, 4, 5] {
        assert_eq!(version(&targets[i]), ["002"]);
    }
    // Every target was reported once as it finished, with its outcome.
    finished.sort_by_key(|(index, _)| *index);
    let reported: Vec<Outcome> = finished.iter().map(|(_, outcome)| *outcome).collect();
    assert_eq!(finished.len(), 6);
    assert_eq!(reported, expected);
}

#[test]
fn fail_fast_starts_no_target_after_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let targets = files(dir.path(), 5);
    break_file(&targets[1]);
    let migrator = migrator();
    let records = fleet::run(
        &targets,
        &Options::new().jobs(1).fail_fast(true),
        || Ok(()),
        |_, file| upgrade_file(&migrator, file),
        &mut |_| {},
    );
    assert_eq!(
        outcomes(&records),
        [
            Outcome::Migrated,
            Outcome::Failed,
            Outcome::Skipped,
            Outcome::Skipped,
            Outcome::Skipped
        ]
    );
    for (record, file) in records.iter().zip(&targets).skip(2) {
        assert_eq!(record.target, *file);
        assert_eq!((record.from.as_ref(), record.to.as_ref()), (None, None));
        assert_eq!(record.duration, Duration::ZERO);
        assert!(!Path::new(file).exists(), "{file} was opened");
    }
}

#[test]
fn without_fail_fast_the_targets_after_a_failure_are_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let targets = files(dir.path(), 4);
    break_file(&targets[1]);
    let migrator = migrator();
    let records = fleet::run(
        &targets,
        &Options::new().jobs(1),
        || Ok(()),
        |_, file| upgrade_file(&migrator, file),
        &mut |_| {},
    );
    assert_eq!(
        outcomes(&records),
        [
            Outcome::Migrated,
            Outcome::Failed,
            Outcome::Migrated,
            Outcome::Migrated
        ]
    );
}

#[test]
fn a_failed_canary_starts_no_other_target() {
    let dir = tempfile::tempdir().unwrap();
    let targets = files(dir.path(), 6);
    break_file(&targets[1]);
    let migrator = migrator();
    let mut phases = Vec::new();
    let records = fleet::run(
        &targets,
        &Options::new().jobs(1).canary(3),
        || Ok(()),
        |_, file| upgrade_file(&migrator, file),
        &mut |event| match event {
            Event::CanaryPassed => phases.push("passed"),
            Event::CanaryFailed => phases.push("failed"),
            _ => {}
        },
    );
    assert_eq!(phases, ["failed"]);
    // The canary stops at its first failure, like fail_fast.
    assert_eq!(
        outcomes(&records),
        [
            Outcome::Migrated,
            Outcome::Failed,
            Outcome::Skipped,
            Outcome::Skipped,
            Outcome::Skipped,
            Outcome::Skipped
        ]
    );
}

#[test]
fn a_passed_canary_lets_the_rest_follow() {
    let dir = tempfile::tempdir().unwrap();
    let targets = files(dir.path(), 5);
    let migrator = migrator();
    let mut events = Vec::new();
    let records = fleet::run(
        &targets,
        &Options::new().jobs(2).canary(2),
        || Ok(()),
        |_, file| upgrade_file(&migrator, file),
        &mut |event| match event {
            Event::Finished(index, _) => events.push(format!("finished {index}")),
            Event::CanaryPassed => events.push("canary passed".to_string()),
            _ => {}
        },
    );
    assert_eq!(outcomes(&records), [Outcome::Migrated; 5]);
    let passed = events.iter().position(|e| e == "canary passed").unwrap();
    let mut canary: Vec<&str> = events[..passed].iter().map(String::as_str).collect();
    canary.sort();
    assert_eq!(canary, ["finished 0", "finished 1"]);
}

#[test]
fn a_panic_fails_its_target_only() {
    let dir = tempfile::tempdir().unwrap();
    let targets = files(dir.path(), 3);
    let migrator = migrator();
    let records = fleet::run(
        &targets,
        &Options::new().jobs(2),
        || Ok(()),
        |_, file| {
            if file.ends_with("shop_2.db") {
                panic!("the work broke on {file}");
            }
            upgrade_file(&migrator, file)
        },
        &mut |_| {},
    );
    assert_eq!(
        outcomes(&records),
        [Outcome::Migrated, Outcome::Failed, Outcome::Migrated]
    );
    match records[1].error.as_ref().unwrap() {
        Error::Panicked { target, message } => {
            assert_eq!(target, &targets[1]);
            assert_eq!(message, &format!("the work broke on {}", targets[1]));
        }
        other => panic!("expected Error::Panicked, got {other:?}"),
    }
    assert_eq!(records[1].error.as_ref().unwrap().kind(), "internal");
}

#[test]
fn a_failed_target_leaves_its_successor_a_new_worker_state() {
    let dir = tempfile::tempdir().unwrap();
    let targets = files(dir.path(), 4);
    break_file(&targets[1]);
    let migrator = migrator();
    let made = AtomicUsize::new(0);
    // The state counts the targets its worker has served since it was
    // made; the record's `steps` shows the count.
    let records = fleet::run(
        &targets,
        &Options::new().jobs(1),
        || {
            made.fetch_add(1, Ordering::SeqCst);
            Ok(0usize)
        },
        |served: &mut usize, file| {
            *served += 1;
            let result = upgrade_file(&migrator, file)?;
            Ok(TargetResult {
                steps: *served,
                ..result
            })
        },
        &mut |_| {},
    );
    assert_eq!(
        outcomes(&records),
        [
            Outcome::Migrated,
            Outcome::Failed,
            Outcome::Migrated,
            Outcome::Migrated
        ]
    );
    // One state for the first two targets, a new one after the failure.
    assert_eq!(made.load(Ordering::SeqCst), 2);
    assert_eq!(records[0].steps, 1);
    assert_eq!(records[2].steps, 1);
    assert_eq!(records[3].steps, 2);
}

#[test]
fn a_worker_state_that_cannot_be_made_fails_its_target_and_is_tried_again() {
    let dir = tempfile::tempdir().unwrap();
    let targets = files(dir.path(), 3);
    let migrator = migrator();
    let attempts = AtomicUsize::new(0);
    let records = fleet::run(
        &targets,
        &Options::new().jobs(1),
        || match attempts.fetch_add(1, Ordering::SeqCst) {
            0 => Err(Error::Config("the first connection is refused".into())),
            _ => Ok(()),
        },
        |_, file| upgrade_file(&migrator, file),
        &mut |_| {},
    );
    assert_eq!(
        outcomes(&records),
        [Outcome::Failed, Outcome::Migrated, Outcome::Migrated]
    );
    assert_eq!(
        records[0].error.as_ref().unwrap().to_string(),
        "invalid configuration: the first connection is refused"
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
}

#[test]
fn no_targets_is_no_records() {
    let records = fleet::run(
        &Vec::<String>::new(),
        &Options::new().jobs(4).canary(2),
        || Ok(()),
        |_, _| -> Result<TargetResult, Error> { Err(Error::Config("not called".into())) },
        &mut |_| {},
    );
    assert!(records.is_empty());
}

/// The tenant schemas of one PostgreSQL database, one connection per job
/// kept across its schemas, the way a service migrates them at startup.
#[test]
fn tenant_schemas_of_one_database_are_migrated_each_in_its_own_schema() {
    let Some(url) = postgres_test_url("fleet_tenant_schemas") else {
        return;
    };
    let db = PgTestDatabase::create(&url).unwrap();
    let mut admin = db.connect().unwrap();
    let setup: String = (1..=8)
        .map(|i| format!("CREATE SCHEMA tenant_{i:02};"))
        .chain(["CREATE SCHEMA other; CREATE TABLE tenant_05.items (other TEXT);".to_string()])
        .collect();
    admin.batch_execute(&setup).unwrap();
    let schemas = fleet::matching_schemas(&mut admin, "tenant_*").unwrap();
    assert_eq!(schemas.len(), 8);
    assert_eq!(schemas[0], "tenant_01");

    let migrator = migrator();
    let connects = AtomicUsize::new(0);
    let connect = || {
        connects.fetch_add(1, Ordering::SeqCst);
        db.connect()
    };
    let upgrade = |options: Options| {
        fleet::run(
            &schemas,
            &options,
            connect,
            |client, schema| {
                fleet::enter_schema(client, schema, Some("public")).map_err(Error::Database)?;
                Ok(migrator.in_schema(schema).upgrade(client, "head")?.into())
            },
            &mut |_| {},
        )
    };
    let records = upgrade(Options::new().jobs(3));
    let mut expected = [Outcome::Migrated; 8];
    expected[4] = Outcome::Failed;
    assert_eq!(outcomes(&records), expected);
    assert_eq!(records[4].target, "tenant_05");
    assert_eq!(
        records[4].error.as_ref().and_then(Error::revision),
        Some("001")
    );
    // Three jobs, and one more connection after the failure at most.
    assert!(connects.load(Ordering::SeqCst) <= 4);
    for schema in schemas.iter().filter(|s| *s != "tenant_05") {
        let rows = admin
            .query(
                &format!("SELECT version_num FROM {schema}.arx_migrate_version"),
                &[],
            )
            .unwrap();
        let versions: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
        assert_eq!(versions, ["002"], "{schema}");
        let index = admin
            .query_opt(
                "SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = 'items_by_name'",
                &[schema],
            )
            .unwrap();
        assert!(index.is_some(), "{schema} has no index");
    }
    let stray = admin
        .query_opt(
            "SELECT 1 FROM pg_tables WHERE schemaname IN ('public', 'other') AND tablename = 'items'",
            &[],
        )
        .unwrap();
    assert!(stray.is_none(), "a table landed outside the tenants");

    // Fixed, a rerun migrates the broken tenant and leaves the others.
    admin.batch_execute("DROP TABLE tenant_05.items").unwrap();
    let records = upgrade(Options::new().jobs(2).fail_fast(true));
    let mut expected = [Outcome::Unchanged; 8];
    expected[4] = Outcome::Migrated;
    assert_eq!(outcomes(&records), expected);
}
