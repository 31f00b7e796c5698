//! The runner: plans a move between revisions and applies it, one
//! transaction per migration (or one for the whole run), under the run lock.
//!
//! The startup case is cheap: when the database is already where it should
//! be, a run costs one read-only query, takes no lock and writes nothing.
//! Only when there is work is the lock taken and the state read again
//! under it, so replicas that race at startup apply each revision once.

mod apply;
mod blocking;
mod checksums;
mod half_applied;
mod journaled;
mod lock_retry;
mod lock_wait;
mod migrator;
mod offline;
mod report;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use crate::backend::Connection;
use crate::error::Result;
use crate::graph::{RevisionGraph, Step};
use crate::heads::Heads;
use crate::migration::{MigrationSource, Registry};
use crate::observe::observer::RunObserver;
use crate::observe::{metrics, Hooks, RunInfo};
use crate::store::{
    HistoryEntry, HistoryOperation, HistoryOutcome, StepRecord, Store, StoreConfig,
};
use crate::target::Target;

use apply::Planned;
use blocking::refuse_inside_async_runtime;
pub(crate) use lock_retry::{gave_up, is_lock_timeout};
pub use lock_retry::{LockRetry, LockRetryReport};
pub use migrator::Migrator;
use migrator::Request;
pub use report::{
    ChecksumChange, ChecksumPolicy, InterruptedStep, Progress, RepairReport, Report, Status,
    StepReport, StepStart, TransactionMode, Warning,
};

/// How long a run waits for another run's lock unless told otherwise
/// ([`Migrator::lock_wait`]).
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(600);

/// Applies every registered migration (`#[migration]`) that is not yet
/// applied, using the default version table.
///
/// Safe to call from every replica at startup: when the database is at head
/// it costs one query and takes no lock.
///
/// A program that registers no migration at all gets
/// [`Error::NoMigrations`](crate::Error::NoMigrations), which says how to
/// link a library crate's migrations, never a silent empty run:
///
/// ```
/// let mut conn = rusqlite::Connection::open_in_memory().unwrap();
/// // This doc test registers no migration.
/// let error = arx_migrate_core::migrate_to_head(&mut conn).unwrap_err();
/// assert!(matches!(error, arx_migrate_core::Error::NoMigrations));
/// ```
pub fn migrate_to_head(connection: &mut dyn Connection) -> Result<Report> {
    Migrator::shared_registry(crate::store::DEFAULT_VERSION_TABLE)?.upgrade(connection, "head")
}

/// How often [`Migrator::wait_for_backfills`] reads the status again.
const BACKFILL_POLL: Duration = Duration::from_secs(1);

impl Migrator {
    /// A migrator over the registry with this version table, built once per
    /// process and shared: what a `migrate_to_head` of a crate with its own
    /// version table calls, so that startup renders checksums only once.
    pub fn shared_registry(version_table: &str) -> Result<&'static Migrator> {
        type Shared = std::sync::Mutex<HashMap<String, &'static Migrator>>;
        static SHARED: OnceLock<Shared> = OnceLock::new();
        let shared = SHARED.get_or_init(Shared::default);
        let mut shared = shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(migrator) = shared.get(version_table) {
            return Ok(migrator);
        }
        // Leaked on purpose: one per version table for the life of the
        // program, like the registry itself.
        let migrator: &'static Migrator = Box::leak(Box::new(
            Migrator::from_registry()?.version_table(version_table),
        ));
        shared.insert(version_table.to_string(), migrator);
        Ok(migrator)
    }
}

impl Migrator {
    /// A migrator for the migrations of `source`; the graph is validated
    /// here.
    pub fn new(source: impl MigrationSource) -> Result<Self> {
        Ok(Migrator {
            graph: Arc::new(RevisionGraph::new(source.migrations())?),
            store: StoreConfig::default(),
            mode: TransactionMode::default(),
            checksum_policy: ChecksumPolicy::default(),
            lock_wait: DEFAULT_LOCK_WAIT,
            lock_timeout: None,
            lock_retry: None,
            statement_timeout: None,
            checksums: Arc::new([OnceLock::new(), OnceLock::new(), OnceLock::new()]),
            hooks: None,
        })
    }

