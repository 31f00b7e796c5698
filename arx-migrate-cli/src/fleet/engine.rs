//! The worker pool: N threads take targets in order, each with state of
//! its own (its connection), run one piece of work per target, and record
//! an outcome per target. A failure is recorded and the others go on,
//! unless the run is to stop at the first (`fail_fast`) or is still in its
//! canary phase.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::error::CliError;

/// How a fleet run proceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetOptions {
    /// How many targets are worked on at once (one thread, and on
    /// PostgreSQL one connection, each); at least 1.
    pub jobs: usize,
    /// The first `canary` targets run first; if any of them fails, no
    /// other target is started.
    pub canary: usize,
    /// Start no further target once one has failed.
    pub fail_fast: bool,
}

impl Default for FleetOptions {
    fn default() -> Self {
        FleetOptions {
            jobs: 1,
            canary: 0,
            fail_fast: false,
        }
    }
}

/// What became of one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Revisions were applied or reverted.
    Migrated,
    /// It was already at the target: one query, no lock.
    Unchanged,
    /// (status, check) At head, no edited migration, no interrupted step.
    Ready,
    /// (status, check) Not at head, or an edited migration, or an
    /// interrupted step; the error says which.
    NotReady,
    /// The work failed; the error says why. Other targets went on.
    Failed,
    /// Not started: a canary failed, or `fail_fast` stopped the run.
    Skipped,
}

impl Outcome {
    /// The outcome's name in tables and JSON.
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

/// What the work on one target returns when it did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetResult {
    /// The revisions the target was at before (`None`: not known).
    pub from: Option<Vec<String>>,
    /// The revisions it is at now (`None`: not known).
    pub to: Option<Vec<String>>,
    /// How many migrations ran.
    pub steps: usize,
    /// [`Outcome::Migrated`], [`Outcome::Unchanged`], [`Outcome::Ready`],
    /// [`Outcome::NotReady`], or [`Outcome::Failed`] for a failure whose
    /// target could still be read (where it stands after it).
    pub outcome: Outcome,
    /// Why a target is [`Outcome::NotReady`] or [`Outcome::Failed`].
    pub problem: Option<CliError>,
}

/// The record of one target, in the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetOutcome {
    /// The target as shown: a service, a schema, or a URL without its
    /// password.
    pub target: String,
    /// The revisions before (`None`: not known, as for a failure or a
    /// target skipped).
    pub from: Option<Vec<String>>,
    /// The revisions after (`None`: not known).
    pub to: Option<Vec<String>>,
    /// How many migrations ran.
    pub steps: usize,
    /// From picking the target up to its outcome.
    pub duration: Duration,
    /// What became of it.
    pub outcome: Outcome,
    /// The error of a failed target, or what a not-ready one lacks.
    pub error: Option<CliError>,
}

impl TargetOutcome {
    fn skipped(target: String) -> Self {
        TargetOutcome {
            target,
            from: None,
            to: None,
            steps: 0,
            duration: Duration::ZERO,
            outcome: Outcome::Skipped,
            error: None,
        }
    }

    /// The record as JSON (one element of the summary's `targets`).
    pub fn to_json(&self) -> Value {
        json!({
            "target": self.target,
            "from": self.from,
            "to": self.to,
            "steps": self.steps,
            "duration_ms": u64::try_from(self.duration.as_millis()).unwrap_or(u64::MAX),
            "outcome": self.outcome.as_str(),
            "error": self.error.as_ref().map(|e| e.to_json()["error"].clone()),
        })
    }
}

/// What happens during a run, reported on the calling thread as it
/// happens (for a progress display).
#[derive(Debug)]
pub enum Event<'a> {
    /// A worker picked up the target at this index.
    Started(usize),
    /// The target at this index is done.
    Finished(usize, &'a TargetOutcome),
    /// The canary targets all succeeded; the rest follow.
    CanaryPassed,
    /// A canary target failed: nothing else starts.
    CanaryFailed,
}

