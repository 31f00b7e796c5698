//! `#[arx_migrate::test]` on the Arxos chain: each argument type and
//! strategy gets a database at the revision asked for, on the backend its
//! type says.

use arx_migrate::testing::PgFixture;
use postgres::{Client, Transaction};

fn current_database(client: &mut impl postgres::GenericClient) -> String {
    client
        .query_one("SELECT current_database()::text", &[])
        .unwrap()
        .get(0)
}

fn version(client: &mut impl postgres::GenericClient) -> String {
    client
        .query_one("SELECT version_num::text FROM alembic_version", &[])
        .unwrap()
        .get(0)
}

#[arx_migrate::test(migrator = arx_schema::migrator)]
fn sqlite_gets_an_in_memory_copy_at_head(conn: &mut rusqlite::Connection) {
    let migrator = arx_schema::migrator().unwrap();
    assert_eq!(migrator.current(conn).unwrap(), [arx_schema::HEAD]);
    conn.execute(
        "INSERT INTO users (email, username, password_hash) VALUES ('ada@example.com', 'ada', 'x')",
        [],
    )
    .unwrap();
}

#[arx_migrate::test(migrator = arx_schema::migrator, at = "002")]
fn sqlite_at_a_revision(conn: &mut rusqlite::Connection) -> Result<(), rusqlite::Error> {
    let at: String = conn.query_row("SELECT version_num FROM alembic_version", [], |row| {
        row.get(0)
    })?;
    assert_eq!(at, "002");
    Ok(())
}

#[arx_migrate::test(migrator = arx_schema::migrator)]
fn a_transaction_is_rolled_back_by_default(
    tx: &mut Transaction<'_>,
) -> Result<(), postgres::Error> {
    let migrator = arx_schema::migrator().unwrap();
    let expected = PgFixture::new(&migrator, "postgresql://unused").rollback_database_name();
    assert_eq!(current_database(tx), expected);
    assert_eq!(version(tx), arx_schema::HEAD);
    let postgis: bool = tx
        .query_one("SELECT PostGIS_Version() IS NOT NULL", &[])?
        .get(0);
    assert!(postgis);
    tx.execute(
        "INSERT INTO users (email, username, password_hash) VALUES ('ada@example.com', 'ada', 'x')",
        &[],
    )?;
    let mut nested = tx.transaction()?; // a savepoint
    nested.execute("DELETE FROM users", &[])?;
    nested.rollback()?;
    let users: i64 = tx.query_one("SELECT count(*) FROM users", &[])?.get(0);
    assert_eq!(users, 1);
    Ok(())
}

// A rollback test whose SQL ends its transaction fails, though it
// returned; the write it tries after that fails too (the shared database
// is read-only outside a test's transaction).
#[arx_migrate::test(migrator = arx_schema::migrator)]
#[should_panic(expected = "the test ended its transaction")]
fn a_rollback_test_that_ends_its_transaction_fails(tx: &mut Transaction<'_>) {
    assert!(tx.batch_execute("COMMIT").is_err(), "the commit is refused");
    let write = tx.execute(
        "INSERT INTO users (email, username, password_hash) VALUES ('eve@example.com', 'eve', 'x')",
        &[],
    );
    assert!(write.is_err(), "no write after the transaction ended");
}

#[arx_migrate::test(migrator = arx_schema::migrator, at = "003", strategy = rollback)]
fn a_rolled_back_transaction_at_a_revision(tx: &mut Transaction<'_>) {
    assert_eq!(version(tx), "003");
}

#[arx_migrate::test(migrator = arx_schema::migrator)]
fn a_client_gets_a_schema_of_its_own(client: &mut Client) {
    let migrator = arx_schema::migrator().unwrap();
    assert_eq!(migrator.current(client).unwrap(), [arx_schema::HEAD]);
    let schema = arx_migrate::Connection::current_schema(client).unwrap();
    assert!(schema.starts_with("arx_pool_"), "{schema}");
    // Its own: it commits.
    client
        .batch_execute(
            "INSERT INTO users (email, username, password_hash) VALUES ('ada@example.com', 'ada', 'x')",
        )
        .unwrap();
}

#[arx_migrate::test(migrator = arx_schema::migrator, at = "001", strategy = schema)]
fn a_transaction_in_a_schema_of_its_own(tx: &mut Transaction<'_>) {
    assert_eq!(version(tx), "001");
    let schema: String = tx
        .query_one("SELECT current_schema()::text", &[])
        .unwrap()
        .get(0);
    assert!(schema.starts_with("arx_pool_"), "{schema}");
}

#[arx_migrate::test(migrator = arx_schema::migrator, strategy = database)]
fn a_client_gets_a_database_of_its_own(client: &mut Client) {
    assert!(current_database(client).starts_with("arx_pdb_"));
    assert_eq!(version(client), arx_schema::HEAD);
    // Its own: it may even migrate it.
    let migrator = arx_schema::migrator().unwrap();
    migrator.downgrade(client, "004").unwrap();
    assert_eq!(version(client), "004");
}
