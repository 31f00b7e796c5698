//! Revision `003`.

use arx_migrate::migration;

/// Create rooms schema with spatial geometry
#[migration(
    rev = "003",
    down_rev = "002",
    allow = ["mysql-several-ddl: the spec makes each Arxos step one revision; on MariaDB each DDL statement is journalled, so a half-applied revision resumes or is repaired (docs/mysql-half-applied.md)"]
)]
pub mod m003_rooms {
    use arx_migrate::prelude::*;

    use crate::bim::{create_all, drop_all, BimTable, ExtraIndex};

    /// The rooms table.
    pub(crate) const TABLES: &[BimTable] = &[BimTable {
        name: "rooms",
        own_columns: &[("name", 255)],
        geometry: "Polygon",
        has_room_id: false,
        extra_indexes: &[
            ExtraIndex::plain("name", &["name"]),
            ExtraIndex::plain("building_category", &["building_id", "category"]),
            ExtraIndex::covering(
                "covering",
                &["building_id", "floor_id"],
                &["name", "status", "category"],
            ),
        ],
    }];

    /// Creates `rooms`, its 19 indexes and its spatial index.
    pub fn upgrade(op: &mut Ops) -> Result<()> {
        create_all(op, TABLES)
    }

    /// Drops what `upgrade` created, in the reverse order.
    pub fn downgrade(op: &mut Ops) -> Result<()> {
        drop_all(op, TABLES)
    }
}
