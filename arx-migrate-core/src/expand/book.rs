//! The expand/contract bookkeeping table: one row per change that an
//! expand revision started, holding its phase, the revisions involved and
//! the old columns' definitions. Created where missing, next to the
//! version table, as the backfill table is.

use std::time::SystemTime;

use crate::backend::{Backend, Connection, Param};
use crate::error::{DbError, Error, Result};

use super::columns::{decode, encode, ColumnDefinition};
use super::model::ExpansionPhase;

/// The name of the expand/contract bookkeeping table; shared by migration
/// sets, told apart by the version table's name.
pub const EXPAND_TABLE: &str = "arx_migrate_expand";

/// Where a migration set's expansions are recorded.
#[derive(Debug, Clone)]
pub(crate) struct ExpandBook {
    /// The bookkeeping table, quoted and qualified.
    pub(crate) table: String,
    /// The migration set's version table (unqualified).
    pub(crate) version_table: String,
    pub(crate) backend: Backend,
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredExpansion {
    pub(crate) table: String,
    pub(crate) change: String,
    pub(crate) kind: String,
    pub(crate) expand_revision: String,
    pub(crate) contract_revision: Option<String>,
    pub(crate) phase: ExpansionPhase,
    pub(crate) old_columns: Vec<ColumnDefinition>,
    pub(crate) updated_at: String,
}

impl ExpandBook {
    fn error(&self, sql: &str, source: DbError) -> Error {
        Error::Store {
            table: EXPAND_TABLE.to_string(),
            statement: sql.to_string(),
            source: Box::new(source),
        }
    }

    fn now() -> String {
        crate::not_api::utc::UtcDateTime::from_system_time(SystemTime::now()).rfc3339_millis()
    }

    fn timestamp(&self, placeholder: &str) -> String {
        match self.backend {
            Backend::Sqlite => placeholder.to_string(),
            Backend::Postgres | Backend::Mysql => format!("CAST({placeholder} AS TIMESTAMPTZ)"),
        }
    }

    /// Creates the table where missing.
    pub(crate) fn ensure_table(&self, connection: &mut dyn Connection) -> Result<()> {
        let ts = match self.backend {
            Backend::Sqlite => "TEXT",
            Backend::Postgres | Backend::Mysql => "TIMESTAMPTZ",
        };
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {} (\
             version_table VARCHAR(128) NOT NULL, \
             table_name VARCHAR(255) NOT NULL, \
             change VARCHAR(255) NOT NULL, \
             kind VARCHAR(32) NOT NULL, \
             expand_revision VARCHAR(32) NOT NULL, \
             contract_revision VARCHAR(32), \
             phase VARCHAR(16) NOT NULL, \
             old_columns TEXT NOT NULL, \
             updated_at {ts} NOT NULL, \
             PRIMARY KEY (version_table, table_name, change))",
            self.table
        );
        connection.execute(&sql).map_err(|e| self.error(&sql, e))
    }

    fn select(&self) -> String {
        let updated = match self.backend {
            Backend::Sqlite => "updated_at".to_string(),
            Backend::Postgres | Backend::Mysql => {
                "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
                    .to_string()
            }
        };
        format!(
            "SELECT table_name, change, kind, expand_revision, contract_revision, phase, old_columns, {updated} FROM {}",
            self.table
        )
    }

    /// The row of one change, if it has one.
    pub(crate) fn read(
        &self,
        connection: &mut dyn Connection,
        table: &str,
        change: &str,
    ) -> Result<Option<StoredExpansion>> {
        let sql = format!(
            "{} WHERE version_table = $1 AND table_name = $2 AND change = $3",
            self.select()
        );
        let rows = connection
            .query_with(
                &sql,
                &[
                    Param::Text(Some(&self.version_table)),
                    Param::Text(Some(table)),
                    Param::Text(Some(change)),
                ],
            )
            .map_err(|e| self.error(&sql, e))?;
        Ok(rows.into_iter().next().map(parse))
    }

