//! The [`Ops`] type: where statements go (a connection, a record, a
//! script), rendering for the connection's backend, and the calls a
//! migration makes on it. The portable alterations are in `alter`.

use super::sqlite_rebuild::TableChange;
use super::sqlite_tokens::{Kind, Tokens};
use super::statement::Statement;
use super::touched::{touched_table, Touch, TouchedTables};
use crate::backend::{Backend, Connection, DataConnection};
use crate::checksum::ChecksumBuilder;
use crate::error::{Direction, Error, Result, StatementFailure};
use crate::not_api::text::quote_ident;
use crate::runner::{gave_up, is_lock_timeout, LockRetry, LockRetryReport, Progress};
use std::collections::BTreeSet;

/// Where the statements go.
pub(super) enum Sink<'a> {
    /// Run each statement on the connection.
    Live(&'a mut dyn Connection),
    /// Keep them, in order (lint, checksums, `show`).
    Record(Vec<String>),
    /// Keep them as a script to run elsewhere (`upgrade --sql`): only SQL
    /// that the backend runs as it is.
    Script(Vec<String>),
}

/// What a live run gives its `Ops` beyond the connection: how to retry a
/// statement that times out waiting for a lock outside a transaction, and
/// where to report it.
pub(crate) struct LiveSettings<'a> {
    pub(crate) lock_retry: Option<LockRetry>,
    pub(crate) progress: Option<&'a mut dyn FnMut(Progress<'_>)>,
}

/// What a live run lends its `Ops` for backfills: where positions are
/// kept (the progress callback comes with the live settings).
pub(crate) struct RunnerContext {
    pub(crate) book: crate::backfill::BackfillBook,
    /// Where expand/contract changes are recorded.
    pub(crate) expansions: crate::expand::ExpandBook,
}

/// SQLite alterations of one table waiting to be made together, by native
/// `ALTER TABLE` where each can be, else by one rebuild.
pub(super) struct PendingTable {
    pub(super) table: String,
    pub(super) changes: Vec<TableChange>,
    /// Each change's native statement, while every change has one.
    pub(super) native: Option<Vec<String>>,
}

