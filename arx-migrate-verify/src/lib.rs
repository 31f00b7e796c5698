//! The safety checks of arx-migrate: what reads schemas and SQL.
//!
//! - [`lint`]: parses the SQL each migration renders (sqlparser), or `.sql`
//!   files, and reports steps that destroy data, lock busy tables or fail,
//!   tracking the schema along the chain.
//! - [`check`]: introspects a live database (tables, views, triggers,
//!   functions, sequences, virtual tables) and compares it with the schema
//!   the migrations produce, replayed on a scratch database.
//! - [`grants`]: the privileges a chain's statements need on PostgreSQL.
//! - [`superuser`]: which PostgreSQL statements need a superuser.
//! - [`validate`]: the CI gate that runs the whole round trip on a scratch
//!   database.
//!
//! Most programs reach these through the `arx-migrate` facade (feature
//! `verify`) or its command line (feature `cli`).

#![warn(missing_docs)]

pub mod autogen;
pub mod check;
pub mod grants;
pub mod lint;
pub mod superuser;
pub mod validate;
