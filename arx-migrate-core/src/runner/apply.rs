//! Applying a plan: the run lock, transactions, and the bookkeeping of
//! each step.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::lock_wait::{wait_for, Attempt};
use crate::backend::{Connection, PreparedRun, RunSettings};
use crate::error::{DbError, Error, Result};
use crate::graph::Step;
use crate::heads::Heads;
use crate::lock::{lock_key, LockHolder};
use crate::migration::Migration;
use crate::ops::{LiveSettings, Ops, RunnerContext};
use crate::store::{Finished, HistoryOutcome, StepRecord, StepSizes, Store};
use crate::transaction::Transaction;

use super::migrator::{Migrator, Request};
use super::report::{Progress, Report, StepReport, StepStart, TransactionMode};
use super::{gave_up, is_lock_timeout, LockRetry, LockRetryReport};
use crate::observe::{metrics, Hooks, RunInfo};

/// What a run under the lock carries: its session settings, what the
/// session is like, and the caller's progress callback.
pub(super) struct RunEnv<'p> {
    settings: RunSettings,
    prepared: PreparedRun,
    progress: &'p mut dyn FnMut(Progress<'_>),
    /// Retries of statements that time out waiting for a lock.
    lock_retry: Option<LockRetry>,
    /// The run's hooks, and what the run is (upgrades and downgrades).
    pub(super) hooks: Option<(Arc<dyn Hooks>, RunInfo)>,
}

impl RunEnv<'_> {
    /// A step is about to run: tell the progress callback, and ask the
    /// `before_step` hook, whose refusal stops the run here.
    fn step_starting(&mut self, step: &Step) -> Result<()> {
        let start = StepStart {
            revision: step.revision().to_string(),
            direction: step.direction,
            message: step.migration.message().to_string(),
            transactional: step.migration.transactional(),
        };
        (self.progress)(Progress::Starting(&start));
        if let Some((hooks, info)) = &self.hooks {
            hooks.before_step(info, &start).map_err(|refusal| {
                tracing::warn!(hook = "before_step", revision = %start.revision, %refusal, "a hook stopped the run");
                Error::Hook {
                    hook: "before_step".into(),
                    revision: Some(start.revision.clone()),
                    message: refusal.to_string(),
                }
            })?;
        }
        Ok(())
    }

    /// Opens a transaction that writes, waiting for another connection's
    /// write lock (SQLite) up to `lock_wait` and saying who holds it.
    fn transaction<'c>(&mut self, connection: &'c mut dyn Connection) -> Result<Transaction<'c>> {
        let waiting = Instant::now();
        let backend = connection.backend();
        let transaction = Transaction::begin_with(connection, |connection| {
            let mut attempt = WriteLock {
                settings: &self.settings,
            };
            wait_for(
                connection,
                "the database's write lock",
                self.settings.lock_wait,
                &mut attempt,
                &mut *self.progress,
            )
        })?;
        metrics::lock_waited(backend, "write", waiting.elapsed());
        Ok(transaction)
    }

    /// Runs `work` in a writing transaction, committing on success and
    /// rolling back on error.
    pub(super) fn in_transaction<T>(
        &mut self,
        connection: &mut dyn Connection,
        work: impl FnOnce(&mut dyn Connection) -> Result<T>,
    ) -> Result<T> {
        let mut transaction = self.transaction(connection)?;
        let value = work(transaction.connection())?;
        transaction.commit()?;
        Ok(value)
    }

    /// Reports a retry of a transactional step whose statement timed out
    /// waiting for a lock, then pauses before the next attempt.
    fn report_retry(&mut self, retry: &LockRetry, error: &Error, step: &Step, attempt: u32) {
        let statement = match error {
            Error::Statement(failure) => failure.statement.clone(),
            other => other.to_string(),
        };
        let report = LockRetryReport {
            revision: step.revision().to_string(),
            statement,
            attempt,
            attempts: retry.get_attempts(),
            pause: retry.pause(attempt),
        };
        report.log();
        (self.progress)(Progress::LockRetry(&report));
        std::thread::sleep(report.pause);
    }

    /// Whether a migration's statements may go to the server in one batch:
    /// not when a timeout may cancel one of them, since finding which one
    /// failed would mean running them again, each waiting again.
    fn batch_statements(&self) -> bool {
        !self.prepared.statements_can_time_out
    }
}

