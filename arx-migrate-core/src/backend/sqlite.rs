//! The SQLite backend, on a `rusqlite::Connection`.
//!
//! SQLite has no advisory locks: each step runs in `BEGIN IMMEDIATE`, which
//! takes the database's write lock at once, and the runner re-reads the
//! version table under it. The runner waits for the write lock up to
//! `lock_wait`, in short attempts, so that it can say while it waits which
//! process holds it.

use std::time::Duration;

use rusqlite::types::ValueRef;

use super::{Backend, Connection, DataConnection, PreparedRun, Row, RunSettings};
use crate::error::DbError;
use crate::lock::LockHolder;

/// How long one attempt at the write lock waits inside SQLite.
const WRITE_LOCK_MOMENT: Duration = Duration::from_millis(100);

/// The driver's error as a [`DbError`], with SQLite's extended code.
pub fn db_error(error: rusqlite::Error) -> DbError {
    let code = match &error {
        rusqlite::Error::SqliteFailure(failure, _) => Some(failure.extended_code.to_string()),
        _ => None,
    };
    DbError {
        message: error.to_string(),
        code,
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
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                let value = match row.get_ref(i).map_err(db_error)? {
                    ValueRef::Null => None,
                    ValueRef::Integer(v) => Some(v.to_string()),
                    ValueRef::Real(v) => Some(v.to_string()),
                    ValueRef::Text(v) | ValueRef::Blob(v) => {
                        Some(String::from_utf8_lossy(v).into_owned())
                    }
                };
                values.push(value);
            }
            out.push(values);
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

    fn data(&mut self) -> DataConnection<'_> {
        DataConnection::Sqlite(self)
    }
}
