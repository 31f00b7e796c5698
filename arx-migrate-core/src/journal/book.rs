//! The journal table: one row per statement of a revision that is running,
//! or that failed or was killed part way. The runner deletes a step's rows
//! in the transaction that records the step as done.
//!
//! Only backends whose DDL commits implicitly (MariaDB and MySQL) keep a
//! journal, so the SQL here is MySQL's.

use crate::backend::{Connection, Param, Row};
use crate::direction::Direction;
use crate::error::{DbError, Error, Result};

use super::model::{HalfApplied, JournalEntry, JournalState, JOURNAL_TABLE};

/// How much of a statement's text the journal keeps.
const STATEMENT_CHARS: usize = 4000;

/// Where a migration set's journal is kept.
#[derive(Debug, Clone)]
pub(crate) struct JournalBook {
    /// The journal table, quoted and qualified.
    pub(crate) table: String,
    /// The migration set's version table (unqualified), as stored.
    pub(crate) version_table: String,
}

/// One statement's journal row, as written.
#[derive(Clone, Copy)]
pub(crate) struct Written<'v> {
    pub(crate) revision: &'v str,
    pub(crate) direction: Direction,
    pub(crate) number: u32,
    pub(crate) checksum: &'v str,
    pub(crate) statement: &'v str,
    pub(crate) reverse: Option<&'v str>,
    pub(crate) state: JournalState,
    pub(crate) error: Option<&'v str>,
}

impl JournalBook {
    fn error(&self, sql: &str, source: DbError) -> Error {
        Error::Store {
            table: JOURNAL_TABLE.to_string(),
            statement: sql.to_string(),
            source: Box::new(source),
        }
    }

