//! The PostgreSQL backend, on a blocking `postgres::Client`.
//!
//! The run lock is a session advisory lock, taken by polling
//! `pg_try_advisory_lock` with back-off rather than blocking in
//! `pg_advisory_lock`: a blocked statement holds a snapshot, and a
//! `CREATE INDEX CONCURRENTLY` in the lock holder waits for every older
//! snapshot, so the two would deadlock.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use postgres::{Client, SimpleQueryMessage};

use super::{Backend, Connection, DataConnection, Row, RunSettings};
use crate::error::DbError;

/// The code given to the error raised when the blocking client is used on a
/// thread that drives an async runtime.
pub(crate) const INSIDE_ASYNC_RUNTIME: &str = "arx-async-runtime";

/// The driver's error as a [`DbError`]: the server's message with its
/// detail and hint, and its SQLSTATE code.
pub fn db_error(error: postgres::Error) -> DbError {
    match error.as_db_error() {
        Some(db) => {
            let mut message = db.message().to_string();
            if let Some(detail) = db.detail() {
                message.push_str("; ");
                message.push_str(detail);
            }
            if let Some(hint) = db.hint() {
                message.push_str("; hint: ");
                message.push_str(hint);
            }
            DbError {
                message,
                code: Some(db.code().code().to_string()),
            }
        }
        None => DbError {
            message: error.to_string(),
            code: None,
        },
    }
}

/// Runs a call on the blocking client, turning the panic it raises inside
/// an async runtime into an error.
fn guarded<T>(call: impl FnOnce() -> Result<T, postgres::Error>) -> Result<T, DbError> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(result) => result.map_err(db_error),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            if message.contains("runtime") {
                Err(DbError {
                    message,
                    code: Some(INSIDE_ASYNC_RUNTIME.to_string()),
                })
            } else {
                std::panic::resume_unwind(panic)
            }
        }
    }
}

fn millis(duration: Duration) -> u128 {
    duration.as_millis().max(1)
}

impl Connection for Client {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        guarded(|| self.batch_execute(sql))
    }

    fn query(&mut self, sql: &str) -> Result<Vec<Row>, DbError> {
        let messages = guarded(|| self.simple_query(sql))?;
        Ok(messages
            .into_iter()
            .filter_map(|message| match message {
                SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_string))
                        .collect(),
                ),
                _ => None,
            })
            .collect())
    }

    fn is_undefined_table(&self, error: &DbError) -> bool {
        // undefined_table, and invalid_schema_name for a configured schema
        // that does not exist yet.
        matches!(error.code.as_deref(), Some("42P01") | Some("3F000"))
    }

    fn prepare_run(&mut self, settings: &RunSettings) -> Result<(), DbError> {
        let mut sql = String::new();
        if let Some(timeout) = settings.lock_timeout {
            sql.push_str(&format!("SET lock_timeout = '{}ms';", millis(timeout)));
        }
        if let Some(timeout) = settings.statement_timeout {
            sql.push_str(&format!("SET statement_timeout = '{}ms';", millis(timeout)));
        }
        if sql.is_empty() {
            return Ok(());
        }
        Connection::execute(self, &sql)
    }

    fn finish_run(&mut self, settings: &RunSettings) -> Result<(), DbError> {
        let mut sql = String::new();
        if settings.lock_timeout.is_some() {
            sql.push_str("RESET lock_timeout;");
        }
        if settings.statement_timeout.is_some() {
            sql.push_str("RESET statement_timeout;");
        }
        if sql.is_empty() {
            return Ok(());
        }
        Connection::execute(self, &sql)
    }

    fn acquire_run_lock(&mut self, key: i64, wait: Duration) -> Result<bool, DbError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            let rows = Connection::query(self, &format!("SELECT pg_try_advisory_lock({key})"))?;
            let taken = rows
                .first()
                .and_then(|row| row.first().cloned().flatten())
                .is_some_and(|value| value == "t");
            if taken {
                return Ok(true);
            }
            let waited = started.elapsed();
            if waited >= wait {
                return Ok(false);
            }
            std::thread::sleep(pause.min(wait - waited));
            pause = (pause * 2).min(Duration::from_millis(250));
        }
    }

    fn run_lock_is_exclusive(&self) -> bool {
        true
    }

    fn release_run_lock(&mut self, key: i64) -> Result<(), DbError> {
        Connection::query(self, &format!("SELECT pg_advisory_unlock({key})")).map(|_| ())
    }

    fn current_schema(&mut self) -> Result<String, DbError> {
        let rows = Connection::query(self, "SELECT current_schema()")?;
        rows.first()
            .and_then(|row| row.first().cloned().flatten())
            .ok_or_else(|| DbError {
                message: "no schema is selected (search_path is empty); set search_path or configure a schema".into(),
                code: None,
            })
    }

    fn data(&mut self) -> DataConnection<'_> {
        DataConnection::Postgres(self)
    }
}
