//! Test fixtures for arx-migrate (the `arx_migrate::testing` module of the
//! facade, feature `testing`): a fresh database at head (or at a given revision) for one
//! test, fast.
//!
//! The migrated schema is built once per migration set and copied per test:
//! on SQLite an in-memory image is kept per process and deserialised per
//! test. On PostgreSQL a database shared by the migration set's tests is
//! built once (keyed by [`arx_migrate_core::Migrator::fingerprint`], so an edited
//! migration gets a new one; its extensions installed once) and each test
//! gets a schema of its own, filled by replaying the recorded SQL; or, with
//! [`CopyStrategy::WalLog`] / [`CopyStrategy::FileCopy`], a database of its
//! own copied from a template database. Which is faster, and by how much,
//! is measured in `BENCHMARKS.md`.
//!
//! ```
//! use arx_migrate_testing as testing;
//! use arx_migrate_core::{FnMigration, MigrationSet, Migrator};
//!
//! let migrator = Migrator::new(MigrationSet::new().with(FnMigration::new(
//!     "001",
//!     &[],
//!     |op| op.sql("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)"),
//!     |op| op.sql("DROP TABLE users"),
//! )))?;
//!
//! // In a #[test]: a private in-memory database at head, no macro needed.
//! let conn = testing::fresh_sqlite(&migrator)?;
//! conn.execute("INSERT INTO users (name) VALUES ('ada')", []).unwrap();
//!
//! // On PostgreSQL (when the test server is configured):
//! if let Ok(server) = std::env::var(testing::TEST_PG_ENV) {
//!     let db = testing::fresh_postgres(&migrator, &server)?;
//!     let mut client = db.connect()?;
//!     client.batch_execute("INSERT INTO users (id, name) VALUES (1, 'ada')").unwrap();
//! } // dropped here
//! # Ok::<(), arx_migrate_core::Error>(())
//! ```

#![warn(missing_docs)]

// Without a backend nothing runs tests; the options still compile.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
mod attribute;

#[cfg(feature = "postgres")]
mod env;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use arx_migrate_core::scratch::{connect, with_database, PgScratchDatabase as PgTestDatabase};
#[cfg(feature = "postgres")]
pub use env::{postgres_test_url, TEST_PG_ENV};
#[cfg(feature = "postgres")]
pub use postgres::{
    drop_templates, fresh_postgres, fresh_postgres_at, reclaim_stale, rollback_postgres,
    CopyStrategy, PgFixture, PooledDatabase, ReclaimPolicy, RollbackConnection,
    DEFAULT_DATABASE_POOL_SIZE, DEFAULT_SCHEMA_POOL_SIZE, REGISTRY_DATABASE,
};
#[cfg(feature = "sqlite")]
pub use sqlite::{fresh_sqlite, fresh_sqlite_at, fresh_sqlite_file, SqliteTestFile};

/// What `#[arx_migrate::test]` expands to; not an API.
#[doc(hidden)]
pub mod __macro {
    pub use crate::attribute::*;
}