/// The context a migration writes its changes to.
///
/// - [`Ops::exec`] runs a sea-query statement, [`Ops::sql`] (and
///   [`Ops::postgres`], [`Ops::sqlite`], [`Ops::mysql`]) raw SQL;
/// - the alterations of existing tables, one call for every backend (on
///   MariaDB/MySQL with `ALGORITHM=INSTANT`, or `INPLACE` and `LOCK=NONE`,
///   where the server can; see `docs/mysql.md`):
///   [`Ops::add_column`], [`Ops::drop_column`], [`Ops::rename_column`],
///   [`Ops::alter_column`], [`Ops::create_index`], [`Ops::drop_index`],
///   [`Ops::add_foreign_key`], [`Ops::drop_foreign_key`], [`Ops::add_check`],
///   [`Ops::drop_check`], [`Ops::add_unique`], [`Ops::drop_unique`],
///   [`Ops::set_primary_key`], [`Ops::rename_table`];
/// - the forms that keep a busy PostgreSQL table usable:
///   [`Ops::add_foreign_key_not_valid`], [`Ops::add_check_not_valid`],
///   [`Ops::validate_constraint`], [`Ops::set_not_null`] (and
///   [`Ops::drop_not_null`]);
/// - [`Ops::backfill`], a durable batched `UPDATE` of a large table;
/// - [`Ops::expand`], [`Ops::contract`] (and [`Ops::undo_expand`],
///   [`Ops::undo_contract`]): a column change across two deploys;
/// - [`Ops::connection`] for data migrations.
///
/// On SQLite the alterations of a table that SQLite's ALTER TABLE cannot
/// make are queued and made by one rebuild of the table, when the migration
/// function returns or before the next statement that names the table.
///
/// ```
/// # extern crate arx_migrate_core as arx_migrate;
/// use arx_migrate::{render, Backend, Direction, FnMigration, Ops, Result};
/// use arx_migrate::sea_query::{ColumnDef, Iden, Table};
///
/// fn upgrade(op: &mut Ops) -> Result<()> {
///     op.exec(
///         Table::create()
///             .table("notes")
///             .col(ColumnDef::new("id").integer().primary_key())
///             .col(ColumnDef::new("body").text().not_null()),
///     )?;
///     // Raw SQL for one backend only, where sea-query has no words for it.
///     op.postgres("COMMENT ON TABLE notes IS 'free text'")?;
///     Ok(())
/// }
///
/// let notes = FnMigration::new("r1", &[], upgrade, |op| op.sql("DROP TABLE notes"));
/// let sql = render(&notes, Backend::Sqlite, Direction::Upgrade).into_result()?;
/// assert_eq!(sql.len(), 1);
/// # Ok::<(), arx_migrate::Error>(())
/// ```
pub struct Ops<'a> {
    pub(super) backend: Backend,
    pub(super) revision: String,
    pub(super) direction: Direction,
    pub(super) sink: Sink<'a>,
    pub(super) checksum: ChecksumBuilder,
    pub(super) in_transaction: bool,
    pub(super) statements_run: usize,
    /// Statements queued to go to the server in one round trip (inside a
    /// transaction only: a non-transactional migration sends each alone).
    pending: Vec<String>,
    /// SQLite alterations not yet made, per table, in the order first met.
    pub(super) tables: Vec<PendingTable>,
    /// Whether statements may be queued: not while a timeout may cancel
    /// one (see [`Ops::flush`]).
    batch: bool,
    /// Tables this migration created: they have no rows and no readers
    /// yet, so their alterations keep their plain forms.
    pub(super) created_tables: BTreeSet<String>,
    /// Retries of a statement that timed out waiting for a lock (live, in
    /// a non-transactional migration only: in a transaction the runner
    /// retries the whole step).
    lock_retry: Option<LockRetry>,
    /// Where retries are reported.
    pub(super) progress: Option<&'a mut dyn FnMut(Progress<'_>)>,
    /// What a live run lends for backfills (none offline).
    pub(super) runner: Option<RunnerContext>,
    /// How many backfills ran.
    pub(super) backfills_run: usize,
    /// The journal of a half-applied revision (live, on MariaDB and
    /// MySQL, where DDL commits by itself): see `journaled`.
    pub(super) journal: Option<crate::journal::cursor::JournalCursor>,
    /// The reverse the migration named for the statement it runs next
    /// ([`Ops::mysql_reversible`]).
    pub(super) next_reverse: Option<String>,
    /// The tables the statements changed, for the history's size columns.
    pub(super) touched: TouchedTables,
}

impl<'a> Ops<'a> {
    pub(crate) fn live(
        connection: &'a mut dyn Connection,
        revision: &str,
        direction: Direction,
        in_transaction: bool,
        batch: bool,
    ) -> Self {
        Ops {
            backend: connection.backend(),
            revision: revision.to_string(),
            direction,
            sink: Sink::Live(connection),
            checksum: ChecksumBuilder::new(),
            in_transaction,
            statements_run: 0,
            pending: Vec::new(),
            tables: Vec::new(),
            batch: in_transaction && batch,
            created_tables: BTreeSet::new(),
            lock_retry: None,
            progress: None,
            runner: None,
            backfills_run: 0,
            journal: None,
            next_reverse: None,
            touched: TouchedTables::default(),
        }
    }

    /// Adds what the live run gives beyond the connection.
    pub(crate) fn with_live_settings(mut self, live: LiveSettings<'a>) -> Self {
        self.lock_retry = live.lock_retry.filter(|_| !self.in_transaction);
        self.progress = live.progress;
        self
    }

    /// Runs each statement under the journal of half-applied revisions:
    /// skipped when an earlier run applied it unchanged, else run and
    /// recorded.
    pub(crate) fn with_journal(mut self, journal: crate::journal::cursor::JournalCursor) -> Self {
        self.journal = Some(journal);
        self
    }

