//! The MariaDB and MySQL backend, on a blocking `mysql::Conn` (or a
//! `mysql::PooledConn`).
//!
//! Rows travel as text, as on the other backends. Bound values go through
//! the binary protocol: the store's `$1`, `$2`, … placeholders become `?`
//! ([`question_marks`]).
//!
//! The run lock is a named user lock, `GET_LOCK(name, 0)`, polled with
//! back-off by the runner until `lock_wait` runs out; only the result `1`
//! counts as taken (`0` is "someone else holds it", `NULL` an error). The
//! lock belongs to the connection: a run that is killed loses it with its
//! connection, and nothing has to be released by hand. The name
//! ([`lock_name`]) is derived from the run-lock key, which hashes the
//! database (MySQL's schema) and the version table: user locks are
//! server-wide, so two databases on one server never share one.
//!
//! DDL commits implicitly on MySQL and MariaDB: a revision is not atomic
//! there (see the docs' "MariaDB and MySQL" chapter). The session settings
//! of a run are in [`Connection::prepare_run`].

use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, PooledConn, Value};

use super::{Backend, Connection, DataConnection, Param, PreparedRun, Row, RunSettings};
use crate::error::{DbError, DbErrorKind};
use crate::lock::LockHolder;

/// MySQL's `ER_NO_SUCH_TABLE`: a table that does not exist.
const ER_NO_SUCH_TABLE: u16 = 1146;
/// MySQL's `ER_BAD_DB_ERROR`: a database (schema) that does not exist.
const ER_BAD_DB_ERROR: u16 = 1049;

/// The driver's error as a [`DbError`]: the server's message, its error
/// number as the code (`1146`), the kind that number stands for, and the
/// driver's error as its source.
pub fn db_error(error: mysql::Error) -> DbError {
    let described = match &error {
        mysql::Error::MySqlError(server) => {
            DbError::new(kind_of(server.code, &server.state), server.message.clone())
                .with_code(server.code.to_string())
        }
        mysql::Error::IoError(_) | mysql::Error::CodecError(_) | mysql::Error::DriverError(_) => {
            DbError::new(DbErrorKind::Connection, error.to_string())
        }
        // The URL's own text may carry a password: the error's does not.
        mysql::Error::UrlError(_) => DbError::new(DbErrorKind::Connection, error.to_string()),
        _ => DbError::new(DbErrorKind::Other, error.to_string()),
    };
    described.with_source(error)
}

/// The kind a MySQL error number (or, failing that, its SQLSTATE) stands
/// for.
fn kind_of(code: u16, sqlstate: &str) -> DbErrorKind {
    match code {
        // ER_LOCK_WAIT_TIMEOUT: a row lock (innodb_lock_wait_timeout) or a
        // metadata lock (lock_wait_timeout) was not granted in time.
        1205 => DbErrorKind::LockTimeout,
        // ER_STATEMENT_TIMEOUT (MariaDB max_statement_time), ER_QUERY_TIMEOUT
        // (MySQL max_execution_time), ER_QUERY_INTERRUPTED (KILL QUERY).
        1969 | 3024 | 1317 => DbErrorKind::StatementTimeout,
        // ER_LOCK_DEADLOCK.
        1213 => DbErrorKind::Serialization,
        // Access denied: to a database, a table, a column, or a privilege
        // such as SUPER.
        1044 | 1045 | 1142 | 1143 | 1227 | 1370 => DbErrorKind::Permission,
        // ER_DUP_ENTRY, foreign keys, NOT NULL, CHECK (MySQL 3819, MariaDB
        // 4025).
        1062 | 1451 | 1452 | 1048 | 1216 | 1217 | 3819 | 4025 => DbErrorKind::Constraint,
        _ => DbErrorKind::from_sqlstate(sqlstate),
    }
}

impl From<mysql::Error> for DbError {
    /// The driver's error as a [`DbError`] (see [`db_error`]), for a
    /// program's own calls on the connection:
    /// `.map_err(|e| Error::Database(e.into()))`.
    fn from(error: mysql::Error) -> Self {
        db_error(error)
    }
}