/// One attempt at the run's lock.
struct RunLock(i64);

impl Attempt for RunLock {
    fn try_once(&mut self, connection: &mut dyn Connection) -> Result<bool, DbError> {
        connection.try_run_lock(self.0)
    }
    fn holder(&mut self, connection: &mut dyn Connection) -> Result<Option<LockHolder>, DbError> {
        connection.run_lock_holder(self.0)
    }
}

/// One attempt at opening a writing transaction.
struct WriteLock<'s> {
    settings: &'s RunSettings,
}

impl Attempt for WriteLock<'_> {
    fn try_once(&mut self, connection: &mut dyn Connection) -> Result<bool, DbError> {
        connection.try_begin_write(self.settings)
    }
    fn holder(&mut self, connection: &mut dyn Connection) -> Result<Option<LockHolder>, DbError> {
        connection.write_lock_holder()
    }
}

/// What one run carries from step to step.
pub(super) struct Run<'a, 'p> {
    store: &'a Store<'a>,
    request: &'a Request,
    /// Whether the bookkeeping tables are known to exist (committed).
    tables_ready: bool,
    env: &'a mut RunEnv<'p>,
}

impl Run<'_, '_> {
    /// Steps are committed: log them, tell the caller, add them to the
    /// report.
    fn committed(&mut self, steps: Vec<StepReport>, report: &mut Report) {
        for step in steps {
            log_step(&step);
            (self.env.progress)(Progress::Step(&step));
            report.steps.push(step);
        }
    }

    /// Opens a writing transaction, creating the bookkeeping tables in it
    /// when they are not known to exist yet (on a fresh database they then
    /// cost no commit of their own: on SQLite every commit syncs the file).
    fn begin<'c>(&mut self, connection: &'c mut dyn Connection) -> Result<Transaction<'c>> {
        let mut transaction = self.env.transaction(connection)?;
        if !self.tables_ready {
            self.store.ensure_tables(transaction.connection())?;
        }
        Ok(transaction)
    }

    /// Creates the bookkeeping tables outside a transaction (before a
    /// non-transactional step), unless they are known to exist.
    fn ensure_tables(&mut self, connection: &mut dyn Connection) -> Result<()> {
        if !self.tables_ready {
            self.store.ensure_tables(connection)?;
            self.tables_ready = true;
        }
        Ok(())
    }
}

/// A plan made on the lock-free fast path, from these heads.
pub(super) struct Planned {
    pub(super) from: Heads,
    pub(super) steps: Vec<Step>,
}

