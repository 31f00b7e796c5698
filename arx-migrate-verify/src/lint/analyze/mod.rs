//! Runs the rules over one migration's statements (in one direction) while
//! applying their effect to the schema model.
//!
//! One idea per file: [`names`] (identifiers, expressions, volatility),
//! [`create`] (tables, indexes, views, triggers), [`alter`] (`ALTER
//! TABLE`), [`drop`], [`data`] (`TRUNCATE`, `DELETE`, `UPDATE`, `VACUUM`),
//! [`transaction`] (`BEGIN`/`COMMIT`, `CONCURRENTLY`, `lock_timeout`),
//! [`types`] (type changes and the style rules on types), [`sqlite`] (what
//! SQLite's `ALTER TABLE` cannot do), [`mysql`] (implicit commits and
//! table copies on MariaDB and MySQL).

mod alter;
mod create;
mod data;
mod drop;
mod mysql;
pub(crate) mod names;
mod sqlite;
mod state;
mod transaction;
mod types;

use std::collections::BTreeSet;

use sqlparser::ast::Statement as Ast;

use super::allow::{allows_in, Allowed, Directive, DirectiveKind};
use super::model::{Model, Table};
use super::parse::{Parsed, SqlText, Statement};
use super::report::Finding;
use super::rules::Rule;
use arx_migrate_core::backend::Backend;
use arx_migrate_core::error::Direction;
use state::Here;
pub(crate) use state::{MigrationLint, Settings};

impl<'a> MigrationLint<'a> {
    pub(crate) fn new(
        settings: &'a Settings<'a>,
        revision: &'a str,
        direction: Direction,
        model: &Model,
    ) -> Self {
        MigrationLint {
            settings,
            revision,
            direction,
            existing: model.tables.keys().cloned().collect(),
            existing_indexes: model.indexes.keys().cloned().collect(),
            new_columns: BTreeSet::new(),
            rebuilt: BTreeSet::new(),
            lock_timeout: false,
            lock_reported: false,
            explicit_transaction: false,
            not_valid_here: BTreeSet::new(),
            temporary: BTreeSet::new(),
            pending_fks: Vec::new(),
            here: None,
            findings: Vec::new(),
            unparsed: 0,
            assumed: BTreeSet::new(),
            restored: Vec::new(),
            mysql_ddl: Vec::new(),
            mysql_data_changes: 0,
        }
    }

    fn upgrade(&self) -> bool {
        self.direction == Direction::Upgrade
    }

    fn postgres(&self) -> bool {
        self.settings.backend == Backend::Postgres
    }

    fn sqlite(&self) -> bool {
        self.settings.backend == Backend::Sqlite
    }

    /// SQLite, and a statement that SQLite's own ALTER TABLE must do (not
    /// one `Ops` makes by rebuilding the table).
    fn sqlite_native(&self) -> bool {
        self.sqlite() && !self.here.as_ref().is_some_and(|h| h.rebuild)
    }

    /// Whether the table existed before the migration started.
    fn existing(&self, table: &str) -> bool {
        self.existing.contains(table)
    }

    /// Whether dropping this table, or dropping or retyping one of its
    /// columns, is reported: it existed before the migration; or, in a
    /// `.sql` file (`lint --file`), an earlier statement of the file created
    /// it (not as a temporary table) — a file may hold several migrations
    /// (a squashed history, a dump and its changes), and in one migration
    /// such a step would be pointless.
    fn holds_data(&self, table: &str) -> bool {
        self.existing(table) || (self.settings.file.is_some() && !self.temporary.contains(table))
    }

    /// Whether the statement runs inside a transaction (the runner's, or
    /// one the migration opened).
    fn in_transaction(&self) -> bool {
        self.settings.transactional || self.explicit_transaction
    }

    /// Whether a rule may report here: switched on and for this backend.
    fn active(&self, rule: Rule) -> bool {
        rule.scope().includes(self.settings.backend) && self.settings.config.is_enabled(rule)
    }

