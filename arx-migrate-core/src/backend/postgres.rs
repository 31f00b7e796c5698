//! The PostgreSQL backend, on a blocking `postgres::Client`.
//!
//! The run lock is a session advisory lock, taken by polling
//! `pg_try_advisory_lock` with back-off (in the runner) rather than
//! blocking in `pg_advisory_lock`: a blocked statement holds a snapshot,
//! and a `CREATE INDEX CONCURRENTLY` in the lock holder waits for every
//! older snapshot, so the two would deadlock. Polling also lets a waiting
//! run say who holds the lock (`pg_locks`, `pg_stat_activity`).

use std::time::Duration;

use postgres::types::{ToSql, Type};
use postgres::{Client, SimpleQueryMessage};

use super::{Backend, Connection, DataConnection, Param, PreparedRun, Row, RunSettings};
use crate::error::{DbError, DbErrorKind};
use crate::lock::LockHolder;
use crate::not_api::panic::catch_quietly;

/// The driver's error as a [`DbError`]: the server's message with its
/// detail and hint, its SQLSTATE code and the kind that code stands for,
/// and the driver's error as its source.
pub fn db_error(error: postgres::Error) -> DbError {
    let described = match error.as_db_error() {
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
            let code = db.code().code();
            DbError::new(DbErrorKind::from_sqlstate(code), message).with_code(code)
        }
        // No server error: the session could not be opened or was lost
        // (I/O, closed), or the client refused something itself.
        None => {
            let kind = if error.is_closed() || is_io(&error) {
                DbErrorKind::Connection
            } else {
                DbErrorKind::Other
            };
            DbError::new(kind, error.to_string())
        }
    };
    described.with_source(error)
}

impl From<postgres::Error> for DbError {
    /// The driver's error as a [`DbError`] (see [`db_error`]), for a
    /// program's own calls on the client:
    /// `.map_err(|e| Error::Database(e.into()))`.
    fn from(error: postgres::Error) -> Self {
        db_error(error)
    }
}

/// Parameters with their types given (text, bigint), so that the server
/// takes them as they are, in the one round trip of `query_typed`.
fn typed_params<'p>(params: &'p [Param<'_>]) -> Vec<(&'p (dyn ToSql + Sync), Type)> {
    params
        .iter()
        .map(|param| match param {
            Param::Text(value) => (value as &(dyn ToSql + Sync), Type::TEXT),
            Param::Integer(value) => (value as &(dyn ToSql + Sync), Type::INT8),
        })
        .collect()
}

/// A row of text and integer columns as text.
fn text_row(row: &postgres::Row) -> Result<Row, DbError> {
    (0..row.len())
        .map(|i| match *row.columns()[i].type_() {
            Type::INT2 => row
                .try_get::<_, Option<i16>>(i)
                .map(|v| v.map(|v| v.to_string())),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(i)
                .map(|v| v.map(|v| v.to_string())),
            Type::INT8 => row
                .try_get::<_, Option<i64>>(i)
                .map(|v| v.map(|v| v.to_string())),
            _ => row.try_get::<_, Option<String>>(i),
        })
        .collect::<Result<_, _>>()
        .map_err(db_error)
}

/// Whether the driver's error comes from the socket.
fn is_io(error: &postgres::Error) -> bool {
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        if inner.is::<std::io::Error>() {
            return true;
        }
        cause = inner.source();
    }
    false
}

/// Whether the current thread may block on the blocking client. Outside
/// any tokio runtime context (the usual case) it may. Inside one, the
/// thread is either a blocking thread (`spawn_blocking`), where the client
/// works, or one that drives async tasks, where the driver would panic
/// ("Cannot start a runtime from within a runtime"). tokio has no public
/// question for it, so it is asked the way the driver would ask: entering
/// the runtime to block on a future that is already ready, with the panic
/// that refuses it caught and kept off stderr. Nothing is sent to the
/// server either way.
pub fn may_block_here() -> bool {
    match tokio::runtime::Handle::try_current() {
        Err(_) => true,
        Ok(handle) => catch_quietly(|| handle.block_on(async {})).is_ok(),
    }
}

/// Runs a call on the blocking client, refused with
/// [`DbErrorKind::InsideAsyncRuntime`] before the driver runs where the
/// thread may not block.
fn guarded<T>(call: impl FnOnce() -> Result<T, postgres::Error>) -> Result<T, DbError> {
    if !may_block_here() {
        return Err(DbError::inside_async_runtime());
    }
    call().map_err(db_error)
}

