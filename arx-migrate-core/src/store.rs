//! What is stored in the database: the version table (Alembic's layout, one
//! row per head) and the history table (one row per step).

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use crate::backend::{inline_params, quote_literal, Backend, Connection, Param};
use crate::error::{DbError, DbErrorKind, Direction, Error, Result};
use crate::heads::Heads;
use crate::ops::quote_ident;
use crate::provenance::{executed_by, program_name};

/// The default name of the version table.
pub const DEFAULT_VERSION_TABLE: &str = "arx_migrate_version";
/// The default name of the history table.
pub const DEFAULT_HISTORY_TABLE: &str = "arx_migrate_history";

/// Where the bookkeeping lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// The version table (Alembic's layout).
    pub version_table: String,
    /// The history table; shared by migration sets, told apart by the
    /// version table's name.
    pub history_table: String,
    /// The PostgreSQL schema of both tables; `None` is the connection's
    /// current schema.
    pub schema: Option<String>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            version_table: DEFAULT_VERSION_TABLE.to_string(),
            history_table: DEFAULT_HISTORY_TABLE.to_string(),
            schema: None,
        }
    }
}

/// What the bookkeeping says about the database, read in one query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredState {
    /// The version table's rows (the current heads).
    pub heads: Heads,
    /// The checksum recorded for each revision's last upgrade or repair.
    pub checksums: HashMap<String, String>,
    /// Non-transactional steps that started and never finished.
    pub interrupted: Vec<(String, Direction)>,
    /// Whether the version table exists.
    pub has_version_table: bool,
    /// Whether the history table exists.
    pub has_history_table: bool,
}

/// What a history row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HistoryOperation {
    /// A revision was applied.
    Upgrade,
    /// A revision was reverted.
    Downgrade,
    /// The version table was set without running anything.
    Stamp,
    /// A changed checksum (or an interrupted step) was accepted.
    Repair,
}

/// How a history row's step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HistoryOutcome {
    /// It succeeded.
    Ok,
    /// It failed (and, when transactional, was rolled back).
    Failed,
    /// A non-transactional step started and has not finished (or was killed).
    Started,
    /// A `started` step that `repair` or `stamp` acknowledged.
    Interrupted,
}