    /// After the migration function returned: refuses when an earlier run
    /// applied statements the function no longer has.
    pub(crate) fn finish_journal(&self) -> Result<()> {
        match &self.journal {
            Some(journal) => journal.check_complete(),
            None => Ok(()),
        }
    }

    /// An `Ops` that records what a migration renders (lint, checksums,
    /// `show`); see [`Ops::transactional`].
    pub(crate) fn recording(backend: Backend, revision: &str, direction: Direction) -> Self {
        Self::offline(backend, revision, direction, Sink::Record(Vec::new()))
    }

    /// An `Ops` that writes an offline script (`upgrade --sql`): what
    /// cannot be written as SQL to run as it is (an SQLite table rebuild)
    /// is an error.
    pub(crate) fn scripting(backend: Backend, revision: &str, direction: Direction) -> Self {
        Self::offline(backend, revision, direction, Sink::Script(Vec::new()))
    }

    /// Renders for a migration that is (or is not) transactional; offline
    /// renders assume it is unless told.
    pub(crate) fn transactional(mut self, transactional: bool) -> Self {
        self.in_transaction = transactional;
        self
    }

    fn offline(backend: Backend, revision: &str, direction: Direction, sink: Sink<'a>) -> Self {
        Ops {
            backend,
            revision: revision.to_string(),
            direction,
            sink,
            checksum: ChecksumBuilder::new(),
            in_transaction: true,
            statements_run: 0,
            pending: Vec::new(),
            tables: Vec::new(),
            batch: false,
            created_tables: BTreeSet::new(),
            lock_retry: None,
            progress: None,
            runner: None,
            backfills_run: 0,
            journal: None,
            next_reverse: None,
            touched: TouchedTables::default(),
        }
    }

    /// The backend the statements are rendered for.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The revision being applied or reverted.
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// Whether the change is being applied or reverted.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// Whether the statements run inside a transaction.
    pub fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    /// Whether the statements are recorded rather than run (offline SQL,
    /// lint, checksums).
    pub fn is_offline(&self) -> bool {
        !matches!(self.sink, Sink::Live(_))
    }

    /// Renders a sea-query statement for this backend and runs it.
    ///
    /// A statement that sea-query cannot render for the backend (on SQLite:
    /// modifying a column, adding or dropping a foreign key or constraint,
    /// several changes in one `ALTER TABLE`) is an [`Error::Unsupported`]
    /// naming the revision, the operation and the portable call that does
    /// it (such as [`Ops::alter_column`]); nothing is printed.
    pub fn exec(&mut self, statement: impl Statement) -> Result<()> {
        let backend = self.backend;
        let reason = match statement.unsupported(backend) {
            Some(reason) => reason,
            None => match crate::not_api::panic::catch_quietly(|| statement.render(backend)) {
                Ok(sql) => return self.run(sql),
                Err(panic) => format!("sea-query cannot render it: {panic}"),
            },
        };
        Err(self.unsupported(statement.describe(), reason))
    }

    pub(super) fn unsupported(&self, operation: impl std::fmt::Display, reason: String) -> Error {
        Error::Unsupported {
            operation: format!("{operation} in revision {}", self.revision),
            backend: self.backend.name(),
            reason,
        }
    }

    /// Refuses a call that is not built for MariaDB and MySQL yet, rather
    /// than sending them another backend's SQL.
    pub(super) fn not_on_mysql_yet(&self, operation: &str) -> Result<()> {
        if self.backend != Backend::Mysql {
            return Ok(());
        }
        Err(self.unsupported(
            format!("Ops::{operation}"),
            "this call is not built for MariaDB and MySQL yet; write the change as SQL with op.mysql(\"…\") (and the other backends' with op.postgres / op.sqlite)".to_string(),
        ))
    }

    /// Runs raw SQL on every backend.
    pub fn sql(&mut self, sql: impl Into<String>) -> Result<()> {
        self.run(sql.into())
    }

