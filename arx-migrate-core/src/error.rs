//! The library's error type.
//!
//! Every error says what went wrong, where (revision, statement) and, where
//! there is one, what to do about it. Connection strings never appear in an
//! error: see [`crate::redact`].

use std::fmt;
use std::sync::Arc;

use crate::lock::LockHolder;
use crate::not_api::text;

/// A result whose error is this library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub use crate::direction::Direction;

/// What kind of failure a [`DbError`] is, so that a caller can decide
/// what to do (retry, wait, fix the SQL) without reading driver codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DbErrorKind {
    /// The connection could not be made, or was lost (PostgreSQL SQLSTATE
    /// class 08, an I/O error; SQLite: the file cannot be opened or is not
    /// a database).
    Connection,
    /// A lock was not granted in time (PostgreSQL `lock_timeout`, 55P03;
    /// SQLite: the database is busy or locked).
    LockTimeout,
    /// A statement ran past `statement_timeout` or was cancelled (57014;
    /// SQLite: interrupted).
    StatementTimeout,
    /// The statement is not valid SQL, or names something that does not
    /// exist (SQLSTATE class 42 apart from 42501).
    Syntax,
    /// A constraint refused the change (class 23).
    Constraint,
    /// The transaction lost a serialization conflict or a deadlock (40001,
    /// 40P01); running it again may succeed.
    Serialization,
    /// The role lacks a privilege the statement needs (42501).
    Permission,
    /// The blocking client was called on a thread that drives an async
    /// runtime, where it cannot block; nothing was sent.
    InsideAsyncRuntime,
    /// Anything else.
    Other,
}

impl DbErrorKind {
    /// The kind a PostgreSQL SQLSTATE code stands for.
    pub fn from_sqlstate(code: &str) -> Self {
        match code {
            "55P03" => DbErrorKind::LockTimeout,
            "57014" => DbErrorKind::StatementTimeout,
            "42501" => DbErrorKind::Permission,
            "40001" | "40P01" => DbErrorKind::Serialization,
            _ if code.starts_with("08") => DbErrorKind::Connection,
            _ if code.starts_with("42") => DbErrorKind::Syntax,
            _ if code.starts_with("23") => DbErrorKind::Constraint,
            _ => DbErrorKind::Other,
        }
    }
}

/// A failure reported by the database driver: its kind, its message, its
/// code, and the driver's own error as [`std::error::Error::source`].
///
/// ```
/// use arx_migrate_core::{DbError, DbErrorKind};
/// let error = DbError::new(DbErrorKind::LockTimeout, "canceling statement due to lock timeout")
///     .with_code("55P03");
/// assert_eq!(error.kind(), DbErrorKind::LockTimeout);
/// assert_eq!(error.to_string(), "canceling statement due to lock timeout [55P03]");
/// ```
#[derive(Debug, Clone)]
pub struct DbError {
    /// The driver's message (for PostgreSQL including detail and hint).
    pub message: String,
    /// The SQLSTATE code on PostgreSQL, the extended result code on SQLite.
    pub code: Option<String>,
    kind: DbErrorKind,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl DbError {
    /// An error of `kind` saying `message`, with no code and no source.
    pub fn new(kind: DbErrorKind, message: impl Into<String>) -> Self {
        DbError {
            message: message.into(),
            code: None,
            kind,
            source: None,
        }
    }

    /// The same error with the driver's code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// The same error with the driver's error behind it.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// The same error, its message preceded by what was being done
    /// (`cannot connect to postgresql://app@db/shop: …`).
    pub fn prefixed(mut self, doing: impl fmt::Display) -> Self {
        self.message = format!("{doing}: {}", self.message);
        self
    }

    /// The refusal of a blocking call on a thread that drives an async
    /// runtime.
    pub fn inside_async_runtime() -> Self {
        DbError::new(
            DbErrorKind::InsideAsyncRuntime,
            "the blocking client cannot be called on a thread that drives an async runtime",
        )
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> DbErrorKind {
        self.kind
    }
}

/// Two errors are equal when they say the same: kind, message and code
/// (the driver's error behind them is not compared).
impl PartialEq for DbError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.message == other.message && self.code == other.code
    }
}