impl Migrator {
    /// Applies the session settings, takes the run lock (waiting up to
    /// `lock_wait`, reporting who holds it), runs `work`, and releases the
    /// lock on every path, a panic included.
    pub(super) fn with_run_lock<T>(
        &self,
        connection: &mut dyn Connection,
        progress: &mut dyn FnMut(Progress<'_>),
        work: impl FnOnce(&Self, &mut dyn Connection, &Store<'_>, &mut RunEnv<'_>) -> Result<T>,
    ) -> Result<T> {
        let store = Store::new(&self.store, connection.backend());
        // Postgres only: SQLite's write lock is the run's, waited for whole.
        let lock_retry = self
            .lock_retry
            .filter(|_| connection.backend() == crate::backend::Backend::Postgres);
        let settings = RunSettings {
            lock_wait: self.lock_wait,
            lock_timeout: lock_retry
                .map(|retry| retry.get_timeout())
                .or(self.lock_timeout),
            statement_timeout: self.statement_timeout,
        };
        let prepared = connection.prepare_run(&settings).map_err(Error::Database)?;
        let mut env = RunEnv {
            settings,
            prepared,
            progress,
            lock_retry,
            hooks: None,
        };
        let key = match self.take_run_lock(connection, &mut env) {
            Ok(key) => key,
            Err(error) => {
                let _ = connection.finish_run(&env.settings);
                return Err(error);
            }
        };
        // A migration's own panic is caught where it runs (render::invoke);
        // one here is the runner's, and its transaction guard has already
        // rolled back on the way out.
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            work(self, connection, &store, &mut env)
        }));
        let result = outcome.unwrap_or_else(|panic| {
            Err(Error::Internal {
                message: format!(
                    "panicked: {}",
                    crate::not_api::panic::panic_message(&*panic)
                ),
            })
        });
        if let Err(error) = connection.release_run_lock(key) {
            tracing::warn!(%error, "could not release the migration lock; it is released when the connection closes");
        }
        if let Err(error) = connection.finish_run(&env.settings) {
            tracing::warn!(%error, "could not reset session settings");
        }
        result
    }

    /// Takes the run lock; returns its key.
    fn take_run_lock(&self, connection: &mut dyn Connection, env: &mut RunEnv<'_>) -> Result<i64> {
        let schema = match &self.store.schema {
            Some(schema) => schema.clone(),
            None => connection.current_schema().map_err(Error::Database)?,
        };
        let key = lock_key(&schema, &self.store.version_table);
        let waiting = Instant::now();
        wait_for(
            connection,
            &format!(
                "the migration lock on {schema}.{}",
                self.store.version_table
            ),
            env.settings.lock_wait,
            &mut RunLock(key),
            &mut *env.progress,
        )?;
        tracing::debug!(
            key,
            waited_ms = waiting.elapsed().as_millis() as u64,
            "migration lock taken"
        );
        metrics::lock_waited(connection.backend(), "run", waiting.elapsed());
        Ok(key)
    }

    /// The one apply loop, under the run lock. Each step runs in a
    /// transaction with its version rows, except a non-transactional one,
    /// which runs alone. Where a transaction ends is the one rule that the
    /// transaction mode sets: after every step (per migration), or before
    /// the next non-transactional step and at the end (all in one).
    pub(super) fn run_locked(
        &self,
        connection: &mut dyn Connection,
        store: &Store<'_>,
        request: &Request,
        planned: Option<Planned>,
        env: &mut RunEnv<'_>,
    ) -> Result<Report> {
        let state = store.read_state(connection)?;
        // A step killed in a backfill resumes; any other interrupted step
        // stops the run until it is cleaned up and acknowledged.
        let resumable = resumable_steps(connection, store, &state)?;
        let blocking = |queue: Option<&VecDeque<Step>>| {
            state.interrupted.iter().find(|(revision, direction)| {
                let resumes = resumable.contains(&(revision.clone(), *direction))
                    && queue.is_none_or(|queue| {
                        queue.front().is_some_and(|step| {
                            step.revision() == revision && step.direction == *direction
                        })
                    });
                !resumes
            })
        };
        if let Some((revision, direction)) = blocking(None) {
            return Err(Error::Interrupted {
                revision: revision.clone(),
                direction: *direction,
            });
        }
        let warnings = self.verify_checksums(connection.backend(), &state)?;
        let mut report = Report {
            heads_before: state.heads.to_vec(),
            warnings,
            ..Report::default()
        };
        let mut heads = state.heads;
        // The fast path's plan holds unless another run moved the database
        // between it and the lock.
        let mut queue: VecDeque<Step> = match planned {
            Some(planned) if planned.from == heads => planned.steps.into(),
            _ => self.plan_request(request, &heads)?.into(),
        };
        // A half-applied step (MySQL) is resumed by a run that starts
        // with it, and stops any other.
        super::half_applied::refuse_past_half_applied(
            connection,
            store,
            &state.interrupted,
            &queue,
        )?;
        // A resumed step must be the run's first: a run going elsewhere
        // (a downgrade, another branch) would leave it half done.
        if let Some((revision, direction)) = blocking(Some(&queue)) {
            return Err(Error::Interrupted {
                revision: revision.clone(),
                direction: *direction,
            });
        }
        // The bookkeeping's own migration (the size columns), only when
        // there is a step to record: the no-op path stays one query.
        if !queue.is_empty() && state.has_history_table {
            env.in_transaction(connection, |connection| store.upgrade_history(connection))?;
        }
        let mut run = Run {
            store,
            request,
            tables_ready: state.has_version_table && state.has_history_table,
            env,
        };
        // Which attempt at the current transaction this is (lock retries).
        let mut lock_attempt = 1;
        'transaction: while let Some(first) = queue.pop_front() {
            let journalled = super::half_applied::journals(connection.backend());
            if !first.migration.transactional() || journalled {
                if let Some(moved) = self.moved_heads(connection, store, &heads)? {
                    heads = moved;
                    queue = self.plan_request(run.request, &heads)?.into();
                    continue;
                }
                run.ensure_tables(connection)?;
                run.env.step_starting(&first)?;
                let resuming = resumable.contains(&(first.revision().to_string(), first.direction));
                let step_report = if journalled {
                    self.apply_journaled(connection, run.env, store, &first, &heads, resuming)?
                } else {
                    self.apply_alone(connection, run.env, store, &first, &heads, resuming)?
                };
                heads = Heads::from(first.heads_after.clone());
                run.committed(vec![step_report], &mut report);
                continue;
            }
            let batch = run.env.batch_statements();
            let mut transaction = run.begin(connection)?;
            // Under the write lock: has another process moved the database
            // since we planned? Then plan again from where it is.
            if let Some(moved) = self.moved_heads(transaction.connection(), store, &heads)? {
                drop(transaction);
                heads = moved;
                queue = self.plan_request(run.request, &heads)?.into();
                continue;
            }
            let mut applied = Vec::new();
            let mut attempted = Vec::new();
            let mut heads_in_transaction = heads.to_vec();
            let mut step = first;
            loop {
                attempted.push(step.clone());
                let outcome = run.env.step_starting(&step).and_then(|()| {
                    self.apply_in_transaction(
                        transaction.connection(),
                        store,
                        &step,
                        &heads_in_transaction,
                        batch,
                    )
                });
                match outcome {
                    Ok(step_report) => applied.push(step_report),
                    Err(mut error) => {
                        drop(transaction); // rolls back
                        if let (Some(retry), true) = (run.env.lock_retry, is_lock_timeout(&error)) {
                            if lock_attempt < retry.get_attempts() {
                                run.env.report_retry(&retry, &error, &step, lock_attempt);
                                lock_attempt += 1;
                                for step in attempted.into_iter().rev() {
                                    queue.push_front(step);
                                }
                                continue 'transaction;
                            }
                            error = gave_up(error, &retry);
                        }
                        if matches!(error, Error::Hook { .. }) {
                            // Refused before it ran: nothing to record.
                            return Err(error);
                        }
                        let error = rolled_back(error, &step, connection.backend());
                        self.record_failure(connection, store, &step, &error);
                        return Err(error);
                    }
                }
                heads_in_transaction = step.heads_after.clone();
                let next_joins = self.mode == TransactionMode::AllInOne
                    && queue.front().is_some_and(|s| s.migration.transactional());
                match queue.pop_front() {
                    Some(next) if next_joins => step = next,
                    Some(next) => {
                        queue.push_front(next);
                        break;
                    }
                    None => break,
                }
            }
            transaction.commit()?;
            lock_attempt = 1;
            run.tables_ready = true;
            heads = Heads::from(heads_in_transaction);
            run.committed(applied, &mut report);
        }
        report.heads_after = heads.into_vec();
        Ok(report)
    }

    /// The heads as stored now, if they differ from `heads`. A run lock
    /// that keeps other runners out (PostgreSQL's) makes this moot; under
    /// SQLite's it is read under the transaction's write lock.
    fn moved_heads(
        &self,
        connection: &mut dyn Connection,
        store: &Store<'_>,
        heads: &Heads,
    ) -> Result<Option<Heads>> {
        if connection.run_lock_is_exclusive() {
            return Ok(None);
        }
        let current = store.read_heads(connection)?.unwrap_or_default();
        Ok((current != *heads).then_some(current))
    }

    /// Runs one step inside the caller's transaction and moves the version
    /// rows with it.
    pub(super) fn apply_in_transaction(
        &self,
        connection: &mut dyn Connection,
        store: &Store<'_>,
        step: &Step,
        heads_before: &[String],
        batch: bool,
    ) -> Result<StepReport> {
        let started_at = SystemTime::now();
        let started = Instant::now();
        // A transactional step is retried whole, by the apply loop.
        let live = LiveSettings {
            lock_retry: None,
            progress: None,
        };
        let database_before = database_size(connection);
        let ran = run_migration(connection, step, true, batch, live, None)?;
        let duration = started.elapsed();
        // The version row and the history row move together, also where
        // the step's DDL has committed the transaction (MySQL).
        crate::backend::reopen_after_implicit_commit(connection).map_err(Error::Database)?;
        let sizes = ran.sizes(connection, database_before);
        store.record_step(
            connection,
            heads_before,
            &step.heads_after,
            &StepRecord {
                revision: step.revision(),
                operation: step.direction.into(),
                checksum: Some(&ran.checksum),
                started_at,
                duration: Some(duration),
                outcome: HistoryOutcome::Ok,
                message: None,
                sizes: Some(&sizes),
            },
        )?;
        Ok(step_report(step, duration, ran.statements))
    }

    /// Runs a non-transactional step: marked as started first (committed),
    /// its statements one at a time, and recorded as done only on success.
    /// `resuming`: the step was killed in a backfill and carries on under
    /// its old `started` marker; its backfills resume where they stopped.
    pub(super) fn apply_alone(
        &self,
        connection: &mut dyn Connection,
        env: &mut RunEnv<'_>,
        store: &Store<'_>,
        step: &Step,
        heads_before: &[String],
        resuming: bool,
    ) -> Result<StepReport> {
        let started_at = SystemTime::now();
        let started = Instant::now();
        let marker = store.start_step(
            connection,
            step.revision(),
            step.direction.into(),
            started_at,
            resuming,
            None,
        )?;
        let database_before = database_size(connection);
        let book = store.backfill_book();
        let runner = RunnerContext {
            book: book.clone(),
            expansions: store.expand_book(),
        };
        let live = LiveSettings {
            lock_retry: env.lock_retry,
            progress: Some(&mut *env.progress),
        };
        match run_migration(connection, step, false, false, live, Some(runner)) {
            Ok(ran) => {
                let duration = started.elapsed();
                let sizes = ran.sizes(connection, database_before);
                let Ran {
                    checksum,
                    statements,
                    backfills,
                    ..
                } = ran;
                env.in_transaction(connection, |connection| {
                    store.set_heads(connection, heads_before, &step.heads_after)?;
                    if backfills > 0 || resuming {
                        // Done: applying the revision again starts afresh.
                        book.forget(connection, step.revision())?;
                    }
                    store.finish_record(
                        connection,
                        marker,
                        &Finished {
                            outcome: HistoryOutcome::Ok,
                            duration,
                            checksum: Some(&checksum),
                            message: None,
                            sizes: Some(&sizes),
                        },
                    )
                })?;
                Ok(step_report(step, duration, statements))
            }
            Err(error) => {
                let error = outside_transaction_hint(error);
                let message = error.to_string();
                let _ = store.finish_record(
                    connection,
                    marker,
                    &Finished {
                        outcome: HistoryOutcome::Failed,
                        duration: started.elapsed(),
                        checksum: None,
                        message: Some(&message),
                        sizes: None,
                    },
                );
                Err(error)
            }
        }
    }

    /// Best effort: a failed step leaves a row in the history table.
    pub(super) fn record_failure(
        &self,
        connection: &mut dyn Connection,
        store: &Store<'_>,
        step: &Step,
        error: &Error,
    ) {
        if !step.migration.transactional() {
            return; // apply_alone already updated its marker row
        }
        // The step's rollback may have taken the new bookkeeping tables.
        let recorded = store.ensure_tables(connection).and_then(|()| {
            store.record(
                connection,
                &StepRecord {
                    revision: step.revision(),
                    operation: step.direction.into(),
                    checksum: None,
                    started_at: SystemTime::now(),
                    duration: None,
                    outcome: HistoryOutcome::Failed,
                    message: Some(error.to_string()),
                    sizes: None,
                },
            )
        });
        if let Err(record_error) = recorded {
            tracing::warn!(%record_error, "could not record the failure in the history table");
        }
    }
}