    /// Reports a finding about the current statement.
    pub(crate) fn find(&mut self, rule: Rule, message: String) {
        let here = self.here.clone();
        self.report(rule, here.as_ref(), message);
    }

    /// Reports a finding about the migration as a whole.
    pub(crate) fn find_general(&mut self, rule: Rule, message: String) {
        self.report(rule, None, message);
    }

    fn report(&mut self, rule: Rule, here: Option<&Here>, message: String) {
        if !self.active(rule) {
            return;
        }
        let allowed = here
            .and_then(|h| h.allowed.get(&rule).cloned())
            .filter(|_| rule != Rule::InvalidAllow);
        self.findings.push(Finding {
            rule,
            severity: rule.severity(),
            revision: self.revision.to_string(),
            direction: self.direction.as_str().to_string(),
            statement: here.map(|h| h.sql.clone()),
            message,
            fix: rule.fix().to_string(),
            allowed,
            file: self.settings.file.clone(),
            line: match (&self.settings.file, here) {
                (Some(_), Some(h)) => Some(h.line),
                _ => None,
            },
        });
    }

    /// The table `name`, when the model knows it; with `assume_unknown`, a
    /// table it does not know is added as an existing one with unknown
    /// columns. `None` means: report it as unknown.
    fn table<'m>(&mut self, model: &'m mut Model, name: &str) -> Option<&'m Table> {
        if !model.tables.contains_key(name) {
            if !self.settings.assume_unknown || self.settings.created_later.contains(name) {
                return None;
            }
            model.tables.insert(name.to_string(), Table::unknown());
            self.existing.insert(name.to_string());
            self.assumed.insert(format!("table {name}"));
        }
        model.tables.get(name)
    }

    /// A statement that takes a strong lock on `table`.
    fn strong_lock(&mut self, table: &str, what: &str) {
        if self.upgrade() && self.existing(table) && !self.lock_timeout && !self.lock_reported {
            if !self.active(Rule::MissingLockTimeout) {
                return;
            }
            self.lock_reported = true;
            self.find(
                Rule::MissingLockTimeout,
                format!("{what} locks existing table {table} and no lock_timeout is set before it in this migration"),
            );
        }
    }

    /// Applies and checks every statement of the migration's SQL texts (one
    /// per `op.sql` string), then the end-of-migration rules. The
    /// directives before a text's first statement apply to that text.
    pub(crate) fn run(&mut self, model: &mut Model, texts: &[SqlText]) {
        self.run_texts(model, None, texts)
    }

    /// [`Self::run`] for a `.sql` file, one text per statement the runner
    /// sends: `header` (the directives before the file's first statement)
    /// applies to all of them.
    pub(crate) fn run_file(&mut self, model: &mut Model, header: &[Directive], texts: &[SqlText]) {
        self.run_texts(model, Some(header), texts)
    }

    fn run_texts(
        &mut self,
        model: &mut Model,
        file_header: Option<&[Directive]>,
        texts: &[SqlText],
    ) {
        for statement in texts.iter().flat_map(|t| &t.statements) {
            if let Some(ast) = statement.ast() {
                self.rebuilt.extend(alter::renamed_to(ast));
            }
        }
        // The allows of the header in force, read (and a bad one reported)
        // once: per text, or once for a file.
        let mut file_allowed: Option<Allowed> = None;
        for text in texts {
            let mut text_allowed: Option<Allowed> = None;
            for statement in &text.statements {
                let (header, own): (&[Directive], &[Directive]) = match file_header {
                    Some(file) => (file, &text.header),
                    None => (&text.header, &[]),
                };
                let directives = || own.iter().chain(&statement.directives);
                let rebuild = header
                    .iter()
                    .chain(directives())
                    .any(|d| d.kind == DirectiveKind::SqliteRebuild);
                let contract = header
                    .iter()
                    .chain(directives())
                    .any(|d| d.kind == DirectiveKind::Contract);
                self.here = Some(Here {
                    sql: statement.sql.clone(),
                    line: statement.line,
                    allowed: Allowed::new(),
                    shares_string: text.statements.len() > 1,
                    rebuild,
                    contract,
                });
                let cache = match file_header {
                    Some(_) => &mut file_allowed,
                    None => &mut text_allowed,
                };
                let mut allowed = match cache {
                    Some(allowed) => allowed.clone(),
                    None => cache.insert(self.allows(header)).clone(),
                };
                let local: Vec<Directive> = directives().cloned().collect();
                allowed.extend(self.allows(&local));
                if let Some(here) = &mut self.here {
                    here.allowed = allowed;
                }
                self.statement(model, statement);
            }
        }
        self.here = None;
        self.mysql_end();
        if self.upgrade() {
            for fk in std::mem::take(&mut self.pending_fks) {
                if model.tables.get(&fk.table).is_some_and(|t| t.columns_known)
                    && !model.has_index_starting_with(&fk.table, &fk.columns)
                {
                    self.report(
                        Rule::FkWithoutIndex,
                        Some(&fk.here),
                        format!(
                            "foreign key {}({}) has no index starting with its column(s)",
                            fk.table,
                            fk.columns.join(", ")
                        ),
                    );
                }
            }
        }
    }

    /// The rules allowed by `directives`; a bad allow is reported.
    fn allows(&mut self, directives: &[Directive]) -> Allowed {
        let mut allowed = Allowed::new();
        for (line, entry) in allows_in(directives) {
            match entry {
                Ok((rule, reason)) => {
                    allowed.insert(rule, reason);
                }
                Err(problem) => {
                    let here = Here {
                        line,
                        ..self.here.clone().unwrap_or_default()
                    };
                    self.report(Rule::InvalidAllow, Some(&here), problem);
                }
            }
        }
        allowed
    }

    fn statement(&mut self, model: &mut Model, statement: &Statement) {
        self.mysql_statement(&statement.sql);
        if self.settings.backend == arx_migrate_core::backend::Backend::Postgres {
            if let Some(reason) = crate::superuser::superuser_reason(&statement.sql) {
                self.find(Rule::NeedsSuperuser, reason);
            }
        }
        match &statement.parsed {
            Parsed::Ast(ast) => self.parsed(model, ast, statement),
            Parsed::Unparsed { error, words } => {
                self.unparsed += 1;
                self.unparsed_statement(words);
                self.find(
                    Rule::UnparsedStatement,
                    format!("not checked: the SQL parser cannot read this statement ({error})"),
                );
            }
        }
    }

    fn parsed(&mut self, model: &mut Model, ast: &Ast, statement: &Statement) {
        match ast {
            Ast::CreateTable(create) => self.create_table(model, create),
            Ast::CreateVirtualTable {
                name,
                if_not_exists,
                module_args,
                ..
            } => self.create_virtual_table(model, name, *if_not_exists, module_args),
            Ast::CreateIndex(create) => self.create_index(model, create),
            Ast::CreateView(view) => self.create_view(model, view, ast),
            Ast::CreateTrigger(trigger) => {
                self.create_trigger(model, trigger, statement.flags.if_not_exists)
            }
            Ast::AlterTable(alter) => self.alter_table(model, alter),
            Ast::Drop {
                object_type,
                if_exists,
                names,
                ..
            } => self.drop(
                model,
                *object_type,
                *if_exists,
                names,
                statement.flags.concurrently,
            ),
            Ast::DropTrigger(drop) => self.drop_trigger(model, drop),
            Ast::Truncate(truncate) => self.truncate(model, truncate),
            Ast::Delete(delete) => self.delete(model, delete),
            Ast::Update(update) => self.update(model, update),
            Ast::Vacuum(vacuum) if vacuum.full => self.vacuum_full(),
            Ast::StartTransaction { .. } => self.begin(),
            Ast::Commit { .. } | Ast::Rollback { .. } => self.commit(),
            Ast::Set(set) => self.set(set),
            Ast::Query(query) => self.query(query),
            Ast::CreateExtension(extension) => self.create_extension(extension),
            _ => {}
        }
    }
}
