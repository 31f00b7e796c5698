//! `#[arx_migrate::test]` without `migrator`: the migrations linked into
//! the test binary, with the default version table.

/// Create the notes table
#[arx_migrate::migration(rev = "tr001")]
pub mod tr001_notes {
    use arx_migrate::prelude::*;

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.sql("DROP TABLE notes")
    }
}

fn noted(count: i64) {
    assert_eq!(count, 1);
}

#[arx_migrate::test]
fn sqlite_from_the_registry(conn: &mut rusqlite::Connection) {
    conn.execute("INSERT INTO notes (body) VALUES ('hello')", [])
        .unwrap();
    noted(
        conn.query_row("SELECT count(*) FROM notes", [], |row| row.get(0))
            .unwrap(),
    );
    let at: String = conn
        .query_row("SELECT version_num FROM arx_migrate_version", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(at, "tr001");
}

#[arx_migrate::test]
fn postgres_from_the_registry(tx: &mut postgres::Transaction<'_>) {
    tx.execute("INSERT INTO notes (id, body) VALUES (1, 'hello')", &[])
        .unwrap();
    noted(
        tx.query_one("SELECT count(*) FROM notes", &[])
            .unwrap()
            .get(0),
    );
}
