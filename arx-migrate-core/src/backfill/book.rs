//! The backfill bookkeeping table: one row per backfill of a running (or
//! killed) step, holding the position its last committed batch reached.
//! The row is written in the same transaction as the batch, so that the
//! position and the rows it covers are committed together or not at all;
//! the runner deletes the step's rows when the step is recorded as done.

use std::time::SystemTime;

use crate::backend::{Backend, Connection, Param};
use crate::error::{DbError, Error, Result};

use super::model::BackfillState;

/// The name of the backfill bookkeeping table, next to the version table;
/// shared by migration sets, told apart by the version table's name.
pub const BACKFILL_TABLE: &str = "arx_migrate_backfill";

/// Where a migration set's backfill positions are kept.
#[derive(Debug, Clone)]
pub(crate) struct BackfillBook {
    /// The bookkeeping table, quoted and qualified.
    pub(crate) table: String,
    /// The migration set's version table (unqualified), as stored.
    pub(crate) version_table: String,
    pub(crate) backend: Backend,
}

/// What one committed batch moves the position to.
pub(crate) struct Position<'v> {
    pub(crate) revision: &'v str,
    pub(crate) name: &'v str,
    pub(crate) last_key: &'v str,
    pub(crate) rows_done: i64,
    pub(crate) finished: bool,
}

impl BackfillBook {
    fn error(&self, sql: &str, source: DbError) -> Error {
        Error::Store {
            table: BACKFILL_TABLE.to_string(),
            statement: sql.to_string(),
            source: Box::new(source),
        }
    }

