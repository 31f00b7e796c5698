//! Test fixtures: fresh, isolated databases at a revision, cleaned up.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use arx_migrate_core::testing::{
    self, fresh_postgres, fresh_postgres_at, fresh_sqlite, fresh_sqlite_at, fresh_sqlite_file,
    postgres_test_url, PgFixture,
};
use arx_migrate_core::{Connection, FnMigration, MigrationSet, Migrator};
use support::*;

fn migrator() -> Migrator {
    Migrator::new(branchy_chain()).unwrap()
}

fn all_tables() -> BTreeSet<String> {
    names(&["001", "002", "003a", "003b", "004", "005"])
}

#[test]
fn sqlite_databases_are_at_head_and_isolated() {
    let migrator = migrator();
    let mut first = fresh_sqlite(&migrator).unwrap();
    let mut second = fresh_sqlite(&migrator).unwrap();
    assert_eq!(tables(&mut first), all_tables());
    assert_eq!(migrator.current(&mut first).unwrap(), ["005"]);
    first
        .execute_batch("INSERT INTO t001 (id, note) VALUES (1, 'only here')")
        .unwrap();
    assert_eq!(count(&mut first, "SELECT count(*) FROM t001"), 1);
    assert_eq!(count(&mut second, "SELECT count(*) FROM t001"), 0);
    // Foreign keys are enforced, as in a migrated connection.
    assert_eq!(count(&mut second, "PRAGMA foreign_keys"), 1);
    // The copy is a real database: it migrates further down and up.
    migrator.downgrade(&mut second, "base").unwrap();
    assert!(tables(&mut second).is_empty());
}

#[test]
fn sqlite_databases_at_a_revision() {
    let migrator = migrator();
    let mut conn = fresh_sqlite_at(&migrator, "002").unwrap();
    assert_eq!(tables(&mut conn), names(&["001", "002"]));
    assert_eq!(migrator.current(&mut conn).unwrap(), ["002"]);
    migrator.upgrade(&mut conn, "head").unwrap();
    assert_eq!(tables(&mut conn), all_tables());
}

#[test]
fn sqlite_files_are_removed_on_drop() {
    let migrator = migrator();
    let file = fresh_sqlite_file(&migrator).unwrap();
    let path = file.path().to_path_buf();
    let mut conn = file.connect().unwrap();
    assert_eq!(tables(&mut conn), all_tables());
    drop(conn);
    drop(file);
    assert!(!path.exists());
}

#[test]
fn an_edited_migration_changes_the_template() {
    let chain = |sql: &'static str| {
        Migrator::new(MigrationSet::new().with(FnMigration::new(
            "001",
            &[],
            move |op| op.sql(sql),
            ok,
        )))
        .unwrap()
    };
    let server = "postgresql://unused";
    let a = chain("CREATE TABLE a (id INTEGER)");
    let b = chain("CREATE TABLE a (id BIGINT)");
    let a_again = chain("create table a (id integer)");
    let name = |m: &Migrator| PgFixture::new(m, server).template_name();
    assert_ne!(name(&a), name(&b));
    assert_eq!(name(&a), name(&a_again));
    assert_ne!(
        name(&a),
        PgFixture::new(&a, server).at("base").template_name()
    );

    let mut from_a = fresh_sqlite(&a).unwrap();
    let mut from_b = fresh_sqlite(&b).unwrap();
    let column_type = |conn: &mut rusqlite::Connection| {
        conn.query("SELECT type FROM pragma_table_info('a')")
            .unwrap()[0][0]
            .clone()
            .unwrap()
    };
    assert_eq!(column_type(&mut from_a), "INTEGER");
    assert_eq!(column_type(&mut from_b), "BIGINT");
}

#[test]
fn postgres_databases_are_copies_isolated_and_dropped() {
    let Some(server) = postgres_test_url("postgres_databases_are_copies_isolated_and_dropped")
    else {
        return;
    };
    let migrator = migrator();
    let first = fresh_postgres(&migrator, &server).unwrap();
    let second = fresh_postgres(&migrator, &server).unwrap();
    let mut a = first.connect().unwrap();
    let mut b = second.connect().unwrap();
    assert_eq!(tables(&mut a), all_tables());
    assert_eq!(migrator.current(&mut a).unwrap(), ["005"]);
    a.batch_execute("INSERT INTO t001 (id, note) VALUES (1, 'only here')")
        .unwrap();
    assert_eq!(count(&mut a, "SELECT count(*) FROM t001"), 1);
    assert_eq!(count(&mut b, "SELECT count(*) FROM t001"), 0);

    let at_002 = fresh_postgres_at(&migrator, &server, "002").unwrap();
    let mut c = at_002.connect().unwrap();
    assert_eq!(tables(&mut c), names(&["001", "002"]));

    let name = first.name().to_string();
    drop((a, b, c));
    drop(first);
    let mut admin = testing::connect(&server).unwrap();
    let exists = Connection::query(
        &mut admin,
        &format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'"),
    )
    .unwrap();
    assert_eq!(exists[0][0].as_deref(), Some("0"));
}

#[test]
fn postgres_databases_are_dropped_when_the_test_panics() {
    let Some(server) = postgres_test_url("postgres_databases_are_dropped_when_the_test_panics")
    else {
        return;
    };
    let migrator = migrator();
    let mut name = String::new();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let db = fresh_postgres(&migrator, &server).unwrap();
        name = db.name().to_string();
        panic!("the test failed");
    }));
    assert!(outcome.is_err());
    let mut admin = testing::connect(&server).unwrap();
    let exists = Connection::query(
        &mut admin,
        &format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'"),
    )
    .unwrap();
    assert_eq!(exists[0][0].as_deref(), Some("0"));
}

#[test]
fn sixteen_tests_at_once_share_one_template_built_once() {
    let Some(server) = postgres_test_url("sixteen_tests_at_once_share_one_template_built_once")
    else {
        return;
    };
    // A chain of its own, so that this test builds its template cold.
    let unique = format!("u{}", std::process::id());
    let table = format!("fixture_{unique}");
    let migrator = Arc::new(
        Migrator::new(MigrationSet::new().with(FnMigration::new(
            unique.clone(),
            &[],
            move |op| op.sql(format!("CREATE TABLE {table} (id INTEGER)")),
            ok,
        )))
        .unwrap(),
    );
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let (migrator, server) = (migrator.clone(), server.clone());
            std::thread::spawn(move || {
                let db = fresh_postgres(&migrator, &server).unwrap();
                let mut conn = db.connect().unwrap();
                migrator.current(&mut conn).unwrap()
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), std::slice::from_ref(&unique));
    }
    let template = PgFixture::new(&migrator, &server).template_name();
    let mut admin = testing::connect(&server).unwrap();
    let count = Connection::query(
        &mut admin,
        &format!("SELECT count(*) FROM pg_database WHERE datname LIKE '{template}%'"),
    )
    .unwrap();
    assert_eq!(
        count[0][0].as_deref(),
        Some("1"),
        "one template, no leftover build"
    );
    admin
        .batch_execute(&format!("ALTER DATABASE {template} WITH IS_TEMPLATE false"))
        .unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE {template}"))
        .unwrap();
}
