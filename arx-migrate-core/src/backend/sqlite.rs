//! The SQLite backend, on a `rusqlite::Connection`.
//!
//! SQLite has no advisory locks: each step runs in `BEGIN IMMEDIATE`, which
//! takes the database's write lock at once, and the runner re-reads the
//! version table under it. The runner waits for the write lock up to
//! `lock_wait`, in short attempts, so that it can say while it waits which
//! process holds it.

use std::time::Duration;

use rusqlite::types::ValueRef;

use super::{Backend, Connection, DataConnection, Param, PreparedRun, Row, RunSettings};
use crate::error::{DbError, DbErrorKind};
use crate::lock::LockHolder;

/// How long one attempt at the write lock waits inside SQLite.
const WRITE_LOCK_MOMENT: Duration = Duration::from_millis(100);

/// The driver's error as a [`DbError`]: its message, SQLite's extended
/// code and the kind the primary code stands for, and the driver's error
/// as its source.
pub fn db_error(error: rusqlite::Error) -> DbError {
    use rusqlite::ErrorCode;
    let described = match &error {
        rusqlite::Error::SqliteFailure(failure, _) => {
            let kind = match failure.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => DbErrorKind::LockTimeout,
                ErrorCode::OperationInterrupted => DbErrorKind::StatementTimeout,
                ErrorCode::ConstraintViolation => DbErrorKind::Constraint,
                ErrorCode::PermissionDenied
                | ErrorCode::ReadOnly
                | ErrorCode::AuthorizationForStatementDenied => DbErrorKind::Permission,
                ErrorCode::CannotOpen | ErrorCode::NotADatabase | ErrorCode::SystemIoFailure => {
                    DbErrorKind::Connection
                }
                // SQLITE_ERROR is what a statement that does not parse,
                // or names a missing table or column, fails with.
                ErrorCode::Unknown if failure.extended_code == 1 => DbErrorKind::Syntax,
                _ => DbErrorKind::Other,
            };
            DbError::new(kind, error.to_string()).with_code(failure.extended_code.to_string())
        }
        rusqlite::Error::SqlInputError { .. } => {
            DbError::new(DbErrorKind::Syntax, error.to_string())
        }
        _ => DbError::new(DbErrorKind::Other, error.to_string()),
    };
    described.with_source(error)
}

/// A row's values as text.
fn text_row(row: &rusqlite::Row<'_>, columns: usize) -> Result<Row, DbError> {
    let mut values = Vec::with_capacity(columns);
    for i in 0..columns {
        let value = match row.get_ref(i).map_err(db_error)? {
            ValueRef::Null => None,
            ValueRef::Integer(v) => Some(v.to_string()),
            ValueRef::Real(v) => Some(v.to_string()),
            ValueRef::Text(v) | ValueRef::Blob(v) => Some(String::from_utf8_lossy(v).into_owned()),
        };
        values.push(value);
    }
    Ok(values)
}

/// `sql` prepared with `params` bound to its `$1`, `$2`, … (SQLite names
/// them so; each is looked up by name rather than assumed in order).
fn bound<'c>(
    connection: &'c rusqlite::Connection,
    sql: &str,
    params: &[Param<'_>],
) -> Result<rusqlite::Statement<'c>, DbError> {
    let mut statement = connection.prepare(sql).map_err(db_error)?;
    for (i, param) in params.iter().enumerate() {
        let name = format!("${}", i + 1);
        let Some(index) = statement.parameter_index(&name).map_err(db_error)? else {
            continue;
        };
        let outcome = match param {
            Param::Text(value) => statement.raw_bind_parameter(index, value),
            Param::Integer(value) => statement.raw_bind_parameter(index, value),
        };
        outcome.map_err(db_error)?;
    }
    Ok(statement)
}

impl From<rusqlite::Error> for DbError {
    /// The driver's error as a [`DbError`] (see [`db_error`]).
    fn from(error: rusqlite::Error) -> Self {
        db_error(error)
    }
}

