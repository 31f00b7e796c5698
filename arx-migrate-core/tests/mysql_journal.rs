//! Half-applied revisions on MariaDB (`ARX_MIGRATE_TEST_MYSQL`): DDL
//! commits by itself there, so a revision that fails half way keeps its
//! first statements. The journal records each one; a rerun resumes at the
//! first statement not applied, refuses when an applied one was edited,
//! and `repair_half_applied` marks the revision applied or rolls it back.
//! A run killed with SIGKILL part way (a real process: this test binary,
//! started again as a worker) resumes too.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use arx_migrate_core::journal::{HalfAppliedRepair, JournalState};
use arx_migrate_core::{Connection, Direction, Error, FnMigration, MigrationSet, Migrator, Ops};
use arx_migrate_testing::{mysql_test_url, MysqlTestDatabase};
use support::*;

fn database(test: &str) -> Option<MysqlTestDatabase> {
    mysql_test_url(test).map(|url| MysqlTestDatabase::create(&url).unwrap())
}

/// The statements of revision 001, each a DDL statement (its own commit).
#[derive(Clone, Copy)]
struct Statements {
    up: [&'static str; 3],
    down: [&'static str; 3],
}

const GOOD: Statements = Statements {
    up: [
        "CREATE TABLE a (id INT NOT NULL PRIMARY KEY)",
        "ALTER TABLE a ADD COLUMN b INT NOT NULL DEFAULT 0",
        "CREATE INDEX ix_a_b ON a (b)",
    ],
    down: [
        "DROP INDEX ix_a_b ON a",
        "ALTER TABLE a DROP COLUMN b",
        "DROP TABLE a",
    ],
};

/// Statement 2 names a table that does not exist (MySQL error 1146).
const BROKEN_UP: Statements = Statements {
    up: [
        GOOD.up[0],
        "ALTER TABLE nowhere ADD COLUMN b INT",
        GOOD.up[2],
    ],
    down: GOOD.down,
};

/// Statement 2 of the downgrade drops a column that does not exist (1091).
const BROKEN_DOWN: Statements = Statements {
    up: GOOD.up,
    down: [GOOD.down[0], "ALTER TABLE a DROP COLUMN nope", GOOD.down[2]],
};

fn migrator(statements: Statements) -> Migrator {
    let run = |sql: [&'static str; 3]| {
        move |op: &mut Ops| {
            for statement in sql {
                op.sql(statement)?;
            }
            Ok(())
        }
    };
    Migrator::new(
        MigrationSet::new().with(
            FnMigration::new("001", &[], run(statements.up), run(statements.down)).message("a"),
        ),
    )
    .unwrap()
}

/// The user tables' columns and indexes, bookkeeping excluded: what "the
/// exact schema" compares.
fn schema(conn: &mut dyn Connection) -> Vec<Vec<Option<String>>> {
    let mut rows = conn
        .query(
            "SELECT table_name, column_name, column_type, is_nullable, column_default, NULL \
             FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name NOT LIKE 'arx\\_migrate%' \
             ORDER BY table_name, ordinal_position",
        )
        .unwrap();
    rows.extend(
        conn.query(
            "SELECT table_name, index_name, column_name, non_unique, seq_in_index, 'index' \
             FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND table_name NOT LIKE 'arx\\_migrate%' \
             ORDER BY table_name, index_name, seq_in_index",
        )
        .unwrap(),
    );
    rows
}

/// The schema the good revision gives on a fresh database.
fn reference_schema(test: &str) -> Vec<Vec<Option<String>>> {
    let db = database(test).unwrap();
    let mut conn = db.connect().unwrap();
    migrator(GOOD).upgrade(&mut conn, "head").unwrap();
    schema(&mut conn)
}

fn journal_rows(conn: &mut dyn Connection) -> i64 {
    count(conn, "SELECT COUNT(*) FROM arx_migrate_journal")
}

#[test]
fn a_revision_failing_half_way_is_reported_and_resumed_at_the_failed_statement() {
    let Some(db) = database("a_revision_failing_half_way_is_reported_and_resumed") else {
        return;
    };
    let mut conn = db.connect().unwrap();
    let error = migrator(BROKEN_UP).upgrade(&mut conn, "head").unwrap_err();
    let Error::Statement(failure) = &error else {
        panic!("{error:?}");
    };
    assert!(failure.statement.contains("nowhere"), "{error}");
    assert!(!failure.rolled_back);
    assert!(
        failure.hint.as_deref().unwrap().contains("resumes"),
        "{error}"
    );
    // Statement 1 committed by itself; the version table did not move.
    assert_eq!(tables(&mut conn), names_of(&["a"]));
    let status = migrator(BROKEN_UP).status(&mut conn).unwrap();
    assert!(status.heads.is_empty());
    assert!(!status.is_ready());
    let [half] = status.half_applied.as_slice() else {
        panic!("{status:?}");
    };
    assert_eq!(
        (half.revision.as_str(), half.direction),
        ("001", Direction::Upgrade)
    );
    assert_eq!(half.applied().count(), 1);
    let stopped = half.stopped_at().unwrap();
    assert_eq!((stopped.number, stopped.state), (2, JournalState::Failed));
    assert_eq!(stopped.first_line(), BROKEN_UP.up[1]);
    assert!(
        stopped.error.as_deref().unwrap().contains("1146"),
        "{stopped:?}"
    );
    assert_eq!(half.resumes_at(), 2);
    let summary = half.summary();
    assert!(summary.contains("statement 2 failed"), "{summary}");
    assert!(summary.contains("nowhere"), "{summary}");
    // Running it again, unfixed, fails at the same statement, not at 1.
    let again = migrator(BROKEN_UP).upgrade(&mut conn, "head").unwrap_err();
    assert!(again.to_string().contains("nowhere"), "{again}");

    // Fixed: the run resumes at statement 2 (statement 1 would fail with
    // "table exists" if it ran again) and the schema is exactly the one a
    // fresh upgrade gives.
    let report = migrator(GOOD).upgrade(&mut conn, "head").unwrap();
    assert_eq!(report.steps.len(), 1);
    assert_eq!(migrator(GOOD).current(&mut conn).unwrap(), ["001"]);
    assert!(migrator(GOOD).status(&mut conn).unwrap().is_ready());
    assert_eq!(journal_rows(&mut conn), 0, "the journal is cleared");
    assert_eq!(
        schema(&mut conn),
        reference_schema("a_revision_failing_half_way_reference")
    );
    // And it goes back down whole.
    migrator(GOOD).downgrade(&mut conn, "base").unwrap();
    assert!(tables(&mut conn).is_empty());
}

#[test]
fn an_applied_statement_edited_since_is_refused() {
    let Some(db) = database("an_applied_statement_edited_since_is_refused") else {
        return;
    };
    let mut conn = db.connect().unwrap();
    migrator(BROKEN_UP).upgrade(&mut conn, "head").unwrap_err();
    let edited = Statements {
        up: [
            "CREATE TABLE a (id BIGINT NOT NULL PRIMARY KEY)",
            GOOD.up[1],
            GOOD.up[2],
        ],
        down: GOOD.down,
    };
    let error = migrator(edited).upgrade(&mut conn, "head").unwrap_err();
    let Error::JournalMismatch {
        revision,
        direction,
        number,
        recorded,
        current,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(
        (revision.as_str(), *direction, *number),
        ("001", Direction::Upgrade, 1)
    );
    assert_eq!(recorded, GOOD.up[0]);
    assert!(current.contains("BIGINT"));
    let text = error.to_string();
    assert!(text.contains("repair --mark-applied 001"), "{text}");
    // Nothing ran: statement 2 is still the one that failed.
    assert!(!schema(&mut conn)
        .iter()
        .any(|row| row[1].as_deref() == Some("b")));
    // Formatting is not an edit.
    let reformatted = Statements {
        up: [
            "create table a (\n  id int not null primary key\n)",
            GOOD.up[1],
            GOOD.up[2],
        ],
        down: GOOD.down,
    };
    migrator(reformatted).upgrade(&mut conn, "head").unwrap();
}

#[test]
fn a_half_applied_revision_stops_other_runs() {
    let Some(db) = database("a_half_applied_revision_stops_other_runs") else {
        return;
    };
    let mut conn = db.connect().unwrap();
    // 000 creates z; 001 (on top) is the three-statement revision.
    let set = |statements: Statements| {
        let run = |sql: [&'static str; 3]| {
            move |op: &mut Ops| {
                for statement in sql {
                    op.sql(statement)?;
                }
                Ok(())
            }
        };
        let base = FnMigration::new(
            "000",
            &[],
            |op: &mut Ops| op.sql("CREATE TABLE z (id INT)"),
            |op: &mut Ops| op.sql("DROP TABLE z"),
        );
        let top = FnMigration::new("001", &["000"], run(statements.up), run(statements.down));
        Migrator::new(MigrationSet::new().with(base).with(top)).unwrap()
    };
    set(BROKEN_UP).upgrade(&mut conn, "head").unwrap_err();
    assert_eq!(set(GOOD).current(&mut conn).unwrap(), ["000"]);
    // A downgrade of 000 would leave 001 half done: refused, naming it.
    let error = set(GOOD).downgrade(&mut conn, "base").unwrap_err();
    let Error::HalfApplied {
        revision,
        direction,
        summary,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!((revision.as_str(), *direction), ("001", Direction::Upgrade));
    assert!(summary.contains("statement 2 failed"), "{summary}");
    assert!(
        error.to_string().contains("repair --roll-back 001"),
        "{error}"
    );
    assert!(tables(&mut conn).contains("z"), "nothing ran");
    // The upgrade through it resumes it.
    set(GOOD).upgrade(&mut conn, "head").unwrap();
    assert_eq!(set(GOOD).current(&mut conn).unwrap(), ["001"]);
}

#[test]
fn repair_rolls_back_by_the_reverses_or_marks_applied() {
    let Some(db) = database("repair_rolls_back_by_the_reverses_or_marks_applied") else {
        return;
    };
    let mut conn = db.connect().unwrap();
    // Roll back: statement 1 (CREATE TABLE) is undone by DROP TABLE.
    migrator(BROKEN_UP).upgrade(&mut conn, "head").unwrap_err();
    let report = migrator(GOOD)
        .repair_half_applied(&mut conn, "001", HalfAppliedRepair::RollBack)
        .unwrap();
    assert_eq!(report.reversed, ["DROP TABLE `a`"]);
    assert!(report.heads_after.is_empty());
    assert!(tables(&mut conn).is_empty());
    assert!(migrator(GOOD).half_applied(&mut conn).unwrap().is_empty());
    assert_eq!(journal_rows(&mut conn), 0);
    // The revision applies from scratch afterwards.
    migrator(GOOD).upgrade(&mut conn, "head").unwrap();
    migrator(GOOD).downgrade(&mut conn, "base").unwrap();

    // Mark applied: the rest was done by hand.
    migrator(BROKEN_UP).upgrade(&mut conn, "head").unwrap_err();
    conn_exec(&mut conn, GOOD.up[1]);
    conn_exec(&mut conn, GOOD.up[2]);
    let report = migrator(GOOD)
        .repair_half_applied(&mut conn, "00", HalfAppliedRepair::MarkApplied)
        .unwrap();
    assert_eq!(report.heads_after, ["001"]);
    let status = migrator(GOOD).status(&mut conn).unwrap();
    assert!(status.is_ready(), "{status:?}");
    assert_eq!(
        schema(&mut conn),
        reference_schema("repair_rolls_back_reference")
    );
    let history = migrator(GOOD).history(&mut conn).unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.operation, arx_migrate_core::HistoryOperation::Repair);
    assert!(
        last.message.as_deref().unwrap().contains("marked"),
        "{last:?}"
    );

    // Nothing half-applied: repair says so.
    let error = migrator(GOOD)
        .repair_half_applied(&mut conn, "001", HalfAppliedRepair::RollBack)
        .unwrap_err();
    assert!(
        error.to_string().contains("no revision is half-applied"),
        "{error}"
    );
}

#[test]
fn a_roll_back_without_reverses_runs_nothing_and_says_what_to_undo() {
    let Some(db) = database("a_roll_back_without_reverses_runs_nothing") else {
        return;
    };
    let mut conn = db.connect().unwrap();
    conn_exec(
        &mut conn,
        "CREATE TABLE a (id INT NOT NULL PRIMARY KEY, b INT)",
    );
    let statements = Statements {
        up: [
            "CREATE TABLE c (id INT)",
            "ALTER TABLE a MODIFY b BIGINT",
            "ALTER TABLE nowhere ADD COLUMN x INT",
        ],
        down: GOOD.down,
    };
    migrator(statements).upgrade(&mut conn, "head").unwrap_err();
    let error = migrator(statements)
        .repair_half_applied(&mut conn, "001", HalfAppliedRepair::RollBack)
        .unwrap_err();
    let Error::HalfAppliedRepair { reason, .. } = &error else {
        panic!("{error:?}");
    };
    // Newest first, with the undo where one is known.
    let modify = reason.find("statement 2: ALTER TABLE a MODIFY b BIGINT  (no known reverse)");
    let create = reason.find("statement 1: CREATE TABLE c (id INT)  (undo: DROP TABLE `c`)");
    assert!(
        modify.is_some() && create.is_some() && modify < create,
        "{reason}"
    );
    assert!(reason.contains("repair --forget 001"), "{reason}");
    // Nothing ran.
    assert!(tables(&mut conn).contains("c"));
    // Undone by hand, then forgotten.
    conn_exec(&mut conn, "DROP TABLE c");
    conn_exec(&mut conn, "ALTER TABLE a MODIFY b INT");
    migrator(statements)
        .repair_half_applied(&mut conn, "001", HalfAppliedRepair::Forget)
        .unwrap();
    assert!(migrator(statements)
        .status(&mut conn)
        .unwrap()
        .half_applied
        .is_empty());
}

#[test]
fn a_downgrade_failing_half_way_is_resumed() {
    let Some(db) = database("a_downgrade_failing_half_way_is_resumed") else {
        return;
    };
    let mut conn = db.connect().unwrap();
    migrator(GOOD).upgrade(&mut conn, "head").unwrap();
    let error = migrator(BROKEN_DOWN)
        .downgrade(&mut conn, "base")
        .unwrap_err();
    assert!(error.to_string().contains("nope"), "{error}");
    let status = migrator(BROKEN_DOWN).status(&mut conn).unwrap();
    let [half] = status.half_applied.as_slice() else {
        panic!("{status:?}");
    };
    assert_eq!(half.direction, Direction::Downgrade);
    assert_eq!(half.stopped_at().unwrap().number, 2);
    assert_eq!(status.heads, ["001"]);
    // An upgrade (nothing to do) changes nothing; the fixed downgrade
    // resumes at statement 2.
    migrator(GOOD).downgrade(&mut conn, "base").unwrap();
    assert!(tables(&mut conn).is_empty());
    assert!(migrator(GOOD).current(&mut conn).unwrap().is_empty());
    assert_eq!(journal_rows(&mut conn), 0);
}

#[test]
fn a_statement_left_in_doubt_that_took_effect_counts_as_applied() {
    let Some(db) = database("a_statement_left_in_doubt_that_took_effect") else {
        return;
    };
    let mut conn = db.connect().unwrap();
    migrator(BROKEN_UP).upgrade(&mut conn, "head").unwrap_err();
    // As if a run was killed after statement 2 committed and before its
    // journal row said so: the statement is applied, its row `running`.
    conn_exec(&mut conn, GOOD.up[1]);
    let checksum = arx_migrate_core::journal::statement_checksum(GOOD.up[1]);
    conn_exec(
        &mut conn,
        &format!(
            "UPDATE arx_migrate_journal SET state = 'running', error = NULL, checksum = '{checksum}', \
             statement = '{}' WHERE statement_no = 2",
            GOOD.up[1]
        ),
    );
    let status = migrator(GOOD).status(&mut conn).unwrap();
    let summary = status.half_applied[0].summary();
    assert!(summary.contains("may have taken effect"), "{summary}");
    migrator(GOOD).upgrade(&mut conn, "head").unwrap();
    assert_eq!(
        schema(&mut conn),
        reference_schema("a_statement_left_in_doubt_reference")
    );
}

const WORKER: &str = "ARX_JOURNAL_WORKER_URL";

/// The revision the killed worker runs: statement 2 pauses, so that the
/// worker is killed between statement 1's commit and statement 3.
const PAUSING: Statements = Statements {
    up: [GOOD.up[0], "SELECT SLEEP(30)", GOOD.up[1]],
    down: GOOD.down,
};

fn pausing_migrator(statements: Statements) -> Migrator {
    let up = statements.up;
    Migrator::new(MigrationSet::new().with(FnMigration::new(
        "001",
        &[],
        move |op: &mut Ops| {
            for statement in up {
                op.sql(statement)?;
            }
            op.sql(GOOD.up[2])
        },
        ok,
    )))
    .unwrap()
}

/// Not a test on its own: the process the kill test starts and kills.
#[test]
fn journal_worker() {
    let Ok(url) = std::env::var(WORKER) else {
        return;
    };
    let mut conn = connect_url(&url);
    let _ = pausing_migrator(PAUSING).upgrade(&mut *conn, "head");
}

#[test]
fn a_run_killed_between_two_statements_resumes_to_the_exact_schema() {
    let Some(db) = database("a_run_killed_between_two_statements_resumes") else {
        return;
    };
    let mut worker = Command::new(std::env::current_exe().unwrap())
        .args(["journal_worker", "--exact", "--test-threads=1"])
        .env(WORKER, db.url())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut conn = db.connect().unwrap();
    // Wait until statement 1 is journalled as applied and statement 2 runs.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let running = conn
            .query("SELECT state FROM arx_migrate_journal WHERE statement_no = 2")
            .ok()
            .and_then(|rows| rows.first().cloned())
            .and_then(|row| row[0].clone());
        if running.as_deref() == Some("running") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the worker never reached statement 2"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    worker.kill().unwrap(); // SIGKILL
    worker.wait().unwrap();
    // Its connection (and its run lock) end once the server notices; kill
    // it now so that the rerun does not wait out the pause.
    conn_exec(
        &mut conn, "SELECT 1", // keep this connection warm
    );
    let ids = conn
        .query(&format!(
            "SELECT id FROM information_schema.processlist WHERE db = '{}' AND info LIKE 'SELECT SLEEP%'",
            db.name()
        ))
        .unwrap();
    for id in ids.into_iter().filter_map(|row| row[0].clone()) {
        let _ = Connection::execute(&mut conn, &format!("KILL {id}"));
    }
    let status = pausing_migrator(PAUSING).status(&mut conn).unwrap();
    let [half] = status.half_applied.as_slice() else {
        panic!("{status:?}");
    };
    assert_eq!(half.applied().count(), 1);
    assert_eq!(half.stopped_at().unwrap().state, JournalState::Running);
    assert!(
        status.interrupted.is_empty(),
        "reported once, as half-applied"
    );
    // The rerun (without the pause) resumes at statement 2.
    let quick = Statements {
        up: [GOOD.up[0], "SELECT SLEEP(0)", GOOD.up[1]],
        down: GOOD.down,
    };
    // The pause statement changed: it was in doubt, not applied, so that
    // is allowed.
    pausing_migrator(quick).upgrade(&mut conn, "head").unwrap();
    assert_eq!(pausing_migrator(quick).current(&mut conn).unwrap(), ["001"]);
    assert_eq!(
        schema(&mut conn),
        reference_schema("a_run_killed_between_two_statements_reference")
    );
    assert!(pausing_migrator(quick)
        .status(&mut conn)
        .unwrap()
        .is_ready());
}

fn conn_exec(conn: &mut dyn Connection, sql: &str) {
    Connection::execute(conn, sql).unwrap();
}

fn names_of(ids: &[&str]) -> std::collections::BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}
