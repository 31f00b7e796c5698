//! Processes (not threads) on one MariaDB/MySQL server
//! (`ARX_MIGRATE_TEST_MYSQL`): sixteen racing `upgrade("head")` over twenty
//! databases, each revision applied exactly once; and runs killed with
//! SIGKILL at random points, each followed by a rerun to head.
//!
//! The killed runs' revisions are one idempotent DDL statement each
//! (`CREATE TABLE IF NOT EXISTS`): MySQL commits DDL by itself, so a run
//! killed between a revision's DDL and its version row leaves the revision
//! applied but not recorded, and the rerun applies it again. Revisions of
//! several statements that resume where they stopped are the journal's
//! (not tested here).

mod support;

use std::collections::hash_map::RandomState;
use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use arx_migrate_core::lock::lock_key;
use arx_migrate_core::{Connection, FnMigration, MigrationSet, Migrator, Ops};
use arx_migrate_testing::{mysql_test_url, MysqlTestDatabase};
use support::*;

const WORKER: &str = "ARX_MYSQL_RACE_WORKER";
const WORKER_URLS: &str = "ARX_MYSQL_RACE_WORKER_URLS";

const REVISIONS: usize = 8;
/// Rows each racing revision inserts, so that a step is not instantaneous
/// (MySQL's recursive CTEs stop at 1000 levels by default).
const ROWS: usize = 1000;

fn id(i: usize) -> String {
    format!("r{i:02}")
}

/// Eight revisions; `racing`: each creates a table and fills it, else each
/// is the one idempotent statement `CREATE TABLE IF NOT EXISTS`.
fn chain(racing: bool) -> MigrationSet {
    let mut set = MigrationSet::new();
    for i in 1..=REVISIONS {
        let parent = id(i - 1);
        let parents: Vec<&str> = if i == 1 { vec![] } else { vec![&parent] };
        let table = format!("t_{}", id(i));
        let drop = format!("DROP TABLE IF EXISTS {table}");
        let migration = FnMigration::new(
            id(i),
            &parents,
            move |op: &mut Ops| {
                if racing {
                    op.sql(format!("CREATE TABLE {table} (n INT NOT NULL)"))?;
                    op.sql(format!(
                        "INSERT INTO {table} (n) WITH RECURSIVE s(n) AS \
                         (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {ROWS}) SELECT n FROM s"
                    ))
                } else {
                    op.sql(format!(
                        "CREATE TABLE IF NOT EXISTS {table} (n INT NOT NULL)"
                    ))
                }
            },
            move |op: &mut Ops| op.sql(drop.clone()),
        );
        set = set.with(migration);
    }
    set
}

/// Runs in a child process when the parent sets the worker variables:
/// migrates each database of the list to head, in order.
#[test]
fn mysql_race_worker() {
    let (Ok(what), Ok(urls)) = (std::env::var(WORKER), std::env::var(WORKER_URLS)) else {
        return; // Not a worker: nothing to do.
    };
    if what == "hold" {
        // Takes the run lock of the database and holds it until killed.
        let mut conn = connect_url(&urls);
        let database = conn.current_schema().unwrap();
        assert!(conn
            .try_run_lock(lock_key(&database, "arx_migrate_version"))
            .unwrap());
        println!("holding the run lock");
        std::thread::sleep(Duration::from_secs(600));
        return;
    }
    let migrator = Migrator::new(chain(what == "race")).unwrap();
    for url in urls.split(' ') {
        let mut conn = connect_url(url);
        let report = migrator.upgrade(&mut *conn, "head").unwrap();
        assert_eq!(report.heads_after, [id(REVISIONS)]);
    }
}

