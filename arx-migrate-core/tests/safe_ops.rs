//! The safe forms of `Ops` on PostgreSQL, on tables with rows: constraints
//! added NOT VALID and validated later, NOT NULL through a validated check,
//! UNIQUE through a concurrent index, concurrent builds that leave no
//! INVALID index, and statements retried while a lock is held.

mod support;

use std::sync::mpsc;
use std::time::Duration;

use arx_migrate_core::sea_query::{Expr, ForeignKey, Index};
use arx_migrate_core::{
    render, Backend, Connection, Direction, Error, FnMigration, LockRetry, MigrationSet, Migrator,
    Ops, Progress,
};
use arx_migrate_testing::{connect, postgres_test_url, PgTestDatabase};
use support::*;

fn database(test: &str) -> Option<PgTestDatabase> {
    postgres_test_url(test).map(|url| PgTestDatabase::create(&url).unwrap())
}

/// Revision 001: `items` with a thousand rows, one of them with a negative
/// price, a NULL code and a duplicate code, and `kinds` they refer to.
fn items() -> FnMigration {
    FnMigration::new(
        "001",
        &[],
        |op: &mut Ops| {
            op.sql("CREATE TABLE kinds (id integer PRIMARY KEY)")?;
            op.sql("INSERT INTO kinds VALUES (1)")?;
            op.sql("CREATE TABLE items (id integer PRIMARY KEY, kind_id integer, price integer, code text)")?;
            op.sql("INSERT INTO items SELECT g, 1, g, 'c' || g FROM generate_series(1, 1000) g")?;
            op.sql("UPDATE items SET price = -1, code = NULL, kind_id = 2 WHERE id = 7")?;
            op.sql("UPDATE items SET code = 'c1' WHERE id = 8")
        },
        |op: &mut Ops| op.sql("DROP TABLE items; DROP TABLE kinds"),
    )
}

fn one(conn: &mut dyn Connection, sql: &str) -> Option<String> {
    conn.query(sql)
        .unwrap()
        .into_iter()
        .next()
        .and_then(|row| row.into_iter().next().flatten())
}

fn upgrade_error(migrator: &Migrator, conn: &mut dyn Connection) -> Error {
    migrator.upgrade(conn, "head").unwrap_err()
}

#[test]
fn not_valid_constraints_skip_the_rows_and_validate_checks_them_later() {
    let Some(db) = database("not_valid_constraints_skip_the_rows") else {
        return;
    };
    let add = FnMigration::new(
        "002",
        &["001"],
        |op: &mut Ops| {
            op.add_check_not_valid("items", "ck_items_price", Expr::cust("price >= 0"))?;
            op.add_foreign_key_not_valid(
                ForeignKey::create()
                    .name("fk_items_kind")
                    .from("items", "kind_id")
                    .to("kinds", "id"),
            )
        },
        |op: &mut Ops| {
            op.drop_foreign_key("items", "fk_items_kind")?;
            op.drop_check("items", "ck_items_price")
        },
    );
    let validate = FnMigration::new(
        "003",
        &["002"],
        |op: &mut Ops| {
            op.validate_constraint("items", "ck_items_price")?;
            op.validate_constraint("items", "fk_items_kind")
        },
        ok,
    );
    let migrator =
        Migrator::new(MigrationSet::new().with(items()).with(add).with(validate)).unwrap();
    let mut conn = db.connect().unwrap();
    // The bad row is there, and the constraints are added all the same.
    migrator.upgrade(&mut conn, "002").unwrap();
    let validated = "SELECT string_agg(conname || '=' || convalidated, ',' ORDER BY conname) FROM pg_constraint WHERE conrelid = 'items'::regclass AND contype IN ('c', 'f')";
    assert_eq!(
        one(&mut conn, validated).as_deref(),
        Some("ck_items_price=false,fk_items_kind=false")
    );
    // New rows are checked from now on.
    assert!(conn
        .batch_execute("INSERT INTO items VALUES (2000, 1, -5, 'x')")
        .is_err());
    // Validating finds the bad row, and names the constraint.
    let error = upgrade_error(&migrator, &mut conn).to_string();
    assert!(error.contains("ck_items_price"), "{error}");
    conn.batch_execute("UPDATE items SET price = 7, kind_id = 1 WHERE id = 7")
        .unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    assert_eq!(
        one(&mut conn, validated).as_deref(),
        Some("ck_items_price=true,fk_items_kind=true")
    );
}

fn set_code_not_null() -> FnMigration {
    FnMigration::new(
        "002",
        &["001"],
        |op: &mut Ops| op.set_not_null("items", "code"),
        |op: &mut Ops| op.drop_not_null("items", "code"),
    )
    .non_transactional()
}

