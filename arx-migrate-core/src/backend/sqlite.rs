//! The SQLite backend, on a `rusqlite::Connection`.
//!
//! SQLite has no advisory locks: each step runs in `BEGIN IMMEDIATE`, which
//! takes the database's write lock at once (waiting up to the busy timeout),
//! and the runner re-reads the version table under it.

use std::time::Duration;

use rusqlite::types::ValueRef;

use super::{Backend, Connection, DataConnection, Row, RunSettings};
use crate::error::DbError;

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

    fn prepare_run(&mut self, settings: &RunSettings) -> Result<(), DbError> {
        // Waiting replicas queue on the write lock; give them as long as the
        // run lock would.
        self.busy_timeout(settings.lock_wait.max(Duration::from_millis(1)))
            .map_err(db_error)?;
        self.execute_batch("PRAGMA foreign_keys = ON")
            .map_err(db_error)
    }

    fn acquire_run_lock(&mut self, _key: i64, _wait: Duration) -> Result<bool, DbError> {
        Ok(true)
    }

    fn release_run_lock(&mut self, _key: i64) -> Result<(), DbError> {
        Ok(())
    }

    fn current_schema(&mut self) -> Result<String, DbError> {
        Ok("main".to_string())
    }

    fn data(&mut self) -> DataConnection<'_> {
        DataConnection::Sqlite(self)
    }
}