impl Eq for DbError {}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} [{code}]", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Everything that can go wrong while building a revision graph, planning or
/// running migrations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two migrations declare the same revision id.
    #[error("revision {revision:?} is defined more than once; give each migration its own id")]
    DuplicateRevision {
        /// The repeated id.
        revision: String,
    },
    /// A migration names a parent that no migration defines.
    #[error("revision {revision:?} revises {parent:?}, which no migration defines; fix its down_rev or add the missing migration")]
    UnknownParent {
        /// The child revision.
        revision: String,
        /// The missing parent.
        parent: String,
    },
    /// A migration depends on a revision or branch label that does not exist.
    #[error("revision {revision:?} depends on {dependency:?}, which is neither a revision id nor a branch label; fix its depends_on or add the missing migration")]
    UnknownDependency {
        /// The dependent revision.
        revision: String,
        /// The missing revision or label.
        dependency: String,
    },
    /// A branch label that cannot be used.
    #[error("invalid branch label {label:?} on revision {revision}: {reason}")]
    InvalidBranchLabel {
        /// The label.
        label: String,
        /// The revision that declares it.
        revision: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The revisions form a cycle.
    #[error("the revisions form a cycle: {}; a revision cannot depend on itself", cycle.join(" -> "))]
    Cycle {
        /// The revisions on the cycle, in order, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// A revision id that is empty or has characters other than letters,
    /// digits, `_` and `-`, or is longer than the version table holds.
    #[error("invalid revision id {:?}: {reason}", text::abbreviate(revision, 80))]
    InvalidRevisionId {
        /// The offending id.
        revision: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A target that names no revision.
    #[error(
        "unknown revision {:?}{}",
        text::abbreviate(target, 80),
        suggest(candidates)
    )]
    UnknownRevision {
        /// What was asked for.
        target: String,
        /// The closest known ids.
        candidates: Vec<String>,
    },
    /// A `BRANCH@…` target whose branch is neither a label nor a revision.
    #[error(
        "unknown branch {branch:?}: it is neither a branch label nor a revision{}",
        suggest(candidates)
    )]
    UnknownBranch {
        /// The branch as given.
        branch: String,
        /// The closest labels and revision ids.
        candidates: Vec<String>,
    },
    /// A prefix that matches several revisions.
    #[error("revision prefix {:?} is ambiguous: it matches {}; give more characters", text::abbreviate(prefix, 80), candidates.join(", "))]
    AmbiguousRevision {
        /// What was asked for.
        prefix: String,
        /// Every revision the prefix matches.
        candidates: Vec<String>,
    },
    /// A target that cannot be understood or reached.
    #[error(
        "invalid target {:?}: {}",
        text::abbreviate(target, 80),
        text::abbreviate(reason, 400)
    )]
    InvalidTarget {
        /// The target as given.
        target: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The operation needs one head but the graph (or the database) has several.
    #[error("there are {} heads ({}) where one was needed; target \"heads\", name one (REV, or LABEL@head), or merge them", heads.len(), heads.join(", "))]
    MultipleHeads {
        /// The heads.
        heads: Vec<String>,
    },
    /// The database is at a revision that this code does not know.
    #[error("the database is at revision(s) {} that this program does not know (is it older than the code that migrated the database?); nothing was changed. Deploy the newer code, or downgrade with the code that has those revisions", unknown.join(", "))]
    UnknownDatabaseRevision {
        /// The unknown ids found in the version table.
        unknown: Vec<String>,
    },
    /// An applied migration's SQL no longer matches what was applied.
    #[error("migration {revision} was edited after it was applied: its SQL checksum is {current} but {recorded} was recorded; revert the edit and add a new revision, or accept the change with `repair`")]
    ChecksumMismatch {
        /// The edited revision.
        revision: String,
        /// The checksum stored when it was applied.
        recorded: String,
        /// The checksum of the code now.
        current: String,
    },
    /// A non-transactional migration started and never finished.
    #[error("migration {revision} ({direction}) is not transactional and was interrupted part way in an earlier run; inspect the database (on PostgreSQL look for INVALID indexes: SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid), clean up by hand, then `stamp` the revision you are at or `repair`")]
    Interrupted {
        /// The revision that did not finish.
        revision: String,
        /// What it was doing.
        direction: Direction,
    },
    /// A half-applied revision (MariaDB, MySQL) was edited: a statement an
    /// earlier run applied is not what the migration has now.
    #[error("revision {revision} ({direction}) is half-applied, and its statement {number}, applied by an earlier run, was edited since: it was `{}`, it is now `{}`. Put the statement back as it was so that the run can resume, or settle the revision with `arx-migrate repair --mark-applied {revision}` or `repair --roll-back {revision}`", text::abbreviate(&text::one_line(recorded), 200), text::abbreviate(&text::one_line(current), 200))]
    JournalMismatch {
        /// The revision.
        revision: String,
        /// What the half-applied step was doing.
        direction: Direction,
        /// The statement's number in the revision, counting from 1.
        number: u32,
        /// The statement the journal recorded as applied.
        recorded: String,
        /// The statement the migration has now.
        current: String,
    },
    /// A run would go past a half-applied revision (MariaDB, MySQL): only
    /// a run that resumes it, or `repair`, may.
    #[error("revision {revision} ({direction}) is half-applied: {summary}. Only a run that {direction}s it can resume it; run `{direction}` through {revision} again (after fixing the failing statement), or settle it with `arx-migrate repair --mark-applied {revision}` or `repair --roll-back {revision}`")]
    HalfApplied {
        /// The revision.
        revision: String,
        /// What the half-applied step was doing.
        direction: Direction,
        /// Where it stands ([`HalfApplied::summary`](crate::journal::HalfApplied::summary)).
        summary: String,
    },
    /// A half-applied revision cannot be repaired as asked; nothing was
    /// changed.
    #[error(
        "cannot repair revision {revision} ({direction}) as asked, nothing was changed: {reason}"
    )]
    HalfAppliedRepair {
        /// The revision.
        revision: String,
        /// What the half-applied step was doing.
        direction: Direction,
        /// Why, and what to do instead (the statements to undo by hand).
        reason: String,
    },
    /// A statement failed; boxed so that `Result<()>` stays small. Its
    /// [`source`](std::error::Error::source) is the database's error.
    #[error(transparent)]
    Statement(Box<StatementFailure>),
    /// A migration function returned an error of its own.
    #[error("{direction} of revision {revision} failed: {message}")]
    Migration {
        /// The failing revision.
        revision: String,
        /// Upgrade or downgrade.
        direction: Direction,
        /// The migration's message.
        message: String,
    },
    /// A sea-query statement cannot be rendered for this backend.
    #[error("{operation} cannot be rendered for {backend}: {reason}")]
    Unsupported {
        /// What was asked for.
        operation: String,
        /// The backend.
        backend: &'static str,
        /// Why.
        reason: String,
    },
    /// An alteration of a table was refused because it would lose data or
    /// break the schema (NOT NULL on a column holding NULLs, a value that
    /// does not convert, a view that uses a dropped column, …); the table
    /// was left as it was.
    #[error("{direction} of revision {revision} cannot alter table {table}: {reason}; the table was left as it was")]
    Alteration {
        /// The revision.
        revision: String,
        /// Upgrade or downgrade.
        direction: Direction,
        /// The table.
        table: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The migration needs a live database connection (a data migration) but
    /// was rendered offline.
    #[error("revision {revision} reads or writes data through the connection and cannot be rendered as an offline SQL script; run it online")]
    NeedsConnection {
        /// The revision.
        revision: String,
    },
    /// The bookkeeping (version or history table) could not be read or written.
    #[error(
        "version store {table}: {source}\n  statement: {}",
        abbreviate(statement)
    )]
    Store {
        /// The table involved.
        table: String,
        /// The statement that failed.
        statement: String,
        /// What the database said.
        source: Box<DbError>,
    },
    /// The run lock (or on SQLite the database's write lock) could not be
    /// taken within `lock_wait`.
    #[error("timed out after {} waiting for {what}: {}. Wait for it to finish, or wait longer with lock_wait{}", seconds(*waited_ms), holder_text(holder.as_deref()), terminate_hint(holder.as_deref()))]
    LockTimeout {
        /// The lock.
        what: String,
        /// How long we waited.
        waited_ms: u128,
        /// Who holds it, where the database tells.
        holder: Option<Box<LockHolder>>,
    },
    /// A configuration value that cannot be used.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The blocking `postgres` client was used on a thread that drives an
    /// async runtime.
    #[error("the blocking PostgreSQL client was called from inside an async runtime, where it cannot block; run the migration in tokio::task::spawn_blocking (see the arx_migrate docs, \"Async services\")")]
    InsideAsyncRuntime,
    /// A database driver error outside any migration.
    #[error("database error: {0}")]
    Database(#[source] DbError),
    /// No migration at all where some were expected: the crate that has
    /// them is not linked into the program.
    #[error("no migration is registered in this program: `#[migration]` modules and `sql_migrations!` folders register theirs only when the program links their crate. If they live in a library crate, write `arx_migrate::export_migrations!();` in its lib.rs and pass `my_crate::migrations()` to `Migrator::new` or `CliConfig::migrations` (or add `use my_crate as _;` to the program); see \"Migrations in a library crate\" in docs/writing-migrations.md")]
    NoMigrations,
    /// [`crate::Migrator::adopt`] cannot take the database over.
    #[error("cannot take the database over: {0}")]
    TakeOver(String),
    /// A folder of `.sql` migrations that cannot be read.
    #[error("{path}: {message}")]
    SqlFiles {
        /// The file or folder at fault.
        path: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// The runner itself failed outside any migration (a bug in
    /// arx-migrate). The open transaction was rolled back and the run lock
    /// released.
    #[error("arx-migrate failed outside any migration: {message}; the open transaction was rolled back and the lock released. Please report this as a bug")]
    Internal {
        /// What happened.
        message: String,
    },
    /// The work on one target of a fleet run (feature `fleet`) panicked:
    /// the target is recorded as failed and the other targets went on.
    #[error("the work on fleet target {target} panicked: {message}; the other targets went on. This is a bug in the program's fleet work, a migration, or arx-migrate: please report it")]
    Panicked {
        /// The target, as the fleet run names it.
        target: String,
        /// The panic's message.
        message: String,
    },
    /// A `before_run` or `before_step` hook
    /// ([`Hooks`](crate::observe::Hooks)) refused: the run stopped before
    /// the step (steps committed before it stay applied), as a failing
    /// Flyway `beforeMigrate`/`beforeEachMigrate` callback stops Flyway.
    #[error("the {hook} hook{} failed, so the run stopped there: {message}; fix the hook (or what it checks) and run again", revision.as_deref().map(|r| format!(" of revision {r}")).unwrap_or_default())]
    Hook {
        /// Which hook: `before_run` or `before_step`.
        hook: String,
        /// The step it was called for (`before_step`).
        revision: Option<String>,
        /// What the hook said.
        message: String,
    },
}

/// A failed statement: which, where, what the database said, what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementFailure {
    /// The revision whose statement failed.
    pub revision: String,
    /// Upgrade or downgrade.
    pub direction: Direction,
    /// The failing statement.
    pub statement: String,
    /// What the database said.
    pub source: DbError,
    /// Whether the step's changes were rolled back.
    pub rolled_back: bool,
    /// What to do, where the library knows.
    pub hint: Option<String>,
}

