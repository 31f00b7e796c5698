//! Revision 005, a Rust module revising the `.sql` revision 004.

/// Record each item's stock-keeping unit
#[arx_migrate::migration(rev = "005", down_rev = "004")]
pub mod migration {
    use arx_migrate::prelude::*;
    use arx_migrate::sea_query::{ColumnDef, Table};

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        // Wait at most five seconds for the table lock (PostgreSQL only).
        op.postgres("SET LOCAL lock_timeout = '5s'")?;
        op.exec(
            Table::alter()
                .table("items")
                .add_column(ColumnDef::new("sku").text()),
        )
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.exec(Table::alter().table("items").drop_column("sku"))
    }
}