    /// Runs raw SQL on PostgreSQL only; does nothing on other backends.
    pub fn postgres(&mut self, sql: impl Into<String>) -> Result<()> {
        if self.backend == Backend::Postgres {
            self.run(sql.into())?;
        }
        Ok(())
    }

    /// Runs raw SQL on MariaDB and MySQL only; does nothing on other
    /// backends. Each DDL statement commits by itself there.
    pub fn mysql(&mut self, sql: impl Into<String>) -> Result<()> {
        if self.backend == Backend::Mysql {
            self.run(sql.into())?;
        }
        Ok(())
    }

    /// Runs raw SQL on MariaDB and MySQL only, naming the statement that
    /// undoes it; does nothing on other backends. When a run fails half
    /// way through the revision, `arx-migrate repair --roll-back` runs
    /// the reverses of the statements that were applied, newest first.
    /// Statements whose text says what they create (`CREATE TABLE`,
    /// `CREATE INDEX`, `ALTER TABLE … ADD COLUMN`) have their reverse
    /// found without this; see the docs' "Half-applied revisions".
    ///
    /// ```
    /// # extern crate arx_migrate_core as arx_migrate;
    /// use arx_migrate::{render, Backend, Direction, FnMigration};
    /// let m = FnMigration::new(
    ///     "r1",
    ///     &[],
    ///     |op| op.mysql_reversible("ALTER TABLE notes RENAME COLUMN body TO text", "ALTER TABLE notes RENAME COLUMN text TO body"),
    ///     |op| op.mysql("ALTER TABLE notes RENAME COLUMN text TO body"),
    /// );
    /// let sql = render(&m, Backend::Mysql, Direction::Upgrade).into_result()?;
    /// assert_eq!(sql, ["ALTER TABLE notes RENAME COLUMN body TO text"]);
    /// # Ok::<(), arx_migrate::Error>(())
    /// ```
    pub fn mysql_reversible(
        &mut self,
        sql: impl Into<String>,
        reverse: impl Into<String>,
    ) -> Result<()> {
        if self.backend == Backend::Mysql {
            self.next_reverse = Some(reverse.into());
            let result = self.run(sql.into());
            self.next_reverse = None;
            result?;
        }
        Ok(())
    }

    /// Runs raw SQL on SQLite only; does nothing on other backends.
    pub fn sqlite(&mut self, sql: impl Into<String>) -> Result<()> {
        if self.backend == Backend::Sqlite {
            self.run(sql.into())?;
        }
        Ok(())
    }

