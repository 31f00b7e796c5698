//! # arx-migrate
//!
//! Versioned, reversible, repeatable schema migrations for Rust services, on
//! SQLite (rusqlite) and PostgreSQL (postgres): what Alembic is to Python.
//! Migrations are Rust modules marked `#[migration]`, registered at compile
//! time, and run from a service's startup, a test, or the command line.
//!
//! ```
//! use arx_migrate::prelude::*;
//!
//! /// Create the notes table
//! #[migration(rev = "n001")]
//! pub mod n001_notes {
//!     use arx_migrate::prelude::*;
//!     use sea_query::{ColumnDef, Table};
//!
//!     pub fn upgrade(op: &mut Ops) -> Result<()> {
//!         op.exec(
//!             Table::create()
//!                 .table("notes")
//!                 .col(ColumnDef::new("id").integer().primary_key())
//!                 .col(ColumnDef::new("body").text().not_null()),
//!         )
//!     }
//!
//!     pub fn downgrade(op: &mut Ops) -> Result<()> {
//!         op.exec(Table::drop().table("notes"))
//!     }
//! }
//!
//! fn main() -> Result<()> {
//!     let mut conn = rusqlite::Connection::open_in_memory().unwrap();
//!     let report = arx_migrate::migrate_to_head(&mut conn)?;
//!     assert_eq!(report.heads_after, ["n001"]);
//!     Ok(())
//! }
//! ```
//!
//! ## Async services
//!
//! The `postgres` client blocks, and cannot be called on a thread that
//! drives an async runtime (the library returns
//! [`Error::InsideAsyncRuntime`] instead of panicking there). In a
//! `#[tokio::main]` service, migrate on a blocking thread before serving:
//!
//! ```no_run
//! # async fn start(url: String) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let report = tokio::task::spawn_blocking(move || {
//!     let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
//!     Ok::<_, Box<dyn std::error::Error + Send + Sync>>(arx_migrate::migrate_to_head(&mut client)?)
//! })
//! .await??;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub use arx_migrate_core::*;
pub use arx_migrate_macros::migration;

/// The command line (feature `cli`): Alembic's verbs for any program with
/// migrations, from a three-line `main`.
#[cfg(feature = "cli")]
pub use arx_migrate_cli as cli;

/// Test fixtures (feature `testing`): a fresh database per test, fast.
#[cfg(feature = "testing")]
pub use arx_migrate_testing as testing;

/// `#[arx_migrate::test]` (feature `testing`): a test function that takes
/// `&mut rusqlite::Connection`, `&mut postgres::Transaction<'_>` or
/// `&mut postgres::Client` and gets a fresh database at a revision.
///
/// ```
/// # use arx_migrate::{FnMigration, MigrationSet, Migrator};
/// fn migrator() -> arx_migrate::Result<Migrator> {
///     Migrator::new(MigrationSet::new().with(FnMigration::new(
///         "001",
///         &[],
///         |op| op.sql("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)"),
///         |op| op.sql("DROP TABLE users"),
///     )))
/// }
///
/// #[arx_migrate::test(migrator = migrator)]
/// fn on_sqlite(conn: &mut rusqlite::Connection) {
///     conn.execute("INSERT INTO users (name) VALUES ('ada')", []).unwrap();
/// }
///
/// #[arx_migrate::test(migrator = migrator)]
/// fn on_postgres(tx: &mut postgres::Transaction<'_>) -> Result<(), postgres::Error> {
///     tx.execute("INSERT INTO users (id, name) VALUES (1, 'ada')", &[])?;
///     let mut nested = tx.transaction()?; // a savepoint
///     nested.execute("DELETE FROM users", &[])?;
///     Ok(()) // rolled back: the next test sees no users
/// }
///
/// #[arx_migrate::test(migrator = migrator, at = "001", strategy = schema)]
/// fn commits(client: &mut postgres::Client) {
///     client.execute("INSERT INTO users (id, name) VALUES (1, 'ada')", &[]).unwrap();
/// }
/// # fn main() {}
/// ```
///
/// Guide, strategies and when each fits: `docs/testing.md`.
#[cfg(feature = "testing")]
pub use arx_migrate_macros::test;

/// The safety checks (feature `verify`): lint, the drift check and the
/// validate gate.
#[cfg(feature = "verify")]
pub use arx_migrate_verify::{check, lint, validate};

/// The testing guide (`docs/testing.md`); its code blocks are compiled as
/// doc tests.
#[cfg(all(doctest, feature = "testing"))]
#[doc = include_str!("../docs/testing.md")]
pub struct TestingGuide;

/// What a migration module needs: `use arx_migrate::prelude::*;`.
pub mod prelude {
    pub use arx_migrate_core::{Backend, DataConnection, Error, Migration, Ops, Result, Statement};
    pub use arx_migrate_macros::migration;
}
