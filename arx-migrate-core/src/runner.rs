//! The runner: plans a move between revisions and applies it, one
//! transaction per migration (or one for the whole run), under the run lock.
//!
//! The startup case is cheap: when the database is already where it should
//! be, a run costs one read-only query, takes no lock and writes nothing.
//! Only when there is work is the lock taken and the state read again
//! under it, so replicas that race at startup apply each revision once.

use std::collections::{HashMap, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use crate::backend::{Backend, Connection, RunSettings};
use crate::error::{Direction, Error, Result};
use crate::graph::{RevisionGraph, Step};
use crate::lock::lock_key;
use crate::migration::{Migration, MigrationSource, Registry};
use crate::ops::Ops;
use crate::store::{HistoryEntry, StepRecord, Store, StoreConfig, StoredState};
use crate::target::Target;

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
    /// Stop with [`Error::ChecksumMismatch`] (default).
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
    /// How many statements it ran through [`Ops`].
    pub statements: usize,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

/// A revision whose recorded checksum [`Migrator::repair`] replaced.
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

enum Request {
    Upgrade(Target),
    Downgrade(Target),
}

/// Plans and applies migrations. Build it once, use it on any number of
/// connections.
///
/// ```
/// use arx_migrate_core::{FnMigration, MigrationSet, Migrator};
///
/// let migrations = MigrationSet::new()
///     .with(FnMigration::new("001", &[], |op| op.sql("CREATE TABLE a (id INTEGER)"), |op| op.sql("DROP TABLE a")))
///     .with(FnMigration::new("002", &["001"], |op| op.sql("CREATE TABLE b (id INTEGER)"), |op| op.sql("DROP TABLE b")));
/// let migrator = Migrator::new(migrations)?.version_table("my_version");
/// let mut conn = rusqlite::Connection::open_in_memory().unwrap();
/// let report = migrator.upgrade(&mut conn, "head")?;
/// assert_eq!(report.heads_after, ["002"]);
/// migrator.downgrade(&mut conn, "-1")?;
/// assert_eq!(migrator.current(&mut conn)?, ["001"]);
/// # Ok::<(), arx_migrate_core::Error>(())
/// ```
pub struct Migrator {
    graph: RevisionGraph,
    store: StoreConfig,
    mode: TransactionMode,
    checksum_policy: ChecksumPolicy,
    lock_wait: Duration,
    lock_timeout: Option<Duration>,
    statement_timeout: Option<Duration>,
    /// Rendered once per backend, on first need: the code's checksums.
    checksums: [OnceLock<HashMap<String, String>>; 2],
    on_step: Option<StepObserver>,
}

impl std::fmt::Debug for Migrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("graph", &self.graph)
            .field("store", &self.store)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// Applies every registered migration (`#[migration]`) that is not yet
/// applied, using the default version table.
///
/// Safe to call from every replica at startup: when the database is at head
/// it costs one query and takes no lock.
///
/// ```
/// let mut conn = rusqlite::Connection::open_in_memory().unwrap();
/// let report = arx_migrate_core::migrate_to_head(&mut conn)?;
/// assert!(report.steps.is_empty()); // this doc test registers no migration
/// # Ok::<(), arx_migrate_core::Error>(())
/// ```
pub fn migrate_to_head(connection: &mut dyn Connection) -> Result<Report> {
    let migrator = Migrator::shared_registry(crate::store::DEFAULT_VERSION_TABLE)?;
    if migrator.graph.is_empty() {
        return Ok(Report::default());
    }
    migrator.upgrade(connection, "head")
}

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
            graph: RevisionGraph::new(source.migrations())?,
            store: StoreConfig::default(),
            mode: TransactionMode::default(),
            checksum_policy: ChecksumPolicy::default(),
            lock_wait: Duration::from_secs(600),
            lock_timeout: None,
            statement_timeout: None,
            checksums: [OnceLock::new(), OnceLock::new()],
            on_step: None,
        })
    }

    /// A migrator for every migration registered with `#[migration]`.
    pub fn from_registry() -> Result<Self> {
        Self::new(Registry)
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
    /// minutes).
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// PostgreSQL `lock_timeout` for the run's statements: a statement that
    /// waits longer for a table lock fails, naming its revision.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = Some(timeout);
        self
    }

    /// PostgreSQL `statement_timeout` for the run's statements.
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = Some(timeout);
        self
    }

    /// Calls `observer` with each step as soon as it is committed, for
    /// progress output during long runs (the [`Report`] has them all at the
    /// end).
    pub fn on_step(mut self, observer: impl Fn(&StepReport) + Send + Sync + 'static) -> Self {
        self.on_step = Some(Box::new(observer));
        self
    }

    fn step_done(&self, report: &StepReport) {
        log_step(report);
        if let Some(observer) = &self.on_step {
            observer(report);
        }
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
        let store = Store::new(&self.store, connection.backend());
        surface(store.read_heads(connection).map(Option::unwrap_or_default))
    }

    /// Where the database stands relative to the code's heads.
    pub fn status(&self, connection: &mut dyn Connection) -> Result<Status> {
        let heads = self.current(connection)?;
        let pending: Vec<String> = self
            .graph
            .plan_upgrade(&heads, &Target::Heads)?
            .iter()
            .map(|s| s.revision().to_string())
            .collect();
        Ok(Status {
            at_head: pending.is_empty(),
            heads,
            pending,
        })
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
        surface(Store::new(&self.store, connection.backend()).history(connection))
    }

    /// Applies what is missing to reach `target` (`head`, `heads`, an id or
    /// prefix, `+N`, `REV+N`, `REV@head`).
    pub fn upgrade(&self, connection: &mut dyn Connection, target: &str) -> Result<Report> {
        surface(self.run(connection, Request::Upgrade(target.parse()?)))
    }

    /// Reverts what is above `target` (`base`, an id or prefix, `-N`,
    /// `REV-N`).
    pub fn downgrade(&self, connection: &mut dyn Connection, target: &str) -> Result<Report> {
        surface(self.run(connection, Request::Downgrade(target.parse()?)))
    }

    /// Sets the version table to `target` without running any migration,
    /// and clears markers of interrupted steps. Returns the new heads.
    pub fn stamp(&self, connection: &mut dyn Connection, target: &str) -> Result<Vec<String>> {
        let target: Target = target.parse()?;
        surface(self.with_run_lock(connection, |this, connection, store| {
            let before = store.read_heads(connection)?.unwrap_or_default();
            let after = this.stamp_heads(&before, &target)?;
            this.in_transaction(connection, |connection| {
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
                            operation: "stamp",
                            checksum: None,
                            started_at: SystemTime::now(),
                            duration: Some(Duration::ZERO),
                            outcome: "ok",
                            message: Some(format!("stamped from [{}]", before.join(", "))),
                        },
                    )?;
                }
                Ok(())
            })?;
            Ok(after)
        }))
    }

    /// Records the code's current checksums for applied revisions whose
    /// SQL changed (after a deliberate edit), and clears markers of
    /// interrupted steps. Returns what changed.
    pub fn repair(&self, connection: &mut dyn Connection) -> Result<Vec<Repaired>> {
        surface(self.with_run_lock(connection, |this, connection, store| {
            let state = store.read_state(connection)?;
            let repaired = this.checksum_mismatches(connection.backend(), &state)?;
            this.in_transaction(connection, |connection| {
                for change in &repaired {
                    store.record(
                        connection,
                        &StepRecord {
                            revision: &change.revision,
                            operation: "repair",
                            checksum: Some(&change.current),
                            started_at: SystemTime::now(),
                            duration: Some(Duration::ZERO),
                            outcome: "ok",
                            message: Some(format!("checksum was {}", change.recorded)),
                        },
                    )?;
                }
                store.acknowledge_interrupted(connection)
            })?;
            Ok(repaired)
        }))
    }

    /// The checksum of `revision`'s upgrade SQL on `backend`, as it would be
    /// recorded now.
    pub fn checksum(&self, backend: Backend, revision: &str) -> Option<&str> {
        self.code_checksums(backend)
            .get(revision)
            .map(String::as_str)
    }

    /// A digest of everything that decides the schema this migrator builds
    /// on `backend`: every revision's id, parents, transactionality and SQL
    /// checksum, and the bookkeeping tables' names. Test fixtures key their
    /// cached templates on it, so an edited migration rebuilds them.
    pub fn fingerprint(&self, backend: Backend) -> String {
        use sha2::{Digest, Sha256};
        let checksums = self.code_checksums(backend);
        let mut hasher = Sha256::new();
        hasher.update(format!("{backend}\0{:?}\0", self.store).as_bytes());
        for migration in self.graph.in_order() {
            let revision = migration.revision();
            hasher.update(format!(
                "{revision}\0{:?}\0{}\0{}\n",
                migration.down_revisions(),
                migration.transactional(),
                checksums.get(revision).map(String::as_str).unwrap_or("-"),
            ));
        }
        hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// The SQL script that moves a database at `from` to `target`, without
    /// connecting (Alembic's `--sql`): bookkeeping tables, then each step in
    /// its own transaction with its version-table change.
    pub fn offline_script(
        &self,
        backend: Backend,
        from: &[String],
        target: &str,
        direction: Direction,
    ) -> Result<String> {
        let target: Target = target.parse()?;
        let steps = match direction {
            Direction::Upgrade => self.graph.plan_upgrade(from, &target)?,
            Direction::Downgrade => self.graph.plan_downgrade(from, &target)?,
        };
        let store = Store::new(&self.store, backend);
        let mut script = String::new();
        script.push_str(&format!(
            "-- arx-migrate {direction} to {target} ({backend}), {} step(s)\n",
            steps.len()
        ));
        if from.is_empty() {
            script.push_str(&store.ensure_tables_sql());
            script.push('\n');
        }
        let mut heads = from.to_vec();
        for step in &steps {
            let migration = &step.migration;
            let mut ops = Ops::recording(backend, migration.revision(), step.direction);
            match step.direction {
                Direction::Upgrade => migration.upgrade(&mut ops),
                Direction::Downgrade => migration.downgrade(&mut ops),
            }
            .map_err(|e| attach_revision(e, migration.revision(), step.direction))?;
            script.push_str(&format!(
                "\n-- {} {}: {}\n",
                step.direction,
                migration.revision(),
                migration.message()
            ));
            let transactional = migration.transactional();
            if transactional {
                script.push_str("BEGIN;\n");
            }
            for statement in ops.into_recorded() {
                script.push_str(statement.trim_end().trim_end_matches(';'));
                script.push_str(";\n");
            }
            for statement in store.set_heads_sql(&heads, &step.heads_after) {
                script.push_str(&statement);
                script.push_str(";\n");
            }
            if transactional {
                script.push_str("COMMIT;\n");
            }
            heads = step.heads_after.clone();
        }
        Ok(script)
    }

    fn code_checksums(&self, backend: Backend) -> &HashMap<String, String> {
        let slot = match backend {
            Backend::Sqlite => &self.checksums[0],
            Backend::Postgres => &self.checksums[1],
        };
        slot.get_or_init(|| {
            self.graph
                .in_order()
                .filter_map(|migration| {
                    let mut ops = Ops::recording(backend, migration.revision(), Direction::Upgrade);
                    let rendered = catch_unwind(AssertUnwindSafe(|| migration.upgrade(&mut ops)));
                    match rendered {
                        Ok(Ok(())) | Ok(Err(Error::NeedsConnection { .. })) => {
                            Some((migration.revision().to_string(), ops.finish_checksum()))
                        }
                        _ => {
                            tracing::debug!(
                                revision = migration.revision(),
                                "cannot render for checksum"
                            );
                            None
                        }
                    }
                })
                .collect()
        })
    }

    fn checksum_mismatches(&self, backend: Backend, state: &StoredState) -> Result<Vec<Repaired>> {
        if state.checksums.is_empty() {
            return Ok(Vec::new());
        }
        let code = self.code_checksums(backend);
        Ok(self
            .graph
            .applied(&state.heads)?
            .into_iter()
            .filter_map(|revision| {
                let recorded = state.checksums.get(revision)?;
                let current = code.get(revision)?;
                (recorded != current).then(|| Repaired {
                    revision: revision.to_string(),
                    recorded: recorded.clone(),
                    current: current.clone(),
                })
            })
            .collect())
    }

    /// Edited migrations: an error, or warnings, by policy.
    fn verify_checksums(&self, backend: Backend, state: &StoredState) -> Result<Vec<String>> {
        let mismatches = self.checksum_mismatches(backend, state)?;
        match (mismatches.into_iter().next(), self.checksum_policy) {
            (None, _) => Ok(Vec::new()),
            (Some(first), ChecksumPolicy::Error) => Err(Error::ChecksumMismatch {
                revision: first.revision,
                recorded: first.recorded,
                current: first.current,
            }),
            (Some(first), ChecksumPolicy::Warn) => {
                let mut warnings = Vec::new();
                for m in std::iter::once(first).chain(
                    self.checksum_mismatches(backend, state)?
                        .into_iter()
                        .skip(1),
                ) {
                    let warning = Error::ChecksumMismatch {
                        revision: m.revision,
                        recorded: m.recorded,
                        current: m.current,
                    }
                    .to_string();
                    tracing::warn!("{warning}");
                    warnings.push(warning);
                }
                Ok(warnings)
            }
        }
    }

    fn plan_request(&self, request: &Request, heads: &[String]) -> Result<Vec<Step>> {
        match request {
            Request::Upgrade(target) => self.graph.plan_upgrade(heads, target),
            Request::Downgrade(target) => self.graph.plan_downgrade(heads, target),
        }
    }

    fn stamp_heads(&self, current: &[String], target: &Target) -> Result<Vec<String>> {
        let mut heads: Vec<String> = match target {
            Target::Base => Vec::new(),
            Target::Heads => self.graph.heads().iter().map(|h| h.to_string()).collect(),
            Target::Head => vec![self.graph.single_head()?.to_string()],
            Target::Relative { from: None, steps } => {
                let steps_taken = if *steps >= 0 {
                    self.graph.plan_upgrade(current, target)?
                } else {
                    self.graph.plan_downgrade(current, target)?
                };
                steps_taken
                    .last()
                    .map(|s| s.heads_after.clone())
                    .unwrap_or_else(|| current.to_vec())
            }
            other => {
                // Every absolute target resolves through an upgrade plan from base.
                let steps = self.graph.plan_upgrade(&[], other)?;
                steps
                    .last()
                    .map(|s| s.heads_after.clone())
                    .unwrap_or_default()
            }
        };
        heads.sort();
        Ok(heads)
    }

    fn run(&self, connection: &mut dyn Connection, request: Request) -> Result<Report> {
        let backend = connection.backend();
        let store = Store::new(&self.store, backend);
        // Fast path: one read-only query, no lock, no writes.
        let state = store.read_state(connection)?;
        let steps = self.plan_request(&request, &state.heads)?;
        if steps.is_empty() && state.interrupted.is_empty() {
            let warnings = self.verify_checksums(backend, &state)?;
            tracing::debug!(heads = ?state.heads, "database is up to date");
            return Ok(Report {
                heads_before: state.heads.clone(),
                heads_after: state.heads,
                steps: Vec::new(),
                warnings,
            });
        }
        self.with_run_lock(connection, |this, connection, store| {
            this.run_locked(connection, store, &request)
        })
    }

    /// Takes the run lock, creates the bookkeeping tables, runs `work`, and
    /// releases the lock on every path, a panic included.
    fn with_run_lock<T>(
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
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            self.ensure_tables(connection, &store)?;
            work(self, connection, &store)
        }));
        let result = match outcome {
            Ok(result) => result,
            Err(panic) => {
                let _ = connection.execute("ROLLBACK");
                Err(Error::Migration {
                    revision: "?".into(),
                    direction: Direction::Upgrade,
                    message: format!("panicked: {}", panic_message(&*panic)),
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

    fn ensure_tables(&self, connection: &mut dyn Connection, store: &Store<'_>) -> Result<()> {
        self.in_transaction(connection, |connection| store.ensure_tables(connection))
    }

    /// Runs `work` in a transaction, committing on success and rolling back
    /// on error.
    fn in_transaction<T>(
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

    fn run_locked(
        &self,
        connection: &mut dyn Connection,
        store: &Store<'_>,
        request: &Request,
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
        match self.mode {
            TransactionMode::PerMigration => {
                self.run_per_migration(connection, store, request, &mut heads, &mut report)?
            }
            TransactionMode::AllInOne => {
                self.run_all_in_one(connection, store, request, &mut heads, &mut report)?
            }
        }
        report.heads_after = sorted(heads);
        Ok(report)
    }

    fn run_per_migration(
        &self,
        connection: &mut dyn Connection,
        store: &Store<'_>,
        request: &Request,
        heads: &mut Vec<String>,
        report: &mut Report,
    ) -> Result<()> {
        let mut queue: VecDeque<Step> = self.plan_request(request, heads)?.into();
        while let Some(step) = queue.pop_front() {
            if !step.migration.transactional() {
                let current = store.read_heads(connection)?.unwrap_or_default();
                if !same_heads(&current, heads) {
                    *heads = current;
                    queue = self.plan_request(request, heads)?.into();
                    continue;
                }
                report
                    .steps
                    .push(self.apply_alone(connection, store, &step, heads)?);
                *heads = step.heads_after.clone();
                continue;
            }
            connection
                .execute(connection.begin_statement())
                .map_err(Error::Database)?;
            // Under the write lock: has another process moved the database
            // since we planned? Then plan again from where it is.
            let current = match store.read_heads(connection) {
                Ok(current) => current.unwrap_or_default(),
                Err(error) => {
                    let _ = connection.execute("ROLLBACK");
                    return Err(error);
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
                    self.step_done(&step_report);
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

    fn run_all_in_one(
        &self,
        connection: &mut dyn Connection,
        store: &Store<'_>,
        request: &Request,
        heads: &mut Vec<String>,
        report: &mut Report,
    ) -> Result<()> {
        let steps = self.plan_request(request, heads)?;
        let begin = connection.begin_statement();
        connection.execute(begin).map_err(Error::Database)?;
        let mut open = true;
        let mut applied_in_transaction: Vec<StepReport> = Vec::new();
        let mut committed_heads = heads.clone();
        for step in &steps {
            let result = if step.migration.transactional() {
                if !open {
                    connection.execute(begin).map_err(Error::Database)?;
                    open = true;
                }
                self.apply_in_transaction(connection, store, step, heads)
                    .map(|r| applied_in_transaction.push(r))
            } else {
                // Commit what came before; this one runs on its own.
                if open {
                    connection.execute("COMMIT").map_err(Error::Database)?;
                    open = false;
                    report.steps.append(&mut applied_in_transaction);
                    committed_heads = heads.clone();
                }
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
            self.step_done(step_report);
        }
        Ok(())
    }

    /// Runs one step inside the caller's transaction and moves the version
    /// rows with it.
    fn apply_in_transaction(
        &self,
        connection: &mut dyn Connection,
        store: &Store<'_>,
        step: &Step,
        heads_before: &[String],
    ) -> Result<StepReport> {
        let started_at = SystemTime::now();
        let started = Instant::now();
        let (checksum, statements) = run_migration(connection, step, true)?;
        store.set_heads(connection, heads_before, &step.heads_after)?;
        let duration = started.elapsed();
        store.record(
            connection,
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
    fn apply_alone(
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
                let report = step_report(step, duration, statements);
                self.step_done(&report);
                Ok(report)
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
    fn record_failure(
        &self,
        connection: &mut dyn Connection,
        store: &Store<'_>,
        step: &Step,
        error: &Error,
    ) {
        if !step.migration.transactional() {
            return; // apply_alone already updated its marker row
        }
        let recorded = store.record(
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
        );
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
    let outcome = catch_unwind(AssertUnwindSafe(|| match step.direction {
        Direction::Upgrade => migration.upgrade(&mut ops),
        Direction::Downgrade => migration.downgrade(&mut ops),
    }));
    let result = match outcome {
        Ok(result) => result,
        Err(panic) => Err(Error::Migration {
            revision: revision.clone(),
            direction: step.direction,
            message: format!("panicked: {}", panic_message(&*panic)),
        }),
    };
    result.map_err(|error| attach_revision(error, &revision, step.direction))?;
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
type StepObserver = Box<dyn Fn(&StepReport) + Send + Sync>;

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

/// Fills in the revision of an error raised with [`Error::custom`].
fn attach_revision(error: Error, revision: &str, direction: Direction) -> Error {
    match error {
        Error::Migration {
            revision: r,
            message,
            ..
        } if r.is_empty() => Error::Migration {
            revision: revision.to_string(),
            direction,
            message,
        },
        other => other,
    }
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

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

fn sorted(mut heads: Vec<String>) -> Vec<String> {
    heads.sort();
    heads
}

fn same_heads(a: &[String], b: &[String]) -> bool {
    sorted(a.to_vec()) == sorted(b.to_vec())
}

/// Turns the driver's "inside an async runtime" failure into its own error.
fn surface<T>(result: Result<T>) -> Result<T> {
    result.map_err(|error| {
        #[cfg(feature = "postgres")]
        if error.db_error().and_then(|e| e.code.as_deref())
            == Some(crate::backend::postgres::INSIDE_ASYNC_RUNTIME)
        {
            return Error::InsideAsyncRuntime;
        }
        error
    })
}
