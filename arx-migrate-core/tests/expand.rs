//! Expand/contract: old and new code writing side by side see the same
//! values; the contract is refused until the expand's backfill is done;
//! each revision's downgrade is exact; a killed expand resumes.
//!
//! SQLite always; PostgreSQL with `ARX_MIGRATE_TEST_PG` (required under
//! `CI`). The killed runs are real processes (this test binary, started
//! again as a worker).

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use arx_migrate_core::{
    Backend, Connection, Expand, ExpansionPhase, FnMigration, MigrationSet, Migrator, Ops,
};
use arx_migrate_testing::{postgres_test_url, PgTestDatabase};
use support::*;

const WORKER: &str = "ARX_EXPAND_WORKER_URL";

/// 001 creates `users` with `rows` rows; 002 expands `change`, 003
/// contracts it.
fn chain(rows: i64, change: fn(Backend) -> Expand) -> MigrationSet {
    MigrationSet::new()
        .with(FnMigration::new(
            "001",
            &[],
            move |op: &mut Ops| {
                op.sql(
                    "CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT NOT NULL DEFAULT 'anon', \
                     email TEXT, area DOUBLE PRECISION, first_name TEXT, last_name TEXT)",
                )?;
                op.postgres(format!(
                    "INSERT INTO users (id, name, email, area, first_name, last_name) \
                     SELECT i, 'user ' || i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'u' || i || '@x' END, \
                     i * 1.005, 'first' || i, 'last' || i FROM generate_series(1, {rows}) AS i"
                ))?;
                op.sqlite(format!(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) \
                     INSERT INTO users (id, name, email, area, first_name, last_name) \
                     SELECT i, 'user ' || i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'u' || i || '@x' END, \
                     i * 1.005, 'first' || i, 'last' || i FROM n"
                ))
            },
            |op: &mut Ops| op.sql("DROP TABLE users"),
        ))
        .with(
            FnMigration::new(
                "002",
                &["001"],
                move |op: &mut Ops| op.expand(&change(op.backend())),
                move |op: &mut Ops| op.undo_expand(&change(op.backend())),
            )
            .non_transactional(),
        )
        .with(
            FnMigration::new(
                "003",
                &["002"],
                move |op: &mut Ops| op.contract(&change(op.backend())),
                move |op: &mut Ops| op.undo_contract(&change(op.backend())),
            )
            .non_transactional(),
        )
}

fn rename(_: Backend) -> Expand {
    Expand::rename_column("users", "name", "full_name").batch_size(100, 10, 1_000)
}

fn retype(backend: Backend) -> Expand {
    match backend {
        Backend::Postgres => Expand::change_type("users", "area", "area_num", "numeric(12,2)")
            .backward("CAST(area_num AS double precision)"),
        Backend::Sqlite => Expand::change_type("users", "area", "area_num", "TEXT")
            .forward("printf('%.2f', area)")
            .backward("CAST(area_num AS REAL)"),
        Backend::Mysql => unreachable!("expand/contract is refused on MySQL"),
    }
}

fn split(backend: Backend) -> Expand {
    let (first, last) = match backend {
        Backend::Postgres => ("split_part(name, ' ', 1)", "split_part(name, ' ', 2)"),
        Backend::Sqlite => (
            "substr(name, 1, instr(name, ' ') - 1)",
            "substr(name, instr(name, ' ') + 1)",
        ),
        Backend::Mysql => unreachable!("expand/contract is refused on MySQL"),
    };
    Expand::split("users", "name")
        .into_column("given", "TEXT", first)
        .into_column("family", "TEXT", last)
        .backward("given || ' ' || family")
}

