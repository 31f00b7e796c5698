//! Processes (not threads) racing `upgrade("head")` on one database: all
//! succeed, and each revision is applied exactly once.

mod support;

use std::process::{Command, Stdio};

use arx_migrate_core::{FnMigration, MigrationSet, Migrator, Ops};
use arx_migrate_testing::{postgres_test_url, PgTestDatabase};
use support::*;

const WORKER_URL: &str = "ARX_RACE_WORKER_URL";
const WORKER_CONCURRENT: &str = "ARX_RACE_WORKER_CONCURRENT";

/// Eight revisions that each take a moment, so that racers overlap; with
/// `concurrent`, the fifth builds an index with CREATE INDEX CONCURRENTLY.
fn racing_chain(concurrent: bool) -> MigrationSet {
    let mut set = MigrationSet::new();
    for i in 1..=8 {
        let id = format!("r{i:02}");
        let parent = format!("r{:02}", i - 1);
        let parents: Vec<&str> = if i == 1 { vec![] } else { vec![&parent] };
        let table = format!("t_{id}");
        let drop = table.clone();
        let migration = if concurrent && i == 5 {
            FnMigration::new(
                id,
                &parents,
                |op: &mut Ops| op.sql("CREATE INDEX CONCURRENTLY idx_r01_n ON t_r01 (n)"),
                |op: &mut Ops| op.sql("DROP INDEX CONCURRENTLY idx_r01_n"),
            )
            .non_transactional()
        } else {
            FnMigration::new(
                id,
                &parents,
                move |op: &mut Ops| {
                    op.sql(format!("CREATE TABLE {table} (n INTEGER)"))?;
                    // Enough rows that a step is not instantaneous.
                    op.sql(format!(
                        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 20000) \
                         INSERT INTO {table} (n) SELECT n FROM s"
                    ))
                },
                move |op: &mut Ops| op.sql(format!("DROP TABLE {drop}")),
            )
        };
        set = set.with(migration);
    }
    set
}

/// Runs in a child process when the parent sets the worker variables.
#[test]
fn race_worker() {
    let Ok(url) = std::env::var(WORKER_URL) else {
        return; // Not a worker: nothing to do.
    };
    let concurrent = std::env::var_os(WORKER_CONCURRENT).is_some();
    let migrator = Migrator::new(racing_chain(concurrent)).unwrap();
    let mut conn = connect_url(&url);
    let report = migrator.upgrade(&mut *conn, "head").unwrap();
    assert_eq!(report.heads_after, ["r08"]);
}

fn race(url: &str, processes: usize, concurrent: bool) {
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..processes)
        .map(|_| {
            let mut command = Command::new(&exe);
            command
                .args(["race_worker", "--exact", "--test-threads=1", "--nocapture"])
                .env(WORKER_URL, url)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            if concurrent {
                command.env(WORKER_CONCURRENT, "1");
            }
            command.spawn().unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "a racer failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut conn = connect_url(url);
    let migrator = Migrator::new(racing_chain(concurrent)).unwrap();
    assert_eq!(migrator.current(&mut *conn).unwrap(), ["r08"]);
    let history = migrator.history(&mut *conn).unwrap();
    for i in 1..=8 {
        let id = format!("r{i:02}");
        let applied = history
            .iter()
            .filter(|h| h.revision == id && h.operation == "upgrade" && h.outcome == "ok")
            .count();
        assert_eq!(applied, 1, "{id} applied {applied} times: {history:#?}");
    }
    assert_eq!(count(&mut *conn, "SELECT count(*) FROM t_r08"), 20000);
}

#[test]
fn eight_processes_race_on_one_sqlite_file() {
    let db = TestDb::sqlite();
    race(&db.url(), 8, false);
}

#[test]
fn sixteen_processes_race_on_one_postgres_database() {
    let Some(server) = postgres_test_url("sixteen_processes_race_on_one_postgres_database") else {
        return;
    };
    let db = PgTestDatabase::create(&server).unwrap();
    race(db.url(), 16, false);
}

#[test]
fn four_processes_race_through_a_concurrent_index_build() {
    let Some(server) = postgres_test_url("four_processes_race_through_a_concurrent_index_build")
    else {
        return;
    };
    let db = PgTestDatabase::create(&server).unwrap();
    race(db.url(), 4, true);
    let mut conn = connect_url(db.url());
    assert_eq!(
        count(
            &mut *conn,
            "SELECT count(*) FROM pg_index WHERE indexrelid = 'idx_r01_n'::regclass AND indisvalid"
        ),
        1
    );
}
