//! [`Ops::expand`], [`Ops::contract`] and their downgrades: the two
//! revisions of an expand/contract change (see [`Expand`]).
//!
//! Every step is safe to run again, so a run killed part way resumes:
//! columns are added where missing, the trigger replaced, the backfill
//! resumed at its last batch, columns dropped where present. The DDL's
//! exact form depends on the table as the database has it (the type a
//! renamed column keeps), so the revision's checksum records the change's
//! definition rather than the statements.

use sea_query::Expr;

use super::alter::AlterColumn;
use super::context::{Ops, Sink};
use crate::backend::Backend;
use crate::backfill::Backfill;
use crate::error::{Error, Result};
use crate::expand::{
    read_columns, sync_name, ColumnDefinition, Expand, ExpandBook, ExpandKind, ExpansionPhase,
    StoredExpansion, SyncSpec,
};
use crate::not_api::text::quote_ident;

/// The comment before a statement that drops what an expand/contract
/// change replaced; lint reads it as "the expand's backfill is done and
/// the code no longer uses this" (the contract is refused otherwise).
pub(crate) const CONTRACT_MARK: &str = "/* arx-migrate: contract */";

/// The `lock_timeout` of a step's statements on PostgreSQL, when the
/// session has none.
const LOCK_TIMEOUT: &str = "5s";

/// The type a rename's new column is shown with offline, where the old
/// column's type cannot be read.
const OFFLINE_TYPE: &str = "text";

/// Which of the four steps runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Expand,
    UndoExpand,
    Contract,
    UndoContract,
}

impl Step {
    fn as_str(self) -> &'static str {
        match self {
            Step::Expand => "expand",
            Step::UndoExpand => "undo_expand",
            Step::Contract => "contract",
            Step::UndoContract => "undo_contract",
        }
    }
}

