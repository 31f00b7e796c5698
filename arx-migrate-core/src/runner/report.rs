//! What a run reports, and the options that shape it.

use std::time::Duration;

use crate::error::Direction;

/// How migrations are grouped into transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransactionMode {
    /// Each migration and its version-row change commit together (default).
    #[default]
    PerMigration,
    /// The whole run commits together or not at all (non-transactional
    /// migrations still run on their own, between commits).
    AllInOne,
}

/// What to do when an applied migration's SQL no longer matches its
/// recorded checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChecksumPolicy {
    /// Stop with [`Error::ChecksumMismatch`](crate::Error::ChecksumMismatch) (default).
    #[default]
    Error,
    /// Log a warning, list it in the report, and go on.
    Warn,
}

/// One applied or reverted revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// The revision.
    pub revision: String,
    /// Upgrade or downgrade.
    pub direction: Direction,
    /// The revision's message.
    pub message: String,
    /// How long the step took, bookkeeping included.
    pub duration: Duration,
    /// How many statements it ran through [`Ops`](crate::Ops).
    pub statements: usize,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The version table's rows before the run.
    pub heads_before: Vec<String>,
    /// The version table's rows after the run.
    pub heads_after: Vec<String>,
    /// The steps, in the order they ran.
    pub steps: Vec<StepReport>,
    /// Problems that did not stop the run (edited migrations under
    /// [`ChecksumPolicy::Warn`]).
    pub warnings: Vec<String>,
}

/// A revision whose recorded checksum [`Migrator::repair`](crate::Migrator::repair) replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repaired {
    /// The revision.
    pub revision: String,
    /// The checksum that was recorded.
    pub recorded: String,
    /// The checksum of the code now, recorded from now on.
    pub current: String,
}

/// Where a database stands relative to the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The version table's rows.
    pub heads: Vec<String>,
    /// Revisions the code has that the database lacks, in apply order.
    pub pending: Vec<String>,
    /// Whether the database is at the code's heads.
    pub at_head: bool,
}
