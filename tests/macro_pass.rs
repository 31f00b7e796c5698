//! A chain defined with `#[migration]` (a base, a branch, and a merge of the
//! branch, one of them non-transactional) is found through `inventory`,
//! carries its doc comment, options and allowed lints, and migrates an
//! in-memory SQLite database up and down.

use std::sync::atomic::{AtomicU8, Ordering};

use arx_migrate::{Migrator, Registry};
use arx_migrate_core::MigrationSource;

/// Create the people table
///
/// This second paragraph is not part of the message.
#[arx_migrate::migration(rev = "p001")]
pub mod p001_people {
    use arx_migrate::prelude::*;

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.sql("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.sql("DROP TABLE people")
    }
}

/// Add the pets table,
/// one line of message over two lines of comment
#[arx_migrate::migration(rev = "p002a", down_rev = "p001")]
pub mod p002a_pets {
    use arx_migrate::prelude::*;

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.sql("CREATE TABLE pets (id INTEGER PRIMARY KEY, owner INTEGER REFERENCES people (id))")
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.sql("DROP TABLE pets")
    }
}

/// What the non-transactional migration saw: 0 not run (online), 1 inside a
/// transaction, 2 outside one.
static P002B_SAW: AtomicU8 = AtomicU8::new(0);

/** Index people by name, outside a transaction */
#[arx_migrate::migration(
    rev = "p002b",
    down_rev = "p001",
    transactional = false,
    allow = ["pg-index-not-concurrent: the table is empty when this runs", "destructive-drop:dropping our own index"]
)]
pub mod p002b_people_name {
    use arx_migrate::prelude::*;

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        if !op.is_offline() {
            let saw = if op.in_transaction() { 1 } else { 2 };
            super::P002B_SAW.store(saw, std::sync::atomic::Ordering::SeqCst);
        }
        op.sql("CREATE INDEX people_name ON people (name)")
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.sql("DROP INDEX people_name")
    }
}

/// Merge the pets and people-name branches
#[arx_migrate::migration(rev = "p003", down_rev = ["p002a", "p002b"])]
pub mod p003_merge {
    use arx_migrate::prelude::*;

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.sql("ALTER TABLE pets ADD COLUMN name TEXT")
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.sql("ALTER TABLE pets DROP COLUMN name")
    }
}

fn tables(conn: &rusqlite::Connection) -> Vec<String> {
    let mut statement = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'arx_migrate_%' ORDER BY name",
        )
        .unwrap();
    let names = statement
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    names
}

#[test]
fn the_registry_holds_the_macro_defined_chain_with_its_metadata() {
    let mut registered: Vec<_> = Registry
        .migrations()
        .into_iter()
        .filter(|m| m.revision().starts_with('p'))
        .collect();
    registered.sort_by(|a, b| a.revision().cmp(b.revision()));
    let summary: Vec<(&str, Vec<&str>, &str, bool)> = registered
        .iter()
        .map(|m| {
            (
                m.revision(),
                m.down_revisions(),
                m.message(),
                m.transactional(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("p001", vec![], "Create the people table", true),
            (
                "p002a",
                vec!["p001"],
                "Add the pets table, one line of message over two lines of comment",
                true
            ),
            (
                "p002b",
                vec!["p001"],
                "Index people by name, outside a transaction",
                false
            ),
            (
                "p003",
                vec!["p002a", "p002b"],
                "Merge the pets and people-name branches",
                true
            ),
        ]
    );
    assert_eq!(
        registered[2].allowed_lints(),
        [
            (
                "pg-index-not-concurrent",
                "the table is empty when this runs"
            ),
            ("destructive-drop", "dropping our own index"),
        ]
    );
    assert!(registered[0].allowed_lints().is_empty());
    // The same migration is reachable without the registry, for hand-built sets.
    assert_eq!(p002b_people_name::MIGRATION.revision(), "p002b");

    let migrator = Migrator::from_registry().unwrap();
    let graph = migrator.graph();
    assert_eq!(graph.bases(), ["p001"]);
    assert_eq!(graph.heads(), ["p003"]);
    assert_eq!(graph.branch_points(), ["p001"]);
    assert_eq!(graph.merge_points(), ["p003"]);
}

#[test]
fn the_macro_defined_chain_migrates_sqlite_up_and_down() {
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    let migrator = Migrator::from_registry().unwrap();

    // One branch only: its ancestors come with it, the other branch does not.
    let report = migrator.upgrade(&mut conn, "p002a").unwrap();
    let applied: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
    assert_eq!(applied, ["p001", "p002a"]);
    assert_eq!(report.steps[0].message, "Create the people table");
    assert_eq!(tables(&conn), ["people", "pets"]);
    assert_eq!(P002B_SAW.load(Ordering::SeqCst), 0);

    // The rest, through the merge.
    let report = migrator.upgrade(&mut conn, "head").unwrap();
    let applied: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
    assert_eq!(applied, ["p002b", "p003"]);
    assert_eq!(report.heads_after, ["p003"]);
    assert_eq!(migrator.current(&mut conn).unwrap(), ["p003"]);
    assert_eq!(tables(&conn), ["people", "people_name", "pets"]);
    conn.execute("INSERT INTO people (id, name) VALUES (1, 'Ada')", [])
        .unwrap();
    conn.execute(
        "INSERT INTO pets (id, owner, name) VALUES (1, 1, 'Rex')",
        [],
    )
    .unwrap();
    assert_eq!(
        P002B_SAW.load(Ordering::SeqCst),
        2,
        "transactional = false must run the migration outside a transaction"
    );

    // Down one step: -1 from a merge has two ways down and is refused, as
    // in Alembic; naming either parent reverts the merge, and both
    // branches stay applied.
    let error = migrator.downgrade(&mut conn, "-1").unwrap_err();
    assert!(
        error.to_string().contains("p003 is a merge point"),
        "{error}"
    );
    migrator.downgrade(&mut conn, "p002a").unwrap();
    let mut heads = migrator.current(&mut conn).unwrap();
    heads.sort();
    assert_eq!(heads, ["p002a", "p002b"]);

    // Down to the branch point: both branches go, newest first.
    let report = migrator.downgrade(&mut conn, "p002b-1").unwrap();
    let mut reverted: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
    reverted.sort();
    assert_eq!(reverted, ["p002a", "p002b"]);
    assert_eq!(migrator.current(&mut conn).unwrap(), ["p001"]);
    assert_eq!(tables(&conn), ["people"]);

    migrator.upgrade(&mut conn, "heads").unwrap();
    assert_eq!(migrator.current(&mut conn).unwrap(), ["p003"]);

    let report = migrator.downgrade(&mut conn, "base").unwrap();
    let reverted: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
    assert_eq!(reverted.first(), Some(&"p003"));
    assert_eq!(reverted.last(), Some(&"p001"));
    assert_eq!(reverted.len(), 4);
    assert!(migrator.current(&mut conn).unwrap().is_empty());
    assert!(tables(&conn).is_empty());
}