/// The words the history table stores, in one place: each enum maps to its
/// SQL text with `as_str` and back with `parse`.
macro_rules! stored_words {
    ($name:ident { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $name {
            /// The word stored in the history table.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            /// The value a stored word stands for.
            pub fn parse(word: &str) -> Option<Self> {
                match word { $($word => Some($name::$variant),)+ _ => None }
            }
        }

        /// Compares with the stored word: `entry.outcome == "ok"`.
        impl PartialEq<&str> for $name {
            fn eq(&self, word: &&str) -> bool {
                self.as_str() == *word
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_words!(HistoryOperation {
    Upgrade => "upgrade",
    Downgrade => "downgrade",
    Stamp => "stamp",
    Repair => "repair",
});

stored_words!(HistoryOutcome {
    Ok => "ok",
    Failed => "failed",
    Started => "started",
    Interrupted => "interrupted",
});

impl From<Direction> for HistoryOperation {
    fn from(direction: Direction) -> Self {
        match direction {
            Direction::Upgrade => HistoryOperation::Upgrade,
            Direction::Downgrade => HistoryOperation::Downgrade,
        }
    }
}

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// Row id, increasing.
    pub id: i64,
    /// The revision.
    pub revision: String,
    /// What the step did.
    pub operation: HistoryOperation,
    /// Checksum of the SQL the step rendered.
    pub checksum: Option<String>,
    /// When it started (UTC, RFC 3339).
    pub started_at: String,
    /// How long it took.
    pub duration_ms: Option<i64>,
    /// `user@host` that ran it.
    pub executed_by: Option<String>,
    /// The program that ran it.
    pub program: Option<String>,
    /// How it ended.
    pub outcome: HistoryOutcome,
    /// The error, for failed steps.
    pub message: Option<String>,
    /// What the step did to the database's size, where it was measured.
    pub sizes: StepSizes,
}

/// The sizes a step's history row records (bytes), each `None` where it
/// was not measured: rows written before the columns existed, stamps,
/// failures, or a backend that cannot tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepSizes {
    /// The whole database before the step (`pg_database_size`, SQLite's
    /// `page_count × page_size`).
    pub database_before: Option<i64>,
    /// The whole database after the step.
    pub database_after: Option<i64>,
    /// The one table the step changed, when it changed exactly one (see
    /// the guide's "Size tracking"), as `schema.table` or `table`.
    pub table: Option<String>,
    /// That table's size with its indexes before the step (0 when the
    /// step created it).
    pub table_before: Option<i64>,
    /// That table's size with its indexes after the step (0 when the step
    /// dropped it).
    pub table_after: Option<i64>,
}

impl StepSizes {
    /// How much the database grew (negative: shrank), where both sizes
    /// were measured.
    pub fn database_delta(&self) -> Option<i64> {
        Some(self.database_after? - self.database_before?)
    }

    /// How much the step's table grew, where both sizes were measured.
    pub fn table_delta(&self) -> Option<i64> {
        Some(self.table_after? - self.table_before?)
    }

    /// Whether anything was measured.
    pub fn is_measured(&self) -> bool {
        self.database_before.is_some() || self.database_after.is_some()
    }
}

/// The history table's size columns, added to an older history table by
/// [`Store::upgrade_history`], in the order `StepSizes` holds them.
const SIZE_COLUMNS: [(&str, &str); 5] = [
    ("database_size_before", "BIGINT"),
    ("database_size_after", "BIGINT"),
    ("table_name", "VARCHAR(255)"),
    ("table_size_before", "BIGINT"),
    ("table_size_after", "BIGINT"),
];

pub(crate) struct Store<'a> {
    pub(crate) config: &'a StoreConfig,
    pub(crate) backend: Backend,
}

impl<'a> Store<'a> {
    pub(crate) fn new(config: &'a StoreConfig, backend: Backend) -> Self {
        Store { config, backend }
    }

    fn qualified(&self, table: &str) -> String {
        let quote = |name: &str| quote_name(self.backend, name);
        match (&self.config.schema, self.backend) {
            (Some(schema), Backend::Postgres | Backend::Mysql) => {
                format!("{}.{}", quote(schema), quote(table))
            }
            _ => quote(table),
        }
    }

    pub(crate) fn version_table(&self) -> String {
        self.qualified(&self.config.version_table)
    }

    pub(crate) fn history_table(&self) -> String {
        self.qualified(&self.config.history_table)
    }

    /// Where this migration set's backfill positions are kept: next to
    /// the version table.
    pub(crate) fn backfill_book(&self) -> crate::backfill::BackfillBook {
        crate::backfill::BackfillBook {
            table: self.qualified(crate::backfill::BACKFILL_TABLE),
            version_table: self.config.version_table.clone(),
            backend: self.backend,
        }
    }

    /// Where this migration set's expand/contract changes are recorded:
    /// next to the version table.
    pub(crate) fn expand_book(&self) -> crate::expand::ExpandBook {
        crate::expand::ExpandBook {
            table: self.qualified(crate::expand::EXPAND_TABLE),
            version_table: self.config.version_table.clone(),
            backend: self.backend,
        }
    }

    /// Where this migration set's journal of half-applied revisions is
    /// kept (MariaDB and MySQL): next to the version table.
    pub(crate) fn journal_book(&self) -> crate::journal::book::JournalBook {
        crate::journal::book::JournalBook {
            table: self.qualified(crate::journal::JOURNAL_TABLE),
            version_table: self.config.version_table.clone(),
        }
    }

    /// The id of the `started` history row of an interrupted step, which
    /// a resumed step carries on.
    pub(crate) fn started_marker(
        &self,
        connection: &mut dyn Connection,
        revision: &str,
        operation: HistoryOperation,
    ) -> Result<Option<i64>> {
        let sql = format!(
            "SELECT max(id) FROM {} WHERE version_table = $1 AND revision = $2 AND operation = $3 AND outcome = $4",
            self.history_table(),
        );
        let rows = connection
            .query_with(
                &sql,
                &[
                    Param::Text(Some(&self.config.version_table)),
                    Param::Text(Some(revision)),
                    Param::Text(Some(operation.as_str())),
                    Param::Text(Some(HistoryOutcome::Started.as_str())),
                ],
            )
            .map_err(|e| self.store_error(&self.config.history_table, &sql, e))?;
        Ok(rows
            .first()
            .and_then(|row| row.first().cloned().flatten())
            .and_then(|id| id.parse().ok()))
    }

    /// `text` as a string literal of this backend's SQL: MySQL also reads
    /// backslashes in literals as escapes.
    fn literal(&self, text: &str) -> String {
        match self.backend {
            Backend::Mysql => quote_literal(&text.replace('\\', "\\\\")),
            Backend::Sqlite | Backend::Postgres => quote_literal(text),
        }
    }

    fn store_error(&self, table: &str, statement: &str, source: DbError) -> Error {
        Error::Store {
            table: table.to_string(),
            statement: statement.to_string(),
            source: Box::new(source),
        }
    }

    /// The statement that reads heads, checksums and interrupted steps at
    /// once. It returns every successful upgrade and repair row and leaves
    /// picking the latest per revision to [`parse_state`]: a GROUP BY here
    /// doubles the server's planning time on the startup path, while the
    /// rows are few (one per applied revision, more only after re-applies).
    pub(crate) fn state_query(&self) -> String {
        let version = self.version_table();
        let history = self.history_table();
        let set = self.literal(&self.config.version_table);
        let ok = quote_literal(HistoryOutcome::Ok.as_str());
        let started = quote_literal(HistoryOutcome::Started.as_str());
        let upgrade = quote_literal(HistoryOperation::Upgrade.as_str());
        let repair = quote_literal(HistoryOperation::Repair.as_str());
        format!(
            "SELECT 'head', version_num, NULL, 0 FROM {version} \
             UNION ALL \
             SELECT outcome, revision, CASE WHEN outcome = {ok} THEN checksum ELSE operation END, id \
             FROM {history} WHERE version_table = {set} \
             AND (outcome = {started} OR (outcome = {ok} AND operation IN ({upgrade}, {repair})))"
        )
    }

    /// Reads the stored state: one query when both tables exist; a database
    /// that Alembic migrated (no history table) costs a second.
    pub(crate) fn read_state(&self, connection: &mut dyn Connection) -> Result<StoredState> {
        let query = self.state_query();
        match connection.query(&query) {
            Ok(rows) => Ok(parse_state(rows)),
            Err(error) if connection.is_undefined_table(&error) => {
                let heads = self.read_heads(connection)?;
                Ok(StoredState {
                    has_version_table: heads.is_some(),
                    heads: heads.unwrap_or_default(),
                    ..StoredState::default()
                })
            }
            Err(error) => Err(self.store_error(&self.config.version_table, &query, error)),
        }
    }

    /// The version table's rows, or `None` when it does not exist.
    pub(crate) fn read_heads(&self, connection: &mut dyn Connection) -> Result<Option<Heads>> {
        let query = format!("SELECT version_num FROM {}", self.version_table());
        match connection.query(&query) {
            Ok(rows) => Ok(Some(
                rows.into_iter()
                    .filter_map(|row| row.into_iter().next().flatten())
                    .collect(),
            )),
            Err(error) if connection.is_undefined_table(&error) => Ok(None),
            Err(error) => Err(self.store_error(&self.config.version_table, &query, error)),
        }
    }

    /// Creates the schema (if configured) and both tables where missing.
    pub(crate) fn ensure_tables(&self, connection: &mut dyn Connection) -> Result<()> {
        let sql = self.ensure_tables_sql();
        connection
            .execute(&sql)
            .map_err(|e| self.store_error(&self.config.version_table, &sql, e))
    }

    /// The statements of [`Store::ensure_tables`], as one string.
    pub(crate) fn ensure_tables_sql(&self) -> String {
        self.ensure_tables_statements()
            .iter()
            .map(|statement| format!("{statement};\n"))
            .collect()
    }

    /// The statements of [`Store::ensure_tables`], one by one.
    pub(crate) fn ensure_tables_statements(&self) -> Vec<String> {
        let mut statements = Vec::new();
        if let (Some(schema), Backend::Postgres | Backend::Mysql) =
            (&self.config.schema, self.backend)
        {
            // On MySQL a schema is a database; CREATE SCHEMA says the same.
            statements.push(format!(
                "CREATE SCHEMA IF NOT EXISTS {}",
                quote_name(self.backend, schema)
            ));
        }
        // MySQL: InnoDB, for transactions; exact (binary) comparison of
        // revision ids, as on the other backends.
        let table_options = match self.backend {
            Backend::Mysql => " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
            Backend::Sqlite | Backend::Postgres => "",
        };
        // Alembic's exact layout, constraint name included.
        statements.push(format!(
            "CREATE TABLE IF NOT EXISTS {} (version_num VARCHAR(32) NOT NULL, CONSTRAINT {} PRIMARY KEY (version_num)){table_options}",
            self.version_table(),
            quote_name(self.backend, &format!("{}_pkc", self.config.version_table)),
        ));
        let (id, started_at, message) = match self.backend {
            Backend::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT", "TEXT"),
            Backend::Postgres => ("BIGSERIAL PRIMARY KEY", "TIMESTAMPTZ", "TEXT"),
            // UTC, to the millisecond; TEXT stops at 64 KB.
            Backend::Mysql => (
                "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
                "DATETIME(3)",
                "LONGTEXT",
            ),
        };
        statements.push(format!(
            "CREATE TABLE IF NOT EXISTS {} (\
             id {id}, \
             version_table VARCHAR(128) NOT NULL, \
             revision VARCHAR(32) NOT NULL, \
             operation VARCHAR(16) NOT NULL, \
             checksum VARCHAR(64), \
             started_at {started_at} NOT NULL, \
             duration_ms BIGINT, \
             executed_by VARCHAR(255), \
             program VARCHAR(255), \
             outcome VARCHAR(16) NOT NULL, \
             message {message}, {}){table_options}",
            self.history_table(),
            SIZE_COLUMNS
                .iter()
                .map(|(name, ty)| format!("{name} {ty}"))
                .collect::<Vec<_>>()
                .join(", "),
        ));
        statements
    }

    /// The history table's column names (lower case); empty when the
    /// table does not exist.
    fn history_columns(&self, connection: &mut dyn Connection) -> Result<Vec<String>> {
        let (sql, name) = match self.backend {
            Backend::Sqlite => (
                "SELECT name FROM pragma_table_info($1)",
                self.config.history_table.clone(),
            ),
            Backend::Postgres => (
                "SELECT attname::text FROM pg_attribute \
                 WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
                self.history_table(),
            ),
            Backend::Mysql => (
                "SELECT column_name FROM information_schema.columns \
                 WHERE table_schema = DATABASE() AND table_name = $1",
                self.config.history_table.clone(),
            ),
        };
        let rows = connection
            .query_with(sql, &[Param::Text(Some(&name))])
            .map_err(|e| self.store_error(&self.config.history_table, sql, e))?;
        Ok(rows
            .into_iter()
            .filter_map(|row| row.into_iter().next().flatten())
            .map(|name| name.to_lowercase())
            .collect())
    }

    /// Brings a history table written by an earlier version up to this
    /// one's columns (the size columns), keeping its rows: the
    /// bookkeeping's own migration. Run before the first step of a run
    /// (never on the no-op path), in a writing transaction so that two
    /// runners on SQLite do not both add a column.
    pub(crate) fn upgrade_history(&self, connection: &mut dyn Connection) -> Result<()> {
        let columns = self.history_columns(connection)?;
        if columns.is_empty() {
            return Ok(());
        }
        for (name, ty) in SIZE_COLUMNS {
            if columns.iter().any(|column| column == name) {
                continue;
            }
            let sql = format!(
                "ALTER TABLE {} ADD COLUMN {name} {ty}",
                self.history_table()
            );
            tracing::info!(table = %self.config.history_table, column = name, "adding a column to the history table");
            connection
                .execute(&sql)
                .map_err(|e| self.store_error(&self.config.history_table, &sql, e))?;
        }
        Ok(())
    }

    /// Replaces the version rows `before` with `after`.
    pub(crate) fn set_heads(
        &self,
        connection: &mut dyn Connection,
        before: &[String],
        after: &[String],
    ) -> Result<()> {
        for statement in self.set_heads_statements(before, after) {
            statement.run(connection, |sql, e| {
                self.store_error(&self.config.version_table, sql, e)
            })?;
        }
        Ok(())
    }

    /// The statements [`Store::set_heads`] runs, their values bound.
    fn set_heads_statements<'v>(
        &'v self,
        before: &'v [String],
        after: &'v [String],
    ) -> Vec<Bound<'v>> {
        let table = self.version_table();
        let mut out = Vec::new();
        for gone in before.iter().filter(|h| !after.contains(h)) {
            out.push(Bound {
                sql: format!("DELETE FROM {table} WHERE version_num = $1"),
                params: vec![Param::Text(Some(gone))],
            });
        }
        for new in after.iter().filter(|h| !before.contains(h)) {
            out.push(Bound {
                sql: format!("INSERT INTO {table} (version_num) VALUES ($1)"),
                params: vec![Param::Text(Some(new))],
            });
        }
        out
    }

    /// The statements [`Store::set_heads`] runs, for offline scripts
    /// (values written as literals: a script has nothing to bind them).
    pub(crate) fn set_heads_sql(&self, before: &[String], after: &[String]) -> Vec<String> {
        self.set_heads_statements(before, after)
            .iter()
            .map(Bound::literal)
            .collect()
    }

    /// The id of a step's `started` history row: when `resuming`, the one
    /// the interrupted run left (if any), which the step carries on; else a
    /// new row saying `message`.
    pub(crate) fn start_step(
        &self,
        connection: &mut dyn Connection,
        revision: &str,
        operation: HistoryOperation,
        started_at: SystemTime,
        resuming: bool,
        message: Option<String>,
    ) -> Result<i64> {
        if resuming {
            if let Some(marker) = self.started_marker(connection, revision, operation)? {
                return Ok(marker);
            }
        }
        self.record(
            connection,
            &StepRecord {
                revision,
                operation,
                checksum: None,
                started_at,
                duration: None,
                outcome: HistoryOutcome::Started,
                message,
                sizes: None,
            },
        )
    }

    /// Appends a history row and returns its id.
    pub(crate) fn record(
        &self,
        connection: &mut dyn Connection,
        record: &StepRecord<'_>,
    ) -> Result<i64> {
        let provenance = Provenance::of(record);
        let mut insert = self.record_statement(record, &provenance);
        let rows = match self.backend {
            // MySQL 8 has no RETURNING: the id is the session's last one.
            Backend::Mysql => insert
                .run(connection, |sql, e| {
                    self.store_error(&self.config.history_table, sql, e)
                })
                .and_then(|()| {
                    connection
                        .query("SELECT LAST_INSERT_ID()")
                        .map_err(|e| self.store_error(&self.config.history_table, &insert.sql, e))
                })?,
            Backend::Sqlite | Backend::Postgres => {
                insert.sql.push_str(" RETURNING id");
                connection
                    .query_with(&insert.sql, &insert.params)
                    .map_err(|e| self.store_error(&self.config.history_table, &insert.sql, e))?
            }
        };
        let id = rows.first().and_then(|row| row.first().cloned().flatten());
        id.as_deref()
            .and_then(|id| id.parse().ok())
            .ok_or_else(|| {
                self.store_error(
                    &self.config.history_table,
                    &insert.sql,
                    DbError::new(
                        DbErrorKind::Other,
                        format!(
                            "the new history row's id came back as {id:?}, not an integer; \
                             check that the history table's id column is the one arx-migrate created"
                        ),
                    ),
                )
            })
    }

    /// Moves the version rows from `before` to `after` and appends the
    /// step's history row.
    pub(crate) fn record_step(
        &self,
        connection: &mut dyn Connection,
        before: &[String],
        after: &[String],
        record: &StepRecord<'_>,
    ) -> Result<()> {
        self.set_heads(connection, before, after)?;
        let provenance = Provenance::of(record);
        self.record_statement(record, &provenance)
            .run(connection, |sql, e| {
                self.store_error(&self.config.history_table, sql, e)
            })
    }

    /// The INSERT of a history row, its values bound.
    fn record_statement<'v>(
        &'v self,
        record: &'v StepRecord<'v>,
        provenance: &'v Provenance,
    ) -> Bound<'v> {
        // The timestamp is written as RFC 3339 text; PostgreSQL's column
        // is a timestamptz, so the text is cast there.
        let started_at = match self.backend {
            Backend::Sqlite => "$5",
            Backend::Postgres => "CAST($5 AS TIMESTAMPTZ)",
            Backend::Mysql => "STR_TO_DATE($5, '%Y-%m-%dT%H:%i:%s.%fZ')",
        };
        let mut params = vec![
            Param::Text(Some(&self.config.version_table)),
            Param::Text(Some(record.revision)),
            Param::Text(Some(record.operation.as_str())),
            Param::Text(record.checksum),
            Param::Text(Some(&provenance.started_at)),
            Param::Integer(record.duration.map(whole_millis)),
            Param::Text(Some(&provenance.executed_by)),
            Param::Text(Some(&provenance.program)),
            Param::Text(Some(record.outcome.as_str())),
            Param::Text(record.message.as_deref()),
        ];
        // The size columns are named only when there are sizes: a stamp
        // or a failure also writes to a history table that an older
        // version created and no step has upgraded yet.
        let mut columns = String::new();
        let mut values = String::new();
        if let Some(sizes) = record.sizes.filter(|sizes| sizes.is_measured()) {
            for ((name, _), param) in SIZE_COLUMNS.iter().zip(size_params(sizes)) {
                params.push(param);
                columns.push_str(&format!(", {name}"));
                values.push_str(&format!(", ${}", params.len()));
            }
        }
        Bound {
            sql: format!(
                "INSERT INTO {} (version_table, revision, operation, checksum, started_at, duration_ms, executed_by, program, outcome, message{columns}) \
                 VALUES ($1, $2, $3, $4, {started_at}, $6, $7, $8, $9, $10{values})",
                self.history_table(),
            ),
            params,
        }
    }

    /// Sets the outcome of the history row `id`.
    pub(crate) fn finish_record(
        &self,
        connection: &mut dyn Connection,
        id: i64,
        finished: &Finished<'_>,
    ) -> Result<()> {
        let Finished {
            outcome,
            duration,
            checksum,
            message,
            sizes,
        } = *finished;
        let mut params = vec![
            Param::Text(Some(outcome.as_str())),
            Param::Integer(Some(whole_millis(duration))),
            Param::Text(checksum),
            Param::Text(message),
            Param::Integer(Some(id)),
        ];
        let mut sets = String::new();
        if let Some(sizes) = sizes.filter(|sizes| sizes.is_measured()) {
            for ((name, _), param) in SIZE_COLUMNS.iter().zip(size_params(sizes)) {
                params.push(param);
                sets.push_str(&format!(", {name} = ${}", params.len()));
            }
        }
        Bound {
            sql: format!(
                "UPDATE {} SET outcome = $1, duration_ms = $2, checksum = COALESCE($3, checksum), message = $4{sets} WHERE id = $5",
                self.history_table(),
            ),
            params,
        }
        .run(connection, |sql, e| {
            self.store_error(&self.config.history_table, sql, e)
        })
    }

    /// Marks unfinished steps as acknowledged, so they stop blocking runs.
    pub(crate) fn acknowledge_interrupted(&self, connection: &mut dyn Connection) -> Result<()> {
        Bound {
            sql: format!(
                "UPDATE {} SET outcome = $1 WHERE version_table = $2 AND outcome = $3",
                self.history_table(),
            ),
            params: vec![
                Param::Text(Some(HistoryOutcome::Interrupted.as_str())),
                Param::Text(Some(&self.config.version_table)),
                Param::Text(Some(HistoryOutcome::Started.as_str())),
            ],
        }
        .run(connection, |sql, e| {
            self.store_error(&self.config.history_table, sql, e)
        })
    }

    /// Every history row of this migration set, oldest first.
    pub(crate) fn history(&self, connection: &mut dyn Connection) -> Result<Vec<HistoryEntry>> {
        let started_at = match self.backend {
            Backend::Sqlite => "started_at",
            Backend::Postgres => {
                "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
            }
            Backend::Mysql => {
                "CONCAT(LEFT(DATE_FORMAT(started_at, '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')"
            }
        };
        // A history table that no step has upgraded yet lacks the size
        // columns: they read as NULL.
        let columns = self.history_columns(connection)?;
        if columns.is_empty() {
            return Ok(Vec::new());
        }
        let sizes = SIZE_COLUMNS
            .iter()
            .map(|(name, _)| {
                if columns.iter().any(|column| column == name) {
                    format!(", {name}")
                } else {
                    ", NULL".to_string()
                }
            })
            .collect::<String>();
        let sql = format!(
            "SELECT id, revision, operation, checksum, {started_at}, duration_ms, executed_by, program, outcome, message{sizes} \
             FROM {} WHERE version_table = {} ORDER BY id",
            self.history_table(),
            self.literal(&self.config.version_table),
        );
        let rows = match connection.query(&sql) {
            Ok(rows) => rows,
            Err(error) if connection.is_undefined_table(&error) => return Ok(Vec::new()),
            Err(error) => return Err(self.store_error(&self.config.history_table, &sql, error)),
        };
        rows.into_iter()
            .map(|row| {
                let mut values = row.into_iter();
                let mut next = || values.next().flatten();
                let id = next().unwrap_or_default();
                let unreadable = |what: &str, value: &str| {
                    self.store_error(
                        &self.config.history_table,
                        &sql,
                        DbError::new(
                            DbErrorKind::Other,
                            format!(
                                "history row {id}: {what} {value:?} is not one this version of \
                                 arx-migrate writes; was the row written by a newer version?"
                            ),
                        ),
                    )
                };
                let revision = next().unwrap_or_default();
                let operation = next().unwrap_or_default();
                let operation = HistoryOperation::parse(&operation)
                    .ok_or_else(|| unreadable("operation", &operation))?;
                Ok(HistoryEntry {
                    id: id.parse().map_err(|_| unreadable("id", &id))?,
                    revision,
                    operation,
                    checksum: next(),
                    started_at: next().unwrap_or_default(),
                    duration_ms: next().and_then(|v| v.parse().ok()),
                    executed_by: next(),
                    program: next(),
                    outcome: {
                        let outcome = next().unwrap_or_default();
                        HistoryOutcome::parse(&outcome)
                            .ok_or_else(|| unreadable("outcome", &outcome))?
                    },
                    message: next(),
                    sizes: StepSizes {
                        database_before: next().and_then(|v| v.parse().ok()),
                        database_after: next().and_then(|v| v.parse().ok()),
                        table: next(),
                        table_before: next().and_then(|v| v.parse().ok()),
                        table_after: next().and_then(|v| v.parse().ok()),
                    },
                })
            })
            .collect()
    }
}

