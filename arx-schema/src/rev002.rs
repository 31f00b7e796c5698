//! Revision `002`.

use arx_migrate::migration;

/// Add buildings and floors
#[migration(
    rev = "002",
    down_rev = "001",
    allow = ["mysql-several-ddl: the spec makes each Arxos step one revision; on MariaDB each DDL statement is journalled, so a half-applied revision resumes or is repaired (docs/mysql-half-applied.md)"]
)]
pub mod m002_buildings_floors {
    use arx_migrate::prelude::*;
    use arx_migrate::sea_query::Table;

    use crate::columns::{
        covering_index, create_indexes, create_table, drop_index_before_its_table, drop_indexes,
        fk, integer, serial_pk, timestamp_now, varchar, varchar_not_null, OnDelete,
    };

    const BUILDING_INDEXES: &[(&str, &[&str])] = &[
        ("idx_buildings_project_id", &["project_id"]),
        ("idx_buildings_owner_id", &["owner_id"]),
        ("idx_buildings_created_at", &["created_at"]),
        ("idx_buildings_updated_at", &["updated_at"]),
    ];
    const BUILDINGS_COVERING: &str = "idx_buildings_covering";
    const FLOOR_INDEXES: &[(&str, &[&str])] = &[
        ("idx_floors_building_id", &["building_id"]),
        ("idx_floors_name", &["name"]),
    ];

    /// Creates `buildings` and `floors` with their indexes.
    pub fn upgrade(op: &mut Ops) -> Result<()> {
        let backend = op.backend();
        op.exec(
            create_table(backend, "buildings")
                .col(serial_pk())
                .col(varchar_not_null("name", 255))
                .col(varchar("address", 255))
                .col(integer("owner_id"))
                .col(integer("project_id"))
                .col(timestamp_now(backend, "created_at"))
                .col(timestamp_now(backend, "updated_at"))
                .foreign_key(&mut fk("buildings", "owner_id", "users", OnDelete::SetNull))
                .foreign_key(&mut fk(
                    "buildings",
                    "project_id",
                    "projects",
                    OnDelete::Cascade,
                )),
        )?;
        op.exec(
            create_table(backend, "floors")
                .col(serial_pk())
                .col(varchar_not_null("name", 255))
                .col(integer("building_id"))
                .col(varchar("svg_path", 255))
                .col(timestamp_now(backend, "created_at"))
                .col(timestamp_now(backend, "updated_at"))
                .foreign_key(&mut fk(
                    "floors",
                    "building_id",
                    "buildings",
                    OnDelete::Cascade,
                )),
        )?;
        create_indexes(op, "buildings", BUILDING_INDEXES)?;
        // covering (owner_id) include (name, address, created_at)
        op.exec(covering_index(
            backend,
            BUILDINGS_COVERING,
            "buildings",
            &["owner_id"],
            &["name", "address", "created_at"],
        ))?;
        create_indexes(op, "floors", FLOOR_INDEXES)
    }

    /// Drops what `upgrade` created, in the reverse order (on MariaDB the
    /// tables only: their indexes go with them).
    pub fn downgrade(op: &mut Ops) -> Result<()> {
        drop_indexes(op, FLOOR_INDEXES)?;
        drop_index_before_its_table(op, BUILDINGS_COVERING)?;
        drop_indexes(op, BUILDING_INDEXES)?;
        op.exec(Table::drop().table("floors"))?;
        op.exec(Table::drop().table("buildings"))
    }
}