impl std::error::Error for StatementFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl fmt::Display for StatementFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of revision {} failed", self.direction, self.revision)?;
        if self.rolled_back {
            f.write_str(
                "; its transaction was rolled back and the database is at the revision before it",
            )?;
        }
        write!(
            f,
            ": {}\n  statement: {}",
            self.source,
            abbreviate(&self.statement)
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// `1.5 s`, `600 s`.
fn seconds(millis: u128) -> String {
    if millis < 10_000 {
        format!("{:.1} s", millis as f64 / 1000.0)
    } else {
        format!("{} s", millis / 1000)
    }
}

fn holder_text(holder: Option<&LockHolder>) -> String {
    match holder {
        Some(holder) => format!("it is held by {holder}"),
        None => "another process is migrating this database".to_string(),
    }
}

/// How to free the lock when its holder is stuck.
fn terminate_hint(holder: Option<&LockHolder>) -> String {
    match holder.and_then(|h| h.if_stuck.as_deref()) {
        Some(action) => format!("; if the holder is stuck (its program is gone), {action}"),
        None => String::new(),
    }
}

fn suggest(candidates: &[String]) -> String {
    if candidates.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", candidates.join(" or "))
    }
}

/// Long statements (a 200-column CREATE TABLE) are cut in error messages so
/// that the database's message stays readable; the full text is logged.
fn abbreviate(statement: &str) -> String {
    crate::not_api::text::abbreviate(statement, 400)
}

