//! Revision `005`.

use arx_migrate::migration;

/// Add devices, labels, and zones
#[migration(
    rev = "005",
    down_rev = "004",
    allow = ["mysql-several-ddl: the spec makes each Arxos step one revision; on MariaDB each DDL statement is journalled, so a half-applied revision resumes or is repaired (docs/mysql-half-applied.md)"]
)]
pub mod m005_devices_labels_zones {
    use arx_migrate::prelude::*;

    use crate::bim::{create_all, drop_all, BimTable, ExtraIndex};

    /// devices, labels and zones, in creation order.
    pub(crate) const TABLES: &[BimTable] = &[
        BimTable {
            name: "devices",
            own_columns: &[("type", 100), ("system", 100), ("subtype", 100)],
            geometry: "Point",
            has_room_id: true,
            extra_indexes: &[
                ExtraIndex::plain("type", &["type"]),
                ExtraIndex::plain("system", &["system"]),
                ExtraIndex::plain("subtype", &["subtype"]),
                ExtraIndex::plain("building_system_type", &["building_id", "system", "type"]),
                ExtraIndex::covering(
                    "covering",
                    &["building_id", "floor_id"],
                    &["type", "system", "status"],
                ),
            ],
        },
        BimTable {
            name: "labels",
            own_columns: &[("text", 255)],
            geometry: "Point",
            has_room_id: true,
            extra_indexes: &[ExtraIndex::plain("text", &["text"])],
        },
        BimTable {
            name: "zones",
            own_columns: &[("name", 255)],
            geometry: "Polygon",
            has_room_id: false,
            extra_indexes: &[ExtraIndex::plain("name", &["name"])],
        },
    ];

    /// Creates `devices` (22 indexes), `labels` (18) and `zones` (17).
    pub fn upgrade(op: &mut Ops) -> Result<()> {
        create_all(op, TABLES)
    }

    /// Drops what `upgrade` created, in the reverse order.
    pub fn downgrade(op: &mut Ops) -> Result<()> {
        drop_all(op, TABLES)
    }
}
