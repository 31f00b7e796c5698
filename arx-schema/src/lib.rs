//! The Arxos schema: six migrations (`001` … `006`) for SQLite and
//! PostgreSQL (with PostGIS), exactly as `shared/arxos-schema.md`
//! specifies, and the `arx-migrate` binary that applies them.
//!
//! ```no_run
//! let mut conn = arx_migrate::rusqlite::Connection::open("arx.db").unwrap();
//! let report = arx_schema::migrate_to_head(&mut conn)?;
//! for step in &report.steps {
//!     println!("{} {:?}", step.revision, step.duration);
//! }
//! # Ok::<(), arx_migrate::Error>(())
//! ```
//!
//! The revisions are registered with `#[migration]`, so a consumer's own
//! revisions on top of `006`, in any linked crate, run with them: see
//! [`migrator`].

#![warn(missing_docs)]

mod bim;
mod columns;
mod rev001;
mod rev002;
mod rev003;
mod rev004;
mod rev005;
mod rev006;

pub use rev001::m001_users_projects;
pub use rev002::m002_buildings_floors;
pub use rev003::m003_rooms;
pub use rev004::m004_bim_objects;
pub use rev005::m005_devices_labels_zones;
pub use rev006::m006_collaboration;

arx_migrate::export_migrations!();

/// The version table of the Arxos databases: Alembic's, so a database that
/// Alembic brought to one of `001` … `006` is continued as it is, and
/// Alembic still reads a database this crate migrated.
pub const VERSION_TABLE: &str = "alembic_version";

/// The revision id of the last Arxos migration.
pub const HEAD: &str = "006";

/// A [`arx_migrate::Migrator`] over every registered migration — the six
/// Arxos revisions and any revision of a linked crate (a consumer's own, on
/// top of `006`) — using the version table [`VERSION_TABLE`].
///
/// Fails when the registered revisions do not form a valid graph (a
/// consumer's revision naming an unknown parent, a duplicate id, …).
pub fn migrator() -> arx_migrate::Result<arx_migrate::Migrator> {
    Ok(arx_migrate::Migrator::from_registry()?.version_table(VERSION_TABLE))
}

/// Brings the database to head: applies every registered revision that is
/// not yet applied, recording them in [`VERSION_TABLE`]. Works on a
/// `rusqlite::Connection` and a `postgres::Client`; safe to call from every
/// replica of a service at startup.
pub fn migrate_to_head(
    conn: &mut dyn arx_migrate::Connection,
) -> arx_migrate::Result<arx_migrate::Report> {
    // Built once per process: the registry is fixed at link time, and a
    // shared migrator renders the checksums once, not on every call.
    arx_migrate::Migrator::shared_registry(VERSION_TABLE)?.upgrade(conn, "head")
}
