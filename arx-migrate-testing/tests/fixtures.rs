//! Test fixtures: fresh, isolated databases at a revision, cleaned up.

#[path = "../../arx-migrate-core/tests/support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use arx_migrate_core::{Connection, FnMigration, MigrationSet, Migrator};
use arx_migrate_testing as testing;
use arx_migrate_testing::{
    self, fresh_postgres, fresh_sqlite, fresh_sqlite_at, fresh_sqlite_file, postgres_test_url,
    CopyStrategy, PgFixture,
};
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

const STRATEGIES: [CopyStrategy; 3] = [
    CopyStrategy::SchemaPerTest,
    CopyStrategy::WalLog,
    CopyStrategy::FileCopy,
];

/// Whether the test database `db` handed out still exists.
fn still_exists(server: &str, db: (&str, Option<&str>)) -> bool {
    let sql = match db {
        (_, Some(schema)) => {
            format!("SELECT count(*) FROM pg_namespace WHERE nspname = '{schema}'")
        }
        (name, None) => format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'"),
    };
    let url = match db {
        (name, Some(_)) => testing::with_database(server, name),
        (_, None) => server.to_string(),
    };
    let mut conn = testing::connect(&url).unwrap();
    Connection::query(&mut conn, &sql).unwrap()[0][0].as_deref() != Some("0")
}

#[test]
fn postgres_databases_are_copies_isolated_and_dropped() {
    let Some(server) = postgres_test_url("postgres_databases_are_copies_isolated_and_dropped")
    else {
        return;
    };
    let migrator = migrator();
    for strategy in STRATEGIES {
        let fixture = PgFixture::new(&migrator, &server).strategy(strategy);
        let first = fixture.create().unwrap();
        let second = fixture.create().unwrap();
        let mut a = first.connect().unwrap();
        let mut b = second.connect().unwrap();
        assert_eq!(tables(&mut a), all_tables(), "{strategy:?}");
        assert_eq!(migrator.current(&mut a).unwrap(), ["005"]);
        a.batch_execute("INSERT INTO t001 (id, note) VALUES (1, 'only here')")
            .unwrap();
        assert_eq!(count(&mut a, "SELECT count(*) FROM t001"), 1);
        assert_eq!(count(&mut b, "SELECT count(*) FROM t001"), 0);
        // A copy is a real database: it migrates down and up.
        migrator.downgrade(&mut b, "002").unwrap();
        assert_eq!(tables(&mut b), names(&["001", "002"]));
        assert_eq!(tables(&mut a), all_tables());

        let at_002 = PgFixture::new(&migrator, &server)
            .strategy(strategy)
            .at("002")
            .create()
            .unwrap();
        let mut c = at_002.connect().unwrap();
        assert_eq!(tables(&mut c), names(&["001", "002"]), "{strategy:?}");
        assert_eq!(migrator.current(&mut c).unwrap(), ["002"]);

        let handed_out = (first.name().to_string(), first.schema().map(str::to_string));
        drop((a, b, c));
        drop(first);
        assert!(
            !still_exists(&server, (&handed_out.0, handed_out.1.as_deref())),
            "{strategy:?}"
        );
    }
}