    /// This migrator with its bookkeeping tables in another PostgreSQL
    /// schema: the same graph, settings and rendered checksums, shared
    /// rather than built again, so a fleet of a thousand tenant schemas
    /// validates its graph and renders its checksums once.
    ///
    /// ```
    /// use arx_migrate_core::{FnMigration, MigrationSet, Migrator};
    ///
    /// let migrator = Migrator::new(MigrationSet::new().with(FnMigration::new(
    ///     "001", &[], |op| op.sql("CREATE TABLE a (id INTEGER)"), |op| op.sql("DROP TABLE a"),
    /// )))?;
    /// let tenant = migrator.in_schema("tenant_42");
    /// assert_eq!(tenant.store_config().schema.as_deref(), Some("tenant_42"));
    /// assert_eq!(tenant.graph().heads(), migrator.graph().heads());
    /// # Ok::<(), arx_migrate_core::Error>(())
    /// ```
    pub fn in_schema(&self, schema: impl Into<String>) -> Migrator {
        Migrator {
            graph: Arc::clone(&self.graph),
            store: StoreConfig {
                schema: Some(schema.into()),
                ..self.store.clone()
            },
            mode: self.mode,
            checksum_policy: self.checksum_policy,
            lock_wait: self.lock_wait,
            lock_timeout: self.lock_timeout,
            lock_retry: self.lock_retry,
            statement_timeout: self.statement_timeout,
            checksums: Arc::clone(&self.checksums),
            hooks: self.hooks.clone(),
        }
    }

    /// A migrator for every migration registered with `#[migration]` or
    /// `sql_migrations!` in the crates linked into the program. Finding
    /// none is [`Error::NoMigrations`](crate::Error::NoMigrations): the
    /// crate that has them is not linked.
    pub fn from_registry() -> Result<Self> {
        let migrator = Self::new(Registry)?;
        if migrator.graph.is_empty() {
            return Err(crate::Error::NoMigrations);
        }
        Ok(migrator)
    }

    /// Sets the version table's name (default `arx_migrate_version`; the
    /// Arxos schema uses `alembic_version`).
    pub fn version_table(mut self, name: impl Into<String>) -> Self {
        self.store.version_table = name.into();
        self
    }

    /// Sets the history table's name (default `arx_migrate_history`).
    pub fn history_table(mut self, name: impl Into<String>) -> Self {
        self.store.history_table = name.into();
        self
    }