    /// Every change of this migration set; none when the table does not
    /// exist.
    pub(crate) fn all(&self, connection: &mut dyn Connection) -> Result<Vec<StoredExpansion>> {
        if self.backend == Backend::Mysql {
            // Expand/contract is refused on MySQL: there is no table to
            // read (and its `change` column is a reserved word there).
            return Ok(Vec::new());
        }
        let sql = format!(
            "{} WHERE version_table = $1 ORDER BY table_name, change",
            self.select()
        );
        match connection.query_with(&sql, &[Param::Text(Some(&self.version_table))]) {
            Ok(rows) => Ok(rows.into_iter().map(parse).collect()),
            Err(error) if connection.is_undefined_table(&error) => Ok(Vec::new()),
            Err(error) => Err(self.error(&sql, error)),
        }
    }

    /// Records a change the expand revision starts, in phase `expanding`.
    pub(crate) fn start(
        &self,
        connection: &mut dyn Connection,
        expansion: &StoredExpansion,
    ) -> Result<()> {
        let sql = format!(
            "INSERT INTO {} (version_table, table_name, change, kind, expand_revision, contract_revision, phase, old_columns, updated_at) \
             VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, {})",
            self.table,
            self.timestamp("$8")
        );
        connection
            .execute_with(
                &sql,
                &[
                    Param::Text(Some(&self.version_table)),
                    Param::Text(Some(&expansion.table)),
                    Param::Text(Some(&expansion.change)),
                    Param::Text(Some(&expansion.kind)),
                    Param::Text(Some(&expansion.expand_revision)),
                    Param::Text(Some(expansion.phase.as_str())),
                    Param::Text(Some(&encode(&expansion.old_columns))),
                    Param::Text(Some(&Self::now())),
                ],
            )
            .map_err(|e| self.error(&sql, e))
    }

    /// Moves a change to `phase`, with the revision contracting it (or
    /// none).
    pub(crate) fn set_phase(
        &self,
        connection: &mut dyn Connection,
        table: &str,
        change: &str,
        phase: ExpansionPhase,
        contract_revision: Option<&str>,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET phase = $1, contract_revision = $2, updated_at = {} \
             WHERE version_table = $4 AND table_name = $5 AND change = $6",
            self.table,
            self.timestamp("$3")
        );
        connection
            .execute_with(
                &sql,
                &[
                    Param::Text(Some(phase.as_str())),
                    Param::Text(contract_revision),
                    Param::Text(Some(&Self::now())),
                    Param::Text(Some(&self.version_table)),
                    Param::Text(Some(table)),
                    Param::Text(Some(change)),
                ],
            )
            .map_err(|e| self.error(&sql, e))
    }

    /// Deletes a change's row (the expand's downgrade, at its end).
    pub(crate) fn delete(
        &self,
        connection: &mut dyn Connection,
        table: &str,
        change: &str,
    ) -> Result<()> {
        let sql = format!(
            "DELETE FROM {} WHERE version_table = $1 AND table_name = $2 AND change = $3",
            self.table
        );
        connection
            .execute_with(
                &sql,
                &[
                    Param::Text(Some(&self.version_table)),
                    Param::Text(Some(table)),
                    Param::Text(Some(change)),
                ],
            )
            .map_err(|e| self.error(&sql, e))
    }
}

fn parse(row: crate::backend::Row) -> StoredExpansion {
    let mut values = row.into_iter();
    let mut next = || values.next().flatten();
    StoredExpansion {
        table: next().unwrap_or_default(),
        change: next().unwrap_or_default(),
        kind: next().unwrap_or_default(),
        expand_revision: next().unwrap_or_default(),
        contract_revision: next(),
        phase: ExpansionPhase::parse(&next().unwrap_or_default()),
        old_columns: decode(&next().unwrap_or_default()),
        updated_at: next().unwrap_or_default(),
    }
}