/// What running a migration function left to record.
struct Ran {
    checksum: String,
    statements: usize,
    backfills: usize,
    /// The one table it changed, with that table's size before.
    table: Option<crate::ops::Measured>,
}

impl Ran {
    /// The step's sizes, measured now that it ran.
    fn sizes(&self, connection: &mut dyn Connection, database_before: Option<i64>) -> StepSizes {
        step_sizes(connection, database_before, self.table.as_ref())
    }
}

/// A step's sizes, measured now that it ran: the database's, and the one
/// table it changed (with that table's size before), where it changed one.
pub(super) fn step_sizes(
    connection: &mut dyn Connection,
    database_before: Option<i64>,
    table: Option<&crate::ops::Measured>,
) -> StepSizes {
    let mut sizes = StepSizes {
        database_before,
        database_after: database_size(connection),
        ..StepSizes::default()
    };
    if let Some(((schema, table), before)) = table {
        sizes.table = Some(match schema {
            Some(schema) => format!("{schema}.{table}"),
            None => table.clone(),
        });
        sizes.table_before = *before;
        sizes.table_after = connection
            .relation_size(schema.as_deref(), table)
            .unwrap_or_else(|error| {
                tracing::debug!(%error, table, "could not read the table's size");
                None
            });
    }
    sizes
}