/// How a started step ended, for [`Store::finish_record`].
#[derive(Clone, Copy)]
pub(crate) struct Finished<'a> {
    pub(crate) outcome: HistoryOutcome,
    pub(crate) duration: Duration,
    pub(crate) checksum: Option<&'a str>,
    pub(crate) message: Option<&'a str>,
    pub(crate) sizes: Option<&'a StepSizes>,
}

/// A history row to write.
pub(crate) struct StepRecord<'a> {
    pub(crate) revision: &'a str,
    pub(crate) operation: HistoryOperation,
    pub(crate) checksum: Option<&'a str>,
    pub(crate) started_at: SystemTime,
    pub(crate) duration: Option<Duration>,
    pub(crate) outcome: HistoryOutcome,
    pub(crate) message: Option<String>,
    pub(crate) sizes: Option<&'a StepSizes>,
}

/// The size columns' values, in [`SIZE_COLUMNS`]' order.
fn size_params(sizes: &StepSizes) -> [Param<'_>; 5] {
    [
        Param::Integer(sizes.database_before),
        Param::Integer(sizes.database_after),
        Param::Text(sizes.table.as_deref()),
        Param::Integer(sizes.table_before),
        Param::Integer(sizes.table_after),
    ]
}

fn parse_state(rows: Vec<crate::backend::Row>) -> StoredState {
    let mut state = StoredState {
        has_version_table: true,
        has_history_table: true,
        ..StoredState::default()
    };
    // The latest successful upgrade or repair of a revision holds its checksum.
    let mut latest: HashMap<String, (i64, String)> = HashMap::new();
    let mut heads = Vec::new();
    for row in rows {
        let mut values = row.into_iter();
        let kind = values.next().flatten().unwrap_or_default();
        let revision = values.next().flatten().unwrap_or_default();
        let value = values.next().flatten();
        let id: i64 = values
            .next()
            .flatten()
            .and_then(|id| id.parse().ok())
            .unwrap_or_default();
        if kind == "head" {
            heads.push(revision);
            continue;
        }
        match (HistoryOutcome::parse(&kind), value) {
            (Some(HistoryOutcome::Ok), Some(checksum)) => {
                let newer = latest.get(&revision).is_none_or(|(seen, _)| *seen < id);
                if newer {
                    latest.insert(revision, (id, checksum));
                }
            }
            (Some(HistoryOutcome::Started), operation) => {
                let direction = match operation.as_deref().and_then(HistoryOperation::parse) {
                    Some(HistoryOperation::Downgrade) => Direction::Downgrade,
                    _ => Direction::Upgrade,
                };
                state.interrupted.push((revision, direction));
            }
            _ => {}
        }
    }
    state.checksums = latest
        .into_iter()
        .map(|(revision, (_, checksum))| (revision, checksum))
        .collect();
    state.heads = Heads::from(heads);
    state
}