fn merge(backend: Backend) -> Expand {
    let (first, last) = match backend {
        Backend::Postgres => (
            "split_part(both_names, '|', 1)",
            "split_part(both_names, '|', 2)",
        ),
        Backend::Sqlite => (
            "substr(both_names, 1, instr(both_names, '|') - 1)",
            "substr(both_names, instr(both_names, '|') + 1)",
        ),
        Backend::Mysql => unreachable!("expand/contract is refused on MySQL"),
    };
    Expand::merge(
        "users",
        &["first_name", "last_name"],
        "both_names",
        "TEXT",
        "first_name || '|' || last_name",
    )
    .backward_for("first_name", first)
    .backward_for("last_name", last)
}

fn not_null(_: Backend) -> Expand {
    Expand::set_not_null("users", "email").fill("'none'")
}

/// One value of a query, as text.
fn value(conn: &mut dyn Connection, sql: &str) -> Option<String> {
    conn.query(sql).unwrap()[0][0].clone()
}

/// The table's columns (name, type, NOT NULL, default), sorted by name,
/// and its triggers: what the round trips compare.
fn schema(conn: &mut dyn Connection) -> Vec<String> {
    let (columns, triggers) = match conn.backend() {
        Backend::Postgres => (
            "SELECT column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '-') \
             FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'users'",
            "SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgrelid = 'users'::regclass AND NOT tgisinternal",
        ),
        Backend::Sqlite => (
            "SELECT name || ' ' || type || ' ' || \"notnull\" || ' ' || coalesce(dflt_value, '-') FROM pragma_table_info('users')",
            "SELECT 'trigger ' || name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'users'",
        ),
        Backend::Mysql => unreachable!("expand/contract is refused on MySQL"),
    };
    let mut lines: Vec<String> = [columns, triggers]
        .iter()
        .flat_map(|sql| conn.query(sql).unwrap())
        .filter_map(|row| row[0].clone())
        .collect();
    lines.sort();
    lines
}

/// Every row's values of `columns`, by id.
fn rows(conn: &mut dyn Connection, columns: &str) -> Vec<Vec<Option<String>>> {
    conn.query(&format!(
        "SELECT CAST(id AS TEXT), {columns} FROM users ORDER BY users.id"
    ))
    .unwrap()
}

/// Expands, checks the live behaviour with `check_expanded`, contracts,
/// and goes back down both steps, comparing schema and data each time.
fn round_trip(
    test: &str,
    change: fn(Backend) -> Expand,
    columns_before: &str,
    check_expanded: fn(&mut dyn Connection),
) {
    for db in backends(test) {
        let mut conn = db.connect();
        let migrator = Migrator::new(chain(500, change)).unwrap();
        migrator.upgrade(&mut *conn, "001").unwrap();
        let schema_base = schema(&mut *conn);

        migrator.upgrade(&mut *conn, "002").unwrap();
        if db.backend() == Backend::Postgres {
            // The step bounded its lock waits, and gave the setting back.
            assert_eq!(
                value(&mut *conn, "SELECT current_setting('lock_timeout')").as_deref(),
                Some("0")
            );
        }
        let status = migrator.status(&mut *conn).unwrap();
        assert_eq!(status.expansions.len(), 1, "{status:?}");
        assert_eq!(status.expansions[0].phase, ExpansionPhase::Expanded);
        assert_eq!(status.expansions[0].expand_revision, "002");
        assert!(status.expansions[0]
            .to_string()
            .contains("awaiting contract"));
        assert!(status.backfills.is_empty(), "{status:?}");
        check_expanded(&mut *conn);
        // What the old code sees, once the writes of both codes are in.
        let data_base = rows(&mut *conn, columns_before);
        let schema_expanded = schema(&mut *conn);
        let data_expanded = rows(&mut *conn, "*");

        migrator.upgrade(&mut *conn, "003").unwrap();
        let status = migrator.status(&mut *conn).unwrap();
        assert!(status.expansions.is_empty(), "{status:?}");
        assert!(!schema(&mut *conn).iter().any(|l| l.starts_with("trigger")));

        migrator.downgrade(&mut *conn, "002").unwrap();
        assert_eq!(schema(&mut *conn), schema_expanded, "{:?}", db.backend());
        let mut back = rows(&mut *conn, "*");
        // Columns come back at the end: compare by sorted row values.
        for (a, b) in back.iter_mut().zip(&data_expanded) {
            let mut b = b.clone();
            a.sort();
            b.sort();
            assert!(*a == b, "{:?}: {a:?} != {b:?}", db.backend());
        }
        assert_eq!(back.len(), data_expanded.len());

        migrator.downgrade(&mut *conn, "001").unwrap();
        assert_eq!(schema(&mut *conn), schema_base, "{:?}", db.backend());
        assert!(
            rows(&mut *conn, columns_before) == data_base,
            "{:?}: data changed",
            db.backend()
        );
        assert!(migrator.status(&mut *conn).unwrap().expansions.is_empty());
    }
}

