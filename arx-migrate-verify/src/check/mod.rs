//! `check`: compares the live schema with the schema the migrations produce
//! at the database's current revision, and reports drift.
//!
//! The live database is introspected (PostgreSQL catalogs, SQLite pragmas);
//! the expected schema is built by replaying the migrations on a scratch
//! database (in-memory SQLite, or a temporary PostgreSQL database on the
//! same server) and introspecting that the same way, so both sides are
//! spelled alike.
//!
//! What the schema allows either way — `serial` or an identity column on
//! PostgreSQL, type names in any case on SQLite, an index predicate spelled
//! differently but parsing the same — is reported as an [`Equivalence`],
//! not as drift, unless [`CheckOptions::strict`] asks for every difference.

#[cfg(feature = "postgres")]
pub mod cache;
mod diff;
mod difference;
mod equivalence;
mod introspect;
mod objects;
mod predicate;
mod scratch;
mod serial;
mod snapshot;

pub use diff::{diff, DriftReport};
pub use difference::{Difference, DriftKind};
pub use equivalence::{Equivalence, EquivalenceRule};
pub use introspect::{introspect, ALWAYS_EXCLUDED};
pub use scratch::{ScratchDatabase, ScratchSource, ScratchUse};
pub use snapshot::{
    ColumnSnapshot, ConstraintSnapshot, Identity, IndexSnapshot, ObjectSnapshot, SchemaSnapshot,
    TableSnapshot, OBJECT_KINDS,
};

use arx_migrate_core::backend::{Backend, Connection};
use arx_migrate_core::error::{Error, Result};
use arx_migrate_core::runner::Migrator;

/// The tables introspection leaves out for this migrator: its version and
/// history tables, and the bookkeeping of backfills, expand/contract
/// changes and (MariaDB, MySQL) the journal of half-applied revisions,
/// which the runner creates when first needed and keeps.
pub fn bookkeeping_tables(migrator: &Migrator) -> Vec<String> {
    let store = migrator.store_config();
    vec![
        store.version_table.clone(),
        store.history_table.clone(),
        arx_migrate_core::BACKFILL_TABLE.to_string(),
        arx_migrate_core::EXPAND_TABLE.to_string(),
        arx_migrate_core::journal::JOURNAL_TABLE.to_string(),
    ]
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

/// How [`check_with`] compares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckOptions {
    /// Report the spellings the schema allows either way ([`Equivalence`])
    /// as drift too: the schemas must be the same to the letter.
    pub strict: bool,
}

impl CheckOptions {
    /// The default: equivalent spellings are not drift.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`CheckOptions::strict`].
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }
}

/// The report on `actual` against `expected` for a database on `backend`
/// at `heads`: every [`diff`], less the equivalent spellings unless
/// `options` is strict.
pub fn report(
    backend: Backend,
    heads: Vec<String>,
    expected: &SchemaSnapshot,
    actual: &SchemaSnapshot,
    options: &CheckOptions,
) -> DriftReport {
    let differences = diff(expected, actual);
    let (differences, equivalences) = if options.strict {
        (differences, Vec::new())
    } else {
        equivalence::separate(expected, actual, backend, differences)
    };
    DriftReport {
        backend: backend.name().to_string(),
        heads,
        differences,
        equivalences,
    }
}

/// Compares the live schema of `connection` with the schema the migrations
/// produce at the database's current revision, with the default
/// [`CheckOptions`] (see [`check_with`]).
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
    check_with(migrator, connection, scratch, &CheckOptions::default())
}

/// [`check`] with options. A type name that differs only in case on SQLite
/// is an [`Equivalence`], not drift; [`CheckOptions::strict`] makes it drift:
///
/// ```
/// use arx_migrate_verify::check::{check_with, CheckOptions, DriftKind, EquivalenceRule, ScratchSource};
/// use arx_migrate_core::{FnMigration, MigrationSet, Migrator};
///
/// let migrator = Migrator::new(MigrationSet::new().with(FnMigration::new(
///     "001", &[],
///     |op| op.sql("CREATE TABLE a (id INTEGER PRIMARY KEY, at timestamp)"),
///     |op| op.sql("DROP TABLE a"),
/// )))?;
/// let mut conn = rusqlite::Connection::open_in_memory().unwrap();
/// // The same table, as another tool spells it; recorded as at 001.
/// conn.execute_batch("CREATE TABLE a (id INTEGER PRIMARY KEY, at TIMESTAMP)").unwrap();
/// migrator.stamp(&mut conn, "001")?;
/// let scratch = ScratchSource::SqliteMemory;
///
/// let report = check_with(&migrator, &mut conn, &scratch, &CheckOptions::new())?;
/// assert!(report.is_clean());
/// assert_eq!(report.equivalences[0].rule, EquivalenceRule::TypeCase);
///
/// let strict = check_with(&migrator, &mut conn, &scratch, &CheckOptions::new().strict(true))?;
/// assert_eq!(strict.differences[0].kind, DriftKind::ColumnType);
/// # Ok::<(), arx_migrate_core::Error>(())
/// ```
pub fn check_with(
    migrator: &Migrator,
    connection: &mut dyn Connection,
    scratch: &ScratchSource,
    options: &CheckOptions,
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
    Ok(report(backend, heads, &expected, &actual, options))
}
