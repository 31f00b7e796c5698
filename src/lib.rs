//! # arx-migrate
//!
//! Versioned, reversible, repeatable schema migrations for Rust services, on
//! SQLite (rusqlite) and PostgreSQL (postgres): what Alembic is to Python.
//! Migrations are Rust modules marked `#[migration]` or folders of `.sql`
//! files embedded with [`sql_migrations!`], registered at compile time, and
//! run from a service's startup, a test, or the command line.
//!
//! ```
//! use arx_migrate::prelude::*;
//!
//! /// Create the notes table
//! #[migration(rev = "n001")]
//! pub mod n001_notes {
//!     use arx_migrate::prelude::*;
//!     use arx_migrate::sea_query::{ColumnDef, Table};
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
//!     let mut conn = arx_migrate::rusqlite::Connection::open_in_memory().unwrap();
//!     let report = arx_migrate::migrate_to_head(&mut conn)?;
//!     assert_eq!(report.heads_after, ["n001"]);
//!     Ok(())
//! }
//! ```
//!
//! The guide, from the first migration to the tenth, is
//! `docs/writing-migrations.md`; the command line is `docs/cli.md`.
//!
//! ## The drivers
//!
//! [`rusqlite`], [`postgres`] and [`sea_query`] are re-exported: use
//! `arx_migrate::rusqlite::Connection` and `arx_migrate::postgres::Client`
//! (or depend on exactly the versions this crate does) so that the program
//! has one copy of each. Two versions of `rusqlite` cannot both link SQLite.
//!
//! ## Async services
//!
//! The `postgres` client blocks, and cannot be called on a thread that
//! drives an async runtime (the library returns
//! [`Error::InsideAsyncRuntime`] there, before the driver would panic). In
//! a `#[tokio::main]` service, migrate on a blocking thread before serving:
//!
//! ```no_run
//! # async fn start(url: String) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use arx_migrate::postgres;
//!
//! let report = tokio::task::spawn_blocking(move || {
//!     let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
//!     Ok::<_, Box<dyn std::error::Error + Send + Sync>>(arx_migrate::migrate_to_head(&mut client)?)
//! })
//! .await??;
//! # Ok(()) }
//! ```
//!
//! ## Errors from the database
//!
//! A failure the database reports arrives as a [`DbError`] inside the
//! [`Error`] ([`Error::db_error`]): its [`DbErrorKind`] says what kind of
//! failure it is (connection, lock timeout, statement timeout, syntax,
//! constraint, serialization, permission, inside an async runtime), and
//! its [`source`](std::error::Error::source) is the driver's own error
//! (`postgres::Error`, `rusqlite::Error`) for whatever else a program
//! wants to know.
//!
//! ```
//! use arx_migrate::{DbErrorKind, FnMigration, MigrationSet, Migrator};
//!
//! let migrator = Migrator::new(MigrationSet::new().with(FnMigration::new(
//!     "001", &[], |op| op.sql("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (1)"),
//!     |op| op.sql("DROP TABLE t"),
//! )))?;
//! let mut conn = arx_migrate::rusqlite::Connection::open_in_memory().unwrap();
//! let error = migrator.upgrade(&mut conn, "head").unwrap_err();
//! assert_eq!(error.db_error().map(|e| e.kind()), Some(DbErrorKind::Constraint));
//! let driver = std::error::Error::source(&error).and_then(|e| e.source()).unwrap();
//! assert!(driver.is::<arx_migrate::rusqlite::Error>());
//! # Ok::<(), arx_migrate::Error>(())
//! ```

#![warn(missing_docs)]

