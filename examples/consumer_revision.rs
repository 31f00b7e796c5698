//! A library consumer adding its own revision on top of the Arxos chain.
//!
//! Linking `arx_schema` registers `001` … `006`; the `#[migration]` below
//! registers `acme001` on top of `006`. `arx_schema::migrator()` reads the
//! registry, so one call applies both, and downgrades undo them in order.
//!
//! ```sh
//! cargo run --example consumer_revision
//! ```

use arx_migrate::migration;

/// Add the consumer's inspection notes on rooms
#[migration(rev = "acme001", down_rev = "006")]
pub mod acme001_inspection_notes {
    use arx_migrate::prelude::*;
    use arx_migrate::sea_query::{ColumnDef, ForeignKey, ForeignKeyAction, Index, Table};

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.exec(
            Table::create()
                .table("inspection_notes")
                .col(ColumnDef::new("id").integer().not_null().primary_key())
                .col(ColumnDef::new("room_id").string_len(64).not_null())
                .col(ColumnDef::new("body").text().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from("inspection_notes", "room_id")
                        .to("rooms", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                ),
        )?;
        op.exec(
            Index::create()
                .name("idx_inspection_notes_room_id")
                .table("inspection_notes")
                .col("room_id"),
        )
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.exec(
            Index::drop()
                .name("idx_inspection_notes_room_id")
                .table("inspection_notes"),
        )?;
        op.exec(Table::drop().table("inspection_notes"))
    }
}

fn main() -> arx_migrate::Result<()> {
    let mut conn =
        arx_migrate::rusqlite::Connection::open_in_memory().expect("an in-memory database");
    let migrator = arx_schema::migrator()?;
    assert_eq!(migrator.graph().heads(), ["acme001"]);

    let report = migrator.upgrade(&mut conn, "head")?;
    for step in &report.steps {
        println!(
            "upgrade {:8} {:.1?}  {}",
            step.revision, step.duration, step.message
        );
    }

    // Back to the Arxos head, then all the way down.
    let report = migrator.downgrade(&mut conn, arx_schema::HEAD)?;
    println!(
        "downgraded {:?}; now at {:?}",
        report.steps.iter().map(|s| &s.revision).collect::<Vec<_>>(),
        report.heads_after
    );
    migrator.downgrade(&mut conn, "base")?;
    println!("at base: {:?}", migrator.current(&mut conn)?);
    Ok(())
}