/// The database's size for the history row; a failure to read it is
/// logged and left out, never the step's failure.
pub(super) fn database_size(connection: &mut dyn Connection) -> Option<i64> {
    connection.database_size().unwrap_or_else(|error| {
        tracing::debug!(%error, "could not read the database's size");
        None
    })
}

/// Runs the migration function through a live [`Ops`]; a panic in it is an
/// error, not a crash. Returns the checksum, the statement count and the
/// table it changed.
/// `batch`: whether its statements may travel to the server together.
fn run_migration<'a>(
    connection: &'a mut dyn Connection,
    step: &Step,
    in_transaction: bool,
    batch: bool,
    live: LiveSettings<'a>,
    runner: Option<RunnerContext>,
) -> Result<Ran> {
    let migration: &Arc<dyn Migration> = &step.migration;
    let revision = migration.revision().to_string();
    let mut ops = Ops::live(connection, &revision, step.direction, in_transaction, batch)
        .with_live_settings(live);
    if let Some(runner) = runner {
        ops = ops.with_runner(runner);
    }
    crate::render::invoke(migration.as_ref(), &mut ops)?;
    ops.flush()?;
    Ok(Ran {
        checksum: ops.finish_checksum(),
        statements: ops.statements_run(),
        backfills: ops.backfills_run(),
        table: ops.touched_table(),
    })
}

