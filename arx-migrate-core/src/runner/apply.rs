//! Applying a plan: the run lock, transactions, and the bookkeeping of
//! each step.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::backend::{Connection, RunSettings};
use crate::error::{Error, Result};
use crate::graph::Step;
use crate::lock::lock_key;
use crate::migration::Migration;
use crate::ops::Ops;
use crate::store::{HistoryOutcome, StepRecord, Store};
use crate::transaction::{in_transaction, Transaction};

use super::{Migrator, Report, Request, StepReport, TransactionMode};

/// What one run carries from step to step.
pub(super) struct Run<'a, 'p> {
    store: &'a Store<'a>,
    request: &'a Request,
    /// Whether the bookkeeping tables are known to exist (committed).
    tables_ready: bool,
    /// The caller's progress callback, told of each committed step.
    progress: &'p mut dyn FnMut(&StepReport),
}

impl Run<'_, '_> {
    /// Steps are committed: log them, tell the caller, add them to the
    /// report.
    fn committed(&mut self, steps: Vec<StepReport>, report: &mut Report) {
        for step in steps {
            log_step(&step);
            (self.progress)(&step);
            report.steps.push(step);
        }
    }

    /// Opens a writing transaction, creating the bookkeeping tables in it
    /// when they are not known to exist yet (on a fresh database they then
    /// cost no commit of their own: on SQLite every commit syncs the file).
    fn begin<'c>(&self, connection: &'c mut dyn Connection) -> Result<Transaction<'c>> {
        let mut transaction = Transaction::begin(connection)?;
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
    pub(super) from: Vec<String>,
    pub(super) steps: Vec<Step>,
}

