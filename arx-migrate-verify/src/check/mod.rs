//! `check`: compares the live schema with the schema the migrations produce
//! at the database's current revision, and reports drift.
//!
//! The live database is introspected (PostgreSQL catalogs, SQLite pragmas);
//! the expected schema is built by replaying the migrations on a scratch
//! database (in-memory SQLite, or a temporary PostgreSQL database on the
//! same server) and introspecting that the same way, so both sides are
//! spelled alike.

#[cfg(feature = "postgres")]
pub mod cache;
mod diff;
mod introspect;
mod objects;
mod scratch;
mod snapshot;

pub use diff::{diff, Difference, DriftKind, DriftReport};
pub use introspect::{introspect, ALWAYS_EXCLUDED};
pub use scratch::{ScratchDatabase, ScratchSource, ScratchUse};
pub use snapshot::{
    ColumnSnapshot, ConstraintSnapshot, Identity, IndexSnapshot, ObjectSnapshot, SchemaSnapshot,
    TableSnapshot, OBJECT_KINDS,
};

use arx_migrate_core::backend::Connection;
use arx_migrate_core::error::{Error, Result};
use arx_migrate_core::runner::Migrator;

/// The tables introspection leaves out for this migrator: its version and
/// history tables.
pub fn bookkeeping_tables(migrator: &Migrator) -> Vec<String> {
    let store = migrator.store_config();
    vec![store.version_table.clone(), store.history_table.clone()]
}

/// Reads the schema of `connection` without the migrator's bookkeeping.
pub fn snapshot(migrator: &Migrator, connection: &mut dyn Connection) -> Result<SchemaSnapshot> {
    introspect(connection, &bookkeeping_tables(migrator))
}

/// The schema the migrations produce at `heads`, built on a new scratch
/// database from `scratch` (or read from the schema cache, for
/// [`ScratchSource::PostgresCached`]).
pub fn expected_schema(
    migrator: &Migrator,
    heads: &[String],
    scratch: &ScratchSource,
) -> Result<SchemaSnapshot> {
    read_at_heads(migrator, heads, scratch, &mut |connection| {
        snapshot(migrator, connection)
    })
    .map(|(schema, _)| schema)
}

/// Runs `read` on a database at `heads` of `migrator`'s chain: a new
/// scratch database from `scratch`, migrated there and dropped after, or,
/// for [`ScratchSource::PostgresCached`] and a chain that can be cached,
/// the chain's entry in the schema cache (read-only). Says which.
pub fn read_at_heads<T>(
    migrator: &Migrator,
    heads: &[String],
    scratch: &ScratchSource,
    read: &mut dyn FnMut(&mut dyn Connection) -> Result<T>,
) -> Result<(T, ScratchUse)> {
    #[cfg(feature = "postgres")]
    if let ScratchSource::PostgresCached { url } = scratch {
        if let Some(found) = cache::read_cached(migrator, heads, url, read)? {
            return Ok(found);
        }
    }
    let mut database = ScratchDatabase::create(scratch)?;
    let connection = database.connection()?;
    for head in heads {
        migrator.upgrade(connection, head)?;
    }
    Ok((read(connection)?, ScratchUse::Fresh))
}

/// Compares the live schema of `connection` with the schema the migrations
/// produce at the database's current revision.
///
/// ```
/// use arx_migrate_verify::check::{check, ScratchSource};
/// use arx_migrate_core::{FnMigration, MigrationSet, Migrator};
///
/// let migrator = Migrator::new(MigrationSet::new().with(FnMigration::new(
///     "001", &[],
///     |op| op.sql("CREATE TABLE a (id INTEGER PRIMARY KEY)"),
///     |op| op.sql("DROP TABLE a"),
/// )))?;
/// let mut conn = rusqlite::Connection::open_in_memory().unwrap();
/// migrator.upgrade(&mut conn, "head")?;
/// conn.execute_batch("ALTER TABLE a ADD COLUMN b TEXT").unwrap();
/// let report = check(&migrator, &mut conn, &ScratchSource::SqliteMemory)?;
/// assert!(!report.is_clean());
/// # Ok::<(), arx_migrate_core::Error>(())
/// ```
pub fn check(
    migrator: &Migrator,
    connection: &mut dyn Connection,
    scratch: &ScratchSource,
) -> Result<DriftReport> {
    let backend = connection.backend();
    if scratch.backend() != backend {
        return Err(Error::Config(format!(
            "the scratch database is {} but the database checked is {backend}",
            scratch.backend()
        )));
    }
    // Through `status`, so that a revision this code does not know is
    // explained as such rather than as an unknown target.
    let heads = migrator.status(connection)?.heads;
    let actual = snapshot(migrator, connection)?;
    let expected = expected_schema(migrator, &heads, scratch)?;
    Ok(DriftReport {
        backend: backend.name().to_string(),
        heads,
        differences: diff(&expected, &actual),
    })
}