#[test]
fn set_not_null_on_an_existing_table_goes_through_a_validated_check() {
    let Some(db) = database("set_not_null_goes_through_a_check") else {
        return;
    };
    let rendered = render(&set_code_not_null(), Backend::Postgres, Direction::Upgrade)
        .into_result()
        .unwrap();
    assert!(rendered[0].ends_with("CHECK (\"code\" IS NOT NULL) NOT VALID"));
    assert_eq!(rendered.len(), 4);

    let migrator =
        Migrator::new(MigrationSet::new().with(items()).with(set_code_not_null())).unwrap();
    let mut conn = db.connect().unwrap();
    migrator.upgrade(&mut conn, "001").unwrap();
    let leftover_checks =
        "SELECT count(*) FROM pg_constraint WHERE conrelid = 'items'::regclass AND contype = 'c'";
    let not_null = "SELECT attnotnull::text FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'code'";

    // A row holds NULL: the step fails and leaves no check behind.
    let error = upgrade_error(&migrator, &mut conn).to_string();
    assert!(error.contains("items_code_not_null"), "{error}");
    assert_eq!(count(&mut conn, leftover_checks), 0);

    // Fixed, the same migration runs again as it is.
    conn.batch_execute("UPDATE items SET code = 'c7' WHERE id = 7")
        .unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    assert_eq!(one(&mut conn, not_null).as_deref(), Some("true"));
    assert_eq!(count(&mut conn, leftover_checks), 0);
    migrator.downgrade(&mut conn, "001").unwrap();
    assert_eq!(one(&mut conn, not_null).as_deref(), Some("false"));
}

#[test]
fn add_unique_builds_its_index_concurrently_then_attaches_it() {
    let Some(db) = database("add_unique_builds_its_index_concurrently") else {
        return;
    };
    let unique = FnMigration::new(
        "002",
        &["001"],
        |op: &mut Ops| op.add_unique("items", "uq_items_id_price", &["id", "price"]),
        |op: &mut Ops| op.drop_unique("items", "uq_items_id_price"),
    )
    .non_transactional();
    let migrator = Migrator::new(MigrationSet::new().with(items()).with(unique)).unwrap();
    let mut conn = db.connect().unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    let constraint = "SELECT contype::text || ':' || conindid::regclass::text FROM pg_constraint WHERE conname = 'uq_items_id_price'";
    assert_eq!(
        one(&mut conn, constraint).as_deref(),
        Some("u:uq_items_id_price")
    );
    assert!(conn
        .batch_execute("INSERT INTO items (id, price) VALUES (1000, 1000)")
        .is_err());
    migrator.downgrade(&mut conn, "001").unwrap();
    assert_eq!(one(&mut conn, constraint), None);
}

#[test]
fn the_revision_that_creates_a_table_keeps_the_plain_forms() {
    let fresh = FnMigration::new(
        "001",
        &[],
        |op: &mut Ops| {
            op.sql("CREATE TABLE fresh (id integer PRIMARY KEY, code text)")?;
            op.set_not_null("fresh", "code")?;
            op.add_unique("fresh", "uq_fresh_code", &["code"])
        },
        |op: &mut Ops| op.sql("DROP TABLE fresh"),
    )
    .non_transactional();
    let sql = render(&fresh, Backend::Postgres, Direction::Upgrade)
        .into_result()
        .unwrap();
    assert_eq!(
        sql[1..],
        [
            r#"ALTER TABLE "fresh" ALTER COLUMN "code" SET NOT NULL"#,
            r#"ALTER TABLE "fresh" ADD CONSTRAINT "uq_fresh_code" UNIQUE ("code")"#,
        ]
    );
}

fn code_index(unique: bool) -> FnMigration {
    let up = if unique {
        |op: &mut Ops| {
            op.create_index(
                Index::create()
                    .name("idx_items_code")
                    .table("items")
                    .col("code")
                    .unique(),
            )
        }
    } else {
        |op: &mut Ops| {
            op.create_index(
                Index::create()
                    .name("idx_items_code")
                    .table("items")
                    .col("code"),
            )
        }
    };
    FnMigration::new("002", &["001"], up, |op: &mut Ops| {
        op.drop_index("idx_items_code")
    })
    .non_transactional()
}

const INDEX_STATE: &str =
    "SELECT indisvalid::text FROM pg_index WHERE indexrelid = to_regclass('idx_items_code')";

#[test]
fn an_invalid_index_left_by_an_earlier_build_is_dropped_and_built_again() {
    let Some(db) = database("an_invalid_index_is_dropped_and_rebuilt") else {
        return;
    };
    let migrator =
        Migrator::new(MigrationSet::new().with(items()).with(code_index(false))).unwrap();
    let mut conn = db.connect().unwrap();
    migrator.upgrade(&mut conn, "001").unwrap();
    // What a failed CREATE INDEX CONCURRENTLY leaves (as superuser).
    conn.batch_execute("CREATE INDEX idx_items_code ON items (code)")
        .unwrap();
    conn.batch_execute(
        "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'idx_items_code'::regclass",
    )
    .unwrap();
    assert_eq!(one(&mut conn, INDEX_STATE).as_deref(), Some("false"));

    migrator.upgrade(&mut conn, "head").unwrap();
    assert_eq!(one(&mut conn, INDEX_STATE).as_deref(), Some("true"));
}