    /// On PostgreSQL, `CREATE EXTENSION IF NOT EXISTS name`; when the
    /// server does not have the extension installed, or the role may not
    /// create it, the error says which and how to fix it. Call it before
    /// anything else in the migration so that nothing is changed when it
    /// fails. Does nothing on SQLite.
    pub fn require_extension(&mut self, name: &str) -> Result<()> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        let sql = format!("CREATE EXTENSION IF NOT EXISTS {}", quote_ident(name));
        // Sent at once, so that its error can be told apart.
        self.run(sql)
            .and_then(|()| self.send_pending())
            .map_err(|error| extension_hint(error, name))
    }

    /// The connection, for data migrations that read or write rows. It is
    /// inside the migration's transaction: do not commit or roll back.
    ///
    /// Offline (`--sql`, lint) this is [`Error::NeedsConnection`]. Statements
    /// run through the connection are not part of the revision's checksum.
    pub fn connection(&mut self) -> Result<DataConnection<'_>> {
        self.checksum.add_marker("data access");
        self.flush()?;
        if self.journal.as_ref().is_some_and(|j| j.applied_ahead()) {
            return Err(Error::Migration {
                revision: self.revision.clone(),
                direction: self.direction,
                message: "an earlier run applied statements of this revision that come after its data access through op.connection(); that access is not journalled and would run a second time, so the revision cannot be resumed: settle it with `arx-migrate repair --mark-applied` or `--roll-back` (see the docs' \"Half-applied revisions\")".to_string(),
            });
        }
        match &mut self.sink {
            Sink::Live(connection) => Ok(connection.data()),
            Sink::Record(_) | Sink::Script(_) => Err(Error::NeedsConnection {
                revision: self.revision.clone(),
            }),
        }
    }

    pub(super) fn run(&mut self, sql: String) -> Result<()> {
        self.flush_tables_named_in(&sql, None)?;
        self.note_touch(touched_table(&sql));
        if let Some(table) = created_table(&sql) {
            self.created_tables.insert(table);
        }
        self.checksum.add_statement(&sql);
        match &mut self.sink {
            Sink::Record(statements) | Sink::Script(statements) => {
                statements.push(sql);
                Ok(())
            }
            Sink::Live(_) => {
                tracing::debug!(revision = %self.revision, statement = %sql, "executing");
                self.statements_run += 1;
                if sets_a_timeout(&sql) {
                    // `SET LOCAL lock_timeout = …`: from here on a
                    // statement may be cancelled, so each goes alone.
                    self.batch = false;
                }
                if self.batch {
                    self.pending.push(sql);
                    Ok(())
                } else {
                    self.send_pending()?;
                    self.execute_one(sql)
                }
            }
        }
    }

    /// Runs `actual` live (and writes it to a script), while the checksum
    /// and a recording (lint, `show`) see `canonical`, the statement it
    /// stands for, which does not depend on the database. `actual` is
    /// `None` where it cannot be known (recording offline).
    pub(super) fn run_standing_for(
        &mut self,
        canonical: String,
        actual: Option<String>,
    ) -> Result<()> {
        self.checksum.add_statement(&canonical);
        match &mut self.sink {
            Sink::Record(statements) => {
                statements.push(canonical);
                Ok(())
            }
            Sink::Script(statements) => {
                statements.push(actual.unwrap_or(canonical));
                Ok(())
            }
            Sink::Live(_) => {
                let actual = actual.unwrap_or(canonical);
                tracing::debug!(revision = %self.revision, statement = %actual, "executing");
                self.statements_run += 1;
                self.send_pending()?;
                self.execute_one(actual)
            }
        }
    }

    /// Whether the statements go to a script to run elsewhere
    /// (`upgrade --sql`).
    pub(super) fn is_script(&self) -> bool {
        matches!(self.sink, Sink::Script(_))
    }

    /// Makes everything queued happen: the statements, then the SQLite
    /// alterations of each table. The runner calls it when the migration
    /// function returns.
    pub(crate) fn flush(&mut self) -> Result<()> {
        self.send_pending()?;
        while !self.tables.is_empty() {
            let table = self.tables.remove(0);
            self.alter_sqlite_table(table)?;
        }
        Ok(())
    }

    /// Sends the queued statements in one round trip. On an error, the
    /// batch is undone to a savepoint and the statements are sent one by
    /// one, so that the error names the statement that failed (the
    /// runner then rolls the whole step back). That replay is sound only
    /// when no timeout may cancel a statement, or the one that timed out
    /// would wait a second time: the runner batches only then, and a
    /// statement that sets a timeout ends batching.
    pub(super) fn send_pending(&mut self) -> Result<()> {
        let mut pending = std::mem::take(&mut self.pending);
        if pending.len() <= 1 {
            return pending.pop().map_or(Ok(()), |sql| self.execute_one(sql));
        }
        let Sink::Live(connection) = &mut self.sink else {
            return Ok(());
        };
        let mut batch = String::from("SAVEPOINT arx_migrate_batch;\n");
        for sql in &pending {
            batch.push_str(sql.trim_end().trim_end_matches(';'));
            batch.push_str(";\n");
        }
        batch.push_str("RELEASE SAVEPOINT arx_migrate_batch");
        let Err(batch_error) = connection.execute(&batch) else {
            return Ok(());
        };
        // Nothing of the batch stays applied on a failure.
        if connection
            .execute("ROLLBACK TO SAVEPOINT arx_migrate_batch")
            .is_err()
        {
            // There is no savepoint: the server rejected the batch before
            // running any of it (PostgreSQL parses a multi-statement query
            // whole, so a syntax error in one statement does this) and the
            // transaction is aborted, so the statements cannot be tried
            // one by one. Report the server's error with the batch.
            return Err(self.statement_error(
                format!(
                    "(one of these {} statements, rejected together) {}",
                    pending.len(),
                    pending.join("; ")
                ),
                batch_error,
            ));
        }
        let count = pending.len();
        if is_cancellation(&batch_error) {
            // A timeout set where the runner cannot see it (a function, a
            // role changed by an earlier statement): do not wait again.
            return Err(self.statement_error(
                format!("(one of a batch of {count} statements)"),
                batch_error,
            ));
        }
        for sql in pending {
            self.execute_one(sql)?;
        }
        Err(self.statement_error(
            format!("(a batch of {count} statements that each succeed alone)"),
            batch_error,
        ))
    }

    pub(super) fn execute_one(&mut self, sql: String) -> Result<()> {
        if self.journal.is_some() {
            let reverse = self.next_reverse.take();
            return self.execute_journaled(sql, reverse);
        }
        self.execute_with_retries(sql)
    }

    /// Runs one statement, retrying it when it times out waiting for a
    /// lock (outside a transaction, under [`LockRetry`]).
    pub(super) fn execute_with_retries(&mut self, sql: String) -> Result<()> {
        let mut attempt = 1;
        loop {
            let Sink::Live(connection) = &mut self.sink else {
                return Ok(());
            };
            let error = match connection.execute(&sql) {
                Ok(()) => return Ok(()),
                Err(source) => self.statement_error(sql.clone(), source),
            };
            let Some(retry) = self.lock_retry.filter(|_| is_lock_timeout(&error)) else {
                return Err(error);
            };
            if attempt >= retry.get_attempts() {
                return Err(gave_up(error, &retry));
            }
            // Outside a transaction the statement that timed out changed
            // nothing: running it again is sound.
            let report = LockRetryReport {
                revision: self.revision.clone(),
                statement: sql.clone(),
                attempt,
                attempts: retry.get_attempts(),
                pause: retry.pause(attempt),
            };
            report.log();
            if let Some(progress) = &mut self.progress {
                progress(Progress::LockRetry(&report));
            }
            std::thread::sleep(report.pause);
            attempt += 1;
        }
    }

    /// Runs a query on the live connection, outside the checksum (what the
    /// runner asks the database to decide what to run); `None` offline.
    pub(super) fn live_query(&mut self, sql: &str) -> Result<Option<Vec<crate::backend::Row>>> {
        let Sink::Live(connection) = &mut self.sink else {
            return Ok(None);
        };
        match connection.query(sql) {
            Ok(rows) => Ok(Some(rows)),
            Err(source) => Err(self.statement_error(sql.to_string(), source)),
        }
    }

    /// Whether `table` was created by this migration (before this call):
    /// then it has no rows and no readers, and plain forms are fine.
    pub(super) fn created_here(&self, table: &str) -> bool {
        self.created_tables.contains(table)
    }

    pub(super) fn statement_error(
        &self,
        statement: String,
        source: crate::error::DbError,
    ) -> Error {
        Error::Statement(Box::new(StatementFailure {
            revision: self.revision.clone(),
            direction: self.direction,
            statement,
            source,
            rolled_back: false,
            hint: None,
        }))
    }

    pub(crate) fn into_recorded(self) -> Vec<String> {
        match self.sink {
            Sink::Record(statements) | Sink::Script(statements) => statements,
            Sink::Live(_) => Vec::new(),
        }
    }

    pub(crate) fn finish_checksum(&self) -> String {
        self.checksum.clone().finish()
    }

    /// Remembers the table a statement changes; live, while the step
    /// may still touch one table only, measures its size before the
    /// statement runs. A measurement that fails is logged and left out:
    /// it never fails the step.
    pub(super) fn note_touch(&mut self, touch: Touch) {
        let table = match touch {
            Touch::Nothing => return,
            Touch::Unknown => {
                self.touched.unknown = true;
                return;
            }
            Touch::Table(schema, name) => (schema, name),
        };
        if !self.touched.still_single() || self.touched.contains(&table) {
            return;
        }
        let before = match &mut self.sink {
            Sink::Live(connection) => connection
                .relation_size(table.0.as_deref(), &table.1)
                .unwrap_or_else(|error| {
                    tracing::debug!(%error, table = %table.1, "could not read the table's size");
                    None
                }),
            Sink::Record(_) | Sink::Script(_) => None,
        };
        self.touched.tables.push((table, before));
    }

    /// The one table the step changed, with its size before, or `None`.
    pub(crate) fn touched_table(&self) -> Option<super::touched::Measured> {
        self.touched.single()
    }

    pub(crate) fn statements_run(&self) -> usize {
        self.statements_run
    }
}