#[test]
fn rename_keeps_old_and_new_code_in_step_and_round_trips_exactly() {
    round_trip(
        "rename_keeps_old_and_new_code_in_step_and_round_trips_exactly",
        rename,
        "name",
        |conn| {
            assert_eq!(
                count(
                    conn,
                    "SELECT count(*) FROM users WHERE full_name IS NULL OR full_name <> name"
                ),
                0
            );
            // The old code writes the old column, the new code the new.
            conn.execute("INSERT INTO users (id, name) VALUES (10001, 'old writer')")
                .unwrap();
            conn.execute("INSERT INTO users (id, full_name) VALUES (10002, 'new writer')")
                .unwrap();
            conn.execute("UPDATE users SET name = 'renamed by old' WHERE id = 1")
                .unwrap();
            conn.execute("UPDATE users SET full_name = 'renamed by new' WHERE id = 2")
                .unwrap();
            for (id, expected) in [
                (10001, "old writer"),
                (10002, "new writer"),
                (1, "renamed by old"),
                (2, "renamed by new"),
            ] {
                let both = conn
                    .query(&format!(
                        "SELECT name, full_name FROM users WHERE id = {id}"
                    ))
                    .unwrap();
                assert_eq!(
                    both[0],
                    vec![Some(expected.to_string()), Some(expected.to_string())],
                    "row {id}"
                );
            }
            // An insert naming neither gets the old default on both sides.
            conn.execute("INSERT INTO users (id) VALUES (10003)")
                .unwrap();
            assert_eq!(
                value(conn, "SELECT full_name FROM users WHERE id = 10003").as_deref(),
                Some("anon")
            );
            assert_eq!(
                count(
                    conn,
                    "SELECT count(*) FROM users WHERE full_name IS NULL OR full_name <> name"
                ),
                0
            );
        },
    );
}

#[test]
fn change_type_converts_both_ways_without_rounding_what_it_need_not() {
    round_trip(
        "change_type_converts_both_ways_without_rounding_what_it_need_not",
        retype,
        "area",
        |conn| {
            let postgres = conn.backend() == Backend::Postgres;
            let two_places = if postgres {
                "CAST(area AS numeric(12,2))"
            } else {
                "printf('%.2f', area)"
            };
            assert_eq!(
                count(conn, &format!("SELECT count(*) FROM users WHERE area_num IS NULL OR area_num <> {two_places}")),
                0
            );
            // The backfill left the old values alone (no round trip
            // through two decimals).
            assert_eq!(
                value(conn, "SELECT CAST(area AS TEXT) FROM users WHERE id = 1").as_deref(),
                Some("1.005")
            );
            conn.execute("UPDATE users SET area = 12.345 WHERE id = 3")
                .unwrap();
            conn.execute("UPDATE users SET area_num = '7.50' WHERE id = 4")
                .unwrap();
            conn.execute("INSERT INTO users (id, area) VALUES (10001, 2.5)")
                .unwrap();
            conn.execute("INSERT INTO users (id, area_num) VALUES (10002, '3.25')")
                .unwrap();
            let area_num = |conn: &mut dyn Connection, id| {
                value(
                    conn,
                    &format!("SELECT CAST(area_num AS TEXT) FROM users WHERE id = {id}"),
                )
            };
            let area = |conn: &mut dyn Connection, id| {
                value(
                    conn,
                    &format!("SELECT CAST(area AS TEXT) FROM users WHERE id = {id}"),
                )
            };
            assert_eq!(area_num(conn, 3).as_deref(), Some("12.35"));
            assert_eq!(area(conn, 4).as_deref(), Some("7.5"));
            assert_eq!(area_num(conn, 10001).as_deref(), Some("2.50"));
            assert_eq!(area(conn, 10002).as_deref(), Some("3.25"));
            // The contract drops what the two decimals do not keep; the
            // old code rounding its values first makes the round trip of
            // the data exact.
            let round = if postgres {
                "CAST(round(CAST(area AS numeric), 2) AS double precision)"
            } else {
                "round(area, 2)"
            };
            conn.execute(&format!("UPDATE users SET area = {round}"))
                .unwrap();
        },
    );
}