// The public API, item by item (tests/public_api.rs keeps the list in
// tests/public-api.txt, so that a change shows in review). The engine's
// other modules, and its `not_api` helpers for the sibling crates, are
// not re-exported.
pub use arx_migrate_core::{
    canonical_sql, history_stats, migrate_to_head, render, render_script, Adopted, AlterColumn,
    Backend, Backfill, BackfillProgress, BackfillState, ChecksumChange, ChecksumPolicy, Connection,
    DataConnection, DbError, DbErrorKind, Direction, Error, Expand, ExpandKind, ExpansionPhase,
    ExpansionState, FnMigration, HalfApplied, HalfAppliedRepair, HalfAppliedReport, Heads,
    HistoryEntry, HistoryOperation, HistoryOutcome, HistoryStats, InterruptedStep, JournalEntry,
    JournalState, LinkedMigrations, LockHolder, LockRetry, LockRetryReport, LockWait, Migration,
    MigrationSet, MigrationSource, Migrator, Ops, Param, PreparedRun, Progress, Registry, Rendered,
    RepairReport, Report, Result, RevisionGraph, RevisionStats, Row, RunSettings, SlowStep,
    SqlMigration, SqlScript, Statement, StatementFailure, Status, Step, StepReport, StepSizes,
    StepStart, StoreConfig, Target, TransactionMode, Warning,
};
pub use arx_migrate_macros::migration;

/// Connection strings without their secrets, for logs and messages.
pub use arx_migrate_core::redact;

/// The SQL builder migrations are written with, re-exported so that its
/// version always matches the one `Ops` renders.
pub use arx_migrate_core::sea_query;

/// The SQLite driver, re-exported so that a program opens its connections
/// with the version this library implements [`Connection`] for (two
/// versions of `rusqlite` in one program cannot both link SQLite).
#[cfg(feature = "sqlite")]
pub use arx_migrate_core::rusqlite;

/// The PostgreSQL driver, re-exported so that a program's
/// `postgres::Client` is the one this library implements [`Connection`]
/// for.
#[cfg(feature = "postgres")]
pub use arx_migrate_core::postgres;

/// The MariaDB and MySQL driver, re-exported so that a program's
/// `mysql::Conn` (or `mysql::PooledConn`) is the one this library
/// implements [`Connection`] for.
#[cfg(feature = "mysql")]
pub use arx_migrate_core::mysql;

#[doc(hidden)]
pub use arx_migrate_core::__private;

/// Watching runs in production: [`observe::Hooks`] around each run and
/// step (set with [`Migrator::hooks`]), and with the feature `metrics`
/// the counters, histograms and gauges named in [`observe::metrics`],
/// through the `metrics` facade crate. Guide: `docs/observability.md`.
pub use arx_migrate_core::observe;

/// Fleets (feature `fleet`): one migration over many databases or tenant
/// schemas, in parallel, with a record per target, for a service to run at
/// startup without the command line.
#[cfg(feature = "fleet")]
pub use arx_migrate_core::fleet;

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
pub use arx_migrate_verify::{autogen, check, lint, validate};

/// Embeds a folder of `.sql` migrations at compile time and registers each
/// as a revision, beside the `#[migration]` modules and in the same graph.
///
/// ```
/// # /*
/// arx_migrate::sql_migrations!("migrations"); // relative to Cargo.toml
/// # */
/// # arx_migrate::sql_migrations!("examples/acme-migrations/migrations");
/// # fn main() {}
/// ```
///
/// Write it once at the top level of a crate's `lib.rs` or `main.rs`. The
/// folder holds one subfolder per revision (`003_add_tags/up.sql` and
/// `down.sql`, optionally `up.postgres.sql`, `up.sqlite.sql`, …), or sqlx's
/// files (`<version>_<name>.up.sql` / `.down.sql`), or refinery's
/// (`V<version>__<name>.sql`). A header line in an up file sets what the
/// `#[migration]` attribute would, in the same words:
///
/// ```sql
/// -- arx-migrate: rev = "003", down_rev = "m002", transactional = false
/// -- Add the tags table
/// CREATE TABLE tags (id integer PRIMARY KEY, name text NOT NULL);
/// ```
///
/// Without `rev` the id is the folder's name up to its first `_`; without
/// `down_rev` the parent is the folder before it. A file that cannot be
/// read is a compile error naming the file and line. Editing a file
/// rebuilds the crate; for cargo to notice a *new* file, add a build script
/// (`build.rs`) with `println!("cargo:rerun-if-changed=migrations");`.
///
/// To run a folder read at run time instead, see
/// [`MigrationSet::from_sql_dir`]. The guide's ".sql migrations" chapter
/// (`docs/writing-migrations.md`) has the details.
pub use arx_migrate_macros::sql_migrations;

