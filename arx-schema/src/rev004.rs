//! Revision `004`.

use arx_migrate::migration;

/// Add BIM objects (walls, doors, windows)
#[migration(
    rev = "004",
    down_rev = "003",
    allow = ["mysql-several-ddl: the spec makes each Arxos step one revision; on MariaDB each DDL statement is journalled, so a half-applied revision resumes or is repaired (docs/mysql-half-applied.md)"]
)]
pub mod m004_bim_objects {
    use arx_migrate::prelude::*;

    use crate::bim::{create_all, drop_all, BimTable, ExtraIndex};

    const MATERIAL_INDEXES: &[ExtraIndex] = &[
        ExtraIndex::plain("material", &["material"]),
        ExtraIndex::plain("building_material", &["building_id", "material"]),
    ];

    /// walls, doors and windows, in creation order.
    pub(crate) const TABLES: &[BimTable] = &[
        BimTable {
            name: "walls",
            own_columns: &[("material", 100)],
            geometry: "LineString",
            has_room_id: true,
            extra_indexes: MATERIAL_INDEXES,
        },
        BimTable {
            name: "doors",
            own_columns: &[("material", 100)],
            geometry: "Point",
            has_room_id: true,
            extra_indexes: MATERIAL_INDEXES,
        },
        BimTable {
            name: "windows",
            own_columns: &[("material", 100)],
            geometry: "LineString",
            has_room_id: true,
            extra_indexes: MATERIAL_INDEXES,
        },
    ];

    /// Creates `walls`, `doors` and `windows` with 19 indexes each.
    pub fn upgrade(op: &mut Ops) -> Result<()> {
        create_all(op, TABLES)
    }

    /// Drops what `upgrade` created, in the reverse order.
    pub fn downgrade(op: &mut Ops) -> Result<()> {
        drop_all(op, TABLES)
    }
}
