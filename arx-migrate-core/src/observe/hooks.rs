//! The callbacks a program hangs on a run: [`Hooks`], and what they get.

use std::fmt;

use crate::backend::Backend;
use crate::error::{Direction, Error};
use crate::runner::{Report, StepReport, StepStart};

/// Which run a hook is called for: what a service needs to say in an
/// alert. No URL: a hook that wants to name the database knows which one
/// it gave the migrator.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunInfo {
    /// The database's backend.
    pub backend: Backend,
    /// Upgrade or downgrade.
    pub direction: Direction,
    /// The target as asked (`head`, `+1`, `base`, an id).
    pub target: String,
    /// The version table.
    pub version_table: String,
    /// The PostgreSQL schema of the bookkeeping tables, when one is set.
    pub schema: Option<String>,
}

/// Why a `before_run` or `before_step` hook refuses the run; the run stops
/// with [`Error::Hook`] carrying its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookError {
    message: String,
}

impl HookError {
    /// A refusal saying `message`.
    pub fn new(message: impl fmt::Display) -> Self {
        HookError {
            message: message.to_string(),
        }
    }

    /// What the hook said.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HookError {}

impl From<String> for HookError {
    fn from(message: String) -> Self {
        HookError { message }
    }
}

impl From<&str> for HookError {
    fn from(message: &str) -> Self {
        HookError::new(message)
    }
}

/// Callbacks around an upgrade or downgrade (set with
/// [`Migrator::hooks`](crate::Migrator::hooks)): to page someone when a
/// migration fails, announce a deploy, or refuse to run outside a
/// maintenance window.
///
/// Every method has an empty default; implement those you need. They are
/// called on the thread of the run, in this order:
///
/// 1. `before_run`, before the run reads anything (so the no-op startup
///    of a database at head still costs one query);
/// 2. for each step, `before_step` under the run lock (for a
///    transactional step, inside its open transaction), then `after_step`
///    once it is committed (under [`TransactionMode::AllInOne`](crate::TransactionMode::AllInOne),
///    every `after_step` comes at the one commit);
/// 3. `after_run` with the report when the run succeeded, or `on_error`
///    with the error, the step that failed and the steps committed before
///    it, when it failed.
///
/// A `before_run` or `before_step` hook that returns an error stops the run
/// there with [`Error::Hook`] (as a failing Flyway `beforeMigrate` or
/// `beforeEachMigrate` callback does): the step is not run, the steps
/// before it stay committed, and `on_error` is called. `after_step`,
/// `after_run` and `on_error` cannot change the run's outcome.
///
/// Hooks complement the progress callback of
/// [`Migrator::upgrade_with_progress`](crate::Migrator::upgrade_with_progress):
/// progress is per call and reports waits and backfill batches for a
/// display; hooks are set once on the migrator, so that every run of a
/// service (its `migrate_to_head` at startup included) is observed, and
/// `before_*` hooks may refuse. [`stamp`](crate::Migrator::stamp) and
/// [`repair`](crate::Migrator::repair) call no hook.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use arx_migrate_core::observe::{HookError, Hooks, RunInfo};
/// use arx_migrate_core::{Error, FnMigration, MigrationSet, Migrator, Report, StepStart};
///
/// /// Pages the on-call engineer (here: keeps the message).
/// struct Pager(Arc<Mutex<Vec<String>>>);
///
/// impl Hooks for Pager {
///     fn before_step(&self, _: &RunInfo, step: &StepStart) -> Result<(), HookError> {
///         if step.revision == "002" {
///             return Err(HookError::new("002 waits for the maintenance window"));
///         }
///         Ok(())
///     }
///     fn on_error(&self, run: &RunInfo, error: &Error, _: Option<&StepStart>, report: &Report) {
///         let page = format!("{} on {} failed after {} step(s): {error}", run.direction, run.backend, report.steps.len());
///         self.0.lock().unwrap().push(page);
///     }
/// }
///
/// let pages = Arc::new(Mutex::new(Vec::new()));
/// let migrator = Migrator::new(MigrationSet::new()
///     .with(FnMigration::new("001", &[], |op| op.sql("CREATE TABLE a (id INTEGER)"), |op| op.sql("DROP TABLE a")))
///     .with(FnMigration::new("002", &["001"], |op| op.sql("CREATE TABLE b (id INTEGER)"), |op| op.sql("DROP TABLE b"))))?
///     .hooks(Pager(Arc::clone(&pages)));
/// let mut conn = rusqlite::Connection::open_in_memory().unwrap();
/// let error = migrator.upgrade(&mut conn, "head").unwrap_err();
/// assert_eq!(error.kind(), "hook_failed");
/// assert_eq!(migrator.current(&mut conn)?, ["001"]);
/// assert!(pages.lock().unwrap()[0].starts_with("upgrade on sqlite failed after 1 step(s)"));
/// # Ok::<(), arx_migrate_core::Error>(())
/// ```
pub trait Hooks: Send + Sync {
    /// Before the run reads the database. An error stops the run.
    fn before_run(&self, run: &RunInfo) -> Result<(), HookError> {
        let _ = run;
        Ok(())
    }

    /// Before a step runs, under the run lock. An error stops the run
    /// before this step.
    fn before_step(&self, run: &RunInfo, step: &StepStart) -> Result<(), HookError> {
        let _ = (run, step);
        Ok(())
    }

    /// After a step was committed.
    fn after_step(&self, run: &RunInfo, step: &StepReport) {
        let _ = (run, step);
    }

    /// After a run that succeeded (one with nothing to do included), with
    /// its report.
    fn after_run(&self, run: &RunInfo, report: &Report) {
        let _ = (run, report);
    }

    /// After a run that failed: the error, the step that was running when
    /// it failed (none when the run failed before or between steps), and
    /// the report of the steps committed before (they stay applied; its
    /// heads are empty, the run having read none it could vouch for).
    fn on_error(
        &self,
        run: &RunInfo,
        error: &Error,
        failed_step: Option<&StepStart>,
        report: &Report,
    ) {
        let _ = (run, error, failed_step, report);
    }
}
