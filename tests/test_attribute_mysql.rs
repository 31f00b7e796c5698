//! `#[arx_migrate::test]` taking a `mysql::Conn`: a database of its own
//! by default (or with `strategy = schema` / `database`: on MySQL a schema
//! is a database), the shared database in a rolled-back XA transaction
//! with `strategy = rollback`; at the revision asked for.

use arx_migrate::mysql::prelude::Queryable;
use arx_migrate::mysql::Conn;
use arx_migrate::{FnMigration, MigrationSet, Migrator};

/// Two revisions: a table, then a column.
fn migrator() -> Migrator {
    Migrator::new(
        MigrationSet::new()
            .with(FnMigration::new(
                "m001",
                &[],
                |op| op.sql("CREATE TABLE notes (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, body VARCHAR(200) NOT NULL)"),
                |op| op.sql("DROP TABLE notes"),
            ))
            .with(FnMigration::new(
                "m002",
                &["m001"],
                |op| op.sql("ALTER TABLE notes ADD COLUMN pinned BOOLEAN NOT NULL DEFAULT FALSE"),
                |op| op.sql("ALTER TABLE notes DROP COLUMN pinned"),
            )),
    )
    .unwrap()
}

fn version(conn: &mut Conn) -> String {
    conn.query_first("SELECT version_num FROM arx_migrate_version")
        .unwrap()
        .unwrap()
}

fn database(conn: &mut Conn) -> String {
    conn.query_first("SELECT DATABASE()").unwrap().unwrap()
}

#[arx_migrate::test(migrator = migrator)]
fn a_conn_gets_a_database_of_its_own(conn: &mut Conn) {
    assert!(database(conn).starts_with("arx_fx_"), "{}", database(conn));
    assert_eq!(version(conn), "m002");
    // Its own: DDL and commits are fine.
    conn.query_drop("CREATE TABLE scratch (id INT)").unwrap();
    conn.query_drop("INSERT INTO notes (body, pinned) VALUES ('hello', TRUE)")
        .unwrap();
}

#[arx_migrate::test(migrator = migrator, at = "m001", strategy = database)]
fn a_database_at_a_revision(conn: &mut Conn) -> Result<(), arx_migrate::mysql::Error> {
    assert_eq!(version(conn), "m001");
    // Its own: it may even migrate it.
    migrator().upgrade(conn, "head").unwrap();
    assert_eq!(version(conn), "m002");
    Ok(())
}

#[arx_migrate::test(migrator = migrator, strategy = schema)]
fn a_schema_is_a_database_on_mysql(conn: &mut Conn) {
    assert!(database(conn).starts_with("arx_fx_"));
}

#[arx_migrate::test(migrator = migrator, strategy = rollback)]
fn a_rollback_test_writes_in_a_transaction_that_cannot_commit(
    conn: &mut Conn,
) -> Result<(), arx_migrate::mysql::Error> {
    conn.query_drop("INSERT INTO notes (body) VALUES ('gone after the test')")?;
    let notes: i64 = conn.query_first("SELECT COUNT(*) FROM notes")?.unwrap();
    assert_eq!(notes, 1, "the shared database starts empty in each test");
    assert!(conn.query_drop("COMMIT").is_err(), "COMMIT is refused");
    assert!(
        conn.query_drop("DROP TABLE notes").is_err(),
        "DDL is refused"
    );
    Ok(())
}

#[arx_migrate::test(migrator = migrator, strategy = rollback)]
fn a_second_rollback_test_sees_none_of_the_first(conn: &mut Conn) {
    conn.query_drop("INSERT INTO notes (body) VALUES ('also gone')")
        .unwrap();
    let notes: i64 = conn
        .query_first("SELECT COUNT(*) FROM notes")
        .unwrap()
        .unwrap();
    assert_eq!(notes, 1);
}

/// The Arxos chain on MariaDB (JSON and geometry checks, spatial side
/// tables kept by triggers): its copies are exact, so tests get copies.
#[arx_migrate::test(migrator = arx_schema::migrator, at = "004")]
fn the_arxos_chain_at_a_revision(conn: &mut Conn) {
    assert_eq!(
        conn.query_first::<String, _>("SELECT version_num FROM alembic_version")
            .unwrap()
            .unwrap(),
        "004"
    );
    let server = arx_migrate::testing::mysql_test_url("the_arxos_chain_copies").unwrap();
    let migrator = arx_schema::migrator().unwrap();
    let db = arx_migrate::testing::MysqlFixture::new(&migrator, &server)
        .at("004")
        .database()
        .unwrap();
    assert!(db.is_copy(), "copies of the Arxos chain are exact");
    let triggers: i64 = conn
        .query_first(
            "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()",
        )
        .unwrap()
        .unwrap();
    assert!(
        triggers > 0,
        "the spatial side tables' triggers were copied"
    );
}