#[test]
fn split_and_merge_keep_both_shapes_in_step() {
    round_trip(
        "split_and_merge_keep_both_shapes_in_step",
        split,
        "name",
        |conn| {
            assert_eq!(
                conn.query("SELECT given, family FROM users WHERE id = 7")
                    .unwrap()[0],
                vec![Some("user".to_string()), Some("7".to_string())]
            );
            conn.execute("INSERT INTO users (id, name) VALUES (10001, 'ada lovelace')")
                .unwrap();
            conn.execute("INSERT INTO users (id, given, family) VALUES (10002, 'alan', 'turing')")
                .unwrap();
            conn.execute("UPDATE users SET family = 'hopper' WHERE id = 8")
                .unwrap();
            assert_eq!(
                conn.query("SELECT given, family FROM users WHERE id = 10001")
                    .unwrap()[0],
                vec![Some("ada".to_string()), Some("lovelace".to_string())]
            );
            assert_eq!(
                value(conn, "SELECT name FROM users WHERE id = 10002").as_deref(),
                Some("alan turing")
            );
            assert_eq!(
                value(conn, "SELECT name FROM users WHERE id = 8").as_deref(),
                Some("user hopper")
            );
        },
    );
    round_trip(
        "split_and_merge_keep_both_shapes_in_step",
        merge,
        "first_name, last_name",
        |conn| {
            assert_eq!(
                value(conn, "SELECT both_names FROM users WHERE id = 5").as_deref(),
                Some("first5|last5")
            );
            conn.execute(
                "INSERT INTO users (id, first_name, last_name) VALUES (10001, 'ada', 'lovelace')",
            )
            .unwrap();
            conn.execute("INSERT INTO users (id, both_names) VALUES (10002, 'alan|turing')")
                .unwrap();
            conn.execute("UPDATE users SET both_names = 'grace|hopper' WHERE id = 6")
                .unwrap();
            assert_eq!(
                value(conn, "SELECT both_names FROM users WHERE id = 10001").as_deref(),
                Some("ada|lovelace")
            );
            assert_eq!(
                conn.query(
                    "SELECT first_name, last_name FROM users WHERE id IN (10002, 6) ORDER BY id"
                )
                .unwrap(),
                vec![
                    vec![Some("grace".to_string()), Some("hopper".to_string())],
                    vec![Some("alan".to_string()), Some("turing".to_string())],
                ]
            );
        },
    );
}