/// The interrupted steps an upgrade resumes: those killed in a backfill
/// (they have a backfill row). Read only when a step was interrupted.
pub(super) fn resumable_steps(
    connection: &mut dyn Connection,
    store: &Store<'_>,
    state: &crate::store::StoredState,
) -> Result<Vec<(String, crate::error::Direction)>> {
    // Every step is journalled there: a killed one resumes.
    if super::half_applied::journals(connection.backend()) {
        return Ok(state.interrupted.clone());
    }
    let backfills = backfills_of_interrupted(connection, store, state)?;
    let expansions = expansion_revisions(connection, store, state)?;
    Ok(state
        .interrupted
        .iter()
        .filter(|(revision, _)| {
            backfills.iter().any(|b| &b.revision == revision) || expansions.contains(revision)
        })
        .cloned()
        .collect())
}

/// The revisions that an expand/contract record names (an expand or a
/// contract, started): killed, they resume, every step of theirs being
/// safe to run again. Read only when a step was interrupted.
pub(super) fn expansion_revisions(
    connection: &mut dyn Connection,
    store: &Store<'_>,
    state: &crate::store::StoredState,
) -> Result<Vec<String>> {
    if state.interrupted.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store
        .expand_book()
        .all(connection)?
        .into_iter()
        .flat_map(|row| std::iter::once(row.expand_revision).chain(row.contract_revision))
        .collect())
}