    /// Puts the bookkeeping tables in this PostgreSQL schema (created if
    /// missing) instead of the connection's current schema.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.store.schema = Some(schema.into());
        self
    }

    /// One transaction per migration (default) or one for the run.
    pub fn transaction_mode(mut self, mode: TransactionMode) -> Self {
        self.mode = mode;
        self
    }

    /// Whether an edited migration stops the run (default) or warns.
    pub fn checksum_policy(mut self, policy: ChecksumPolicy) -> Self {
        self.checksum_policy = policy;
        self
    }

    /// How long to wait for another process's run to finish (default ten
    /// minutes): on PostgreSQL for the run's advisory lock, on MariaDB and
    /// MySQL for its named lock (`GET_LOCK`), on SQLite for the database's
    /// write lock (its busy timeout). While it waits, the
    /// run reports who holds the lock after a second and then every few
    /// seconds (`tracing`, and [`Progress::Waiting`]); past it, the run
    /// fails with [`Error::LockTimeout`](crate::Error::LockTimeout) naming
    /// the holder.
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// PostgreSQL `lock_timeout` for the run's statements: a statement that
    /// waits longer for a table lock fails, naming its revision and the
    /// statement. On MariaDB and MySQL it sets `lock_wait_timeout` (the
    /// metadata locks DDL waits for) and `innodb_lock_wait_timeout` (row
    /// locks), both in whole seconds, rounded up. Each statement waits once: while a timeout applies (this
    /// one, [`Migrator::statement_timeout`], or the server's defaults), a
    /// migration's statements go to the server one at a time rather than
    /// in one batch, so that the one that failed is known without running
    /// it again.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = Some(timeout);
        self
    }

    /// On PostgreSQL, retries a statement that times out waiting for a
    /// table lock, as `retry` says (see [`LockRetry`]): each attempt runs
    /// with `lock_timeout` set to [`LockRetry::timeout`] (in place of
    /// [`Migrator::lock_timeout`]), so that the migration never queues for
    /// long behind another transaction while every query on the table
    /// queues behind it. A transactional step is rolled back and run again
    /// whole; in a non-transactional step only the statement that timed
    /// out runs again. Each retry is reported (`tracing`, and
    /// [`Progress::LockRetry`]); after the last attempt the error says how
    /// many there were and how to find the transaction in the way. Off by
    /// default. Does nothing on SQLite, whose write lock is one for the
    /// whole database ([`Migrator::lock_wait`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use arx_migrate_core::{LockRetry, MigrationSet, Migrator};
    ///
    /// let migrator = Migrator::new(MigrationSet::new())?.lock_retries(
    ///     LockRetry::new().attempts(10).timeout(Duration::from_secs(1)).max_wait(Duration::from_secs(5)),
    /// );
    /// # Ok::<(), arx_migrate_core::Error>(())
    /// ```
    pub fn lock_retries(mut self, retry: LockRetry) -> Self {
        self.lock_retry = Some(retry);
        self
    }

    /// Calls `hooks` around every upgrade and downgrade of this migrator
    /// (and of those [`Migrator::in_schema`] makes from it): before and
    /// after the run and each step, and on error. See [`Hooks`] for the
    /// order, and for `before_*` hooks that refuse.
    pub fn hooks(mut self, hooks: impl Hooks + 'static) -> Self {
        self.hooks = Some(Arc::new(hooks));
        self
    }

    /// PostgreSQL `statement_timeout` for the run's statements. On MariaDB
    /// it sets `max_statement_time`, which bounds every statement; on
    /// MySQL `max_execution_time`, which bounds read-only SELECTs only
    /// (MySQL has no limit for DDL or writes).
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = Some(timeout);
        self
    }

    /// The revision graph.
    pub fn graph(&self) -> &RevisionGraph {
        &self.graph
    }

    /// Where the bookkeeping lives.
    pub fn store_config(&self) -> &StoreConfig {
        &self.store
    }

    /// The version table's rows (empty for a database never migrated).
    pub fn current(&self, connection: &mut dyn Connection) -> Result<Vec<String>> {
        refuse_inside_async_runtime(connection)?;
        let store = Store::new(&self.store, connection.backend());
        let heads = store.read_heads(connection)?.unwrap_or_default();
        Ok(heads.into_vec())
    }

    /// Where the database stands relative to the code's heads, with the
    /// applied migrations edited since and the steps that never finished:
    /// everything that would stop an upgrade at startup, read in one query
    /// and changing nothing.
    pub fn status(&self, connection: &mut dyn Connection) -> Result<Status> {
        refuse_inside_async_runtime(connection)?;
        let store = Store::new(&self.store, connection.backend());
        let state = store.read_state(connection)?;
        let pending: Vec<String> = self
            .graph
            .plan_upgrade(&state.heads, &Target::Heads)?
            .iter()
            .map(|s| s.revision().to_string())
            .collect();
        metrics::revisions_pending(connection.backend(), pending.len());
        let edited = self.checksum_mismatches(connection.backend(), &state)?;
        let backfills = apply::backfills_of_interrupted(connection, &store, &state)?;
        let resumed = apply::expansion_revisions(connection, &store, &state)?;
        let half_applied = half_applied::half_applied(connection, &store, &state.interrupted)?;
        let mut interrupted = interrupted_steps(&state);
        interrupted.retain(|step| {
            !backfills.iter().any(|b| b.revision == step.revision)
                && !resumed.contains(&step.revision)
        });
        interrupted.retain(|step| {
            !half_applied
                .iter()
                .any(|h| h.revision == step.revision && h.direction == step.direction)
        });
        let expansions = expansions(connection, &store)?;
        Ok(Status {
            half_applied,
            at_head: pending.is_empty(),
            pending,
            edited,
            interrupted,
            backfills,
            expansions,
            heads: state.heads.into_vec(),
        })
    }

    /// Waits while a backfill is in progress ([`Status::backfills`]: one
    /// running now, or one killed with its run, which an upgrade resumes),
    /// reading the status every second and giving each reading that still
    /// has one to `waiting`, with the time waited so far. Returns the first
    /// status without a backfill in progress, or at `timeout` the last
    /// one, whose `backfills` are not empty: a deploy gate that must not
    /// pass a half-filled column waits with this, then checks
    /// [`Status::is_ready`].
    ///
    /// ```
    /// # extern crate arx_migrate_core as arx_migrate;
    /// use std::time::Duration;
    /// use arx_migrate::{FnMigration, MigrationSet, Migrator};
    ///
    /// let migrator = Migrator::new(MigrationSet::new().with(FnMigration::new(
    ///     "001", &[],
    ///     |op| op.sql("CREATE TABLE rooms (id INTEGER PRIMARY KEY)"),
    ///     |op| op.sql("DROP TABLE rooms"),
    /// )))?;
    /// let mut conn = arx_migrate::rusqlite::Connection::open_in_memory().unwrap();
    /// migrator.upgrade(&mut conn, "head")?;
    /// let status = migrator.wait_for_backfills(&mut conn, Duration::from_secs(600), &mut |status, waited| {
    ///     for backfill in &status.backfills {
    ///         eprintln!("after {}s still waiting for {backfill}", waited.as_secs());
    ///     }
    /// })?;
    /// assert!(status.backfills.is_empty() && status.is_ready());
    /// # Ok::<(), arx_migrate::Error>(())
    /// ```
    pub fn wait_for_backfills(
        &self,
        connection: &mut dyn Connection,
        timeout: Duration,
        waiting: &mut dyn FnMut(&Status, Duration),
    ) -> Result<Status> {
        let started = std::time::Instant::now();
        loop {
            let status = self.status(connection)?;
            let waited = started.elapsed();
            if status.backfills.is_empty() || waited >= timeout {
                return Ok(status);
            }
            waiting(&status, waited);
            std::thread::sleep(BACKFILL_POLL.min(timeout - waited));
        }
    }

    /// The steps `upgrade(target)` would run now.
    pub fn plan(&self, connection: &mut dyn Connection, target: &str) -> Result<Vec<Step>> {
        let heads = self.current(connection)?;
        self.graph.plan_upgrade(&heads, &target.parse()?)
    }

    /// The steps `downgrade(target)` would run now.
    pub fn plan_downgrade(
        &self,
        connection: &mut dyn Connection,
        target: &str,
    ) -> Result<Vec<Step>> {
        let heads = self.current(connection)?;
        self.graph.plan_downgrade(&heads, &target.parse()?)
    }

    /// The history table's rows for this migration set, oldest first.
    pub fn history(&self, connection: &mut dyn Connection) -> Result<Vec<HistoryEntry>> {
        refuse_inside_async_runtime(connection)?;
        Store::new(&self.store, connection.backend()).history(connection)
    }

    /// Applies what is missing to reach `target` (`head`, `heads`, an id or
    /// prefix, `+N`, `REV+N`, `REV@head`).
    pub fn upgrade(&self, connection: &mut dyn Connection, target: &str) -> Result<Report> {
        self.upgrade_with_progress(connection, target, &mut |_| {})
    }

    /// [`Migrator::upgrade`], calling `progress` with each step as soon as
    /// it is committed, and every few seconds while it waits for another
    /// run's lock (for a command line's live output).
    ///
    /// ```
    /// use arx_migrate_core::{FnMigration, MigrationSet, Migrator, Progress};
    ///
    /// let migrator = Migrator::new(MigrationSet::new().with(FnMigration::new(
    ///     "001", &[], |op| op.sql("CREATE TABLE a (id INTEGER)"), |op| op.sql("DROP TABLE a"),
    /// )))?;
    /// let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    /// let mut lines = Vec::new();
    /// migrator.upgrade_with_progress(&mut conn, "head", &mut |event| match event {
    ///     Progress::Step(step) => lines.push(format!("{} {}", step.direction, step.revision)),
    ///     Progress::Waiting(wait) => lines.push(wait.to_string()),
    ///     _ => {}
    /// })?;
    /// assert_eq!(lines, ["upgrade 001"]);
    /// # Ok::<(), arx_migrate_core::Error>(())
    /// ```
    pub fn upgrade_with_progress(
        &self,
        connection: &mut dyn Connection,
        target: &str,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<Report> {
        refuse_inside_async_runtime(connection)?;
        self.run(connection, Request::Upgrade(target.parse()?), progress)
            .map_err(|error| crate::takeover::explain_other_version_table(self, connection, error))
    }

    /// Reverts what is above `target` (`base`, an id or prefix, `-N`,
    /// `REV-N`).
    pub fn downgrade(&self, connection: &mut dyn Connection, target: &str) -> Result<Report> {
        self.downgrade_with_progress(connection, target, &mut |_| {})
    }

    /// [`Migrator::downgrade`], calling `progress` with each step as soon
    /// as it is committed, and while it waits for another run's lock.
    pub fn downgrade_with_progress(
        &self,
        connection: &mut dyn Connection,
        target: &str,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<Report> {
        refuse_inside_async_runtime(connection)?;
        self.run(connection, Request::Downgrade(target.parse()?), progress)
    }

    /// Sets the version table to `target` without running any migration,
    /// and clears markers of interrupted steps. Returns the new heads.
    ///
    /// As in Alembic, only the rows on the target's line are replaced: with
    /// rows `[c2, e2]` on two branches, stamping `c1` gives `[c1, e2]`.
    pub fn stamp(&self, connection: &mut dyn Connection, target: &str) -> Result<Vec<String>> {
        self.stamp_targets(connection, &[target], false)
    }

    /// Stamps several revisions at once (`stamp a b`: one row each, on
    /// different lines), replacing the rows on their lines. With `purge`,
    /// the version table is emptied first, whatever it holds (revisions
    /// this code does not know included), so the result is exactly the
    /// targets.
    pub fn stamp_targets(
        &self,
        connection: &mut dyn Connection,
        targets: &[&str],
        purge: bool,
    ) -> Result<Vec<String>> {
        let targets: Vec<Target> = targets.iter().map(|t| t.parse()).collect::<Result<_>>()?;
        if targets.is_empty() {
            return Err(crate::Error::InvalidTarget {
                target: String::new(),
                reason: "name at least one revision to stamp".into(),
            });
        }
        refuse_inside_async_runtime(connection)?;
        self.with_run_lock(connection, &mut |_| {}, |this, connection, store, env| {
            let before = store.read_heads(connection)?.unwrap_or_default();
            let from: &[String] = if purge { &[] } else { &before };
            let after = Heads::from(this.graph.plan_stamp(from, &targets)?);
            env.in_transaction(connection, |connection| {
                store.ensure_tables(connection)?;
                store.set_heads(connection, &before, &after)?;
                store.acknowledge_interrupted(connection)?;
                for revision in after
                    .iter()
                    .map(String::as_str)
                    .chain(after.is_empty().then_some("base"))
                {
                    store.record(
                        connection,
                        &StepRecord {
                            revision,
                            operation: HistoryOperation::Stamp,
                            checksum: None,
                            started_at: SystemTime::now(),
                            duration: Some(Duration::ZERO),
                            outcome: HistoryOutcome::Ok,
                            message: Some(format!("stamped from [{}]", before.join(", "))),
                            sizes: None,
                        },
                    )?;
                }
                Ok(())
            })?;
            Ok(after.into_vec())
        })
    }

    /// Records the code's current checksums for applied revisions whose
    /// SQL changed (after a deliberate edit), and acknowledges markers of
    /// interrupted steps (after the database was cleaned up by hand).
    /// Returns everything it changed.
    pub fn repair(&self, connection: &mut dyn Connection) -> Result<RepairReport> {
        refuse_inside_async_runtime(connection)?;
        self.with_run_lock(connection, &mut |_| {}, |this, connection, store, env| {
            let state = store.read_state(connection)?;
            let report = RepairReport {
                checksums: this.checksum_mismatches(connection.backend(), &state)?,
                interrupted: interrupted_steps(&state),
            };
            if report.is_empty() {
                return Ok(report);
            }
            env.in_transaction(connection, |connection| {
                store.ensure_tables(connection)?;
                for change in &report.checksums {
                    store.record(
                        connection,
                        &StepRecord {
                            revision: &change.revision,
                            operation: HistoryOperation::Repair,
                            checksum: Some(&change.current),
                            started_at: SystemTime::now(),
                            duration: Some(Duration::ZERO),
                            outcome: HistoryOutcome::Ok,
                            message: Some(format!("checksum was {}", change.recorded)),
                            sizes: None,
                        },
                    )?;
                }
                store.acknowledge_interrupted(connection)
            })?;
            Ok(report)
        })
    }

    fn plan_request(&self, request: &Request, heads: &[String]) -> Result<Vec<Step>> {
        match request {
            Request::Upgrade(target) => self.graph.plan_upgrade(heads, target),
            Request::Downgrade(target) => self.graph.plan_downgrade(heads, target),
        }
    }

    /// A run, observed: hooks around it and its steps, metrics of it.
    fn run(
        &self,
        connection: &mut dyn Connection,
        request: Request,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<Report> {
        let info = RunInfo {
            backend: connection.backend(),
            direction: request.direction(),
            target: request.target().to_string(),
            version_table: self.store.version_table.clone(),
            schema: self.store.schema.clone(),
        };
        let (mut observer, allowed) = RunObserver::start(info, self.hooks.as_deref());
        let result = allowed.and_then(|()| {
            let hooks = self
                .hooks
                .clone()
                .map(|hooks| (hooks, observer.info().clone()));
            let mut observed = |event: Progress<'_>| {
                observer.see(&event);
                progress(event);
            };
            self.run_unobserved(connection, request, hooks, &mut observed)
        });
        observer.finish(&self.graph, result)
    }

    fn run_unobserved(
        &self,
        connection: &mut dyn Connection,
        request: Request,
        hooks: Option<(Arc<dyn Hooks>, RunInfo)>,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<Report> {
        let backend = connection.backend();
        let store = Store::new(&self.store, backend);
        // Fast path: one read-only query, no lock, no writes.
        let state = store.read_state(connection)?;
        let steps = self.plan_request(&request, &state.heads)?;
        if steps.is_empty() && state.interrupted.is_empty() {
            let warnings = self.verify_checksums(backend, &state)?;
            tracing::debug!(heads = ?state.heads, "database is up to date");
            return Ok(Report {
                heads_before: state.heads.to_vec(),
                heads_after: state.heads.into_vec(),
                steps: Vec::new(),
                warnings,
            });
        }
        let planned = Planned {
            from: state.heads,
            steps,
        };
        self.with_run_lock(connection, progress, move |this, connection, store, env| {
            env.hooks = hooks;
            this.run_locked(connection, store, &request, Some(planned), env)
        })
    }
}

/// The expand/contract changes not yet contracted, each with its backfill
/// while that runs (or was killed).
fn expansions(
    connection: &mut dyn Connection,
    store: &Store<'_>,
) -> Result<Vec<crate::expand::ExpansionState>> {
    let rows = store.expand_book().all(connection)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let backfills = store.backfill_book().all(connection)?;
    Ok(rows
        .into_iter()
        .filter(|row| row.phase != crate::expand::ExpansionPhase::Contracted)
        .map(|row| {
            let backfill = backfills
                .iter()
                .find(|b| {
                    (b.revision == row.expand_revision
                        || Some(&b.revision) == row.contract_revision.as_ref())
                        && b.name.ends_with(&row.change)
                        && b.finished_at.is_none()
                })
                .cloned();
            crate::expand::ExpansionState {
                table: row.table,
                change: row.change,
                kind: row.kind,
                expand_revision: row.expand_revision,
                contract_revision: row.contract_revision,
                phase: row.phase,
                backfill,
                updated_at: row.updated_at,
            }
        })
        .collect())
}

/// The interrupted steps of a stored state.
fn interrupted_steps(state: &crate::store::StoredState) -> Vec<InterruptedStep> {
    state
        .interrupted
        .iter()
        .map(|(revision, direction)| InterruptedStep {
            revision: revision.clone(),
            direction: *direction,
        })
        .collect()
}