#[test]
fn set_not_null_fills_what_the_old_code_still_writes_then_holds() {
    let test = "set_not_null_fills_what_the_old_code_still_writes_then_holds";
    for db in backends(test) {
        let mut conn = db.connect();
        let migrator = Migrator::new(chain(300, not_null)).unwrap();
        migrator.upgrade(&mut *conn, "001").unwrap();
        let schema_base = schema(&mut *conn);
        migrator.upgrade(&mut *conn, "002").unwrap();
        assert_eq!(
            count(&mut *conn, "SELECT count(*) FROM users WHERE email IS NULL"),
            0
        );
        assert_eq!(
            count(
                &mut *conn,
                "SELECT count(*) FROM users WHERE email = 'none'"
            ),
            100
        );
        conn.execute("INSERT INTO users (id, email) VALUES (10001, NULL)")
            .unwrap();
        conn.execute("UPDATE users SET email = NULL WHERE id = 1")
            .unwrap();
        assert_eq!(
            count(&mut *conn, "SELECT count(*) FROM users WHERE email IS NULL"),
            0
        );
        let schema_expanded = schema(&mut *conn);
        migrator.upgrade(&mut *conn, "003").unwrap();
        assert!(conn
            .execute("INSERT INTO users (id, email) VALUES (10002, NULL)")
            .is_err());
        migrator.downgrade(&mut *conn, "002").unwrap();
        assert_eq!(schema(&mut *conn), schema_expanded, "{:?}", db.backend());
        migrator.downgrade(&mut *conn, "001").unwrap();
        assert_eq!(schema(&mut *conn), schema_base, "{:?}", db.backend());
    }
}

#[test]
fn the_contract_is_refused_while_its_expand_has_not_run_or_finished() {
    let test = "the_contract_is_refused_while_its_expand_has_not_run_or_finished";
    for db in backends(test) {
        // Stamped past the expand without running it: nothing recorded.
        let mut conn = db.connect();
        let migrator = Migrator::new(chain(50, rename)).unwrap();
        migrator.upgrade(&mut *conn, "001").unwrap();
        migrator.stamp(&mut *conn, "002").unwrap();
        let error = migrator.upgrade(&mut *conn, "003").unwrap_err().to_string();
        assert!(error.contains("no expand of it is recorded"), "{error}");
        assert!(error.contains("003"), "{error}");
        assert!(
            schema(&mut *conn).iter().any(|l| l.starts_with("name ")),
            "the old column was dropped"
        );
    }
    // A backfill that stopped part way (a row its forward expression
    // cannot convert), then stamped past: the contract names the expand
    // revision and how far it got.
    let Some(server) = postgres_test_url(test) else {
        return;
    };
    let db = PgTestDatabase::create(&server).unwrap();
    let mut conn = connect_url(db.url());
    fn to_number(_: Backend) -> Expand {
        Expand::change_type("users", "email", "email_num", "integer")
            .forward("CAST(split_part(email, '@', 1) AS integer)")
            .backward("CAST(email_num AS text)")
            .batch_size(100, 100, 100)
    }
    let migrator = Migrator::new(chain(1_000, to_number)).unwrap();
    migrator.upgrade(&mut *conn, "001").unwrap();
    conn.execute("UPDATE users SET email = id || '@x'").unwrap();
    conn.execute("UPDATE users SET email = 'broken' WHERE id = 650")
        .unwrap();
    let failed = migrator.upgrade(&mut *conn, "002").unwrap_err().to_string();
    assert!(
        failed.contains("broken") || failed.contains("invalid input"),
        "{failed}"
    );
    let status = migrator.status(&mut *conn).unwrap();
    assert_eq!(status.expansions.len(), 1, "{status:?}");
    assert_eq!(status.expansions[0].phase, ExpansionPhase::Expanding);
    let backfill = status.expansions[0]
        .backfill
        .clone()
        .expect("its backfill row");
    assert_eq!(backfill.rows_done, 600);
    migrator.stamp(&mut *conn, "002").unwrap();
    let error = migrator.upgrade(&mut *conn, "003").unwrap_err().to_string();
    assert!(
        error.contains("expand revision 002 has not finished its backfill"),
        "{error}"
    );
    assert!(error.contains("600 of ~1000 rows"), "{error}");
    assert!(error.contains("arx-migrate upgrade 002"), "{error}");
    assert!(schema(&mut *conn).iter().any(|l| l.starts_with("email ")));
    // Fixed and run again from the revision before, it resumes and the
    // contract goes through.
    conn.execute("UPDATE users SET email = '650@x' WHERE id = 650")
        .unwrap();
    migrator.stamp(&mut *conn, "001").unwrap();
    migrator.upgrade(&mut *conn, "head").unwrap();
    assert_eq!(
        count(
            &mut *conn,
            "SELECT count(*) FROM users WHERE email_num = id"
        ),
        1_000
    );
}

