//! How a service's integration tests get a fresh Arxos database per test
//! without the attribute: built once per migration set, copied (or a
//! transaction opened) per test, cleaned up at the end. With the attribute:
//! `tests/test_attribute.rs`.

use arx_migrate::testing::{fresh_postgres, fresh_sqlite, postgres_test_url};
use arx_migrate::Connection;

#[test]
fn each_test_gets_its_own_sqlite_database_at_head() {
    let migrator = arx_schema::migrator().unwrap();
    let mut conn = fresh_sqlite(&migrator).unwrap();
    assert_eq!(migrator.current(&mut conn).unwrap(), [arx_schema::HEAD]);
    conn.execute(
        "INSERT INTO users (email, username, password_hash) VALUES ('ada@example.com', 'ada', 'x')",
        [],
    )
    .unwrap();
    // Foreign keys are on, as in the service.
    let orphan = conn.execute("INSERT INTO projects (name, user_id) VALUES ('p', 999)", []);
    assert!(orphan.is_err());
}

#[test]
fn each_test_gets_its_own_postgres_database_at_head() {
    let Some(server) = postgres_test_url("each_test_gets_its_own_postgres_database_at_head") else {
        return;
    };
    let migrator = arx_schema::migrator().unwrap();
    let db = fresh_postgres(&migrator, &server).unwrap();
    let mut client = db.connect().unwrap();
    assert_eq!(migrator.current(&mut client).unwrap(), [arx_schema::HEAD]);
    let rows = Connection::query(&mut client, "SELECT PostGIS_Version() IS NOT NULL").unwrap();
    assert_eq!(rows[0][0].as_deref(), Some("t"));
}

#[test]
fn each_test_gets_a_rolled_back_transaction_on_postgres() {
    let Some(server) = postgres_test_url("each_test_gets_a_rolled_back_transaction_on_postgres")
    else {
        return;
    };
    let migrator = arx_schema::migrator().unwrap();
    let mut db = arx_migrate::testing::rollback_postgres(&migrator, &server).unwrap();
    let mut tx = db.transaction().unwrap();
    tx.execute(
        "INSERT INTO users (email, username, password_hash) VALUES ('ada@example.com', 'ada', 'x')",
        &[],
    )
    .unwrap();
    let orphan = {
        // A savepoint: the failed insert does not end the transaction.
        let mut attempt = tx.transaction().unwrap();
        attempt.execute("INSERT INTO projects (name, user_id) VALUES ('p', -1)", &[])
    };
    assert!(orphan.is_err());
    let users: i64 = tx
        .query_one("SELECT count(*) FROM users", &[])
        .unwrap()
        .get(0);
    assert_eq!(users, 1);
} // rolled back: the shared database at head is unchanged