/// A bookkeeping statement with the values it binds to `$1`, `$2`, ….
struct Bound<'v> {
    sql: String,
    params: Vec<Param<'v>>,
}

impl Bound<'_> {
    /// Runs it; a failure becomes `error(sql, cause)`, the SQL with its
    /// placeholders (the values stay out of messages).
    fn run(
        &self,
        connection: &mut dyn Connection,
        error: impl FnOnce(&str, DbError) -> Error,
    ) -> Result<()> {
        connection
            .execute_with(&self.sql, &self.params)
            .map_err(|cause| error(&self.sql, cause))
    }

    /// The statement with its values as literals, for an offline script.
    fn literal(&self) -> String {
        inline_params(&self.sql, &self.params)
    }
}

/// The text values of a history row that are computed rather than given:
/// when it started, who runs the step and with which program.
struct Provenance {
    started_at: String,
    executed_by: String,
    program: String,
}

impl Provenance {
    fn of(record: &StepRecord<'_>) -> Self {
        Provenance {
            started_at: utc_timestamp(record.started_at),
            executed_by: executed_by(),
            program: program_name(),
        }
    }
}

/// An identifier quoted for `backend`: backticks on MySQL (whose
/// double quotes are strings unless `ANSI_QUOTES` is on), double quotes
/// elsewhere.
pub(crate) fn quote_name(backend: Backend, name: &str) -> String {
    match backend {
        Backend::Mysql => format!("`{}`", name.replace('`', "``")),
        Backend::Sqlite | Backend::Postgres => quote_ident(name),
    }
}