#[test]
fn expansions_refuse_a_transaction_and_an_incomplete_change() {
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    let set = MigrationSet::new()
        .with(FnMigration::new(
            "001",
            &[],
            |op: &mut Ops| op.sql("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)"),
            |op: &mut Ops| op.sql("DROP TABLE users"),
        ))
        .with(FnMigration::new(
            "002",
            &["001"],
            |op: &mut Ops| op.expand(&Expand::rename_column("users", "name", "full_name")),
            |op: &mut Ops| op.undo_expand(&Expand::rename_column("users", "name", "full_name")),
        ));
    let error = Migrator::new(set)
        .unwrap()
        .upgrade(&mut conn, "head")
        .unwrap_err()
        .to_string();
    assert!(error.contains("non-transactional"), "{error}");
    let split = Expand::split("users", "name").into_column("a", "TEXT", "name");
    let set = MigrationSet::new()
        .with(FnMigration::new(
            "001",
            &[],
            |op: &mut Ops| op.sql("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)"),
            |op: &mut Ops| op.sql("DROP TABLE users"),
        ))
        .with(
            FnMigration::new(
                "002",
                &["001"],
                move |op: &mut Ops| op.expand(&split),
                |_| Ok(()),
            )
            .non_transactional(),
        );
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    let error = Migrator::new(set)
        .unwrap()
        .upgrade(&mut conn, "head")
        .unwrap_err()
        .to_string();
    assert!(error.contains("has no backward value"), "{error}");
}

/// Runs in a child process when the parent sets the worker variable.
#[test]
fn expand_worker() {
    let Ok(url) = std::env::var(WORKER) else {
        return; // Not a worker: nothing to do.
    };
    let mut conn = connect_url(&url);
    let _ = Migrator::new(chain(KILL_ROWS, rename))
        .unwrap()
        .upgrade(&mut *conn, "002");
}

const KILL_ROWS: i64 = 200_000;

