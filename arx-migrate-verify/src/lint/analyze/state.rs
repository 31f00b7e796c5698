//! What the linting of one migration knows as it goes: its settings, the
//! statement being checked, and the state the rules share. Data only: the
//! rules (the other modules) read and change it.

use std::collections::BTreeSet;

use super::super::allow::Allowed;
use super::super::config::LintConfig;
use super::super::report::Finding;
use arx_migrate_core::backend::Backend;
use arx_migrate_core::error::Direction;

/// How the migration being linted runs.
#[derive(Debug, Clone)]
pub(crate) struct Settings<'a> {
    /// The backend its SQL is for.
    pub backend: Backend,
    /// Which rules run.
    pub config: &'a LintConfig,
    /// Whether the runner wraps it in a transaction.
    pub transactional: bool,
    /// Whether a table the model does not know is taken to exist, with
    /// unknown columns (`lint --file` without a schema), instead of being
    /// an [`Rule::UnknownTable`](super::super::rules::Rule::UnknownTable) error.
    pub assume_unknown: bool,
    /// Tables a statement of this file or a later one creates: a reference
    /// to one before it is created is an error even when `assume_unknown`.
    pub created_later: BTreeSet<String>,
    /// The file its SQL comes from, for finding locations.
    pub file: Option<String>,
}

/// The statement being checked: where findings point, and what it allows.
#[derive(Debug, Clone, Default)]
pub(super) struct Here {
    pub(super) sql: String,
    pub(super) line: usize,
    pub(super) allowed: Allowed,
    /// Whether its SQL string holds other statements too.
    pub(super) shares_string: bool,
    /// SQLite: `Ops` makes it by rebuilding the table if need be.
    pub(super) rebuild: bool,
    /// `Ops` drops or adds back a column of an expand/contract change.
    pub(super) contract: bool,
}

/// A foreign key added by the migration, checked for an index at its end.
pub(super) struct PendingFk {
    pub(super) table: String,
    pub(super) columns: Vec<String>,
    pub(super) here: Here,
}

/// Lints one direction of one migration.
pub(crate) struct MigrationLint<'a> {
    pub(super) settings: &'a Settings<'a>,
    pub(super) revision: &'a str,
    pub(super) direction: Direction,
    /// Tables that existed before the migration started.
    pub(super) existing: BTreeSet<String>,
    /// Indexes that existed before the migration started.
    pub(super) existing_indexes: BTreeSet<String>,
    /// Columns the migration added: (table, column).
    pub(super) new_columns: BTreeSet<(String, String)>,
    /// Names a later statement of the migration renames a table to: a
    /// DROP TABLE of one of them is half of a table rebuild.
    pub(super) rebuilt: BTreeSet<String>,
    pub(super) lock_timeout: bool,
    pub(super) lock_reported: bool,
    /// Inside a `BEGIN` the migration wrote itself.
    pub(super) explicit_transaction: bool,
    /// Constraints added `NOT VALID` by the migration.
    pub(super) not_valid_here: BTreeSet<String>,
    /// Temporary tables the migration created.
    pub(super) temporary: BTreeSet<String>,
    pub(super) pending_fks: Vec<PendingFk>,
    pub(super) here: Option<Here>,
    /// What was found.
    pub findings: Vec<Finding>,
    /// How many statements could not be parsed.
    pub unparsed: usize,
    /// Tables (and indexes) taken to exist without the model knowing them.
    pub assumed: BTreeSet<String>,
    /// Columns (table, column) a contract's downgrade adds back: they take
    /// the definition they had before the contract.
    pub restored: Vec<(String, String)>,
    /// MariaDB/MySQL: the migration's DDL statements, in order.
    pub(super) mysql_ddl: Vec<String>,
    /// MariaDB/MySQL: how many data changes the migration makes.
    pub(super) mysql_data_changes: usize,
}
