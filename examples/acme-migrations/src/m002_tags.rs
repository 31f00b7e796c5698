//! Revision 002, a Rust module revising the `.sql` revision 001.

/// Create the tags table
#[arx_migrate::migration(rev = "002", down_rev = "001")]
pub mod migration {
    use arx_migrate::prelude::*;
    use arx_migrate::sea_query::{ColumnDef, Table};

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.exec(
            Table::create()
                .table("tags")
                .col(ColumnDef::new("id").integer().not_null().primary_key())
                .col(ColumnDef::new("name").text().not_null().unique_key())
                .col(ColumnDef::new("item_count").integer().not_null().default(0)),
        )
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.exec(Table::drop().table("tags"))
    }
}
