use arx_migrate_core::*;
use arx_migrate_core::testing::*;

fn chain() -> MigrationSet {
    MigrationSet::new()
        .with(FnMigration::new("001", &[], |op| op.sql("CREATE TABLE a (id INTEGER)"), |op| op.sql("DROP TABLE a")))
        .with(FnMigration::new("002", &["001"], |op| op.sql("CREATE TABLE b (id INTEGER)"), |op| op.sql("DROP TABLE b")))
}

#[test]
fn pg_smoke() {
    let Some(url) = postgres_test_url("pg_smoke") else { return };
    let db = PgTestDatabase::create(&url).unwrap();
    let mut c = db.connect().unwrap();
    let m = Migrator::new(chain()).unwrap();
    let r = m.upgrade(&mut c, "head").unwrap();
    println!("{r:?}");
    let r = m.upgrade(&mut c, "head").unwrap();
    assert!(r.steps.is_empty());
    m.downgrade(&mut c, "base").unwrap();
    println!("{:#?}", m.history(&mut c).unwrap());
}

#[test]
fn sqlite_smoke() {
    let mut c = rusqlite::Connection::open_in_memory().unwrap();
    let m = Migrator::new(chain()).unwrap();
    let r = m.upgrade(&mut c, "head").unwrap();
    println!("{r:?}");
    m.downgrade(&mut c, "base").unwrap();
    println!("{:#?}", m.history(&mut c).unwrap());
}