impl Ops<'_> {
    /// The expand revision's upgrade: adds the new column(s) of `change`,
    /// installs the trigger that keeps old and new in step in both
    /// directions, and backfills the new column(s) of every row with a
    /// durable [`Backfill`] (for [`Expand::set_not_null`]: fills the
    /// column's `NULL`s, and the trigger fills those still written). The
    /// change is recorded in the `arx_migrate_expand` table; the contract
    /// is refused until its backfill is complete.
    ///
    /// The migration must be non-transactional (`transactional = false`).
    /// Killed, the upgrade run again resumes where it stopped.
    ///
    /// ```
    /// # extern crate arx_migrate_core as arx_migrate;
    /// use arx_migrate::{Expand, FnMigration, Ops, Result};
    ///
    /// fn full_name() -> Expand {
    ///     Expand::rename_column("users", "name", "full_name")
    /// }
    /// let expand = FnMigration::new(
    ///     "r5",
    ///     &["r4"],
    ///     |op: &mut Ops| op.expand(&full_name()),
    ///     |op: &mut Ops| op.undo_expand(&full_name()),
    /// )
    /// .non_transactional();
    /// let contract = FnMigration::new(
    ///     "r6",
    ///     &["r5"],
    ///     |op: &mut Ops| op.contract(&full_name()),
    ///     |op: &mut Ops| op.undo_contract(&full_name()),
    /// )
    /// .non_transactional();
    /// # let _ = (expand, contract);
    /// ```
    pub fn expand(&mut self, change: &Expand) -> Result<()> {
        self.expand_step(change, Step::Expand)
    }

    /// The expand revision's downgrade: removes the trigger, the new
    /// column(s) and the change's record. The old column(s) were never
    /// touched, so the table is as before the expand (for
    /// [`Expand::set_not_null`], the `NULL`s the expand filled stay
    /// filled: which rows held them is not kept).
    pub fn undo_expand(&mut self, change: &Expand) -> Result<()> {
        self.expand_step(change, Step::UndoExpand)
    }

    /// The contract revision's upgrade: drops the trigger and the old
    /// column(s) (for [`Expand::set_not_null`]: sets `NOT NULL` through a
    /// validated check on PostgreSQL, then drops the trigger). A renamed
    /// column takes the old one's `NOT NULL` and default.
    ///
    /// Refused, with an error naming the expand revision and how far its
    /// backfill got, while that backfill is not complete, or when no
    /// expand of `change` is recorded. Drop indexes and constraints on the
    /// old column(s) before this call, and recreate them in the
    /// downgrade: the contract's downgrade puts back the columns, their
    /// values, `NOT NULL` and defaults, not the indexes.
    pub fn contract(&mut self, change: &Expand) -> Result<()> {
        self.expand_step(change, Step::Contract)
    }

    /// The contract revision's downgrade: adds the old column(s) back with
    /// their type, installs the trigger again, backfills the old
    /// column(s) from the new (a durable [`Backfill`]), then restores
    /// their `NOT NULL` and default: the expanded state again.
    pub fn undo_contract(&mut self, change: &Expand) -> Result<()> {
        self.expand_step(change, Step::UndoContract)
    }

    fn expand_step(&mut self, change: &Expand, step: Step) -> Result<()> {
        // The sync triggers, the bookkeeping and the backfill are written
        // for PostgreSQL and SQLite; the MySQL arms of the matches below
        // are never reached.
        self.not_on_mysql_yet(step.as_str())?;
        let description = describe(change, step);
        if let Some(problem) = change.problem() {
            return Err(self.refusal(change, step, problem));
        }
        if self.in_transaction {
            return Err(self.refusal(
                change,
                step,
                "expand/contract commits the backfill batch by batch, which a transactional migration cannot do; make both revisions non-transactional (`#[migration(transactional = false)]`, `FnMigration::non_transactional`)".to_string(),
            ));
        }
        if matches!(self.sink, Sink::Script(_)) {
            self.checksum.add_statement(&description);
            return Err(Error::NeedsConnection {
                revision: self.revision.clone(),
            });
        }
        self.flush()?;
        // The statements depend on the table as the database has it; the
        // checksum records the change itself.
        let saved = self.checksum.clone();
        let result = self.bound_lock_wait().and_then(|previous| {
            let result = match step {
                Step::Expand => self.run_expand(change),
                Step::UndoExpand => self.run_undo_expand(change),
                Step::Contract => self.run_contract(change),
                Step::UndoContract => self.run_undo_contract(change),
            }
            .and_then(|()| self.flush());
            self.restore_lock_wait(previous);
            result
        });
        self.checksum = saved;
        self.checksum.add_statement(&description);
        result
    }

    /// PostgreSQL: gives the step's statements a `lock_timeout` of
    /// [`LOCK_TIMEOUT`] when the session has none, so that its `ALTER
    /// TABLE`s never queue behind a long transaction with every query on
    /// the table queued behind them. Returns the setting to restore.
    fn bound_lock_wait(&mut self) -> Result<Option<String>> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let set = format!("SET lock_timeout = '{LOCK_TIMEOUT}'");
        if let Sink::Record(statements) = &mut self.sink {
            statements.push(set);
            return Ok(None);
        }
        let current = self
            .live_query("SELECT current_setting('lock_timeout')")?
            .and_then(|rows| rows.into_iter().next())
            .and_then(|row| row.into_iter().next().flatten());
        match current.as_deref() {
            Some("0") => {
                self.execute_one(set)?;
                Ok(current)
            }
            _ => Ok(None),
        }
    }

    fn restore_lock_wait(&mut self, previous: Option<String>) {
        if let Some(previous) = previous {
            let _ = self.execute_one(format!(
                "SELECT set_config('lock_timeout', '{}', false)",
                previous.replace('\'', "''")
            ));
        }
    }

    fn refusal(&self, change: &Expand, step: Step, message: String) -> Error {
        Error::Migration {
            revision: self.revision.clone(),
            direction: self.direction,
            message: format!(
                "{} of {} on table {}: {message}",
                step.as_str(),
                change.name(),
                change.table
            ),
        }
    }

    /// The bookkeeping, live only.
    fn expand_book(&self) -> Result<Option<ExpandBook>> {
        if self.is_offline() {
            return Ok(None);
        }
        match &self.runner {
            Some(runner) => Ok(Some(runner.expansions.clone())),
            None => Err(Error::Internal {
                message: format!(
                    "expand/contract in revision {}: this Ops was made without the runner's bookkeeping",
                    self.revision
                ),
            }),
        }
    }

    /// Runs `f` on the live connection; `None` offline.
    fn on_connection<T>(
        &mut self,
        f: impl FnOnce(&mut dyn crate::backend::Connection) -> Result<T>,
    ) -> Result<Option<T>> {
        match &mut self.sink {
            Sink::Live(connection) => f(&mut **connection).map(Some),
            _ => Ok(None),
        }
    }

    /// The table's columns as the database has them; `None` offline.
    fn live_columns(&mut self, table: &str) -> Result<Option<Vec<ColumnDefinition>>> {
        let found = match &mut self.sink {
            Sink::Live(connection) => read_columns(&mut **connection, table),
            _ => return Ok(None),
        };
        found
            .map(Some)
            .map_err(|e| self.statement_error(format!("(reading the columns of {table})"), e))
    }

    /// Runs (or records) one DDL statement, retrying lock timeouts.
    fn change_ddl(&mut self, sql: String) -> Result<()> {
        self.flush()?;
        match &mut self.sink {
            Sink::Record(statements) | Sink::Script(statements) => {
                statements.push(sql);
                Ok(())
            }
            Sink::Live(_) => {
                tracing::debug!(revision = %self.revision, statement = %sql, "executing");
                self.statements_run += 1;
                self.execute_one(sql)
            }
        }
    }

    /// Runs (or records) statements that must take effect together: on
    /// PostgreSQL sent as one query, which the server runs as one
    /// transaction, so that no row is written between the new column's
    /// appearance and its trigger's (SQLite: one after the other).
    fn change_ddl_together(&mut self, statements: Vec<String>) -> Result<()> {
        if self.backend != Backend::Postgres || self.is_offline() || statements.len() < 2 {
            for sql in statements {
                self.change_ddl(sql)?;
            }
            return Ok(());
        }
        self.change_ddl(statements.join(";\n"))
    }

    fn read_expansion(
        &mut self,
        book: &Option<ExpandBook>,
        change: &Expand,
    ) -> Result<Option<StoredExpansion>> {
        let Some(book) = book else { return Ok(None) };
        let name = change.name();
        let table = change.table.clone();
        Ok(self
            .on_connection(|connection| {
                book.ensure_table(connection)?;
                book.read(connection, &table, &name)
            })?
            .flatten())
    }

    fn set_phase(
        &mut self,
        book: &Option<ExpandBook>,
        change: &Expand,
        phase: ExpansionPhase,
        contract_revision: Option<&str>,
    ) -> Result<()> {
        let Some(book) = book else { return Ok(()) };
        // What the phase says must have happened first.
        self.flush()?;
        let name = change.name();
        self.on_connection(|connection| {
            book.set_phase(connection, &change.table, &name, phase, contract_revision)
        })?;
        Ok(())
    }

    /// The trigger's definition for `change`, given the old columns.
    fn sync_spec(&self, change: &Expand, old: &[ColumnDefinition]) -> SyncSpec {
        let old_type = |name: &str| {
            old.iter()
                .find(|c| c.name == name)
                .map(|c| c.sql_type.clone())
                .unwrap_or_else(|| OFFLINE_TYPE.to_string())
        };
        let first_old_type = old_type(change.old.first().map(String::as_str).unwrap_or(""));
        SyncSpec {
            table: change.table.clone(),
            name: sync_name(&change.table, &change.name()),
            old: change
                .backward
                .iter()
                .map(|(name, expression)| (name.clone(), old_type(name), expression.clone()))
                .collect(),
            new: change
                .new
                .iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        c.sql_type.clone().unwrap_or_else(|| first_old_type.clone()),
                        c.forward.clone(),
                    )
                })
                .collect(),
            fill: (change.kind == ExpandKind::SetNotNull).then(|| {
                let column = change.old.first().cloned().unwrap_or_default();
                let sql_type = old_type(&column);
                (
                    column,
                    sql_type,
                    change.fill.clone().unwrap_or_else(|| "NULL".to_string()),
                )
            }),
        }
    }

    /// The old columns: recorded when the change was expanded, else read
    /// live, else (offline) placeholders.
    fn old_definitions(
        &self,
        change: &Expand,
        stored: Option<&StoredExpansion>,
        live: Option<&[ColumnDefinition]>,
    ) -> Vec<ColumnDefinition> {
        if let Some(stored) = stored {
            return stored.old_columns.clone();
        }
        change
            .old
            .iter()
            .map(|name| {
                live.and_then(|columns| columns.iter().find(|c| &c.name == name).cloned())
                    .unwrap_or_else(|| ColumnDefinition {
                        name: name.clone(),
                        sql_type: OFFLINE_TYPE.to_string(),
                        not_null: false,
                        default: None,
                    })
            })
            .collect()
    }

    fn run_expand(&mut self, change: &Expand) -> Result<()> {
        let book = self.expand_book()?;
        let stored = self.read_expansion(&book, change)?;
        let live = self.live_columns(&change.table)?;
        if let Some(columns) = &live {
            let has = |name: &str| columns.iter().any(|c| c.name == name);
            if columns.is_empty() {
                return Err(self.refusal(
                    change,
                    Step::Expand,
                    format!("table {} does not exist", change.table),
                ));
            }
            if let Some(missing) = change.old.iter().find(|c| !has(c)) {
                return Err(self.refusal(
                    change,
                    Step::Expand,
                    format!("table {} has no column {missing}", change.table),
                ));
            }
            match &stored {
                Some(row) if row.expand_revision != self.revision => {
                    return Err(self.refusal(
                        change,
                        Step::Expand,
                        format!(
                            "revision {} already expanded this change (phase {}); one change is expanded once",
                            row.expand_revision,
                            row.phase.as_str()
                        ),
                    ))
                }
                Some(_) => {}
                None => {
                    if let Some(taken) = change.new.iter().find(|c| has(&c.name)) {
                        return Err(self.refusal(
                            change,
                            Step::Expand,
                            format!(
                                "table {} already has a column {}; the expand adds it, so name a column that does not exist",
                                change.table, taken.name
                            ),
                        ));
                    }
                }
            }
        }
        let old = self.old_definitions(change, stored.as_ref(), live.as_deref());
        if let (Some(book), None) = (&book, &stored) {
            let row = StoredExpansion {
                table: change.table.clone(),
                change: change.name(),
                kind: change.kind.as_str().to_string(),
                expand_revision: self.revision.clone(),
                contract_revision: None,
                phase: ExpansionPhase::Expanding,
                old_columns: old.clone(),
                updated_at: String::new(),
            };
            self.on_connection(|connection| book.start(connection, &row))?;
        }
        let spec = self.sync_spec(change, &old);
        let table = quote_ident(&change.table);
        let mut statements = Vec::new();
        for (name, sql_type, _) in &spec.new {
            let exists = live
                .as_ref()
                .is_some_and(|columns| columns.iter().any(|c| &c.name == name));
            if exists {
                continue;
            }
            let if_not_exists = if self.backend == Backend::Postgres {
                "IF NOT EXISTS "
            } else {
                ""
            };
            statements.push(format!(
                "ALTER TABLE {table} ADD COLUMN {if_not_exists}{} {sql_type}",
                quote_ident(name)
            ));
        }
        statements.extend(spec.install(self.backend));
        self.change_ddl_together(statements)?;
        let backfill = match &spec.fill {
            Some((column, sql_type, fill)) => Backfill {
                sets: vec![(column.clone(), self.typed(fill, sql_type))],
                filter: Some(format!("{} IS NULL", quote_ident(column))),
                ..change.batches.clone()
            },
            None => Backfill {
                sets: spec
                    .new
                    .iter()
                    .map(|(name, sql_type, forward)| (name.clone(), self.typed(forward, sql_type)))
                    .collect(),
                filter: Some(format!("NOT ({})", spec.new_agrees(self.backend))),
                ..change.batches.clone()
            },
        }
        .named(format!("expand {}", change.name()));
        self.backfill(backfill)?;
        self.set_phase(&book, change, ExpansionPhase::Expanded, None)
    }

    fn run_undo_expand(&mut self, change: &Expand) -> Result<()> {
        let book = self.expand_book()?;
        let stored = self.read_expansion(&book, change)?;
        if let Some(row) = &stored {
            if row.phase == ExpansionPhase::Contracted {
                return Err(self.refusal(
                    change,
                    Step::UndoExpand,
                    format!(
                        "revision {} contracted it; downgrade that revision first",
                        row.contract_revision.as_deref().unwrap_or("?")
                    ),
                ));
            }
        }
        let live = self.live_columns(&change.table)?;
        let old = self.old_definitions(change, stored.as_ref(), live.as_deref());
        let spec = self.sync_spec(change, &old);
        for sql in spec.remove(self.backend) {
            self.change_ddl(sql)?;
        }
        let table = quote_ident(&change.table);
        for (name, ..) in &spec.new {
            self.drop_changed_column(&table, name, live.as_deref())?;
        }
        if let Some(book) = &book {
            let name = change.name();
            self.on_connection(|connection| book.delete(connection, &change.table, &name))?;
        }
        Ok(())
    }

    fn run_contract(&mut self, change: &Expand) -> Result<()> {
        let book = self.expand_book()?;
        let stored = self.read_expansion(&book, change)?;
        if book.is_some() {
            let row = match &stored {
                Some(row) => row,
                None => {
                    return Err(self.refusal(
                        change,
                        Step::Contract,
                        "no expand of it is recorded in the arx_migrate_expand table, so nothing has kept or filled the new column(s); apply the expand revision (the one calling `op.expand` with the same `Expand`) before this one".to_string(),
                    ))
                }
            };
            let ours = row.contract_revision.as_deref() == Some(self.revision.as_str());
            if row.phase == ExpansionPhase::Contracted && !ours {
                return Err(self.refusal(
                    change,
                    Step::Contract,
                    format!(
                        "revision {} already contracted it",
                        row.contract_revision.as_deref().unwrap_or("?")
                    ),
                ));
            }
            if row.phase == ExpansionPhase::Expanding && !ours {
                let progress = self.backfill_progress(
                    &row.expand_revision,
                    &format!("expand {}", change.name()),
                )?;
                return Err(self.refusal(
                    change,
                    Step::Contract,
                    format!(
                        "its expand revision {rev} has not finished its backfill ({progress}); rows whose new column(s) were never filled would lose their data. Run `arx-migrate upgrade {rev}` to resume it (if {rev} is recorded as applied without having finished, as after `stamp`, first stamp the revision before it), then contract",
                        rev = row.expand_revision
                    ),
                ));
            }
            let phase = row.phase;
            let me = self.revision.clone();
            self.set_phase(&book, change, phase, Some(&me))?;
        }
        let live = self.live_columns(&change.table)?;
        let old = self.old_definitions(change, stored.as_ref(), live.as_deref());
        let spec = self.sync_spec(change, &old);
        let table = quote_ident(&change.table);
        if change.kind == ExpandKind::SetNotNull {
            let column = change.old.first().cloned().unwrap_or_default();
            if self.backend == Backend::Sqlite {
                // The rebuild keeps triggers; take them away first.
                for sql in spec.remove(self.backend) {
                    self.change_ddl(sql)?;
                }
            }
            self.not_null_safely(&change.table, &column)?;
            for sql in spec.remove(self.backend) {
                self.change_ddl(sql)?;
            }
        } else {
            for sql in spec.remove(self.backend) {
                self.change_ddl(sql)?;
            }
            for column in &change.old {
                self.drop_changed_column(&table, column, live.as_deref())?;
            }
            if change.kind == ExpandKind::RenameColumn {
                let (Some(new), Some(was)) = (change.new.first(), old.first()) else {
                    return Ok(());
                };
                if let Some(default) = &was.default {
                    self.set_column_default(&change.table, &new.name, Some(default))?;
                }
                if was.not_null {
                    self.not_null_safely(&change.table, &new.name)?;
                }
            }
        }
        let me = self.revision.clone();
        self.set_phase(&book, change, ExpansionPhase::Contracted, Some(&me))
    }

    fn run_undo_contract(&mut self, change: &Expand) -> Result<()> {
        let book = self.expand_book()?;
        let stored = self.read_expansion(&book, change)?;
        if book.is_some() {
            let ours = stored.as_ref().is_some_and(|row| {
                row.contract_revision.as_deref() == Some(self.revision.as_str())
            });
            if !ours {
                return Err(self.refusal(
                    change,
                    Step::UndoContract,
                    "no contract of it by this revision is recorded in the arx_migrate_expand table, so there is nothing to put back".to_string(),
                ));
            }
            let me = self.revision.clone();
            self.set_phase(&book, change, ExpansionPhase::Expanding, Some(&me))?;
        }
        let live = self.live_columns(&change.table)?;
        let old = self.old_definitions(change, stored.as_ref(), live.as_deref());
        let spec = self.sync_spec(change, &old);
        let table = quote_ident(&change.table);
        if change.kind == ExpandKind::SetNotNull {
            let column = change.old.first().cloned().unwrap_or_default();
            self.drop_not_null(&change.table, &column)?;
            for sql in spec.install(self.backend) {
                self.change_ddl(sql)?;
            }
            return self.set_phase(&book, change, ExpansionPhase::Expanded, None);
        }
        let mut restore = Vec::new();
        for was in &old {
            let exists = live
                .as_ref()
                .is_some_and(|columns| columns.iter().any(|c| c.name == was.name));
            if exists {
                continue;
            }
            let if_not_exists = if self.backend == Backend::Postgres {
                "IF NOT EXISTS "
            } else {
                ""
            };
            restore.push(format!(
                "{CONTRACT_MARK} ALTER TABLE {table} ADD COLUMN {if_not_exists}{} {}",
                quote_ident(&was.name),
                was.sql_type
            ));
        }
        if change.kind == ExpandKind::RenameColumn {
            if let (Some(new), Some(was)) = (change.new.first(), old.first()) {
                if was.default.is_some() {
                    self.set_column_default(&change.table, &new.name, None)?;
                }
                if was.not_null {
                    self.drop_not_null(&change.table, &new.name)?;
                }
            }
        }
        restore.extend(spec.install(self.backend));
        self.change_ddl_together(restore)?;
        let backfill = Backfill {
            sets: spec
                .old
                .iter()
                .map(|(name, sql_type, backward)| (name.clone(), self.typed(backward, sql_type)))
                .collect(),
            filter: Some(format!("NOT ({})", spec.old_agrees(self.backend))),
            ..change.batches.clone()
        }
        .named(format!("contract {}", change.name()));
        self.backfill(backfill)?;
        for was in &old {
            if let Some(default) = &was.default {
                self.set_column_default(&change.table, &was.name, Some(default))?;
            }
            if was.not_null {
                self.not_null_safely(&change.table, &was.name)?;
            }
        }
        self.set_phase(&book, change, ExpansionPhase::Expanded, None)
    }

    /// `expression` as a value of `sql_type` (PostgreSQL; SQLite keeps
    /// the value as it is, its column affinity converting it).
    fn typed(&self, expression: &str, sql_type: &str) -> String {
        match self.backend {
            Backend::Postgres | Backend::Mysql => format!("CAST(({expression}) AS {sql_type})"),
            Backend::Sqlite => format!("({expression})"),
        }
    }

    /// Drops a column the change replaced (or added), where present.
    fn drop_changed_column(
        &mut self,
        table: &str,
        column: &str,
        live: Option<&[ColumnDefinition]>,
    ) -> Result<()> {
        match self.backend {
            Backend::Postgres | Backend::Mysql => self.change_ddl(format!(
                "{CONTRACT_MARK} ALTER TABLE {table} DROP COLUMN IF EXISTS {}",
                quote_ident(column)
            )),
            Backend::Sqlite => {
                let exists = live.is_none_or(|columns| columns.iter().any(|c| c.name == column));
                if !exists {
                    return Ok(());
                }
                self.change_ddl(format!(
                    "{CONTRACT_MARK} ALTER TABLE {table} DROP COLUMN {}",
                    quote_ident(column)
                ))
            }
        }
    }

    /// Sets (or, with `None`, drops) a column's default.
    fn set_column_default(
        &mut self,
        table: &str,
        column: &str,
        default: Option<&str>,
    ) -> Result<()> {
        match self.backend {
            Backend::Postgres | Backend::Mysql => self.change_ddl(format!(
                "ALTER TABLE {} ALTER COLUMN {} {}",
                quote_ident(table),
                quote_ident(column),
                match default {
                    Some(default) => format!("SET DEFAULT {default}"),
                    None => "DROP DEFAULT".to_string(),
                }
            )),
            Backend::Sqlite => {
                let alteration = match default {
                    Some(default) => {
                        AlterColumn::new().set_default(Expr::cust(default.to_string()))
                    }
                    None => AlterColumn::new().drop_default(),
                };
                self.alter_column(table, column, alteration)
            }
        }
    }

    /// `NOT NULL` through a validated check on PostgreSQL (safe to run
    /// again: a check left by a killed run is replaced), a rebuild on
    /// SQLite.
    fn not_null_safely(&mut self, table: &str, column: &str) -> Result<()> {
        if self.backend == Backend::Sqlite {
            return self.alter_column(table, column, AlterColumn::new().set_not_null());
        }
        let t = quote_ident(table);
        let check = quote_ident(&format!("{table}_{column}_not_null"));
        let c = quote_ident(column);
        self.change_ddl(format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {check}"))?;
        self.change_ddl(format!(
            "ALTER TABLE {t} ADD CONSTRAINT {check} CHECK ({c} IS NOT NULL) NOT VALID"
        ))?;
        if let Err(error) = self.change_ddl(format!("ALTER TABLE {t} VALIDATE CONSTRAINT {check}"))
        {
            if !self.is_offline() {
                let _ =
                    self.execute_one(format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {check}"));
            }
            return Err(error);
        }
        self.change_ddl(format!("ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL"))?;
        self.change_ddl(format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {check}"))
    }

    /// "412 of ~1000 rows (41%), last batch at …", or why there is none.
    fn backfill_progress(&mut self, revision: &str, name: &str) -> Result<String> {
        let Some(runner) = &self.runner else {
            return Ok("its progress is unknown".to_string());
        };
        let book = runner.book.clone();
        let state = self
            .on_connection(|connection| {
                book.ensure_table(connection)?;
                book.read(connection, revision, name)
            })?
            .flatten();
        Ok(match state {
            Some(state) => state.to_string(),
            None => "its backfill has not started".to_string(),
        })
    }
}

/// What the checksum records of a step: the change's whole definition.
fn describe(change: &Expand, step: Step) -> String {
    let new: Vec<String> = change
        .new
        .iter()
        .map(|c| {
            format!(
                "{} {} = {}",
                c.name,
                c.sql_type.as_deref().unwrap_or("(the old type)"),
                c.forward
            )
        })
        .collect();
    let backward: Vec<String> = change
        .backward
        .iter()
        .map(|(c, e)| format!("{c} = {e}"))
        .collect();
    format!(
        "/* {} {} {} */ table {} old {} new [{}] backward [{}] fill {} key {}",
        step.as_str(),
        change.kind.as_str(),
        change.name(),
        change.table,
        change.old.join(","),
        new.join("; "),
        backward.join("; "),
        change.fill.as_deref().unwrap_or("-"),
        change.batches.key.as_deref().unwrap_or("-"),
    )
}
