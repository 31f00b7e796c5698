//! The demo's migrations.
//!
//! Shared with the tests, which run the command line on this chain in
//! process (`tests/cli/support.rs`).

/// Create the items table
#[arx_migrate::migration(rev = "a001")]
pub mod a001_items {
    use arx_migrate::prelude::*;

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.sql("CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL)")
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.sql("DROP TABLE items")
    }
}

/// Create the tags table
#[arx_migrate::migration(rev = "b002", down_rev = "a001")]
pub mod b002_tags {
    use arx_migrate::prelude::*;

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.sql("CREATE TABLE tags (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items (id), tag VARCHAR(40) NOT NULL)")
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.sql("DROP TABLE tags")
    }
}

/// Index items by name
#[arx_migrate::migration(
    rev = "c003",
    down_rev = "b002",
    allow = ["index-not-concurrent: the demo's items table holds a handful of rows"]
)]
pub mod c003_items_by_name {
    use arx_migrate::prelude::*;

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.sql("CREATE INDEX items_by_name ON items (name)")
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.sql("DROP INDEX items_by_name")
    }
}

/// Create the notes table
#[arx_migrate::migration(rev = "c004", down_rev = "b002")]
pub mod c004_notes {
    use arx_migrate::prelude::*;

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")?;
        op.sql("INSERT INTO items (id, name) VALUES (1, 'first')")
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.sql("DELETE FROM items WHERE id = 1")?;
        op.sql("DROP TABLE notes")
    }
}

/// Merge the index and notes branches
#[arx_migrate::migration(rev = "d005", down_rev = ["c003", "c004"])]
pub mod d005_merge {
    use arx_migrate::prelude::*;

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        let _ = op;
        Ok(())
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        let _ = op;
        Ok(())
    }
}

/// Count the items (a data migration: it reads through the connection)
#[arx_migrate::migration(rev = "e006", down_rev = "d005")]
pub mod e006_count_items {
    use arx_migrate::prelude::*;

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.sql("CREATE TABLE item_counts (n INTEGER NOT NULL)")?;
        let count: i64 = match op.connection()? {
            DataConnection::Sqlite(connection) => connection
                .query_row("SELECT count(*) FROM items", [], |row| row.get(0))
                .map_err(Error::custom)?,
            DataConnection::Postgres(client) => client
                .query_one("SELECT count(*) FROM items", &[])
                .map_err(Error::custom)?
                .get(0),
            _ => return Err(Error::custom("unsupported connection")),
        };
        op.sql(format!("INSERT INTO item_counts (n) VALUES ({count})"))
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.sql("DROP TABLE item_counts")
    }
}