    /// Creates the table where missing.
    pub(crate) fn ensure_table(&self, connection: &mut dyn Connection) -> Result<()> {
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {} (\
             version_table VARCHAR(128) NOT NULL, \
             revision VARCHAR(32) NOT NULL, \
             direction VARCHAR(16) NOT NULL, \
             statement_no INT NOT NULL, \
             checksum VARCHAR(64) NOT NULL, \
             statement LONGTEXT NOT NULL, \
             reverse_statement LONGTEXT, \
             state VARCHAR(16) NOT NULL, \
             error LONGTEXT, \
             updated_at DATETIME(3) NOT NULL, \
             PRIMARY KEY (version_table, revision, direction, statement_no)) \
             ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
            self.table
        );
        connection.execute(&sql).map_err(|e| self.error(&sql, e))
    }

    /// Writes (or overwrites) one statement's row.
    pub(crate) fn write(&self, connection: &mut dyn Connection, row: &Written<'_>) -> Result<()> {
        let sql = format!(
            "REPLACE INTO {} (version_table, revision, direction, statement_no, checksum, statement, reverse_statement, state, error, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, UTC_TIMESTAMP(3))",
            self.table
        );
        let statement: String = row.statement.chars().take(STATEMENT_CHARS).collect();
        connection
            .execute_with(
                &sql,
                &[
                    Param::Text(Some(&self.version_table)),
                    Param::Text(Some(row.revision)),
                    Param::Text(Some(row.direction.as_str())),
                    Param::Integer(Some(i64::from(row.number))),
                    Param::Text(Some(row.checksum)),
                    Param::Text(Some(&statement)),
                    Param::Text(row.reverse),
                    Param::Text(Some(row.state.as_str())),
                    Param::Text(row.error),
                ],
            )
            .map_err(|e| self.error(&sql, e))
    }

    /// Sets one statement's state (and error).
    pub(crate) fn set_state(
        &self,
        connection: &mut dyn Connection,
        revision: &str,
        direction: Direction,
        number: u32,
        state: JournalState,
        error: Option<&str>,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET state = $1, error = $2, updated_at = UTC_TIMESTAMP(3) \
             WHERE version_table = $3 AND revision = $4 AND direction = $5 AND statement_no = $6",
            self.table
        );
        connection
            .execute_with(
                &sql,
                &[
                    Param::Text(Some(state.as_str())),
                    Param::Text(error),
                    Param::Text(Some(&self.version_table)),
                    Param::Text(Some(revision)),
                    Param::Text(Some(direction.as_str())),
                    Param::Integer(Some(i64::from(number))),
                ],
            )
            .map_err(|e| self.error(&sql, e))
    }

    /// The journal of one step, in statement order; empty when the table
    /// does not exist.
    pub(crate) fn entries(
        &self,
        connection: &mut dyn Connection,
        revision: &str,
        direction: Direction,
    ) -> Result<Vec<JournalEntry>> {
        let sql = format!(
            "{} AND revision = $2 AND direction = $3 ORDER BY statement_no",
            self.select()
        );
        let params = [
            Param::Text(Some(&self.version_table)),
            Param::Text(Some(revision)),
            Param::Text(Some(direction.as_str())),
        ];
        match connection.query_with(&sql, &params) {
            Ok(rows) => Ok(rows
                .into_iter()
                .filter_map(parse_entry)
                .map(|(_, _, e)| e)
                .collect()),
            Err(error) if connection.is_undefined_table(&error) => Ok(Vec::new()),
            Err(error) => Err(self.error(&sql, error)),
        }
    }

    /// Every half-applied step of this migration set, oldest first; none
    /// when the table does not exist.
    pub(crate) fn all(&self, connection: &mut dyn Connection) -> Result<Vec<HalfApplied>> {
        let sql = format!(
            "{} ORDER BY revision, direction, statement_no",
            self.select()
        );
        let rows = match connection.query_with(&sql, &[Param::Text(Some(&self.version_table))]) {
            Ok(rows) => rows,
            Err(error) if connection.is_undefined_table(&error) => return Ok(Vec::new()),
            Err(error) => return Err(self.error(&sql, error)),
        };
        let mut steps: Vec<HalfApplied> = Vec::new();
        for (revision, direction, entry) in rows.into_iter().filter_map(parse_entry) {
            match steps.last_mut() {
                Some(step) if step.revision == revision && step.direction == direction => {
                    step.statements.push(entry)
                }
                _ => steps.push(HalfApplied {
                    revision,
                    direction,
                    statements: vec![entry],
                }),
            }
        }
        steps.sort_by(|a, b| {
            let first = |step: &HalfApplied| {
                step.statements
                    .first()
                    .map(|e| e.updated_at.clone())
                    .unwrap_or_default()
            };
            first(a).cmp(&first(b))
        });
        Ok(steps)
    }

    /// Deletes a step's rows: run in the transaction that records the step
    /// as done (or repaired).
    pub(crate) fn forget(
        &self,
        connection: &mut dyn Connection,
        revision: &str,
        direction: Direction,
    ) -> Result<()> {
        let sql = format!(
            "DELETE FROM {} WHERE version_table = $1 AND revision = $2 AND direction = $3",
            self.table
        );
        match connection.execute_with(
            &sql,
            &[
                Param::Text(Some(&self.version_table)),
                Param::Text(Some(revision)),
                Param::Text(Some(direction.as_str())),
            ],
        ) {
            Ok(()) => Ok(()),
            Err(error) if connection.is_undefined_table(&error) => Ok(()),
            Err(error) => Err(self.error(&sql, error)),
        }
    }

    fn select(&self) -> String {
        format!(
            "SELECT revision, direction, statement_no, checksum, statement, reverse_statement, state, error, \
             CONCAT(LEFT(DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z') \
             FROM {} WHERE version_table = $1",
            self.table
        )
    }
}

/// A row of [`JournalBook::select`]; `None` for a row this version cannot
/// read (a state or direction it does not know).
fn parse_entry(row: Row) -> Option<(String, Direction, JournalEntry)> {
    let mut values = row.into_iter();
    let mut next = || values.next().flatten();
    let revision = next()?;
    let direction = match next()?.as_str() {
        "upgrade" => Direction::Upgrade,
        "downgrade" => Direction::Downgrade,
        _ => return None,
    };
    let number = next()?.parse().ok()?;
    let checksum = next()?;
    let statement = next().unwrap_or_default();
    let reverse = next();
    let state = JournalState::parse(&next()?)?;
    let error = next();
    let updated_at = next().unwrap_or_default();
    Some((
        revision,
        direction,
        JournalEntry {
            number,
            checksum,
            statement,
            reverse,
            state,
            error,
            updated_at,
        },
    ))
}
