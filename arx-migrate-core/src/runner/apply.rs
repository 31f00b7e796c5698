//! Applying a plan: the run lock, transactions, and the bookkeeping of
//! each step.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::backend::{Connection, RunSettings};
use crate::error::{Direction, Error, Result};
use crate::graph::Step;
use crate::lock::lock_key;
use crate::migration::Migration;
use crate::ops::Ops;
use crate::store::{StepRecord, Store};

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
    /// A step is committed: log it and tell the observers.
    fn step_done(&mut self, migrator: &Migrator, report: &StepReport) {
        migrator.step_done(report);
        (self.progress)(report);
    }

    /// Opens a writing transaction, creating the bookkeeping tables in it
    /// when they are not known to exist yet.
    fn begin(&self, connection: &mut dyn Connection) -> Result<()> {
        connection
            .execute(connection.begin_statement())
            .map_err(Error::Database)?;
        if !self.tables_ready {
            if let Err(error) = self.store.ensure_tables(connection) {
                let _ = connection.execute("ROLLBACK");
                return Err(error);
            }
        }
        Ok(())
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

impl Migrator {
    /// Takes the run lock, creates the bookkeeping tables, runs `work`, and
    /// releases the lock on every path, a panic included.
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
        let outcome = catch_unwind(AssertUnwindSafe(|| work(self, connection, &store)));
        let result = match outcome {
            Ok(result) => result,
            Err(panic) => {
                let _ = connection.execute("ROLLBACK");
                Err(Error::Migration {
                    revision: "?".into(),
                    direction: Direction::Upgrade,
                    message: format!("panicked: {}", crate::render::panic_message(&*panic)),
                })
            }
        };
        if let Err(error) = connection.release_run_lock(key) {
            tracing::warn!(%error, "could not release the migration lock; it is released when the connection closes");
        }
        if let Err(error) = connection.finish_run(&settings) {
            tracing::warn!(%error, "could not reset session settings");
        }
        result
    }

    /// Runs `work` in a transaction, committing on success and rolling back
    /// on error.
    pub(super) fn in_transaction<T>(
        &self,
        connection: &mut dyn Connection,
        work: impl FnOnce(&mut dyn Connection) -> Result<T>,
    ) -> Result<T> {
        let begin = connection.begin_statement();
        connection.execute(begin).map_err(Error::Database)?;
        match work(connection) {
            Ok(value) => {
                if let Err(error) = connection.execute("COMMIT") {
                    let _ = connection.execute("ROLLBACK");
                    return Err(Error::Database(error));
                }
                Ok(value)
            }
            Err(error) => {
                let _ = connection.execute("ROLLBACK");
                Err(error)
            }
        }
    }

    pub(super) fn run_locked(
        &self,
        connection: &mut dyn Connection,
        store: &Store<'_>,
        request: &Request,
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
        // The bookkeeping tables are created in the first step's
        // transaction, not in one of their own: on SQLite every commit
        // costs a sync of the file.
        let mut run = Run {
            store,
            request,
            tables_ready: state.has_version_table && state.has_history_table,
            progress,
        };
        match self.mode {
            TransactionMode::PerMigration => {
                self.run_per_migration(connection, &mut run, &mut heads, &mut report)?
            }
            TransactionMode::AllInOne => {
                self.run_all_in_one(connection, &mut run, &mut heads, &mut report)?
            }
        }
        report.heads_after = sorted(heads);
        Ok(report)
    }

    pub(super) fn run_per_migration(
        &self,
        connection: &mut dyn Connection,
        run: &mut Run<'_, '_>,
        heads: &mut Vec<String>,
        report: &mut Report,
    ) -> Result<()> {
        let (store, request) = (run.store, run.request);
        let mut queue: VecDeque<Step> = self.plan_request(request, heads)?.into();
        while let Some(step) = queue.pop_front() {
            if !step.migration.transactional() {
                let current = store.read_heads(connection)?.unwrap_or_default();
                if !same_heads(&current, heads) {
                    *heads = current;
                    queue = self.plan_request(request, heads)?.into();
                    continue;
                }
                run.ensure_tables(connection)?;
                let step_report = self.apply_alone(connection, store, &step, heads)?;
                run.step_done(self, &step_report);
                report.steps.push(step_report);
                *heads = step.heads_after.clone();
                continue;
            }
            run.begin(connection)?;
            // Under the write lock: has another process moved the database
            // since we planned? Then plan again from where it is. A run lock
            // that keeps other runners out (PostgreSQL's) makes this moot.
            let current = if connection.run_lock_is_exclusive() {
                heads.clone()
            } else {
                match store.read_heads(connection) {
                    Ok(current) => current.unwrap_or_default(),
                    Err(error) => {
                        let _ = connection.execute("ROLLBACK");
                        return Err(error);
                    }
                }
            };
            if !same_heads(&current, heads) {
                let _ = connection.execute("ROLLBACK");
                *heads = current;
                queue = self.plan_request(request, heads)?.into();
                continue;
            }
            let applied = self
                .apply_in_transaction(connection, store, &step, heads)
                .and_then(|step_report| {
                    connection
                        .execute("COMMIT")
                        .map_err(Error::Database)
                        .map(|()| step_report)
                });
            match applied {
                Ok(step_report) => {
                    run.tables_ready = true;
                    run.step_done(self, &step_report);
                    report.steps.push(step_report);
                    *heads = step.heads_after.clone();
                }
                Err(error) => {
                    let _ = connection.execute("ROLLBACK");
                    let error = rolled_back(error, &step);
                    self.record_failure(connection, store, &step, &error);
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    pub(super) fn run_all_in_one(
        &self,
        connection: &mut dyn Connection,
        run: &mut Run<'_, '_>,
        heads: &mut Vec<String>,
        report: &mut Report,
    ) -> Result<()> {
        let store = run.store;
        let steps = self.plan_request(run.request, heads)?;
        run.begin(connection)?;
        let mut open = true;
        let mut applied_in_transaction: Vec<StepReport> = Vec::new();
        let mut committed_heads = heads.clone();
        for step in &steps {
            let result = if step.migration.transactional() {
                if !open {
                    run.begin(connection)?;
                    open = true;
                }
                self.apply_in_transaction(connection, store, step, heads)
                    .map(|r| applied_in_transaction.push(r))
            } else {
                // Commit what came before; this one runs on its own.
                if open {
                    connection.execute("COMMIT").map_err(Error::Database)?;
                    open = false;
                    run.tables_ready = true;
                    report.steps.append(&mut applied_in_transaction);
                    committed_heads = heads.clone();
                }
                run.ensure_tables(connection)?;
                self.apply_alone(connection, store, step, heads).map(|r| {
                    report.steps.push(r);
                    committed_heads = step.heads_after.clone();
                })
            };
            if let Err(error) = result {
                if open {
                    let _ = connection.execute("ROLLBACK");
                }
                *heads = committed_heads;
                let error = if step.migration.transactional() {
                    rolled_back(error, step)
                } else {
                    error
                };
                self.record_failure(connection, store, step, &error);
                return Err(error);
            }
            *heads = step.heads_after.clone();
        }
        if open {
            if let Err(error) = connection.execute("COMMIT") {
                let _ = connection.execute("ROLLBACK");
                *heads = committed_heads;
                return Err(Error::Database(error));
            }
            report.steps.append(&mut applied_in_transaction);
        }
        for step_report in &report.steps {
            run.step_done(self, step_report);
        }
        Ok(())
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
                operation: step.direction.as_str(),
                checksum: Some(&checksum),
                started_at,
                duration: Some(duration),
                outcome: "ok",
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
                operation: step.direction.as_str(),
                checksum: None,
                started_at,
                duration: None,
                outcome: "started",
                message: None,
            },
        )?;
        match run_migration(connection, step, false) {
            Ok((checksum, statements)) => {
                let duration = started.elapsed();
                self.in_transaction(connection, |connection| {
                    store.set_heads(connection, heads_before, &step.heads_after)?;
                    store.finish_record(connection, marker, "ok", duration, Some(&checksum), None)
                })?;
                Ok(step_report(step, duration, statements))
            }
            Err(error) => {
                let error = outside_transaction_hint(error);
                let _ = store.finish_record(
                    connection,
                    marker,
                    "failed",
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
                    operation: step.direction.as_str(),
                    checksum: None,
                    started_at: SystemTime::now(),
                    duration: None,
                    outcome: "failed",
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

/// Called with each step once it is committed.
pub(super) type StepObserver = Box<dyn Fn(&StepReport) + Send + Sync>;

pub(super) fn log_step(report: &StepReport) {
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
