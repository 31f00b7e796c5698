//! What a fleet run records: the outcome of each target, what the work on
//! one target returns, and the events of a run as it happens.

use std::time::Duration;

use crate::backfill::BackfillState;
use crate::error::Error;
use crate::runner::Report;

/// What became of one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Revisions were applied or reverted.
    Migrated,
    /// It was already at the target: one query, no lock.
    Unchanged,
    /// (a status or check) At head, no edited migration, no interrupted
    /// step.
    Ready,
    /// (a status or check) Not at head, or an edited migration, or an
    /// interrupted step; the record's error says which.
    NotReady,
    /// The work failed; the record's error says why. The other targets
    /// went on (unless the run is `fail_fast` or in its canary phase).
    Failed,
    /// Not started: a canary failed, or `fail_fast` stopped the run.
    Skipped,
}

impl Outcome {
    /// The outcome's name in tables and logs: `migrated`, `unchanged`,
    /// `ready`, `not_ready`, `failed`, `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Migrated => "migrated",
            Outcome::Unchanged => "unchanged",
            Outcome::Ready => "ready",
            Outcome::NotReady => "not_ready",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        }
    }
}

/// What the work on one target returns when it did not fail; made from
/// an upgrade's or downgrade's [`Report`] with `.into()`.
///
/// `E` is the error of the work: this library's [`Error`] unless the
/// program carries its own (the command line's, with its hints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetResult<E = Error> {
    /// The revisions the target was at before (`None`: not known).
    pub from: Option<Vec<String>>,
    /// The revisions it is at now (`None`: not known).
    pub to: Option<Vec<String>>,
    /// How many migrations ran.
    pub steps: usize,
    /// [`Outcome::Migrated`], [`Outcome::Unchanged`], [`Outcome::Ready`],
    /// [`Outcome::NotReady`], or [`Outcome::Failed`] for a failure after
    /// which the work could still read where the target stands.
    pub outcome: Outcome,
    /// Why a target is [`Outcome::NotReady`] or [`Outcome::Failed`].
    pub problem: Option<E>,
    /// The backfills in progress on the target, as its status last read
    /// them ([`Status::backfills`](crate::runner::Status::backfills)):
    /// running, or killed with their run. Empty when not read.
    pub backfills: Vec<BackfillState>,
}

/// An upgrade or downgrade: [`Outcome::Migrated`] when a step ran,
/// [`Outcome::Unchanged`] when the target was already there.
impl<E> From<Report> for TargetResult<E> {
    fn from(report: Report) -> Self {
        TargetResult {
            outcome: if report.steps.is_empty() {
                Outcome::Unchanged
            } else {
                Outcome::Migrated
            },
            steps: report.steps.len(),
            from: Some(report.heads_before),
            to: Some(report.heads_after),
            problem: None,
            backfills: Vec::new(),
        }
    }
}

/// The record of one target at the end of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetOutcome<E = Error> {
    /// The target as shown (its `Display`): a schema, a file, a service.
    pub target: String,
    /// The revisions before (`None`: not known, as for a failure or a
    /// target skipped).
    pub from: Option<Vec<String>>,
    /// The revisions after (`None`: not known).
    pub to: Option<Vec<String>>,
    /// How many migrations ran.
    pub steps: usize,
    /// From picking the target up to its outcome (zero when skipped).
    pub duration: Duration,
    /// What became of it.
    pub outcome: Outcome,
    /// The error of a failed target, or what a not-ready one lacks.
    pub error: Option<E>,
    /// The backfills in progress on it, with their rows done and total
    /// ([`TargetResult::backfills`]).
    pub backfills: Vec<BackfillState>,
}

impl<E> TargetOutcome<E> {
    pub(super) fn skipped(target: String) -> Self {
        TargetOutcome {
            target,
            from: None,
            to: None,
            steps: 0,
            duration: Duration::ZERO,
            outcome: Outcome::Skipped,
            error: None,
            backfills: Vec::new(),
        }
    }

    pub(super) fn finished(
        target: String,
        duration: Duration,
        result: Result<TargetResult<E>, E>,
    ) -> Self {
        match result {
            Ok(done) => TargetOutcome {
                target,
                from: done.from,
                to: done.to,
                steps: done.steps,
                duration,
                outcome: done.outcome,
                error: done.problem,
                backfills: done.backfills,
            },
            Err(error) => TargetOutcome {
                target,
                from: None,
                to: None,
                steps: 0,
                duration,
                outcome: Outcome::Failed,
                error: Some(error),
                backfills: Vec::new(),
            },
        }
    }
}

/// What happens during a run, reported on the calling thread as it
/// happens (for a progress display or a log).
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a, E = Error> {
    /// A worker picked up the target at this index.
    Started(usize),
    /// The target at this index is done.
    Finished(usize, &'a TargetOutcome<E>),
    /// The canary targets all succeeded; the rest follow.
    CanaryPassed,
    /// A canary target failed: nothing else starts.
    CanaryFailed,
}

/// The work on one target panicked. The run records the target as
/// [`Outcome::Failed`] with this turned into the work's error type
/// (for this library's [`Error`]: [`Error::Panicked`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panicked {
    /// The target, as shown.
    pub target: String,
    /// The panic's message.
    pub message: String,
}

impl From<Panicked> for Error {
    fn from(panicked: Panicked) -> Self {
        Error::Panicked {
            target: panicked.target,
            message: panicked.message,
        }
    }
}