impl Migrator {
    /// Takes the run lock, runs `work`, and releases the lock on every
    /// path, a panic included.
    pub(super) fn with_run_lock<T>(
        &self,
        connection: &mut dyn Connection,
        work: impl FnOnce(&Self, &mut dyn Connection, &Store<'_>) -> Result<T>,
    ) -> Result<T> {
        let store = Store::new(&self.store, connection.backend());
        let settings = RunSettings {
            lock_wait: self.lock_wait,
            lock_timeout: self.lock_timeout,
            statement_timeout: self.statement_timeout,
        };
        connection.prepare_run(&settings).map_err(Error::Database)?;
        let schema = match &self.store.schema {
            Some(schema) => schema.clone(),
            None => connection.current_schema().map_err(Error::Database)?,
        };
        let key = lock_key(&schema, &self.store.version_table);
        let waiting = Instant::now();
        match connection.acquire_run_lock(key, self.lock_wait) {
            Ok(true) => {}
            Ok(false) => {
                let _ = connection.finish_run(&settings);
                return Err(Error::LockTimeout {
                    what: format!("{schema}.{}", self.store.version_table),
                    waited_ms: waiting.elapsed().as_millis(),
                });
            }
            Err(error) => {
                let _ = connection.finish_run(&settings);
                return Err(Error::Database(error));
            }
        }
        tracing::debug!(
            key,
            waited_ms = waiting.elapsed().as_millis() as u64,
            "migration lock taken"
        );
        // A migration's own panic is caught where it runs (render::invoke);
        // one here is the runner's, and its transaction guard has already
        // rolled back on the way out.
        let outcome = catch_unwind(AssertUnwindSafe(|| work(self, connection, &store)));
        let result = outcome.unwrap_or_else(|panic| {
            Err(Error::Internal {
                message: format!("panicked: {}", crate::render::panic_message(&*panic)),
            })
        });
        if let Err(error) = connection.release_run_lock(key) {
            tracing::warn!(%error, "could not release the migration lock; it is released when the connection closes");
        }
        if let Err(error) = connection.finish_run(&settings) {
            tracing::warn!(%error, "could not reset session settings");
        }
        result
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
        progress: &mut dyn FnMut(&StepReport),
    ) -> Result<Report> {
        let state = store.read_state(connection)?;
        if let Some((revision, direction)) = state.interrupted.first() {
            return Err(Error::Interrupted {
                revision: revision.clone(),
                direction: *direction,
            });
        }
        let warnings = self.verify_checksums(connection.backend(), &state)?;
        let mut report = Report {
            heads_before: state.heads.clone(),
            warnings,
            ..Report::default()
        };
        let mut heads = state.heads;
        // The fast path's plan holds unless another run moved the database
        // between it and the lock.
        let mut queue: VecDeque<Step> = match planned {
            Some(planned) if same_heads(&planned.from, &heads) => planned.steps.into(),
            _ => self.plan_request(request, &heads)?.into(),
        };
        let mut run = Run {
            store,
            request,
            tables_ready: state.has_version_table && state.has_history_table,
            progress,
        };
        while let Some(first) = queue.pop_front() {
            if !first.migration.transactional() {
                if let Some(moved) = self.moved_heads(connection, store, &heads)? {
                    heads = moved;
                    queue = self.plan_request(run.request, &heads)?.into();
                    continue;
                }
                run.ensure_tables(connection)?;
                let step_report = self.apply_alone(connection, store, &first, &heads)?;
                heads = first.heads_after.clone();
                run.committed(vec![step_report], &mut report);
                continue;
            }
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
            let mut heads_in_transaction = heads.clone();
            let mut step = first;
            loop {
                let outcome = self.apply_in_transaction(
                    transaction.connection(),
                    store,
                    &step,
                    &heads_in_transaction,
                );
                match outcome {
                    Ok(step_report) => applied.push(step_report),
                    Err(error) => {
                        drop(transaction); // rolls back
                        let error = rolled_back(error, &step);
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
            run.tables_ready = true;
            heads = heads_in_transaction;
            run.committed(applied, &mut report);
        }
        report.heads_after = sorted(heads);
        Ok(report)
    }

    /// The heads as stored now, if they differ from `heads`. A run lock
    /// that keeps other runners out (PostgreSQL's) makes this moot; under
    /// SQLite's it is read under the transaction's write lock.
    fn moved_heads(
        &self,
        connection: &mut dyn Connection,
        store: &Store<'_>,
        heads: &[String],
    ) -> Result<Option<Vec<String>>> {
        if connection.run_lock_is_exclusive() {
            return Ok(None);
        }
        let current = store.read_heads(connection)?.unwrap_or_default();
        Ok((!same_heads(&current, heads)).then_some(current))
    }

    /// Runs one step inside the caller's transaction and moves the version
    /// rows with it.
    pub(super) fn apply_in_transaction(
        &self,
        connection: &mut dyn Connection,
        store: &Store<'_>,
        step: &Step,
        heads_before: &[String],
    ) -> Result<StepReport> {
        let started_at = SystemTime::now();
        let started = Instant::now();
        let (checksum, statements) = run_migration(connection, step, true)?;
        let duration = started.elapsed();
        store.record_step(
            connection,
            heads_before,
            &step.heads_after,
            &StepRecord {
                revision: step.revision(),
                operation: step.direction.into(),
                checksum: Some(&checksum),
                started_at,
                duration: Some(duration),
                outcome: HistoryOutcome::Ok,
                message: None,
            },
        )?;
        Ok(step_report(step, duration, statements))
    }

    /// Runs a non-transactional step: marked as started first (committed),
    /// its statements one at a time, and recorded as done only on success.
    pub(super) fn apply_alone(
        &self,
        connection: &mut dyn Connection,
        store: &Store<'_>,
        step: &Step,
        heads_before: &[String],
    ) -> Result<StepReport> {
        let started_at = SystemTime::now();
        let started = Instant::now();
        let marker = store.record(
            connection,
            &StepRecord {
                revision: step.revision(),
                operation: step.direction.into(),
                checksum: None,
                started_at,
                duration: None,
                outcome: HistoryOutcome::Started,
                message: None,
            },
        )?;
        match run_migration(connection, step, false) {
            Ok((checksum, statements)) => {
                let duration = started.elapsed();
                in_transaction(connection, |connection| {
                    store.set_heads(connection, heads_before, &step.heads_after)?;
                    store.finish_record(
                        connection,
                        marker,
                        HistoryOutcome::Ok,
                        duration,
                        Some(&checksum),
                        None,
                    )
                })?;
                Ok(step_report(step, duration, statements))
            }
            Err(error) => {
                let error = outside_transaction_hint(error);
                let _ = store.finish_record(
                    connection,
                    marker,
                    HistoryOutcome::Failed,
                    started.elapsed(),
                    None,
                    Some(&error.to_string()),
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
                },
            )
        });
        if let Err(record_error) = recorded {
            tracing::warn!(%record_error, "could not record the failure in the history table");
        }
    }
}

/// Runs the migration function through a live [`Ops`]; a panic in it is an
/// error, not a crash. Returns the checksum and the statement count.
fn run_migration(
    connection: &mut dyn Connection,
    step: &Step,
    in_transaction: bool,
) -> Result<(String, usize)> {
    let migration: &Arc<dyn Migration> = &step.migration;
    let revision = migration.revision().to_string();
    let mut ops = Ops::live(connection, &revision, step.direction, in_transaction);
    crate::render::invoke(migration.as_ref(), &mut ops)?;
    ops.flush()?;
    Ok((ops.finish_checksum(), ops.statements_run()))
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

fn rolled_back(error: Error, step: &Step) -> Error {
    match error {
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
            message: format!("{message}; its transaction was rolled back"),
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

fn sorted(mut heads: Vec<String>) -> Vec<String> {
    heads.sort();
    heads
}

fn same_heads(a: &[String], b: &[String]) -> bool {
    sorted(a.to_vec()) == sorted(b.to_vec())
}

/// Turns the driver's "inside an async runtime" failure into its own error.
pub(super) fn surface<T>(result: Result<T>) -> Result<T> {
    #[cfg(feature = "postgres")]
    let result = result.map_err(|error| {
        if error.db_error().and_then(|e| e.code.as_deref())
            == Some(crate::backend::postgres::INSIDE_ASYNC_RUNTIME)
        {
            return Error::InsideAsyncRuntime;
        }
        error
    });
    result
}
