//! What a run reports, and the options that shape it.

use std::fmt;
use std::time::Duration;

use crate::backfill::{BackfillProgress, BackfillState};
use crate::error::{Direction, Error};
use crate::lock::LockWait;

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

/// A step about to run: what [`Progress::Starting`] and a `before_step`
/// hook ([`Hooks::before_step`](crate::observe::Hooks::before_step)) get.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StepStart {
    /// The revision.
    pub revision: String,
    /// Upgrade or downgrade.
    pub direction: Direction,
    /// The revision's message.
    pub message: String,
    /// Whether it runs in a transaction (a `before_step` hook of a
    /// transactional step runs while that transaction is open).
    pub transactional: bool,
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
    pub warnings: Vec<Warning>,
}

/// A problem that did not stop a run; `Display` says what it is and what
/// to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// An applied migration was edited since (under
    /// [`ChecksumPolicy::Warn`]; the default policy stops the run with the
    /// same words).
    ChecksumChanged(ChecksumChange),
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::ChecksumChanged(change) => change.clone().into_error().fmt(f),
        }
    }
}

/// What a run reports while it runs, to the callback of
/// [`Migrator::upgrade_with_progress`](crate::Migrator::upgrade_with_progress)
/// and [`Migrator::downgrade_with_progress`](crate::Migrator::downgrade_with_progress).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// The run waits for another run's lock (on SQLite: for another
    /// connection's write lock); reported after a second and then every
    /// few seconds, with who holds it.
    Waiting(&'a LockWait),
    /// A step is about to run (under the run lock; a transactional step's
    /// transaction is open). A step tried again after a lock timeout
    /// starts again.
    Starting(&'a StepStart),
    /// A step was committed.
    Step(&'a StepReport),
    /// A statement timed out waiting for a table lock and is tried again
    /// after a pause (see [`Migrator::lock_retries`](crate::Migrator::lock_retries)).
    LockRetry(&'a super::LockRetryReport),
    /// A backfill ([`Ops::backfill`](crate::Ops::backfill)) committed a
    /// batch, finished, or pauses for the database's health.
    Backfill(&'a BackfillProgress),
}

/// An applied revision whose SQL no longer matches the checksum recorded
/// when it was applied: the migration was edited since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumChange {
    /// The revision.
    pub revision: String,
    /// The checksum that was recorded.
    pub recorded: String,
    /// The checksum of the code now.
    pub current: String,
}

impl ChecksumChange {
    /// The error that stops a run under [`ChecksumPolicy::Error`].
    pub(crate) fn into_error(self) -> Error {
        Error::ChecksumMismatch {
            revision: self.revision,
            recorded: self.recorded,
            current: self.current,
        }
    }
}

/// A non-transactional step that started and never finished (its process
/// died or was killed part way): the database may be half changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterruptedStep {
    /// The revision.
    pub revision: String,
    /// What the step was doing.
    pub direction: Direction,
}

/// What [`Migrator::repair`](crate::Migrator::repair) changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// Edited migrations whose new checksums are now recorded.
    pub checksums: Vec<ChecksumChange>,
    /// Markers of interrupted steps, now acknowledged so that they stop
    /// blocking runs (the database itself is not touched).
    pub interrupted: Vec<InterruptedStep>,
}

impl RepairReport {
    /// Whether nothing needed repair.
    pub fn is_empty(&self) -> bool {
        self.checksums.is_empty() && self.interrupted.is_empty()
    }
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
    /// Applied migrations edited since (an upgrade refuses to run under
    /// the default [`ChecksumPolicy::Error`]).
    pub edited: Vec<ChecksumChange>,
    /// Non-transactional steps that never finished (an upgrade refuses to
    /// run until they are cleaned up and acknowledged). A step killed in a
    /// backfill is not here but in `backfills`: an upgrade resumes it.
    pub interrupted: Vec<InterruptedStep>,
    /// Backfills of steps running now, or killed and waiting for an
    /// upgrade to resume them.
    pub backfills: Vec<BackfillState>,
    /// Expand/contract changes not yet contracted: expanded and awaiting
    /// their contract, or still expanding (the backfill running, or
    /// killed).
    pub expansions: Vec<crate::expand::ExpansionState>,
    /// Revisions applied (or reverted) only in part, on MariaDB and MySQL
    /// where DDL commits by itself: an upgrade through the revision
    /// resumes it at its first statement not applied; any other run
    /// refuses until it is resumed or repaired.
    pub half_applied: Vec<crate::journal::HalfApplied>,
}

impl Status {
    /// Whether the database is at head with nothing that stops a
    /// service's `migrate_to_head` at startup (under the default
    /// [`ChecksumPolicy::Error`]): no edited migration and no interrupted
    /// step. What a deploy gate asks.
    pub fn is_ready(&self) -> bool {
        self.at_head
            && self.edited.is_empty()
            && self.interrupted.is_empty()
            && self.half_applied.is_empty()
    }
}