/// The table a `CREATE TABLE` statement creates, unquoted (the last part
/// of a qualified name).
fn created_table(sql: &str) -> Option<String> {
    let tokens = Tokens::new(sql).ok()?;
    if !tokens.is_word(0, "CREATE") {
        return None;
    }
    let mut i = 1;
    while ["TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL"]
        .iter()
        .any(|w| tokens.is_word(i, w))
    {
        i += 1;
    }
    if !tokens.is_word(i, "TABLE") {
        return None;
    }
    i += 1;
    if tokens.is_word(i, "IF") && tokens.is_word(i + 1, "NOT") && tokens.is_word(i + 2, "EXISTS") {
        i += 3;
    }
    while tokens.is_punct(i + 1, '.') {
        i += 2;
    }
    let name = tokens.ident(i)?;
    // PostgreSQL folds a bare name to lower case (SQLite ignores case).
    Some(if tokens.tokens[i].kind == Kind::Word {
        name.to_lowercase()
    } else {
        name
    })
}

/// Whether a statement sets a lock or statement timeout.
fn sets_a_timeout(sql: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    lower.contains("lock_timeout") || lower.contains("statement_timeout")
}

/// Whether a statement failed on a timeout (PostgreSQL `lock_not_available`,
/// `query_canceled`) rather than on its own content.
fn is_cancellation(error: &crate::error::DbError) -> bool {
    matches!(error.code.as_deref(), Some("55P03") | Some("57014"))
}