impl Connection for rusqlite::Connection {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        self.execute_batch(sql).map_err(db_error)
    }

    fn query(&mut self, sql: &str) -> Result<Vec<Row>, DbError> {
        let mut statement = self.prepare(sql).map_err(db_error)?;
        let columns = statement.column_count();
        let mut rows = statement.query([]).map_err(db_error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(db_error)? {
            out.push(text_row(row, columns)?);
        }
        Ok(out)
    }

    fn execute_with(&mut self, sql: &str, params: &[Param<'_>]) -> Result<(), DbError> {
        let mut statement = bound(self, sql, params)?;
        statement.raw_execute().map(|_| ()).map_err(db_error)
    }

    fn query_with(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, DbError> {
        let mut statement = bound(self, sql, params)?;
        let columns = statement.column_count();
        let mut rows = statement.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(db_error)? {
            out.push(text_row(row, columns)?);
        }
        Ok(out)
    }

    fn is_undefined_table(&self, error: &DbError) -> bool {
        error.message.contains("no such table")
    }

    fn begin_statement(&self) -> &'static str {
        "BEGIN IMMEDIATE"
    }

    fn prepare_run(&mut self, settings: &RunSettings) -> Result<PreparedRun, DbError> {
        // Statements of a transaction that holds the write lock wait for
        // readers at most as long as a run waits for another run.
        self.busy_timeout(settings.lock_wait.max(Duration::from_millis(1)))
            .map_err(db_error)?;
        self.execute_batch("PRAGMA foreign_keys = ON")
            .map_err(db_error)?;
        Ok(PreparedRun::default())
    }

    fn try_run_lock(&mut self, _key: i64) -> Result<bool, DbError> {
        Ok(true)
    }

    fn release_run_lock(&mut self, _key: i64) -> Result<(), DbError> {
        Ok(())
    }

    fn try_begin_write(&mut self, settings: &RunSettings) -> Result<bool, DbError> {
        // SQLite waits for the write lock inside the driver (the busy
        // timeout), silently: wait a moment there, then hand back to the
        // runner, which reports and retries until lock_wait.
        let moment = settings.lock_wait.min(WRITE_LOCK_MOMENT);
        self.busy_timeout(moment.max(Duration::from_millis(1)))
            .map_err(db_error)?;
        let begun = self.execute_batch("BEGIN IMMEDIATE");
        self.busy_timeout(settings.lock_wait.max(Duration::from_millis(1)))
            .map_err(db_error)?;
        match begun {
            Ok(()) => Ok(true),
            Err(rusqlite::Error::SqliteFailure(failure, _))
                if failure.code == rusqlite::ErrorCode::DatabaseBusy =>
            {
                Ok(false)
            }
            Err(error) => Err(db_error(error)),
        }
    }

    fn write_lock_holder(&mut self) -> Result<Option<LockHolder>, DbError> {
        let Some(path) = self.path().filter(|p| !p.is_empty()) else {
            return Ok(None); // in memory: no other connection can write
        };
        Ok(super::file_locks::sqlite_writer(std::path::Path::new(path)))
    }

    fn current_schema(&mut self) -> Result<String, DbError> {
        Ok("main".to_string())
    }

    fn database_size(&mut self) -> Result<Option<i64>, DbError> {
        let rows = Connection::query(
            self,
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
        )?;
        Ok(first_integer(&rows))
    }

    fn relation_size(&mut self, schema: Option<&str>, table: &str) -> Result<Option<i64>, DbError> {
        // The dbstat virtual table is compiled into the bundled SQLite
        // (SQLITE_ENABLE_DBSTAT_VTAB); a system SQLite without it cannot
        // tell, which is `None`, not an error. Indexes (autoindexes
        // included) carry their table's name in `tbl_name`.
        let schema = schema.unwrap_or("main");
        let sql = format!(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat($1) \
             WHERE name IN (SELECT name FROM {}.sqlite_schema WHERE tbl_name = $2 COLLATE NOCASE)",
            crate::not_api::text::quote_ident(schema)
        );
        match self.query_with(&sql, &[Param::Text(Some(schema)), Param::Text(Some(table))]) {
            Ok(rows) => Ok(first_integer(&rows)),
            Err(error) if error.message.contains("no such table: dbstat") => Ok(None),
            Err(error) => Err(error),
        }
    }

    fn data(&mut self) -> DataConnection<'_> {
        DataConnection::Sqlite(self)
    }
}

/// The first column of the first row, as an integer.
fn first_integer(rows: &[Row]) -> Option<i64> {
    rows.first()
        .and_then(|row| row.first().cloned().flatten())
        .and_then(|value| value.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn driver_errors_carry_their_kind_and_the_drivers_error_as_source() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        Connection::execute(&mut conn, "CREATE TABLE t (id INTEGER PRIMARY KEY)").unwrap();
        let duplicate = Connection::execute(
            &mut conn,
            "INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)",
        )
        .unwrap_err();
        assert_eq!(duplicate.kind(), DbErrorKind::Constraint);
        assert!(duplicate
            .source()
            .and_then(|source| source.downcast_ref::<rusqlite::Error>())
            .is_some());
        let syntax = Connection::query(&mut conn, "SELEC 1").unwrap_err();
        assert_eq!(syntax.kind(), DbErrorKind::Syntax, "{syntax}");
        let missing = Connection::query(&mut conn, "SELECT * FROM no_such_table").unwrap_err();
        assert_eq!(missing.kind(), DbErrorKind::Syntax, "{missing}");
    }

    #[test]
    fn a_busy_database_is_a_lock_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("busy.db");
        let mut holder = rusqlite::Connection::open(&path).unwrap();
        holder
            .execute_batch("CREATE TABLE t (id INTEGER); BEGIN IMMEDIATE")
            .unwrap();
        let mut waiter = rusqlite::Connection::open(&path).unwrap();
        waiter.busy_timeout(Duration::from_millis(1)).unwrap();
        let busy = Connection::execute(&mut waiter, "BEGIN IMMEDIATE").unwrap_err();
        assert_eq!(busy.kind(), DbErrorKind::LockTimeout, "{busy}");
        Connection::execute(&mut holder, "ROLLBACK").unwrap();
    }
}