fn spawn(what: &str, urls: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "mysql_race_worker",
            "--exact",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(WORKER, what)
        .env(WORKER_URLS, urls)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The tables of the chain in the database.
fn chain_tables(conn: &mut dyn Connection) -> BTreeSet<String> {
    tables(conn)
        .into_iter()
        .filter(|t| t.starts_with("t_r"))
        .collect()
}

fn expected_tables(up_to: usize) -> BTreeSet<String> {
    (1..=up_to).map(|i| format!("t_{}", id(i))).collect()
}

/// How many times each revision was applied successfully.
fn applied_counts(migrator: &Migrator, conn: &mut dyn Connection) -> Vec<usize> {
    let history = migrator.history(conn).unwrap();
    (1..=REVISIONS)
        .map(|i| {
            history
                .iter()
                .filter(|h| h.revision == id(i) && h.operation == "upgrade" && h.outcome == "ok")
                .count()
        })
        .collect()
}

#[test]
fn sixteen_processes_race_on_twenty_databases() {
    let Some(server) = mysql_test_url("sixteen_processes_race_on_twenty_databases") else {
        return;
    };
    let databases: Vec<MysqlTestDatabase> = (0..20)
        .map(|_| MysqlTestDatabase::create(&server).unwrap())
        .collect();
    let urls: Vec<&str> = databases.iter().map(|db| db.url()).collect();
    let urls = urls.join(" ");
    let racers: Vec<Child> = (0..16).map(|_| spawn("race", &urls)).collect();
    let mut failures = Vec::new();
    for racer in racers {
        let output = racer.wait_with_output().unwrap();
        if !output.status.success() {
            failures.push(format!(
                "{}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "racers failed:\n{}",
        failures.join("\n")
    );
    let migrator = Migrator::new(chain(true)).unwrap();
    for db in &databases {
        let mut conn = connect_url(db.url());
        assert_eq!(migrator.current(&mut *conn).unwrap(), [id(REVISIONS)]);
        assert_eq!(
            applied_counts(&migrator, &mut *conn),
            vec![1; REVISIONS],
            "{}",
            db.name()
        );
        assert_eq!(chain_tables(&mut *conn), expected_tables(REVISIONS));
        for i in 1..=REVISIONS {
            let rows = count(&mut *conn, &format!("SELECT count(*) FROM t_{}", id(i)));
            assert_eq!(rows, ROWS as i64, "{} t_{}", db.name(), id(i));
        }
    }
}

/// A number in `0..bound`, different each call.
fn random_below(bound: u64) -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.finish() % bound.max(1)
}

#[test]
fn runs_killed_at_random_points_leave_a_database_a_rerun_brings_to_head() {
    let Some(server) =
        mysql_test_url("runs_killed_at_random_points_leave_a_database_a_rerun_brings_to_head")
    else {
        return;
    };
    let migrator = Migrator::new(chain(false))
        .unwrap()
        .lock_wait(Duration::from_secs(60));
    // How long a whole run takes in a child, process start included: the
    // kills land anywhere from before the first statement to after the
    // last.
    let probe = MysqlTestDatabase::create(&server).unwrap();
    let started = Instant::now();
    let output = spawn("kill", probe.url()).wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let whole_run = started.elapsed().as_millis() as u64;

    let mut stopped_midway = 0;
    for trial in 0..50 {
        let db = MysqlTestDatabase::create(&server).unwrap();
        let mut child = spawn("kill", db.url());
        std::thread::sleep(Duration::from_millis(random_below(whole_run + 1)));
        child.kill().unwrap();
        child.wait().unwrap();

        let mut conn = connect_url(db.url());
        // As the kill left it: the version row never runs ahead of the
        // schema, and at most the one revision after it is applied without
        // being recorded.
        let at = migrator
            .current(&mut *conn)
            .unwrap()
            .first()
            .map_or(0, |head| head[1..].parse::<usize>().unwrap());
        let left = chain_tables(&mut *conn);
        assert!(
            left == expected_tables(at) || left == expected_tables(at + 1),
            "trial {trial}: at r{at:02} with tables {left:?}"
        );
        if at < REVISIONS {
            stopped_midway += 1;
        }
        // The rerun takes the lock (the killed run's died with its
        // connection) and ends at head, each revision recorded once.
        migrator.upgrade(&mut *conn, "head").unwrap();
        assert_eq!(migrator.current(&mut *conn).unwrap(), [id(REVISIONS)]);
        assert_eq!(chain_tables(&mut *conn), expected_tables(REVISIONS));
        assert_eq!(
            applied_counts(&migrator, &mut *conn),
            vec![1; REVISIONS],
            "trial {trial}"
        );
        assert!(migrator.status(&mut *conn).unwrap().is_ready());
    }
    // The kills did land during runs, not only before or after them.
    assert!(stopped_midway > 0, "no trial stopped a run midway");
}

#[test]
fn a_killed_holder_of_the_run_lock_loses_it_with_its_connection() {
    let Some(server) =
        mysql_test_url("a_killed_holder_of_the_run_lock_loses_it_with_its_connection")
    else {
        return;
    };
    let db = MysqlTestDatabase::create(&server).unwrap();
    let mut holder = spawn("hold", db.url());
    // The test harness speaks first; then the worker.
    let holding = BufReader::new(holder.stdout.take().unwrap())
        .lines()
        .map_while(|line| line.ok())
        .any(|line| line.contains("holding the run lock"));
    assert!(holding, "the worker never took the lock");

    // While it lives, a run waits and names it.
    let migrator = Migrator::new(chain(false)).unwrap();
    let mut conn = connect_url(db.url());
    let waiting = Migrator::new(chain(false))
        .unwrap()
        .lock_wait(Duration::from_millis(1200))
        .upgrade(&mut *conn, "head")
        .unwrap_err();
    assert!(
        waiting.to_string().contains("end its session with KILL"),
        "{waiting}"
    );

    // SIGKILL: no RELEASE_LOCK is ever sent. The server ends the session
    // when it sees the socket close, and the lock with it.
    holder.kill().unwrap();
    holder.wait().unwrap();
    Migrator::new(chain(false))
        .unwrap()
        .lock_wait(Duration::from_secs(30))
        .upgrade(&mut *conn, "head")
        .unwrap();
    assert_eq!(migrator.current(&mut *conn).unwrap(), [id(REVISIONS)]);
}