fn extension_hint(error: Error, name: &str) -> Error {
    let Error::Statement(mut failure) = error else {
        return error;
    };
    let hint = match failure.source.code.as_deref() {
        Some("42501") => format!(
            "the role may not create extension {name}: ask a superuser to run `CREATE EXTENSION {name};` in this database once, then run the migration again"
        ),
        Some("58P01") | Some("0A000") | Some("42704") => {
            let install = if name == "postgis" {
                " (Debian/Ubuntu: `apt-get install postgresql-<version>-postgis-3`)"
            } else {
                ""
            };
            format!(
                "extension {name} is not installed on the database server: install its package on the server{install}, then run the migration again"
            )
        }
        _ => format!("could not create extension {name}"),
    };
    failure.hint = Some(hint);
    Error::Statement(failure)
}

#[cfg(test)]
mod tests {
    use super::created_table;

    #[test]
    fn created_table_reads_the_name_however_written() {
        for (sql, name) in [
            (r#"CREATE TABLE "notes" (id integer)"#, Some("notes")),
            (
                "create unlogged table if not exists public.Notes (id int)",
                Some("notes"),
            ),
            ("CREATE TEMP TABLE t AS SELECT 1", Some("t")),
            ("CREATE INDEX i ON t (a)", None),
            ("ALTER TABLE t ADD COLUMN a int", None),
        ] {
            assert_eq!(created_table(sql).as_deref(), name, "{sql}");
        }
    }
}