    fn timestamp_type(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "TEXT",
            Backend::Postgres => "TIMESTAMPTZ",
            Backend::Mysql => "DATETIME(3)",
        }
    }

    /// A bound timestamp placeholder (`$n`), cast where the column is a
    /// timestamptz.
    fn timestamp(&self, placeholder: &str) -> String {
        match self.backend {
            Backend::Sqlite => placeholder.to_string(),
            Backend::Postgres => format!("CAST({placeholder} AS TIMESTAMPTZ)"),
            Backend::Mysql => format!("STR_TO_DATE({placeholder}, '%Y-%m-%dT%H:%i:%s.%fZ')"),
        }
    }

    /// Creates the table where missing.
    pub(crate) fn ensure_table(&self, connection: &mut dyn Connection) -> Result<()> {
        let ts = self.timestamp_type();
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {} (\
             version_table VARCHAR(128) NOT NULL, \
             revision VARCHAR(32) NOT NULL, \
             name VARCHAR(255) NOT NULL, \
             table_name VARCHAR(255) NOT NULL, \
             last_key TEXT, \
             rows_done BIGINT NOT NULL, \
             rows_total_estimate BIGINT, \
             started_at {ts} NOT NULL, \
             updated_at {ts} NOT NULL, \
             finished_at {ts}, \
             PRIMARY KEY (version_table, revision, name))",
            self.table
        );
        connection.execute(&sql).map_err(|e| self.error(&sql, e))
    }

    /// The row of one backfill, if it has one.
    pub(crate) fn read(
        &self,
        connection: &mut dyn Connection,
        revision: &str,
        name: &str,
    ) -> Result<Option<BackfillState>> {
        let sql = format!(
            "{} WHERE version_table = $1 AND revision = $2 AND name = $3",
            self.select()
        );
        let rows = connection
            .query_with(
                &sql,
                &[
                    Param::Text(Some(&self.version_table)),
                    Param::Text(Some(revision)),
                    Param::Text(Some(name)),
                ],
            )
            .map_err(|e| self.error(&sql, e))?;
        Ok(rows.into_iter().next().map(parse_state))
    }

    /// Every backfill row of this migration set (of steps running, killed,
    /// or finished but not yet recorded as done); none when the table does
    /// not exist.
    pub(crate) fn all(&self, connection: &mut dyn Connection) -> Result<Vec<BackfillState>> {
        let sql = format!(
            "{} WHERE version_table = $1 ORDER BY started_at, name",
            self.select()
        );
        match connection.query_with(&sql, &[Param::Text(Some(&self.version_table))]) {
            Ok(rows) => Ok(rows.into_iter().map(parse_state).collect()),
            Err(error) if connection.is_undefined_table(&error) => Ok(Vec::new()),
            Err(error) => Err(self.error(&sql, error)),
        }
    }

    fn select(&self) -> String {
        let text = |column: &str| match self.backend {
            Backend::Sqlite => column.to_string(),
            Backend::Postgres => {
                format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
            }
            Backend::Mysql => {
                format!("CONCAT(LEFT(DATE_FORMAT({column}, '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')")
            }
        };
        format!(
            "SELECT revision, name, table_name, last_key, rows_done, rows_total_estimate, {}, {}, {} FROM {}",
            text("started_at"),
            text("updated_at"),
            text("finished_at"),
            self.table
        )
    }

    /// Starts a backfill's row, at no position.
    pub(crate) fn start(
        &self,
        connection: &mut dyn Connection,
        revision: &str,
        name: &str,
        table: &str,
        rows_total_estimate: Option<i64>,
    ) -> Result<()> {
        let now =
            crate::not_api::utc::UtcDateTime::from_system_time(SystemTime::now()).rfc3339_millis();
        let sql = format!(
            "INSERT INTO {} (version_table, revision, name, table_name, last_key, rows_done, rows_total_estimate, started_at, updated_at) \
             VALUES ($1, $2, $3, $4, NULL, 0, $5, {}, {})",
            self.table,
            self.timestamp("$6"),
            self.timestamp("$6"),
        );
        connection
            .execute_with(
                &sql,
                &[
                    Param::Text(Some(&self.version_table)),
                    Param::Text(Some(revision)),
                    Param::Text(Some(name)),
                    Param::Text(Some(table)),
                    Param::Integer(rows_total_estimate),
                    Param::Text(Some(&now)),
                ],
            )
            .map_err(|e| self.error(&sql, e))
    }

    /// Moves a backfill's position; run in the batch's transaction.
    pub(crate) fn advance(
        &self,
        connection: &mut dyn Connection,
        position: &Position<'_>,
    ) -> Result<()> {
        let now =
            crate::not_api::utc::UtcDateTime::from_system_time(SystemTime::now()).rfc3339_millis();
        let finished = if position.finished {
            self.timestamp("$3")
        } else {
            "NULL".to_string()
        };
        let sql = format!(
            "UPDATE {} SET last_key = $1, rows_done = $2, updated_at = {}, finished_at = {finished} \
             WHERE version_table = $4 AND revision = $5 AND name = $6",
            self.table,
            self.timestamp("$3"),
        );
        connection
            .execute_with(
                &sql,
                &[
                    Param::Text(Some(position.last_key)),
                    Param::Integer(Some(position.rows_done)),
                    Param::Text(Some(&now)),
                    Param::Text(Some(&self.version_table)),
                    Param::Text(Some(position.revision)),
                    Param::Text(Some(position.name)),
                ],
            )
            .map_err(|e| self.error(&sql, e))
    }

    /// Marks a backfill finished where it stands (its last batch was
    /// empty).
    pub(crate) fn finish(
        &self,
        connection: &mut dyn Connection,
        revision: &str,
        name: &str,
    ) -> Result<()> {
        let now =
            crate::not_api::utc::UtcDateTime::from_system_time(SystemTime::now()).rfc3339_millis();
        let sql = format!(
            "UPDATE {} SET updated_at = {ts}, finished_at = {ts} \
             WHERE version_table = $2 AND revision = $3 AND name = $4",
            self.table,
            ts = self.timestamp("$1"),
        );
        connection
            .execute_with(
                &sql,
                &[
                    Param::Text(Some(&now)),
                    Param::Text(Some(&self.version_table)),
                    Param::Text(Some(revision)),
                    Param::Text(Some(name)),
                ],
            )
            .map_err(|e| self.error(&sql, e))
    }

    /// Deletes a step's rows: run in the transaction that records the step
    /// as done, so that applying the revision again starts afresh.
    pub(crate) fn forget(&self, connection: &mut dyn Connection, revision: &str) -> Result<()> {
        let sql = format!(
            "DELETE FROM {} WHERE version_table = $1 AND revision = $2",
            self.table
        );
        connection
            .execute_with(
                &sql,
                &[
                    Param::Text(Some(&self.version_table)),
                    Param::Text(Some(revision)),
                ],
            )
            .map_err(|e| self.error(&sql, e))
    }
}

fn parse_state(row: crate::backend::Row) -> BackfillState {
    let mut values = row.into_iter();
    let mut next = || values.next().flatten();
    BackfillState {
        revision: next().unwrap_or_default(),
        name: next().unwrap_or_default(),
        table: next().unwrap_or_default(),
        last_key: next(),
        rows_done: next().and_then(|v| v.parse().ok()).unwrap_or_default(),
        rows_total_estimate: next().and_then(|v| v.parse().ok()),
        started_at: next().unwrap_or_default(),
        updated_at: next().unwrap_or_default(),
        finished_at: next(),
    }
}