/// Refuses, with [`crate::Error::InsideAsyncRuntime`], to go on where the
/// blocking client would panic: on a thread that drives an async runtime
/// (an `async fn`, a `#[tokio::main]` body), as opposed to a blocking
/// thread (`spawn_blocking`) or a thread outside any runtime. For code
/// that opens a client of its own (the command line, scratch databases):
/// calls through [`Connection`] are guarded already.
///
/// ```
/// // Outside a runtime, the client may block.
/// assert!(arx_migrate_core::backend::postgres::refuse_inside_async_runtime().is_ok());
/// ```
pub fn refuse_inside_async_runtime() -> crate::Result<()> {
    if may_block_here() {
        Ok(())
    } else {
        Err(crate::Error::InsideAsyncRuntime)
    }
}

/// Gives a connection the library opens TCP keepalives that notice a dead
/// peer within about a minute (30 s idle, then 3 probes 10 s apart)
/// instead of the system's two hours, where the URL did not choose its
/// own. The server end of a run's session gets the same in
/// [`Connection::prepare_run`].
///
/// ```
/// let mut config: postgres::Config = "postgresql://app@db/prod".parse().unwrap();
/// arx_migrate_core::backend::postgres::keep_alive(&mut config);
/// assert_eq!(config.get_keepalives_idle(), std::time::Duration::from_secs(30));
/// ```
pub fn keep_alive(config: &mut postgres::Config) {
    if !config.get_keepalives() {
        return; // keepalives=0 in the URL
    }
    if config.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
        config.keepalives_idle(Duration::from_secs(30));
    }
    if config.get_keepalives_interval().is_none() {
        config.keepalives_interval(Duration::from_secs(10));
    }
    if config.get_keepalives_retries().is_none() {
        config.keepalives_retries(3);
    }
}

/// Whether a timeout may cancel the run's statements.
const SESSION_FACTS: &str =
    "SELECT current_setting('lock_timeout') <> '0' OR current_setting('statement_timeout') <> '0'";

/// If this process dies in the middle of a statement (killed, or its host
/// gone), its server process would go on waiting for that statement's
/// locks while holding the run's advisory lock, and every later run would
/// wait for it. The server notices a client that has gone by checking the
/// socket while a statement runs (`client_connection_check_interval`,
/// PostgreSQL 14) and by TCP keepalives (for a host that vanished). Each is
/// set only where the session's own setting is off or slower (the
/// keepalive settings read as plain seconds and counts, 0 on a Unix
/// socket, where they do not apply); they are left on after the run, since
/// they only ever end a session whose client is gone.
const KILLED_CLIENT_SETTINGS: &str = "\
    CASE WHEN current_setting('client_connection_check_interval', true) = '0' \
         THEN set_config('client_connection_check_interval', '1000', false) END, \
    CASE WHEN current_setting('tcp_keepalives_idle')::int > 30 \
         THEN set_config('tcp_keepalives_idle', '30', false) END, \
    CASE WHEN current_setting('tcp_keepalives_interval')::int > 10 \
         THEN set_config('tcp_keepalives_interval', '10', false) END, \
    CASE WHEN current_setting('tcp_keepalives_count')::int > 3 \
         THEN set_config('tcp_keepalives_count', '3', false) END";