#[test]
fn a_concurrent_build_that_keeps_failing_leaves_no_invalid_index() {
    let Some(db) = database("a_failing_concurrent_build_leaves_nothing") else {
        return;
    };
    // A unique index over the duplicate code fails every time.
    let migrator = Migrator::new(MigrationSet::new().with(items()).with(code_index(true))).unwrap();
    let mut conn = db.connect().unwrap();
    let error = upgrade_error(&migrator, &mut conn).to_string();
    assert!(error.contains("failed 3 times"), "{error}");
    assert_eq!(one(&mut conn, INDEX_STATE), None);
}

/// Holds a lock on `items` that every ALTER TABLE waits for, until told.
fn hold_lock(url: &str) -> (mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (release, released) = mpsc::channel::<()>();
    let (locked, is_locked) = mpsc::channel::<()>();
    let url = url.to_string();
    let holder = std::thread::spawn(move || {
        let mut client = connect(&url).unwrap();
        let mut transaction = client.transaction().unwrap();
        transaction
            .batch_execute("LOCK TABLE items IN ACCESS SHARE MODE")
            .unwrap();
        locked.send(()).unwrap();
        let _ = released.recv();
        transaction.commit().unwrap();
    });
    is_locked.recv().unwrap();
    (release, holder)
}

fn add_price_check(transactional: bool) -> FnMigration {
    let migration = FnMigration::new(
        "002",
        &["001"],
        |op: &mut Ops| op.add_check_not_valid("items", "ck_items_price", Expr::cust("price >= 0")),
        |op: &mut Ops| op.drop_check("items", "ck_items_price"),
    );
    if transactional {
        migration
    } else {
        migration.non_transactional()
    }
}

fn retried_until_released(transactional: bool) {
    let test = if transactional {
        "a_held_lock_retries_a_transactional_step"
    } else {
        "a_held_lock_retries_a_statement"
    };
    let Some(db) = database(test) else {
        return;
    };
    let migrator = Migrator::new(
        MigrationSet::new()
            .with(items())
            .with(add_price_check(transactional)),
    )
    .unwrap()
    .lock_retries(
        LockRetry::new()
            .attempts(1_000)
            .timeout(Duration::from_millis(20))
            .max_wait(Duration::from_millis(50)),
    );
    let mut conn = db.connect().unwrap();
    migrator.upgrade(&mut conn, "001").unwrap();
    let (release, holder) = hold_lock(db.url());

    let (retried, retries) = mpsc::channel::<(u32, String)>();
    let url = db.url().to_string();
    let runner = std::thread::spawn(move || {
        let mut conn = connect_url(&url);
        let mut progress = |event: Progress<'_>| {
            if let Progress::LockRetry(retry) = event {
                let _ = retried.send((retry.attempt, retry.statement.clone()));
            }
        };
        migrator
            .upgrade_with_progress(&mut *conn, "head", &mut progress)
            .map(|report| report.heads_after)
    });
    // The first retry is reported while the lock is held; then it is let go.
    let (attempt, statement) = retries.recv().unwrap();
    assert_eq!(attempt, 1);
    assert!(statement.contains("ck_items_price"), "{statement}");
    release.send(()).unwrap();
    holder.join().unwrap();
    assert_eq!(runner.join().unwrap().unwrap(), ["002"]);
}

#[test]
fn a_held_lock_makes_a_transactional_step_retry_and_succeed_once_released() {
    retried_until_released(true);
}

#[test]
fn a_held_lock_makes_a_statement_outside_a_transaction_retry_and_succeed_once_released() {
    retried_until_released(false);
}

#[test]
fn a_lock_held_past_every_attempt_fails_naming_the_attempts() {
    let Some(db) = database("a_lock_held_past_every_attempt") else {
        return;
    };
    for transactional in [true, false] {
        let migrator = Migrator::new(
            MigrationSet::new()
                .with(items())
                .with(add_price_check(transactional)),
        )
        .unwrap()
        .lock_retries(
            LockRetry::new()
                .attempts(3)
                .timeout(Duration::from_millis(10))
                .max_wait(Duration::from_millis(20)),
        );
        let mut conn = db.connect().unwrap();
        migrator.upgrade(&mut conn, "001").unwrap();
        let (release, holder) = hold_lock(db.url());
        let mut reported = Vec::new();
        let error = migrator
            .upgrade_with_progress(&mut conn, "head", &mut |event| {
                if let Progress::LockRetry(retry) = event {
                    reported.push(retry.attempt);
                }
            })
            .unwrap_err();
        release.send(()).unwrap();
        holder.join().unwrap();
        let text = error.to_string();
        assert!(text.contains("gave up after 3 attempts"), "{text}");
        assert_eq!(reported, [1, 2], "transactional: {transactional}");
        migrator.downgrade(&mut conn, "base").unwrap();
    }
}