/// Defines `pub fn migrations()` in a library crate that has migrations,
/// for the program to name — which links the crate, so that its
/// migrations are found.
///
/// A program links a dependency only when its code names something in it;
/// a library whose only job is to register migrations would otherwise be
/// left out, and the program would find no migration (which
/// [`migrate_to_head`], [`Migrator::from_registry`] and the command line
/// report as [`Error::NoMigrations`]). In the library's `lib.rs`:
///
/// ```
/// # /*
/// arx_migrate::sql_migrations!("migrations");
/// # */
/// arx_migrate::export_migrations!();
/// # fn main() { let _ = migrations(); }
/// ```
///
/// and in the program (here the Arxos schema's crate, which does this):
///
/// ```no_run
/// let migrator = arx_migrate::Migrator::new(arx_schema::migrations())?
///     .version_table(arx_schema::VERSION_TABLE);
/// // or, for the command line (feature `cli`):
/// // arx_migrate::cli::run(arx_migrate::cli::CliConfig::default().migrations(arx_schema::migrations()))
/// # Ok::<(), arx_migrate::Error>(())
/// ```
///
/// The set is every migration registered in the program (see
/// [`LinkedMigrations`]), so a library's revisions on top of another
/// crate's (the Arxos schema's) run together with them.
#[macro_export]
macro_rules! export_migrations {
    () => {
        /// This crate's migrations (its `#[migration]` modules and
        /// `sql_migrations!` folders) together with those of every crate
        /// linked with it. Naming this function in a program links this
        /// crate, so that its migrations are found: pass it to
        /// `arx_migrate::Migrator::new` or
        /// `arx_migrate::cli::CliConfig::migrations`.
        pub fn migrations() -> $crate::LinkedMigrations {
            $crate::LinkedMigrations::new(::core::env!("CARGO_CRATE_NAME"))
        }
    };
}

/// What a migration module needs: `use arx_migrate::prelude::*;`.
pub mod prelude {
    pub use arx_migrate_core::{
        AlterColumn, Backend, Backfill, DataConnection, Error, Expand, Migration, Ops, Result,
        Statement,
    };
    pub use arx_migrate_macros::migration;
}

// The Markdown documents' Rust blocks are compiled (and, unless marked
// otherwise, run) as doc tests; they use every part of the crate.

/// The guide, `docs/writing-migrations.md`.
#[cfg(all(
    doctest,
    feature = "sqlite",
    feature = "postgres",
    feature = "cli",
    feature = "testing"
))]
#[doc = include_str!("../docs/writing-migrations.md")]
pub struct WritingMigrationsGuide;

/// The command line's tour, `docs/cli.md`.
#[cfg(all(doctest, feature = "sqlite", feature = "postgres", feature = "cli"))]
#[doc = include_str!("../docs/cli.md")]
pub struct CliGuide;

/// The testing guide, `docs/testing.md`.
#[cfg(all(
    doctest,
    feature = "sqlite",
    feature = "postgres",
    feature = "mysql",
    feature = "testing"
))]
#[doc = include_str!("../docs/testing.md")]
pub struct TestingGuide;

/// The MariaDB and MySQL chapter, `docs/mysql.md`.
#[cfg(all(doctest, feature = "mysql"))]
#[doc = include_str!("../docs/mysql.md")]
pub struct MysqlGuide;

/// Hooks, metrics and live status, `docs/observability.md`.
#[cfg(all(doctest, feature = "sqlite", feature = "postgres", feature = "cli"))]
#[doc = include_str!("../docs/observability.md")]
pub struct ObservabilityGuide;

/// Half-applied revisions on MariaDB and MySQL,
/// `docs/mysql-half-applied.md`.
#[cfg(all(doctest, feature = "mysql"))]
#[doc = include_str!("../docs/mysql-half-applied.md")]
pub struct MysqlHalfAppliedGuide;

/// `README.md`.
#[cfg(all(doctest, feature = "sqlite", feature = "postgres", feature = "testing"))]
#[doc = include_str!("../README.md")]
pub struct Readme;