/// Bounds the lock queries themselves (for this statement only: a
/// setting local to the implicit transaction of one round trip).
const LOCK_QUERY_TIMEOUT: &str = "SELECT set_config('statement_timeout', '5000', true);";

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

    fn execute_with(&mut self, sql: &str, params: &[Param<'_>]) -> Result<(), DbError> {
        let typed = typed_params(params);
        guarded(|| self.query_typed(sql, &typed)).map(|_| ())
    }

    fn query_with(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, DbError> {
        let typed = typed_params(params);
        let rows = guarded(|| self.query_typed(sql, &typed))?;
        rows.iter().map(text_row).collect()
    }

    fn is_undefined_table(&self, error: &DbError) -> bool {
        // undefined_table, and invalid_schema_name for a configured schema
        // that does not exist yet.
        matches!(error.code.as_deref(), Some("42P01") | Some("3F000"))
    }

    fn prepare_run(&mut self, settings: &RunSettings) -> Result<PreparedRun, DbError> {
        let mut sets = String::new();
        if let Some(timeout) = settings.lock_timeout {
            sets.push_str(&format!("SET lock_timeout = '{}ms';", millis(timeout)));
        }
        if let Some(timeout) = settings.statement_timeout {
            sets.push_str(&format!("SET statement_timeout = '{}ms';", millis(timeout)));
        }
        // One round trip: the run's timeouts, whether any timeout applies,
        // and what lets the server end this session's work promptly should
        // this process die (see `KILLED_CLIENT_SETTINGS`). A server whose
        // platform lacks the connection check refuses it: then without.
        let rows = match Connection::query(
            self,
            &format!("{sets}{SESSION_FACTS}, {KILLED_CLIENT_SETTINGS}"),
        ) {
            Ok(rows) => rows,
            Err(error) => {
                tracing::debug!(%error, "the server refuses a client connection check; going on without");
                Connection::query(self, &format!("{sets}{SESSION_FACTS}"))?
            }
        };
        let statements_can_time_out = rows
            .last()
            .and_then(|row| row.first().cloned().flatten())
            .is_some_and(|value| value == "t");
        Ok(PreparedRun {
            statements_can_time_out,
        })
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

    fn try_run_lock(&mut self, key: i64) -> Result<bool, DbError> {
        let rows = Connection::query(
            self,
            &format!("{LOCK_QUERY_TIMEOUT}SELECT pg_try_advisory_lock({key})"),
        )?;
        Ok(rows
            .last()
            .and_then(|row| row.first().cloned().flatten())
            .is_some_and(|value| value == "t"))
    }

    fn run_lock_holder(&mut self, key: i64) -> Result<Option<LockHolder>, DbError> {
        // pg_locks shows a bigint advisory key as its two halves.
        let bits = key as u64;
        let (high, low) = (bits >> 32, bits & 0xffff_ffff);
        let sql = format!(
            "{LOCK_QUERY_TIMEOUT}SELECT a.pid, a.application_name, a.usename, host(a.client_addr), \
             to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), \
             a.state, extract(epoch FROM clock_timestamp() - a.state_change)::bigint, \
             a.wait_event_type || '/' || a.wait_event, a.query \
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
             AND l.classid = '{high}'::oid AND l.objid = '{low}'::oid \
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             LIMIT 1"
        );
        let rows = Connection::query(self, &sql)?;
        // The first row is the one of set_config.
        let Some(row) = rows.into_iter().nth(1) else {
            return Ok(None);
        };
        let mut values = row.into_iter();
        let mut next = || values.next().flatten();
        let pid: i64 = next().and_then(|pid| pid.parse().ok()).unwrap_or_default();
        Ok(Some(LockHolder {
            pid,
            this_process: false,
            program: next(),
            user: next(),
            client: next(),
            connected_at: next(),
            state: next(),
            state_for: next()
                .and_then(|secs| secs.parse::<u64>().ok())
                .map(Duration::from_secs),
            waiting_on: next(),
            statement: next().and_then(|q| LockHolder::statement_text(&q)),
            if_stuck: Some(format!(
                "end its session with SELECT pg_terminate_backend({pid})"
            )),
        }))
    }

    fn run_lock_is_exclusive(&self) -> bool {
        true
    }

    fn release_run_lock(&mut self, key: i64) -> Result<(), DbError> {
        Connection::query(self, &format!("SELECT pg_advisory_unlock({key})")).map(|_| ())
    }

    fn database_size(&mut self) -> Result<Option<i64>, DbError> {
        let rows = Connection::query(self, "SELECT pg_database_size(current_database())")?;
        Ok(first_integer(&rows))
    }

    fn relation_size(&mut self, schema: Option<&str>, table: &str) -> Result<Option<i64>, DbError> {
        // to_regclass is NULL for a table that does not exist (yet, or
        // any more): that is size 0, not an error. The name goes in
        // quoted, so that no spelling of it makes to_regclass raise.
        use crate::not_api::text::quote_ident;
        let name = match schema {
            Some(schema) => format!("{}.{}", quote_ident(schema), quote_ident(table)),
            None => quote_ident(table),
        };
        let rows = self.query_with(
            "SELECT coalesce(pg_total_relation_size(to_regclass($1)), 0)",
            &[Param::Text(Some(&name))],
        )?;
        Ok(first_integer(&rows))
    }

    fn current_schema(&mut self) -> Result<String, DbError> {
        let rows = Connection::query(self, "SELECT current_schema()")?;
        rows.first()
            .and_then(|row| row.first().cloned().flatten())
            .ok_or_else(|| {
                DbError::new(
                    DbErrorKind::Other,
                    "no schema is selected (search_path is empty); set search_path or configure a schema",
                )
            })
    }

    fn data(&mut self) -> DataConnection<'_> {
        DataConnection::Postgres(self)
    }
}

/// The first column of the first row, as an integer.
fn first_integer(rows: &[Row]) -> Option<i64> {
    rows.first()
        .and_then(|row| row.first().cloned().flatten())
        .and_then(|value| value.parse().ok())
}
