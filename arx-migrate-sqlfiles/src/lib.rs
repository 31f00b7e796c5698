//! Folders of `.sql` migrations for arx-migrate.
//!
//! This crate reads a folder (arx-migrate's layout, sqlx's or refinery's:
//! see [`layout`]), the options in a file's header ([`header`]), and splits
//! a file into statements ([`split_statements`]). It has no dependencies:
//! the `sql_migrations!` macro runs it at compile time, and the command
//! line and `arx_migrate::sql_files` at run time, so both read a folder the
//! same way.

#![warn(missing_docs)]

pub mod header;
pub mod layout;
mod revision_id;
mod split;

pub use header::{parse_header, Header};
pub use layout::{read_dir, BackendSql, Entry, Layout, LayoutError, SqlText};
pub use revision_id::{revision_id_problem, MAX_REVISION_LEN};
pub use split::{split_statements, SplitError};