/// `sql` with its `$1`, `$2`, … placeholders replaced by MySQL's `?`, and
/// the values in the order the `?` appear (a placeholder used twice binds
/// its value twice). Text in quotes (`'…'`, `"…"`, `` `…` ``) and
/// comments is left alone.
///
/// ```
/// use arx_migrate_core::backend::{mysql::question_marks, Param};
/// let (sql, order) = question_marks("UPDATE t SET a = $2, b = '$1' WHERE id = $1", 2);
/// assert_eq!(sql, "UPDATE t SET a = ?, b = '$1' WHERE id = ?");
/// assert_eq!(order, [1, 0]);
/// ```
pub fn question_marks(sql: &str, params: usize) -> (String, Vec<usize>) {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut order = Vec::new();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'\\' && quote != b'`' {
                        i += 2;
                        continue;
                    }
                    if bytes[i] == quote {
                        // A doubled quote stays inside the text.
                        if bytes.get(i + 1) == Some(&quote) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'$' => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let number = sql[i + 1..i + 1 + digits].parse::<usize>().ok();
                match number {
                    Some(n) if n >= 1 && n <= params => {
                        out.push_str(&sql[copied..i]);
                        out.push('?');
                        order.push(n - 1);
                        i += 1 + digits;
                        copied = i;
                    }
                    _ => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[copied.min(sql.len())..]);
    (out, order)
}

/// The driver's values for `params`, in the order of [`question_marks`].
fn bound_values(params: &[Param<'_>], order: &[usize]) -> Vec<Value> {
    order
        .iter()
        .map(|&index| match params[index] {
            Param::Text(Some(text)) => Value::Bytes(text.as_bytes().to_vec()),
            Param::Integer(Some(value)) => Value::Int(value),
            Param::Text(None) | Param::Integer(None) => Value::NULL,
        })
        .collect()
}

/// A value as text, the way the text protocol would send it.
fn text_value(value: Value) -> Option<String> {
    match value {
        Value::NULL => None,
        Value::Bytes(bytes) => Some(match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
        }),
        Value::Int(value) => Some(value.to_string()),
        Value::UInt(value) => Some(value.to_string()),
        Value::Float(value) => Some(value.to_string()),
        Value::Double(value) => Some(value.to_string()),
        Value::Date(year, month, day, hour, minute, second, micros) => Some(format!(
            "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}.{micros:06}"
        )),
        Value::Time(negative, days, hours, minutes, seconds, micros) => Some(format!(
            "{}{:02}:{minutes:02}:{seconds:02}.{micros:06}",
            if negative { "-" } else { "" },
            u64::from(days) * 24 + u64::from(hours)
        )),
    }
}

/// Reads every row of every result set, returning the first error. The
/// driver's own `query_drop` and `exec_drop` discard what they drop,
/// errors included: a statement that fails after its columns were sent (a
/// `SELECT` ended by `max_statement_time`) or the second statement of a
/// batch would pass for a success.
fn drain<T: mysql::prelude::Protocol>(
    mut result: mysql::QueryResult<'_, '_, '_, T>,
) -> Result<(), mysql::Error> {
    while let Some(set) = result.iter() {
        for row in set {
            row?;
        }
    }
    Ok(())
}

/// The rows of every result set of `sql`, as text.
fn text_rows(conn: &mut Conn, sql: &str) -> Result<Vec<Row>, mysql::Error> {
    let mut result = conn.query_iter(sql)?;
    let mut rows = Vec::new();
    while let Some(set) = result.iter() {
        for row in set {
            rows.push(row?.unwrap().into_iter().map(text_value).collect());
        }
    }
    Ok(rows)
}

/// The name of the user lock that stands for run-lock `key`: at most 64
/// characters, as MySQL requires. The key hashes the database and the
/// version table, so the name is one per migration set and database.
///
/// ```
/// let name = arx_migrate_core::backend::mysql::lock_name(-2);
/// assert_eq!(name, "arx-migrate:fffffffffffffffe");
/// assert!(name.len() <= 64);
/// ```
pub fn lock_name(key: i64) -> String {
    format!("arx-migrate:{:016x}", key as u64)
}

/// Opens a connection from a `mysql://user:password@host:port/database`
/// or `mariadb://…` URL, with a connect timeout of 10 s unless the URL
/// sets its own (`tcp_connect_timeout_ms`). Errors never contain the
/// password.
///
/// ```no_run
/// let conn = arx_migrate_core::backend::mysql::connect("mariadb://root@127.0.0.1:3306/test")?;
/// # Ok::<(), arx_migrate_core::DbError>(())
/// ```
pub fn connect(url: &str) -> Result<Conn, DbError> {
    Conn::new(opts_from_url(url)?).map_err(db_error)
}

/// The driver's options for a `mysql://` or `mariadb://` URL (see
/// [`connect`]).
pub fn opts_from_url(url: &str) -> Result<mysql::Opts, DbError> {
    let trimmed = url.trim();
    let as_mysql = match trimmed.strip_prefix("mariadb://") {
        Some(rest) => format!("mysql://{rest}"),
        None => trimmed.to_string(),
    };
    let opts = mysql::Opts::from_url(&as_mysql).map_err(|error| {
        DbError::new(
            DbErrorKind::Connection,
            format!(
                "the MySQL URL {} is not valid: {error}",
                crate::redact::redact_url(trimmed)
            ),
        )
    })?;
    let mut builder = mysql::OptsBuilder::from_opts(opts.clone());
    if opts.get_tcp_connect_timeout().is_none() {
        builder = builder.tcp_connect_timeout(Some(Duration::from_secs(10)));
    }
    // A dead server (or host) is noticed within about a minute rather
    // than the system's two hours.
    if opts.get_tcp_keepalive_time_ms().is_none() {
        builder = builder.tcp_keepalive_time_ms(Some(30_000));
    }
    Ok(builder.into())
}

/// Whether the server is MariaDB (its version string says so).
fn is_mariadb(version: &str) -> bool {
    version.to_ascii_lowercase().contains("mariadb")
}

/// The sql_mode of a run: strict for every table (a value that does not
/// fit is an error, never silently cut), no zero dates, division by zero
/// an error, and an unknown storage engine an error rather than a silent
/// InnoDB. `ANSI_QUOTES` is left out: migrations written for MySQL quote
/// names with backticks and strings with either quote, and the library's
/// own SQL quotes names with backticks there.
pub const RUN_SQL_MODE: &str = "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION";

/// Whole seconds, rounded up, at least one: MySQL's lock waits count in
/// seconds.
fn whole_seconds(duration: Duration) -> u64 {
    let secs = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    secs.max(1)
}

/// The statements that apply `settings` to the session, saving what they
/// change in session variables for [`finish_sql`]; `mariadb`: the server's
/// dialect of the statement timeout.
fn prepare_sql(settings: &RunSettings, mariadb: bool) -> String {
    let mut sql = format!(
        "SET @arx_migrate_sql_mode = @@SESSION.sql_mode, \
         @arx_migrate_lock_wait_timeout = @@SESSION.lock_wait_timeout, \
         @arx_migrate_innodb_lock_wait_timeout = @@SESSION.innodb_lock_wait_timeout; \
         SET SESSION sql_mode = '{RUN_SQL_MODE}'"
    );
    if let Some(timeout) = settings.lock_timeout {
        let secs = whole_seconds(timeout);
        // Metadata locks (what DDL waits for) and row locks.
        sql.push_str(&format!(
            ", SESSION lock_wait_timeout = {secs}, SESSION innodb_lock_wait_timeout = {secs}"
        ));
    }
    if let Some(timeout) = settings.statement_timeout {
        if mariadb {
            sql.push_str(&format!(
                "; SET @arx_migrate_statement_time = @@SESSION.max_statement_time; \
                 SET SESSION max_statement_time = {:.3}",
                timeout.as_secs_f64().max(0.001)
            ));
        } else {
            // MySQL's applies to read-only SELECTs only.
            sql.push_str(&format!(
                "; SET @arx_migrate_statement_time = @@SESSION.max_execution_time; \
                 SET SESSION max_execution_time = {}",
                timeout.as_millis().max(1)
            ));
        }
    }
    sql
}

/// The statements that undo [`prepare_sql`].
fn finish_sql(settings: &RunSettings, mariadb: bool) -> String {
    let mut sql = "SET SESSION sql_mode = @arx_migrate_sql_mode, \
                   SESSION lock_wait_timeout = @arx_migrate_lock_wait_timeout, \
                   SESSION innodb_lock_wait_timeout = @arx_migrate_innodb_lock_wait_timeout"
        .to_string();
    if settings.statement_timeout.is_some() {
        let variable = if mariadb {
            "max_statement_time"
        } else {
            "max_execution_time"
        };
        sql.push_str(&format!(
            ", SESSION {variable} = @arx_migrate_statement_time"
        ));
    }
    sql
}

/// The connection id of the session that holds `name`, and what the
/// processlist says of it.
fn holder_sql(name: &str) -> String {
    let name = super::quote_literal(name);
    format!(
        "SELECT p.ID, p.USER, p.HOST, p.DB, p.COMMAND, p.TIME, p.STATE, p.INFO \
         FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK({name})"
    )
}

impl Connection for Conn {
    fn backend(&self) -> Backend {
        Backend::Mysql
    }

    fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        self.query_iter(sql).and_then(drain).map_err(db_error)
    }

    fn query(&mut self, sql: &str) -> Result<Vec<Row>, DbError> {
        text_rows(self, sql).map_err(db_error)
    }

    fn execute_with(&mut self, sql: &str, params: &[Param<'_>]) -> Result<(), DbError> {
        let (sql, order) = question_marks(sql, params.len());
        self.exec_iter(sql, bound_values(params, &order))
            .and_then(drain)
            .map_err(db_error)
    }

    fn query_with(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, DbError> {
        let (sql, order) = question_marks(sql, params.len());
        let rows: Vec<mysql::Row> = self
            .exec(sql, bound_values(params, &order))
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|row| row.unwrap().into_iter().map(text_value).collect())
            .collect())
    }

    fn is_undefined_table(&self, error: &DbError) -> bool {
        let code = error.code.as_deref();
        code == Some(&*ER_NO_SUCH_TABLE.to_string()) || code == Some(&*ER_BAD_DB_ERROR.to_string())
    }

    fn begin_statement(&self) -> &'static str {
        "START TRANSACTION"
    }

    fn database_size(&mut self) -> Result<Option<i64>, DbError> {
        // InnoDB's own figures (pages allocated to data and indexes), as
        // information_schema reports them: refreshed with the table's
        // statistics, so a step's change may show only after the server
        // recomputes them (`innodb_stats_auto_recalc`).
        let rows = Connection::query(
            self,
            "SELECT CAST(COALESCE(SUM(data_length + index_length), 0) AS CHAR) \
             FROM information_schema.tables WHERE table_schema = DATABASE()",
        )?;
        Ok(first_integer(&rows))
    }

    fn relation_size(&mut self, schema: Option<&str>, table: &str) -> Result<Option<i64>, DbError> {
        // A table that does not exist (yet, or any more) is size 0.
        let rows = self.query_with(
            "SELECT CAST(COALESCE(SUM(data_length + index_length), 0) AS CHAR) \
             FROM information_schema.tables \
             WHERE table_schema = COALESCE($1, DATABASE()) AND table_name = $2",
            &[Param::Text(schema), Param::Text(Some(table))],
        )?;
        Ok(first_integer(&rows))
    }

    fn prepare_run(&mut self, settings: &RunSettings) -> Result<PreparedRun, DbError> {
        let mariadb = needs_dialect(self, settings)?;
        Connection::execute(self, &prepare_sql(settings, mariadb))?;
        // Statements go to the server one at a time on MySQL: each DDL
        // statement commits by itself, so which one failed must be known
        // (and the journal of half-applied revisions records each one);
        // InnoDB's row-lock wait (innodb_lock_wait_timeout) is never off.
        Ok(PreparedRun {
            statements_can_time_out: true,
        })
    }

    fn finish_run(&mut self, settings: &RunSettings) -> Result<(), DbError> {
        let mariadb = needs_dialect(self, settings)?;
        Connection::execute(self, &finish_sql(settings, mariadb))
    }

    fn try_run_lock(&mut self, key: i64) -> Result<bool, DbError> {
        let name = lock_name(key);
        let rows =
            Connection::query_with(self, "SELECT GET_LOCK($1, 0)", &[Param::Text(Some(&name))])?;
        match rows.first().and_then(|row| row.first()).cloned().flatten().as_deref() {
            Some("1") => Ok(true),
            Some("0") => Ok(false),
            other => Err(DbError::new(
                DbErrorKind::Other,
                format!(
                    "GET_LOCK('{name}', 0) returned {}, neither 1 (taken) nor 0 (held by another session); the server could not take the migration lock: check its error log and that the user may call GET_LOCK",
                    other.unwrap_or("NULL")
                ),
            )),
        }
    }

    fn run_lock_holder(&mut self, key: i64) -> Result<Option<LockHolder>, DbError> {
        let rows = Connection::query(self, &holder_sql(&lock_name(key)))?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let mut values = row.into_iter();
        let mut next = || values.next().flatten();
        let id: i64 = next().and_then(|id| id.parse().ok()).unwrap_or_default();
        let user = next();
        let client = next();
        let _database = next();
        let command = next();
        let time = next().and_then(|secs| secs.parse::<u64>().ok());
        let state = next().filter(|state| !state.is_empty());
        let statement = next().and_then(|info| LockHolder::statement_text(&info));
        Ok(Some(LockHolder {
            pid: id,
            this_process: false,
            program: None,
            user,
            client,
            connected_at: None,
            state: command.map(|command| command.to_ascii_lowercase()),
            state_for: time.map(Duration::from_secs),
            waiting_on: state,
            statement,
            if_stuck: Some(format!("end its session with KILL {id}")),
        }))
    }

    fn run_lock_is_exclusive(&self) -> bool {
        true
    }

    fn release_run_lock(&mut self, key: i64) -> Result<(), DbError> {
        Connection::query_with(
            self,
            "SELECT RELEASE_LOCK($1)",
            &[Param::Text(Some(&lock_name(key)))],
        )
        .map(|_| ())
    }

    fn current_schema(&mut self) -> Result<String, DbError> {
        let rows = Connection::query(self, "SELECT DATABASE()")?;
        rows.first()
            .and_then(|row| row.first().cloned().flatten())
            .ok_or_else(|| {
                DbError::new(
                    DbErrorKind::Other,
                    "no database is selected: name one in the URL (mysql://user@host/database) or configure a schema",
                )
            })
    }

    fn data(&mut self) -> DataConnection<'_> {
        DataConnection::Mysql(self)
    }
}