/// A UTC timestamp in RFC 3339 with milliseconds.
pub(crate) fn utc_timestamp(time: SystemTime) -> String {
    crate::not_api::utc::UtcDateTime::from_system_time(time).rfc3339_millis()
}

/// A duration in whole milliseconds, rounded (1.6 ms is 2, not 1), as the
/// history table's `duration_ms` keeps it.
fn whole_millis(duration: Duration) -> i64 {
    i64::try_from((duration.as_micros() + 500) / 1000).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(utc_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap_day = UNIX_EPOCH + Duration::from_millis(951_782_400_250);
        assert_eq!(utc_timestamp(leap_day), "2000-02-29T00:00:00.250Z");
        let later = UNIX_EPOCH + Duration::from_secs(1_795_478_400 + 3_723);
        assert_eq!(utc_timestamp(later), "2026-11-24T01:02:03.000Z");
    }

    /// A connection that remembers the SQL text it is given.
    #[cfg(feature = "sqlite")]
    struct Recording {
        inner: rusqlite::Connection,
        texts: Vec<String>,
    }

    #[cfg(feature = "sqlite")]
    impl Connection for Recording {
        fn backend(&self) -> Backend {
            Backend::Sqlite
        }
        fn execute(&mut self, sql: &str) -> Result<(), DbError> {
            self.texts.push(sql.to_string());
            Connection::execute(&mut self.inner, sql)
        }
        fn query(&mut self, sql: &str) -> Result<Vec<crate::backend::Row>, DbError> {
            self.texts.push(sql.to_string());
            Connection::query(&mut self.inner, sql)
        }
        fn execute_with(&mut self, sql: &str, params: &[Param<'_>]) -> Result<(), DbError> {
            self.texts.push(sql.to_string());
            self.inner.execute_with(sql, params)
        }
        fn query_with(
            &mut self,
            sql: &str,
            params: &[Param<'_>],
        ) -> Result<Vec<crate::backend::Row>, DbError> {
            self.texts.push(sql.to_string());
            self.inner.query_with(sql, params)
        }
        fn is_undefined_table(&self, error: &DbError) -> bool {
            self.inner.is_undefined_table(error)
        }
        fn prepare_run(
            &mut self,
            settings: &crate::backend::RunSettings,
        ) -> Result<crate::backend::PreparedRun, DbError> {
            self.inner.prepare_run(settings)
        }
        fn try_run_lock(&mut self, key: i64) -> Result<bool, DbError> {
            self.inner.try_run_lock(key)
        }
        fn run_lock_is_exclusive(&self) -> bool {
            self.inner.run_lock_is_exclusive()
        }
        fn release_run_lock(&mut self, key: i64) -> Result<(), DbError> {
            self.inner.release_run_lock(key)
        }
        fn current_schema(&mut self) -> Result<String, DbError> {
            self.inner.current_schema()
        }
        fn data(&mut self) -> crate::backend::DataConnection<'_> {
            self.inner.data()
        }
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn the_bookkeeping_binds_every_value_it_writes() {
        let config = StoreConfig::default();
        let store = Store::new(&config, Backend::Sqlite);
        let mut connection = Recording {
            inner: rusqlite::Connection::open_in_memory().unwrap(),
            texts: Vec::new(),
        };
        store.ensure_tables(&mut connection).unwrap();
        connection.texts.clear();
        let revision = "r'001";
        let message = "it's done; DROP TABLE x; --";
        let record = StepRecord {
            revision,
            operation: HistoryOperation::Upgrade,
            checksum: Some("c'sum"),
            started_at: SystemTime::now(),
            duration: Some(Duration::from_millis(3)),
            outcome: HistoryOutcome::Ok,
            message: Some(message.to_string()),
            sizes: None,
        };
        store
            .record_step(&mut connection, &[], &[revision.to_string()], &record)
            .unwrap();
        let id = store.record(&mut connection, &record).unwrap();
        store
            .finish_record(
                &mut connection,
                id,
                &Finished {
                    outcome: HistoryOutcome::Failed,
                    duration: Duration::ZERO,
                    checksum: None,
                    message: Some(message),
                    sizes: None,
                },
            )
            .unwrap();
        store.acknowledge_interrupted(&mut connection).unwrap();
        // The version table's name is also a table's: as a value it would
        // be a quoted literal.
        let set_as_literal = format!("'{}'", config.version_table);
        for text in &connection.texts {
            for value in [revision, message, "c'sum", set_as_literal.as_str()] {
                assert!(!text.contains(value), "{value:?} spliced into {text}");
            }
        }
        assert_eq!(
            store.read_heads(&mut connection).unwrap().unwrap().to_vec(),
            [revision]
        );
        let history = store.history(&mut connection).unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].revision, revision);
        assert_eq!(history[0].message.as_deref(), Some(message));
        assert_eq!(history[0].checksum.as_deref(), Some("c'sum"));
        assert_eq!(history[1].outcome, HistoryOutcome::Failed);
    }
}
