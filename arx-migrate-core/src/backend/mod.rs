//! The boundary between the runner and a database driver.
//!
//! The runner speaks to a [`Connection`]; each driver (rusqlite, postgres)
//! implements it once. Statements and rows travel as text, so the runner
//! and the version store are the same code for every backend.

use std::time::Duration;

use crate::error::DbError;
use crate::lock::LockHolder;

#[cfg(feature = "sqlite")]
mod file_locks;
#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

/// The SQL dialect of a connection.
///
/// Deliberately exhaustive: a migration that matches on
/// [`Ops::backend`](crate::Ops::backend) should stop compiling when a
/// backend is added, since its SQL has to be written for that backend too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite, through rusqlite.
    Sqlite,
    /// PostgreSQL, through the `postgres` crate.
    Postgres,
    /// MariaDB (10.11 tested) and MySQL (8, where the two agree), through
    /// the `mysql` crate.
    Mysql,
}

impl Backend {
    /// A short lowercase name (`sqlite`, `postgres`, `mysql`).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Backend {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "sqlite" | "sqlite3" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" | "pg" => Ok(Backend::Postgres),
            "mysql" | "mariadb" => Ok(Backend::Mysql),
            other => Err(crate::Error::Config(format!(
                "unknown backend {other:?}; use sqlite, postgres or mysql"
            ))),
        }
    }
}

/// A row of text values (`None` is SQL NULL).
pub type Row = Vec<Option<String>>;

/// A value bound to a statement's placeholder: `$1` is the first of the
/// slice, `$2` the second, on both backends. The bookkeeping writes every
/// value it stores this way, never spliced into the SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param<'a> {
    /// Text, or SQL `NULL`.
    Text(Option<&'a str>),
    /// A 64-bit integer, or SQL `NULL`.
    Integer(Option<i64>),
}

impl Param<'_> {
    /// The value as an SQL literal (`'it''s'`, `42`, `NULL`).
    pub fn literal(&self) -> String {
        match self {
            Param::Text(Some(text)) => quote_literal(text),
            Param::Integer(Some(value)) => value.to_string(),
            Param::Text(None) | Param::Integer(None) => "NULL".to_string(),
        }
    }
}

/// `sql` with each `$n` placeholder replaced by `params[n - 1]` as a
/// literal: how a connection without parameter binding of its own runs
/// [`Connection::execute_with`]. Placeholders are replaced from the
/// highest number down, so that `$1` never eats the start of `$10`.
pub fn inline_params(sql: &str, params: &[Param<'_>]) -> String {
    let mut out = sql.to_string();
    for (i, param) in params.iter().enumerate().rev() {
        out = out.replace(&format!("${}", i + 1), &param.literal());
    }
    out
}

/// Session settings for one run, applied by [`Connection::prepare_run`].
#[derive(Debug, Clone, Default)]
pub struct RunSettings {
    /// How long to wait for another run: for PostgreSQL's migration lock,
    /// and on SQLite for the database's write lock (its busy timeout).
    pub lock_wait: Duration,
    /// PostgreSQL `lock_timeout` for the statements of the run.
    pub lock_timeout: Option<Duration>,
    /// PostgreSQL `statement_timeout` for the statements of the run.
    pub statement_timeout: Option<Duration>,
}

/// What [`Connection::prepare_run`] found out about the session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PreparedRun {
    /// Whether a timeout may cancel a statement of the run (PostgreSQL:
    /// `lock_timeout` or `statement_timeout` is set, by the run or by the
    /// server's, database's or role's defaults). The runner then sends a
    /// migration's statements one at a time, so that the one that timed
    /// out is named without running it, and waiting, a second time.
    pub statements_can_time_out: bool,
}

