//! [`Ops`]: what a migration writes its changes to.
//!
//! One `Ops` serves both backends: it renders sea-query statements for the
//! connection's backend, runs raw SQL (for every backend or for one), alters
//! existing tables with one call for both backends (on SQLite by rebuilding
//! the table where its ALTER TABLE falls short), and hands data migrations
//! the connection. When rendering offline (`--sql`, lint, checksums) it
//! records the statements instead of running them.
//!
//! The parts: `context` (the `Ops` type and its calls), `statement` (what [`Ops::exec`] renders, and the checks
//! that keep sea-query from panicking), `alter` (the portable
//! alterations), `safe` (the forms that keep a busy PostgreSQL table
//! usable: `NOT VALID`, validation, `NOT NULL` through a check),
//! `touched` (which table a statement changes, for the history's size
//! columns),
//! `concurrent_index` (a concurrent index build that leaves no INVALID
//! index behind), `backfill` ([`Ops::backfill`]), `expand` ([`Ops::expand`],
//! [`Ops::contract`]), `journaled` (a statement under the journal of
//! half-applied revisions on MariaDB and MySQL), `mysql_alter` (the
//! alterations on MariaDB and MySQL, with their ALGORITHM and LOCK
//! clauses), `sqlite_batch` (queueing them per table on SQLite),
//! `sqlite_tokens`, `sqlite_ddl`, `sqlite_plan` and `sqlite_rebuild` (the
//! SQLite table rebuild), and, in `crate::not_api::panic`, the net under the checks.

mod alter;
mod backfill;
mod concurrent_index;
mod context;
mod expand;
mod journaled;
mod mysql_alter;
mod safe;
mod sqlite_batch;
mod sqlite_ddl;
mod sqlite_plan;
mod sqlite_rebuild;
mod sqlite_tokens;
mod statement;
mod touched;

pub use alter::AlterColumn;
pub use context::Ops;
pub(crate) use context::{LiveSettings, RunnerContext};
pub use statement::Statement;
pub(crate) use touched::Measured;

/// Quotes an identifier for any backend (`"name"`, inner quotes doubled).
pub use crate::not_api::text::quote_ident;
