//! The worker pool: N threads take targets in order, each with state of
//! its own (its connection), run one piece of work per target, and record
//! an outcome per target. A failure is recorded and the others go on,
//! unless the run is to stop at the first (`fail_fast`) or is still in its
//! canary phase.

use std::fmt::Display;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use super::options::Options;
use super::record::{Event, Outcome, Panicked, TargetOutcome, TargetResult};

/// Runs `work` on every target with [`Options::jobs`] threads, and returns
/// one record per target, in the targets' order. Blocks until every
/// started target is done.
///
/// Each thread makes its state with `new_worker` when it takes its first
/// target (typically a connection, reused for its next targets) and
/// passes it to `work` with each target it takes. A target whose work
/// returns an error, or panics, is recorded as [`Outcome::Failed`], and the
/// thread's state is dropped (a connection may be broken there): its next
/// target gets a new one. A `new_worker` that fails fails the target it
/// was made for. A panic becomes the error type through
/// [`Panicked`]. `observe` is called on this thread, as things happen.
/// With the feature `metrics`, the gauge `arx_migrate_fleet_targets`
/// (`state` = `total`, `done`, `failed`) is set on this thread as targets
/// finish.
///
/// Targets are named in the records by their `Display`.
///
/// # Example
///
/// Three SQLite files, one of which already has the table the migration
/// creates; two jobs, a connection opened per target:
///
/// ```
/// use arx_migrate_core::fleet::{self, Options, Outcome};
/// use arx_migrate_core::{backend::sqlite, Error, FnMigration, MigrationSet, Migrator};
/// use arx_migrate_core::rusqlite::Connection;
///
/// let migrator = Migrator::new(MigrationSet::new().with(FnMigration::new(
///     "001", &[],
///     |op| op.sql("CREATE TABLE notes (id INTEGER PRIMARY KEY)"),
///     |op| op.sql("DROP TABLE notes"),
/// )))?;
/// let dir = tempfile::tempdir().unwrap();
/// let files: Vec<String> = ["a.db", "b.db", "c.db"]
///     .iter()
///     .map(|name| dir.path().join(name).display().to_string())
///     .collect();
/// Connection::open(&files[1]).unwrap().execute_batch("CREATE TABLE notes (x)").unwrap();
///
/// let records = fleet::run(
///     &files,
///     &Options::new().jobs(2),
///     || Ok(()),
///     |_, file| {
///         let mut connection = Connection::open(file)
///             .map_err(|e| Error::Database(sqlite::db_error(e)))?;
///         Ok(migrator.upgrade(&mut connection, "head")?.into())
///     },
///     &mut |_| {},
/// );
/// let outcomes: Vec<Outcome> = records.iter().map(|r| r.outcome).collect();
/// assert_eq!(outcomes, [Outcome::Migrated, Outcome::Failed, Outcome::Migrated]);
/// assert_eq!(records[1].error.as_ref().map(Error::kind), Some("migration_failed"));
/// # Ok::<(), Error>(())
/// ```
pub fn run<T, S, E>(
    targets: &[T],
    options: &Options,
    new_worker: impl Fn() -> Result<S, E> + Sync,
    work: impl Fn(&mut S, &T) -> Result<TargetResult<E>, E> + Sync,
    observe: &mut dyn FnMut(Event<'_, E>),
) -> Vec<TargetOutcome<E>>
where
    T: Display + Sync,
    E: From<Panicked> + Send,
{
    let mut records: Vec<Option<TargetOutcome<E>>> = std::iter::repeat_with(|| None)
        .take(targets.len())
        .collect();
    let canary = options.canary.min(targets.len());
    let pool = Pool {
        jobs: options.jobs.max(1),
        fail_fast: options.fail_fast,
        new_worker: &new_worker,
        work: &work,
    };
    crate::observe::metrics::fleet_targets("total", targets.len());
    crate::observe::metrics::fleet_targets("done", 0);
    crate::observe::metrics::fleet_targets("failed", 0);
    let mut failed = false;
    if canary > 0 {
        // The canary stops at its first failure, as with `fail_fast`.
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
        .map(|(record, target)| {
            record.unwrap_or_else(|| TargetOutcome::skipped(target.to_string()))
        })
        .collect()
}

/// The work of one target, as the pool holds it.
type Work<'a, S, T, E> = &'a (dyn Fn(&mut S, &T) -> Result<TargetResult<E>, E> + Sync);

/// The threads of one phase (the canary, then the rest).
struct Pool<'a, S, T, E> {
    jobs: usize,
    fail_fast: bool,
    new_worker: &'a (dyn Fn() -> Result<S, E> + Sync),
    work: Work<'a, S, T, E>,
}

impl<S, T, E> Clone for Pool<'_, S, T, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S, T, E> Copy for Pool<'_, S, T, E> {}

/// What a thread tells the calling thread.
enum Message<E> {
    Started(usize),
    Finished(usize, Box<TargetOutcome<E>>),
}

impl<S, T, E> Pool<'_, S, T, E>
where
    T: Display + Sync,
    E: From<Panicked> + Send,
{
    /// Runs the targets of `range`; returns whether any failed.
    fn phase(
        &self,
        targets: &[T],
        range: Range<usize>,
        records: &mut [Option<TargetOutcome<E>>],
        observe: &mut dyn FnMut(Event<'_, E>),
    ) -> bool {
        let next = AtomicUsize::new(range.start);
        let stop = AtomicBool::new(false);
        let end = range.end;
        let threads = self.jobs.min(range.len());
        let mut failed = false;
        std::thread::scope(|scope| {
            let (sender, receiver) = mpsc::channel::<Message<E>>();
            for _ in 0..threads {
                let sender = sender.clone();
                let (next, stop) = (&next, &stop);
                scope.spawn(move || {
                    let mut state = None;
                    while !stop.load(Ordering::SeqCst) {
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
                        let done = records.iter().flatten();
                        let failures = done.clone().filter(|r| r.outcome == Outcome::Failed);
                        crate::observe::metrics::fleet_targets("done", done.count());
                        crate::observe::metrics::fleet_targets("failed", failures.count());
                    }
                }
            }
        });
        failed
    }

    /// One target: its work, timed, with a panic kept to this target. The
    /// state is made when there is none, and dropped after an error.
    fn one(&self, state: &mut Option<S>, target: &T) -> TargetOutcome<E> {
        let started = Instant::now();
        let name = target.to_string();
        let result = catch_unwind(AssertUnwindSafe(|| {
            let state = match state {
                Some(state) => state,
                None => state.insert((self.new_worker)()?),
            };
            (self.work)(state, target)
        }))
        .unwrap_or_else(|panic| {
            Err(E::from(Panicked {
                target: name.clone(),
                message: crate::not_api::panic::panic_message(&*panic),
            }))
        });
        if result.is_err() {
            *state = None;
        }
        TargetOutcome::finished(name, started.elapsed(), result)
    }
}