/// What a data migration gets from [`crate::Ops::connection`]: the driver's
/// own connection, inside the migration's transaction.
#[non_exhaustive]
pub enum DataConnection<'a> {
    /// A rusqlite connection.
    #[cfg(feature = "sqlite")]
    Sqlite(&'a rusqlite::Connection),
    /// A postgres client. Do not start or end transactions on it.
    #[cfg(feature = "postgres")]
    Postgres(&'a mut ::postgres::Client),
    /// A MariaDB or MySQL connection. Do not start or end transactions on
    /// it; note that DDL commits implicitly there.
    #[cfg(feature = "mysql")]
    Mysql(&'a mut ::mysql::Conn),
    #[doc(hidden)]
    _Lifetime(std::marker::PhantomData<&'a ()>),
}

/// A database connection as the runner sees it. Implemented for
/// `rusqlite::Connection` and `postgres::Client` (and the transactions and
/// fixtures built on them). [`Backend`] is a closed set: the SQL the
/// library renders, introspects and lints is written for these two.
pub trait Connection {
    /// The SQL dialect.
    fn backend(&self) -> Backend;

    /// Runs one or more statements that return no rows.
    fn execute(&mut self, sql: &str) -> Result<(), DbError>;

    /// Runs a query and returns its rows as text.
    fn query(&mut self, sql: &str) -> Result<Vec<Row>, DbError>;

    /// Runs one statement that returns no rows, with `params` bound to
    /// its `$1`, `$2`, … placeholders. The built-in connections bind them
    /// through the driver; the default splices them in as literals
    /// ([`inline_params`]), for connections written elsewhere.
    fn execute_with(&mut self, sql: &str, params: &[Param<'_>]) -> Result<(), DbError> {
        self.execute(&inline_params(sql, params))
    }

    /// Runs one query with `params` bound (see
    /// [`Connection::execute_with`]); its columns must be text or
    /// integers.
    fn query_with(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, DbError> {
        self.query(&inline_params(sql, params))
    }

    /// Whether `error` says that a table does not exist.
    fn is_undefined_table(&self, error: &DbError) -> bool;

    /// The statement that opens a transaction which writes (SQLite:
    /// `BEGIN IMMEDIATE`, taking the write lock at once).
    fn begin_statement(&self) -> &'static str {
        "BEGIN"
    }

    /// Applies the run's session settings; called once per run, outside any
    /// transaction, before the lock is taken.
    fn prepare_run(&mut self, settings: &RunSettings) -> Result<PreparedRun, DbError>;

    /// Undoes [`Connection::prepare_run`] where it changed session state the
    /// caller may rely on.
    fn finish_run(&mut self, settings: &RunSettings) -> Result<(), DbError> {
        let _ = settings;
        Ok(())
    }

    /// Tries once, without waiting, to take the run's exclusive lock on
    /// this migration set; `Ok(false)` when another session holds it. The
    /// runner retries, reports who holds it, and gives up after
    /// `lock_wait`. Backends whose transactions lock the database (SQLite)
    /// take none and return `Ok(true)`.
    fn try_run_lock(&mut self, key: i64) -> Result<bool, DbError>;

    /// Who holds the run lock `key`, where the database can tell.
    fn run_lock_holder(&mut self, key: i64) -> Result<Option<LockHolder>, DbError> {
        let _ = key;
        Ok(None)
    }

    /// Whether [`Connection::try_run_lock`] keeps every other runner
    /// out for the whole run, so that the state read under it stays true
    /// between steps. SQLite's is not (it locks per transaction), so the
    /// runner re-reads the version under each step's write lock.
    fn run_lock_is_exclusive(&self) -> bool {
        false
    }

    /// Releases the lock of [`Connection::try_run_lock`].
    fn release_run_lock(&mut self, key: i64) -> Result<(), DbError>;

    /// Tries once, waiting a moment at most, to open a transaction that
    /// writes ([`Connection::begin_statement`]); `Ok(false)` when another
    /// connection's write lock keeps it out (SQLite's `SQLITE_BUSY`). The
    /// runner retries until `settings.lock_wait` has passed, reporting who
    /// holds the lock.
    fn try_begin_write(&mut self, settings: &RunSettings) -> Result<bool, DbError> {
        let _ = settings;
        let begin = self.begin_statement();
        self.execute(begin).map(|()| true)
    }

    /// Who holds the database's write lock, where the database can tell
    /// (SQLite on Linux: the process, from `/proc/locks`).
    fn write_lock_holder(&mut self) -> Result<Option<LockHolder>, DbError> {
        Ok(None)
    }

    /// The size of the whole database in bytes, for the history table's
    /// size columns; `Ok(None)` where the backend cannot tell. Read only
    /// when a step runs, never on the no-op startup path.
    fn database_size(&mut self) -> Result<Option<i64>, DbError> {
        Ok(None)
    }

    /// The size in bytes of `table` with its indexes (and, on PostgreSQL,
    /// its TOAST data); `Ok(Some(0))` when the table does not exist,
    /// `Ok(None)` where the backend cannot tell. Names are unquoted;
    /// `schema` `None` is the one unqualified names resolve to.
    fn relation_size(&mut self, schema: Option<&str>, table: &str) -> Result<Option<i64>, DbError> {
        let _ = (schema, table);
        Ok(None)
    }

    /// The schema that unqualified names resolve to (`main` on SQLite).
    fn current_schema(&mut self) -> Result<String, DbError>;

    /// The driver connection, for data migrations.
    fn data(&mut self) -> DataConnection<'_>;
}

pub(crate) use crate::not_api::text::quote_literal;

/// Opens a transaction again where a statement's implicit commit ended the
/// one the runner opened (MySQL commits every DDL statement), so that what
/// follows (a step's version and history rows) is written as one. On the
/// other backends, and on MySQL while the transaction is still open (a
/// step of data changes only), nothing happens.
pub(crate) fn reopen_after_implicit_commit(connection: &mut dyn Connection) -> Result<(), DbError> {
    match connection.backend() {
        Backend::Sqlite | Backend::Postgres => Ok(()),
        Backend::Mysql => {
            // MariaDB says whether a transaction is open; MySQL 8 does not
            // (ER_UNKNOWN_SYSTEM_VARIABLE, 1193): there a new transaction
            // is opened, which commits the step's data changes first.
            let open = match connection.query("SELECT @@in_transaction") {
                Ok(rows) => rows
                    .first()
                    .and_then(|row| row.first().cloned().flatten())
                    .is_some_and(|value| value == "1"),
                Err(error) if error.code.as_deref() == Some("1193") => false,
                Err(error) => return Err(error),
            };
            if open {
                Ok(())
            } else {
                let begin = connection.begin_statement();
                connection.execute(begin)
            }
        }
    }
}
