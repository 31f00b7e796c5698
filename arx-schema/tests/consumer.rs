//! A consumer's own revision on top of `006` runs with the Arxos chain:
//! `arx_schema::migrator()` is the registry, not a fixed list.

use arx_migrate::migration;

/// Add the consumer's notes table
#[migration(rev = "c001", down_rev = "006")]
pub mod c001_notes {
    use arx_migrate::prelude::*;
    use arx_migrate::sea_query::{ColumnDef, ForeignKey, Table};

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.exec(
            Table::create()
                .table("notes")
                .col(ColumnDef::new("id").integer().not_null().primary_key())
                .col(ColumnDef::new("room_id").string_len(64))
                .col(ColumnDef::new("body").text().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from("notes", "room_id")
                        .to("rooms", "id"),
                ),
        )
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.exec(Table::drop().table("notes"))
    }
}

fn tables(conn: &rusqlite::Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('notes', 'rooms') ORDER BY 1")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn a_consumer_revision_on_top_of_006_upgrades_and_downgrades_with_the_chain() {
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    let report = arx_schema::migrate_to_head(&mut conn).unwrap();
    let applied: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
    assert_eq!(applied, ["001", "002", "003", "004", "005", "006", "c001"]);
    assert_eq!(tables(&conn), ["notes", "rooms"]);

    let migrator = arx_schema::migrator().unwrap();
    migrator.downgrade(&mut conn, arx_schema::HEAD).unwrap();
    assert_eq!(migrator.current(&mut conn).unwrap(), ["006"]);
    assert_eq!(tables(&conn), ["rooms"]);

    migrator.downgrade(&mut conn, "base").unwrap();
    assert!(tables(&conn).is_empty());
    let report = arx_schema::migrate_to_head(&mut conn).unwrap();
    assert_eq!(report.heads_after, ["c001"]);
}