fn spawn_worker(url: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["expand_worker", "--exact", "--test-threads=1"])
        .env(WORKER, url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn rows_done(conn: &mut dyn Connection) -> i64 {
    conn.query("SELECT rows_done FROM arx_migrate_backfill")
        .ok()
        .and_then(|rows| rows.first().cloned())
        .and_then(|row| row[0].clone())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[test]
fn an_expand_killed_in_its_backfill_resumes_and_the_contract_follows() {
    let test = "an_expand_killed_in_its_backfill_resumes_and_the_contract_follows";
    for db in backends(test) {
        let mut conn = db.connect();
        let migrator = Migrator::new(chain(KILL_ROWS, rename)).unwrap();
        migrator.upgrade(&mut *conn, "001").unwrap();
        let mut worker = spawn_worker(&db.url());
        let started = Instant::now();
        let mut finished = false;
        while rows_done(&mut *conn) < KILL_ROWS / 3 {
            if worker.try_wait().unwrap().is_some() {
                finished = true;
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the worker made no progress"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(!finished, "the worker finished before it could be killed");
        worker.kill().unwrap();
        worker.wait().unwrap();
        let status = migrator.status(&mut *conn).unwrap();
        assert!(status.interrupted.is_empty(), "{status:?}");
        assert_eq!(status.expansions.len(), 1, "{status:?}");
        assert_eq!(status.expansions[0].phase, ExpansionPhase::Expanding);
        // The old code keeps writing while the expand is down.
        conn.execute("UPDATE users SET name = 'written while killed' WHERE id = 2")
            .unwrap();
        migrator.upgrade(&mut *conn, "head").unwrap();
        assert_eq!(count(&mut *conn, "SELECT count(*) FROM users"), KILL_ROWS);
        assert_eq!(
            value(&mut *conn, "SELECT full_name FROM users WHERE id = 2").as_deref(),
            Some("written while killed")
        );
        assert_eq!(
            count(
                &mut *conn,
                "SELECT count(*) FROM users WHERE full_name = 'user ' || CAST(id AS TEXT)"
            ),
            KILL_ROWS - 1,
            "{:?}",
            db.backend()
        );
        let status = migrator.status(&mut *conn).unwrap();
        assert!(
            status.is_ready() && status.expansions.is_empty(),
            "{status:?}"
        );
    }
}

/// Old code and new code writing while the expand runs (its backfill
/// racing both): when it ends, every row has the same value on both
/// sides, whichever side wrote it last.
#[test]
fn old_and_new_writers_during_the_expand_end_consistent() {
    let test = "old_and_new_writers_during_the_expand_end_consistent";
    let Some(server) = postgres_test_url(test) else {
        return;
    };
    let db = PgTestDatabase::create(&server).unwrap();
    let rows: i64 = 50_000;
    let mut conn = connect_url(db.url());
    let migrator = Migrator::new(chain(rows, rename)).unwrap();
    migrator.upgrade(&mut *conn, "001").unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = |new_code: bool| {
        let url = db.url().to_string();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut conn = connect_url(&url);
            let mut n: i64 = 0;
            let mut inserted = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let id = (n * 7_919 + if new_code { 13 } else { 0 }) % rows + 1;
                // Until the expand has added it, the new code's column
                // does not exist; the new code starts writing once it does.
                let has_new = count(
                    &mut *conn,
                    "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'full_name'",
                ) == 1;
                if new_code && !has_new {
                    continue;
                }
                let sql = if new_code {
                    format!("UPDATE users SET full_name = 'new {n}' WHERE id = {id}")
                } else {
                    format!("UPDATE users SET name = 'old {n}' WHERE id = {id}")
                };
                conn.execute(&sql).unwrap();
                if n % 10 == 0 {
                    let key = 1_000_000 + n * 2 + i64::from(new_code);
                    let sql = if new_code {
                        format!(
                            "INSERT INTO users (id, full_name) VALUES ({key}, 'new insert {n}')"
                        )
                    } else {
                        format!("INSERT INTO users (id, name) VALUES ({key}, 'old insert {n}')")
                    };
                    conn.execute(&sql).unwrap();
                    inserted += 1;
                }
            }
            (n, inserted)
        })
    };
    let old_writer = writer(false);
    let new_writer = writer(true);
    migrator.upgrade(&mut *conn, "002").unwrap();
    // Both keep writing a little after the expand, as they would.
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (old_writes, _) = old_writer.join().unwrap();
    let (new_writes, _) = new_writer.join().unwrap();
    assert!(
        old_writes > 10 && new_writes > 10,
        "{old_writes} {new_writes}"
    );
    assert_eq!(
        count(
            &mut *conn,
            "SELECT count(*) FROM users WHERE full_name IS DISTINCT FROM name"
        ),
        0
    );
    assert!(
        count(
            &mut *conn,
            "SELECT count(*) FROM users WHERE name LIKE 'new %'"
        ) > 0
    );
    assert!(
        count(
            &mut *conn,
            "SELECT count(*) FROM users WHERE full_name LIKE 'old %'"
        ) > 0
    );
    migrator.upgrade(&mut *conn, "003").unwrap();
    assert_eq!(
        count(
            &mut *conn,
            "SELECT count(*) FROM users WHERE full_name IS NULL"
        ),
        0
    );
}