impl Error {
    /// A stable machine-readable name of the kind of error, the same that
    /// the command line prints in `--format json`: `invalid_graph`,
    /// `unknown_revision`, `ambiguous_revision`, `invalid_target`,
    /// `multiple_heads`, `unknown_database_revision`, `checksum_mismatch`,
    /// `interrupted`, `migration_failed`, `needs_connection`,
    /// `lock_timeout`, `config`, `internal` or `database`.
    ///
    /// ```
    /// use arx_migrate_core::Error;
    /// let error = Error::MultipleHeads { heads: vec!["a".into(), "b".into()] };
    /// assert_eq!(error.kind(), "multiple_heads");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Error::DuplicateRevision { .. }
            | Error::UnknownParent { .. }
            | Error::UnknownDependency { .. }
            | Error::InvalidBranchLabel { .. }
            | Error::Cycle { .. }
            | Error::InvalidRevisionId { .. } => "invalid_graph",
            Error::UnknownRevision { .. } => "unknown_revision",
            Error::UnknownBranch { .. } => "unknown_branch",
            Error::AmbiguousRevision { .. } => "ambiguous_revision",
            Error::InvalidTarget { .. } => "invalid_target",
            Error::MultipleHeads { .. } => "multiple_heads",
            Error::UnknownDatabaseRevision { .. } => "unknown_database_revision",
            Error::ChecksumMismatch { .. } => "checksum_mismatch",
            Error::Interrupted { .. } => "interrupted",
            Error::JournalMismatch { .. } => "journal_mismatch",
            Error::HalfApplied { .. } => "half_applied",
            Error::HalfAppliedRepair { .. } => "half_applied_repair",
            Error::Statement(_) | Error::Migration { .. } | Error::Alteration { .. } => {
                "migration_failed"
            }
            Error::NeedsConnection { .. } => "needs_connection",
            Error::LockTimeout { .. } => "lock_timeout",
            Error::Config(_) => "config",
            Error::Internal { .. } | Error::Panicked { .. } => "internal",
            Error::Hook { .. } => "hook_failed",
            Error::NoMigrations => "no_migrations",
            Error::TakeOver(_) => "take_over",
            Error::SqlFiles { .. } => "sql_files",
            Error::Unsupported { .. }
            | Error::Store { .. }
            | Error::InsideAsyncRuntime
            | Error::Database(_) => "database",
        }
    }

    /// The revision the error is about, where there is one: the migration
    /// that failed, was edited or was interrupted, the duplicated or
    /// invalid id, the child of an unknown parent.
    ///
    /// ```
    /// use arx_migrate_core::Error;
    /// let error = Error::NeedsConnection { revision: "007".into() };
    /// assert_eq!(error.revision(), Some("007"));
    /// ```
    pub fn revision(&self) -> Option<&str> {
        match self {
            Error::DuplicateRevision { revision }
            | Error::UnknownParent { revision, .. }
            | Error::UnknownDependency { revision, .. }
            | Error::InvalidBranchLabel { revision, .. }
            | Error::InvalidRevisionId { revision, .. }
            | Error::ChecksumMismatch { revision, .. }
            | Error::Interrupted { revision, .. }
            | Error::JournalMismatch { revision, .. }
            | Error::HalfApplied { revision, .. }
            | Error::HalfAppliedRepair { revision, .. }
            | Error::Migration { revision, .. }
            | Error::Alteration { revision, .. }
            | Error::NeedsConnection { revision } => {
                Some(revision.as_str()).filter(|r| !r.is_empty())
            }
            Error::Statement(failure) => Some(failure.revision.as_str()),
            Error::Hook { revision, .. } => revision.as_deref(),
            _ => None,
        }
    }

    /// The failed statement, when this is a statement error.
    pub fn statement_failure(&self) -> Option<&StatementFailure> {
        match self {
            Error::Statement(failure) => Some(failure),
            _ => None,
        }
    }

    /// The database's error, where one is behind this error.
    pub fn db_error(&self) -> Option<&DbError> {
        match self {
            Error::Statement(failure) => Some(&failure.source),
            Error::Store { source, .. } => Some(source),
            Error::Database(source) => Some(source),
            _ => None,
        }
    }

    /// A migration's own failure, for use with `?` on foreign errors inside
    /// `upgrade`/`downgrade` (`.map_err(Error::custom)`): the runner fills in
    /// the revision.
    pub fn custom(message: impl fmt::Display) -> Self {
        Error::Migration {
            revision: String::new(),
            direction: Direction::Upgrade,
            message: message.to_string(),
        }
    }
}