/// The backfill rows of interrupted (or running) steps.
pub(super) fn backfills_of_interrupted(
    connection: &mut dyn Connection,
    store: &Store<'_>,
    state: &crate::store::StoredState,
) -> Result<Vec<crate::backfill::BackfillState>> {
    if state.interrupted.is_empty() {
        return Ok(Vec::new());
    }
    let mut backfills = store.backfill_book().all(connection)?;
    backfills.retain(|b| {
        state
            .interrupted
            .iter()
            .any(|(revision, _)| *revision == b.revision)
    });
    Ok(backfills)
}

fn step_report(step: &Step, duration: Duration, statements: usize) -> StepReport {
    StepReport {
        revision: step.revision().to_string(),
        direction: step.direction,
        message: step.migration.message().to_string(),
        duration,
        statements,
    }
}

fn log_step(report: &StepReport) {
    tracing::info!(
        revision = %report.revision,
        direction = %report.direction,
        duration_ms = report.duration.as_secs_f64() * 1000.0,
        statements = report.statements,
        "{} {} {}",
        report.direction,
        report.revision,
        report.message
    );
}

fn rolled_back(error: Error, step: &Step, backend: crate::backend::Backend) -> Error {
    match error {
        // MySQL commits each DDL statement implicitly: the rollback undoes
        // only the data changes since the last one.
        Error::Statement(mut failure) if backend == crate::backend::Backend::Mysql => {
            failure.rolled_back = false;
            failure.hint.get_or_insert_with(|| {
                "MariaDB and MySQL commit each DDL statement (CREATE, ALTER, DROP, RENAME, TRUNCATE) as it runs, so the statements of this revision before the failing one may stay applied although the version table was not moved. Check which of them took effect, undo them (or make the revision's statements idempotent), then run again".to_string()
            });
            Error::Statement(failure)
        }
        Error::Statement(mut failure) => {
            failure.rolled_back = true;
            Error::Statement(failure)
        }
        Error::Migration {
            revision,
            direction,
            message,
        } => Error::Migration {
            revision,
            direction,
            message: if backend == crate::backend::Backend::Mysql {
                format!("{message}; its data changes since its last DDL statement were rolled back (MariaDB and MySQL commit DDL as it runs)")
            } else {
                format!("{message}; its transaction was rolled back")
            },
        },
        other => {
            tracing::debug!(revision = step.revision(), "step failed");
            other
        }
    }
}

fn outside_transaction_hint(error: Error) -> Error {
    match error {
        Error::Statement(mut failure) => {
            failure.rolled_back = false;
            failure.hint.get_or_insert_with(|| {
                "this migration is not transactional: the statements before the failing one stay applied and the version table was not moved. On PostgreSQL a failed CREATE INDEX CONCURRENTLY leaves an INVALID index: find it with `SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid`, drop it with DROP INDEX CONCURRENTLY, undo the earlier statements if needed, then run again".to_string()
            });
            Error::Statement(failure)
        }
        other => other,
    }
}