#[test]
fn the_default_is_a_schema_per_test_with_extensions_shared() {
    let Some(server) = postgres_test_url("the_default_is_a_schema_per_test_with_extensions_shared")
    else {
        return;
    };
    let set = MigrationSet::new().with(FnMigration::new(
        "e001",
        &[],
        |op| {
            op.require_extension("pg_trgm")?;
            op.sql("CREATE TABLE words (w TEXT)")?;
            op.sql("CREATE INDEX idx_words_trgm ON words USING gin (w gin_trgm_ops)")
        },
        |op| op.sql("DROP TABLE words"),
    ));
    let migrator = Migrator::new(set).unwrap();
    let db = fresh_postgres(&migrator, &server).unwrap();
    let schema = db.schema().expect("a schema per test").to_string();
    let mut conn = db.connect().unwrap();
    assert_eq!(
        Connection::query(&mut conn, "SELECT current_schema()").unwrap()[0][0].as_deref(),
        Some(schema.as_str())
    );
    assert_eq!(tables(&mut conn), BTreeSet::from(["words".to_string()]));
    // The extension lives in the shared database's public schema.
    let in_public = count(
        &mut conn,
        "SELECT count(*) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace \
         WHERE e.extname = 'pg_trgm' AND n.nspname = 'public'",
    );
    assert_eq!(in_public, 1);
    // Another process reaches the same schema through the URL.
    let mut other = testing::connect(db.url()).unwrap();
    assert_eq!(tables(&mut other), BTreeSet::from(["words".to_string()]));
}

#[test]
fn a_data_migration_falls_back_to_a_template_copy() {
    let Some(server) = postgres_test_url("a_data_migration_falls_back_to_a_template_copy") else {
        return;
    };
    let set = MigrationSet::new().with(FnMigration::new(
        format!("d{}", std::process::id()),
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
    let db = PgFixture::new(&migrator, &server).create().unwrap();
    assert!(db.schema().is_none(), "a database of its own");
    let mut conn = db.connect().unwrap();
    assert_eq!(count(&mut conn, "SELECT n FROM counters"), 42);
    drop(conn);
    drop(db);
    let template = PgFixture::new(&migrator, &server).template_name();
    let mut admin = testing::connect(&server).unwrap();
    admin
        .batch_execute(&format!("ALTER DATABASE {template} WITH IS_TEMPLATE false"))
        .unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE {template}"))
        .unwrap();
}

#[test]
fn postgres_databases_are_dropped_when_the_test_panics() {
    let Some(server) = postgres_test_url("postgres_databases_are_dropped_when_the_test_panics")
    else {
        return;
    };
    let migrator = migrator();
    for strategy in [CopyStrategy::SchemaPerTest, CopyStrategy::WalLog] {
        let mut handed_out = (String::new(), None);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let db = PgFixture::new(&migrator, &server)
                .strategy(strategy)
                .create()
                .unwrap();
            handed_out = (db.name().to_string(), db.schema().map(str::to_string));
            panic!("the test failed");
        }));
        assert!(outcome.is_err());
        assert!(!still_exists(
            &server,
            (&handed_out.0, handed_out.1.as_deref())
        ));
    }
}

#[test]
fn sixteen_tests_at_once_share_one_build() {
    let Some(server) = postgres_test_url("sixteen_tests_at_once_share_one_build") else {
        return;
    };
    for strategy in [CopyStrategy::SchemaPerTest, CopyStrategy::WalLog] {
        // A chain of its own, so that this test builds cold.
        let unique = format!("u{}{}", std::process::id(), strategy as u8);
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
                    let db = PgFixture::new(&migrator, &server)
                        .strategy(strategy)
                        .create()
                        .unwrap();
                    let mut conn = db.connect().unwrap();
                    migrator.current(&mut conn).unwrap()
                })
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap(), std::slice::from_ref(&unique));
        }
        let fixture = PgFixture::new(&migrator, &server);
        let built = match strategy {
            CopyStrategy::SchemaPerTest => fixture.shared_database_name(),
            _ => fixture.template_name(),
        };
        let mut admin = testing::connect(&server).unwrap();
        let count = Connection::query(
            &mut admin,
            &format!("SELECT count(*) FROM pg_database WHERE datname LIKE '{built}%'"),
        )
        .unwrap();
        assert_eq!(
            count[0][0].as_deref(),
            Some("1"),
            "built once, no leftover build"
        );
        admin
            .batch_execute(&format!("ALTER DATABASE {built} WITH IS_TEMPLATE false"))
            .unwrap();
        admin
            .batch_execute(&format!("DROP DATABASE {built} WITH (FORCE)"))
            .unwrap();
    }
}