/// Whether the server is MariaDB, asked only where the run's settings
/// differ between the two (the statement timeout), so that a run without
/// one costs no extra round trip.
fn needs_dialect(conn: &mut Conn, settings: &RunSettings) -> Result<bool, DbError> {
    if settings.statement_timeout.is_none() {
        return Ok(false);
    }
    let rows = Connection::query(conn, "SELECT VERSION()")?;
    Ok(rows
        .first()
        .and_then(|row| row.first().cloned().flatten())
        .is_some_and(|version| is_mariadb(&version)))
}

/// A pooled connection is a [`Conn`] lent by a `mysql::Pool`.
impl Connection for PooledConn {
    fn backend(&self) -> Backend {
        Backend::Mysql
    }
    fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        Connection::execute(self.as_mut(), sql)
    }
    fn query(&mut self, sql: &str) -> Result<Vec<Row>, DbError> {
        Connection::query(self.as_mut(), sql)
    }
    fn execute_with(&mut self, sql: &str, params: &[Param<'_>]) -> Result<(), DbError> {
        Connection::execute_with(self.as_mut(), sql, params)
    }
    fn query_with(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, DbError> {
        Connection::query_with(self.as_mut(), sql, params)
    }
    fn is_undefined_table(&self, error: &DbError) -> bool {
        Connection::is_undefined_table(self.as_ref(), error)
    }
    fn begin_statement(&self) -> &'static str {
        Connection::begin_statement(self.as_ref())
    }
    fn database_size(&mut self) -> Result<Option<i64>, DbError> {
        Connection::database_size(self.as_mut())
    }
    fn relation_size(&mut self, schema: Option<&str>, table: &str) -> Result<Option<i64>, DbError> {
        Connection::relation_size(self.as_mut(), schema, table)
    }
    fn prepare_run(&mut self, settings: &RunSettings) -> Result<PreparedRun, DbError> {
        Connection::prepare_run(self.as_mut(), settings)
    }
    fn finish_run(&mut self, settings: &RunSettings) -> Result<(), DbError> {
        Connection::finish_run(self.as_mut(), settings)
    }
    fn try_run_lock(&mut self, key: i64) -> Result<bool, DbError> {
        Connection::try_run_lock(self.as_mut(), key)
    }
    fn run_lock_holder(&mut self, key: i64) -> Result<Option<LockHolder>, DbError> {
        Connection::run_lock_holder(self.as_mut(), key)
    }
    fn run_lock_is_exclusive(&self) -> bool {
        true
    }
    fn release_run_lock(&mut self, key: i64) -> Result<(), DbError> {
        Connection::release_run_lock(self.as_mut(), key)
    }
    fn current_schema(&mut self) -> Result<String, DbError> {
        Connection::current_schema(self.as_mut())
    }
    fn data(&mut self) -> DataConnection<'_> {
        DataConnection::Mysql(self.as_mut())
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

    #[test]
    fn placeholders_become_question_marks_outside_quotes() {
        let (sql, order) = question_marks(
            "INSERT INTO `a$1` (x, y) VALUES ($1, $10) -- $2\n/* $3 */ ON x = \"$2\" AND y = $2",
            10,
        );
        assert_eq!(
            sql,
            "INSERT INTO `a$1` (x, y) VALUES (?, ?) -- $2\n/* $3 */ ON x = \"$2\" AND y = ?"
        );
        assert_eq!(order, [0, 9, 1]);
        let (sql, order) = question_marks("SELECT 'it''s $1', $1, $9", 1);
        assert_eq!(sql, "SELECT 'it''s $1', ?, $9");
        assert_eq!(order, [0]);
        let (sql, _) = question_marks("SELECT 'open $1", 1);
        assert_eq!(sql, "SELECT 'open $1");
    }

    #[test]
    fn error_numbers_have_kinds() {
        assert_eq!(kind_of(1205, "HY000"), DbErrorKind::LockTimeout);
        assert_eq!(kind_of(1969, "70100"), DbErrorKind::StatementTimeout);
        assert_eq!(kind_of(1213, "40001"), DbErrorKind::Serialization);
        assert_eq!(kind_of(1142, "42000"), DbErrorKind::Permission);
        assert_eq!(kind_of(1062, "23000"), DbErrorKind::Constraint);
        assert_eq!(kind_of(1146, "42S02"), DbErrorKind::Syntax);
        assert_eq!(kind_of(1064, "42000"), DbErrorKind::Syntax);
    }

    #[test]
    fn a_lock_name_fits_mysql() {
        for key in [0, 1, -1, i64::MIN, i64::MAX] {
            assert!(lock_name(key).len() <= 64);
        }
        assert_ne!(lock_name(1), lock_name(2));
    }

    #[test]
    fn url_errors_hide_the_password() {
        let error = opts_from_url("mysql://u:hunter2@h:notaport/d").unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(opts_from_url("mariadb://u@h:3306/d").is_ok());
    }

    #[test]
    fn settings_are_set_and_restored() {
        let settings = RunSettings {
            lock_wait: Duration::from_secs(1),
            lock_timeout: Some(Duration::from_millis(1500)),
            statement_timeout: Some(Duration::from_millis(250)),
        };
        let maria = prepare_sql(&settings, true);
        assert!(maria.contains("lock_wait_timeout = 2"), "{maria}");
        assert!(maria.contains("max_statement_time = 0.250"), "{maria}");
        let mysql = prepare_sql(&settings, false);
        assert!(mysql.contains("max_execution_time = 250"), "{mysql}");
        assert!(finish_sql(&settings, true).contains("max_statement_time = @arx"));
    }
}
