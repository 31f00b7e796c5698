//! Folders of `.sql` migrations for arx-migrate.
//!
//! This crate reads a folder (arx-migrate's layout, sqlx's or refinery's:
//! see [`layout`]), the options in a file's header ([`header`]), and splits
//! a file into statements ([`split_statements`]), and decides whether a
//! file whose header does not say runs in a transaction
//! ([`runs_outside_transaction`]). The `sql_migrations!`
//! macro runs it at compile time, and the engine
//! (`MigrationSet::from_sql_dir`, each SQL migration's statements) and the
//! command line (`revision --sql`) at run time, so all read a folder the
//! same way. It depends on nothing but the revision-id rules, so the macro
//! stays light.

#![warn(missing_docs)]

pub mod header;
pub mod layout;
mod split;
mod transaction;

pub use header::{parse_header, Header};
pub use layout::{read_dir, BackendSql, Entry, Layout, LayoutError, SqlText};
pub use split::{split_statements, statement_spans, SplitError, StatementSpan};
pub use transaction::{cannot_run_in_transaction, is_session_setting, runs_outside_transaction};
