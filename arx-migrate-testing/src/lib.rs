//! Test fixtures for arx-migrate (the `arx_migrate::testing` module of the
//! facade, feature `testing`): a fresh database at head (or at a given
//! revision) for one test, fast, and cleaned up after it. The
//! `#[arx_migrate::test]` attribute builds on them; the guide is
//! `docs/testing.md`.
//!
//! What is migrated is built once per migration set (keyed by
//! [`arx_migrate_core::Migrator::fingerprint`] and the target, so an edited
//! migration gets new ones) and reused per test:
//!
//! - SQLite: an in-memory image per process, deserialised per test
//!   ([`fresh_sqlite`]).
//! - PostgreSQL, [`PgFixture::rollback`]: a transaction on a database at the
//!   target, rolled back at the end — a few round trips per test.
//! - PostgreSQL, [`PgFixture::schema`] / [`PgFixture::database`]
//!   ([`fresh_postgres`]): a schema or database of its own, from a pool a
//!   background thread keeps filled, shared by every test process on the
//!   server; dropped in the background after use.
//! - PostgreSQL, [`PgFixture::create`]: a schema or database made on the
//!   spot ([`CopyStrategy`]).
//!
//! What crashed runs held, fixture databases nothing uses any more, and
//! leftovers of earlier versions are reclaimed by themselves
//! ([`reclaim_stale`]). `BENCHMARKS.md` compares the ways.
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
//! // In a #[test]: a private in-memory database at head.
//! let conn = testing::fresh_sqlite(&migrator)?;
//! conn.execute("INSERT INTO users (name) VALUES ('ada')", []).unwrap();
//!
//! // On PostgreSQL (when the test server is configured):
//! if let Ok(server) = std::env::var(testing::TEST_PG_ENV) {
//!     // A transaction on a database at head, rolled back when dropped.
//!     let mut db = testing::PgFixture::new(&migrator, &server).rollback()?;
//!     let mut tx = db.transaction()?;
//!     tx.batch_execute("INSERT INTO users (id, name) VALUES (1, 'ada')").unwrap();
//!     drop(tx);
//!
//!     // A schema of its own, for a test that commits.
//!     let schema = testing::fresh_postgres(&migrator, &server)?;
//!     let mut client = schema.connect()?;
//!     client.batch_execute("INSERT INTO users (id, name) VALUES (1, 'ada')").unwrap();
//! } // given back here
//! # Ok::<(), arx_migrate_core::Error>(())
//! ```

#![warn(missing_docs)]

// Without a backend nothing runs tests; the options still compile.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(dead_code)
)]
mod attribute;

#[cfg(any(feature = "postgres", feature = "mysql"))]
mod env;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use arx_migrate_core::not_api::scratch::{
    connect, with_database, PgScratchDatabase as PgTestDatabase,
};
#[cfg(feature = "mysql")]
pub use env::{mysql_test_url, TEST_MYSQL_ENV};
#[cfg(feature = "postgres")]
pub use env::{postgres_test_url, TEST_PG_ENV};
#[cfg(feature = "mysql")]
pub use mysql::{
    fresh_mysql, fresh_mysql_at, reclaim_stale_mysql, MysqlFixture, MysqlPooledDatabase,
    MysqlRollbackConnection, MysqlTestDatabase, DEFAULT_MYSQL_POOL_SIZE,
};
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