/// Runs `work` on every target with `options.jobs` threads, and returns
/// one record per target, in the targets' order.
///
/// Each thread makes its own state with `new_worker` (typically a
/// connection, opened on first need and reused across targets of the same
/// database) and passes it to `work` with each target it takes. A target
/// whose work fails, or panics, is recorded as [`Outcome::Failed`]; the
/// work should then leave the state fit for the next target (drop a
/// connection that may be broken). `observe` is called on this thread.
///
/// ```
/// use arx_migrate_cli::fleet::{run, FleetOptions, Outcome, TargetResult};
/// use arx_migrate_cli::CliError;
///
/// let targets = ["a", "b", "broken", "d"];
/// let options = FleetOptions { jobs: 2, ..FleetOptions::default() };
/// let records = run(
///     &targets,
///     |t| t.to_string(),
///     &options,
///     || (),
///     |_, t| match *t {
///         "broken" => Err(CliError::new("broken", "it is broken")),
///         _ => Ok(TargetResult {
///             from: Some(vec![]), to: Some(vec!["001".into()]), steps: 1,
///             outcome: Outcome::Migrated, problem: None,
///         }),
///     },
///     &mut |_| {},
/// );
/// let outcomes: Vec<Outcome> = records.iter().map(|r| r.outcome).collect();
/// assert_eq!(outcomes, [Outcome::Migrated, Outcome::Migrated, Outcome::Failed, Outcome::Migrated]);
/// ```
pub fn run<T, S>(
    targets: &[T],
    name: impl Fn(&T) -> String + Sync,
    options: &FleetOptions,
    new_worker: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &T) -> Result<TargetResult, CliError> + Sync,
    observe: &mut dyn FnMut(Event<'_>),
) -> Vec<TargetOutcome>
where
    T: Sync,
{
    let mut records: Vec<Option<TargetOutcome>> = vec![None; targets.len()];
    let canary = options.canary.min(targets.len());
    let pool = Pool {
        jobs: options.jobs.max(1),
        fail_fast: options.fail_fast,
        name: &name,
        new_worker: &new_worker,
        work: &work,
    };
    let mut failed = false;
    if canary > 0 {
        // The canary stops at its first failure, like --fail-fast.
        let canary_pool = Pool {
            fail_fast: true,
            ..pool
        };
        failed = canary_pool.phase(targets, 0..canary, &mut records, observe);
        observe(if failed {
            Event::CanaryFailed
        } else {
            Event::CanaryPassed
        });
    }
    if !failed {
        pool.phase(targets, canary..targets.len(), &mut records, observe);
    }
    records
        .into_iter()
        .zip(targets)
        .map(|(record, target)| record.unwrap_or_else(|| TargetOutcome::skipped(name(target))))
        .collect()
}

/// The threads of one phase (the canary, then the rest).
struct Pool<'a, S, T> {
    jobs: usize,
    fail_fast: bool,
    name: &'a (dyn Fn(&T) -> String + Sync),
    new_worker: &'a (dyn Fn() -> S + Sync),
    #[allow(clippy::type_complexity)]
    work: &'a (dyn Fn(&mut S, &T) -> Result<TargetResult, CliError> + Sync),
}

impl<S, T> Clone for Pool<'_, S, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S, T> Copy for Pool<'_, S, T> {}

enum Message {
    Started(usize),
    Finished(usize, Box<TargetOutcome>),
}

impl<S, T: Sync> Pool<'_, S, T> {
    /// Runs the targets of `range`; returns whether any failed.
    fn phase(
        &self,
        targets: &[T],
        range: std::ops::Range<usize>,
        records: &mut [Option<TargetOutcome>],
        observe: &mut dyn FnMut(Event<'_>),
    ) -> bool {
        let next = AtomicUsize::new(range.start);
        let stop = AtomicBool::new(false);
        let end = range.end;
        let threads = self.jobs.min(range.len());
        let mut failed = false;
        std::thread::scope(|scope| {
            let (sender, receiver) = mpsc::channel::<Message>();
            for _ in 0..threads {
                let sender = sender.clone();
                let (next, stop) = (&next, &stop);
                scope.spawn(move || {
                    let mut state = (self.new_worker)();
                    loop {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let index = next.fetch_add(1, Ordering::SeqCst);
                        if index >= end {
                            break;
                        }
                        let _ = sender.send(Message::Started(index));
                        let record = self.one(&mut state, &targets[index]);
                        if record.outcome == Outcome::Failed && self.fail_fast {
                            stop.store(true, Ordering::SeqCst);
                        }
                        let _ = sender.send(Message::Finished(index, Box::new(record)));
                    }
                });
            }
            drop(sender);
            // Until every thread has hung up: their events, in order.
            for message in receiver {
                match message {
                    Message::Started(index) => observe(Event::Started(index)),
                    Message::Finished(index, record) => {
                        failed |= record.outcome == Outcome::Failed;
                        observe(Event::Finished(index, &record));
                        records[index] = Some(*record);
                    }
                }
            }
        });
        failed
    }

    /// One target: its work, timed, with a panic kept to this target.
    fn one(&self, state: &mut S, target: &T) -> TargetOutcome {
        let started = Instant::now();
        let result =
            catch_unwind(AssertUnwindSafe(|| (self.work)(state, target))).unwrap_or_else(|panic| {
                let what = arx_migrate_core::panic::panic_message(&*panic);
                Err(
                    CliError::new("internal", format!("the work panicked: {what}"))
                        .hint("this is a bug in arx-migrate or in a migration; please report it"),
                )
            });
        let duration = started.elapsed();
        let name = (self.name)(target);
        match result {
            Ok(done) => TargetOutcome {
                target: name,
                from: done.from,
                to: done.to,
                steps: done.steps,
                duration,
                outcome: done.outcome,
                error: done.problem,
            },
            Err(error) => TargetOutcome {
                target: name,
                from: None,
                to: None,
                steps: 0,
                duration,
                outcome: Outcome::Failed,
                error: Some(error),
            },
        }
    }
}
