//! `CREATE TABLE`, `CREATE VIRTUAL TABLE`, `CREATE INDEX`, `CREATE VIEW`,
//! `CREATE TRIGGER`: names defined twice, references to what does not
//! exist, index builds that block writes.

use sqlparser::ast::{
    ColumnOption, CreateExtension, CreateIndex, CreateTable, CreateTrigger, CreateView, Ident,
    ObjectName, Statement as Ast, TableConstraint,
};

use super::names::{
    ident, identifiers, index_column, not_immutable_functions, not_null_check, object_name,
    plain_columns, relations,
};
use super::state::MigrationLint;
use crate::lint::model::{Check, Column, Dependent, ForeignKey, Index, Model, Table};
use crate::lint::rules::Rule;

impl MigrationLint<'_> {
    /// A foreign key from `table` to `ref_table`: the target must exist.
    pub(super) fn foreign_key_target(&mut self, model: &mut Model, table: &str, ref_table: &str) {
        if ref_table != table && self.table(model, ref_table).is_none() {
            self.find(
                Rule::UnknownTable,
                format!("{table} references table {ref_table}, which is not created at this point of the chain"),
            );
        }
    }

    pub(super) fn create_table(&mut self, model: &mut Model, create: &CreateTable) {
        let name = object_name(&create.name);
        if !create.if_not_exists {
            self.robust("CREATE TABLE without IF NOT EXISTS");
        }
        if model.tables.contains_key(&name) {
            if !create.if_not_exists {
                self.find(Rule::DuplicateName, format!("table {name} already exists"));
            }
            return;
        }
        if model.indexes.contains_key(&name) && self.postgres() {
            self.find(
                Rule::DuplicateName,
                format!("{name} is already the name of an index"),
            );
        }
        if create.temporary {
            self.temporary.insert(name.clone());
        }
        let mut table = Table::new();
        table.columns_known =
            create.query.is_none() && create.like.is_none() && create.clone.is_none();
        let mut fks: Vec<ForeignKey> = Vec::new();
        for column in &create.columns {
            let column_name = ident(&column.name);
            if table.column(&column_name).is_some() {
                self.find(
                    Rule::DuplicateName,
                    format!("column {name}.{column_name} is defined twice"),
                );
            }
            self.style_of_type(&name, &column_name, &column.data_type);
            let mut def = Column {
                name: column_name.clone(),
                data_type: column.data_type.to_string().to_lowercase(),
                not_null: false,
                default: None,
            };
            for option in &column.options {
                match &option.option {
                    ColumnOption::NotNull => def.not_null = true,
                    ColumnOption::Default(expr) => def.default = Some(expr.to_string()),
                    ColumnOption::PrimaryKey(_) => {
                        def.not_null = true;
                        table.primary_key = vec![column_name.clone()];
                    }
                    ColumnOption::Unique(_) => {
                        table.uniques.push((None, vec![column_name.clone()]))
                    }
                    ColumnOption::ForeignKey(fk) => fks.push(ForeignKey {
                        name: option.name.as_ref().map(ident),
                        columns: vec![column_name.clone()],
                        ref_table: object_name(&fk.foreign_table),
                    }),
                    ColumnOption::Check(check) => table.checks.push(Check {
                        name: option.name.as_ref().map(ident),
                        not_null_of: not_null_check(&check.expr),
                        valid: true,
                    }),
                    _ => {}
                }
            }
            table.columns.push(def);
        }
        for constraint in &create.constraints {
            match constraint {
                TableConstraint::PrimaryKey(pk) => {
                    table.primary_key = plain_columns(&pk.columns);
                    for column in &table.primary_key.clone() {
                        if let Some(c) = table.column_mut(column) {
                            c.not_null = true;
                        }
                    }
                }
                TableConstraint::Unique(unique) => table.uniques.push((
                    unique.name.as_ref().map(ident),
                    plain_columns(&unique.columns),
                )),
                TableConstraint::ForeignKey(fk) => fks.push(ForeignKey {
                    name: fk.name.as_ref().map(ident),
                    columns: fk.columns.iter().map(ident).collect(),
                    ref_table: object_name(&fk.foreign_table),
                }),
                TableConstraint::Check(check) => table.checks.push(Check {
                    name: check.name.as_ref().map(ident),
                    not_null_of: not_null_check(&check.expr),
                    valid: true,
                }),
                _ => {}
            }
        }
        let keys: Vec<String> = table
            .primary_key
            .iter()
            .chain(table.uniques.iter().flat_map(|u| u.1.iter()))
            .cloned()
            .collect();
        for key in keys {
            if table.lacks(&key) {
                self.find(
                    Rule::UnknownColumn,
                    format!("key column {name}.{key} is not a column of the table"),
                );
            }
        }
        for fk in &fks {
            self.foreign_key_target(model, &name, &fk.ref_table);
            for column in &fk.columns {
                if table.lacks(column) {
                    self.find(
                        Rule::UnknownColumn,
                        format!("foreign key column {name}.{column} is not a column of the table"),
                    );
                }
            }
            self.pending_fk(&name, fk.columns.clone());
        }
        table.foreign_keys = fks;
        model.tables.insert(name, table);
    }

    /// Remembers a foreign key, checked for an index at the migration's end.
    pub(super) fn pending_fk(&mut self, table: &str, columns: Vec<String>) {
        let here = self.here.clone().unwrap_or_default();
        self.pending_fks.push(super::state::PendingFk {
            table: table.to_string(),
            columns,
            here,
        });
    }

    pub(super) fn create_virtual_table(
        &mut self,
        model: &mut Model,
        name: &ObjectName,
        if_not_exists: bool,
        module_args: &[Ident],
    ) {
        let name = object_name(name);
        if model.tables.contains_key(&name) {
            if !if_not_exists {
                self.find(Rule::DuplicateName, format!("table {name} already exists"));
            }
            return;
        }
        let mut table = Table::new();
        table.columns_known = false;
        table.columns = module_args
            .iter()
            .map(|a| Column {
                name: ident(a),
                data_type: String::new(),
                not_null: false,
                default: None,
            })
            .collect();
        model.tables.insert(name, table);
    }

    pub(super) fn create_index(&mut self, model: &mut Model, create: &CreateIndex) {
        let table_name = object_name(&create.table_name);
        let name = create.name.as_ref().map(object_name);
        if create.concurrently {
            self.concurrently("CREATE INDEX CONCURRENTLY");
        }
        if !create.if_not_exists || name.is_none() {
            self.robust("CREATE INDEX without a name and IF NOT EXISTS");
        }
        if let Some(name) = &name {
            if model.indexes.contains_key(name) {
                if !create.if_not_exists {
                    self.find(Rule::DuplicateName, format!("index {name} already exists"));
                }
                return;
            }
            if model.tables.contains_key(name) {
                self.find(
                    Rule::DuplicateName,
                    format!("{name} is already the name of a table"),
                );
            }
        }
        let label = name.clone().unwrap_or_else(|| format!("on {table_name}"));
        let Some(table) = self.table(model, &table_name) else {
            self.find(
                Rule::UnknownTable,
                format!(
                    "index {label}: table {table_name} does not exist at this point of the chain"
                ),
            );
            return;
        };
        let mut unknown: Vec<String> = Vec::new();
        let mut columns = Vec::new();
        let mut volatile = Vec::new();
        for column in &create.columns {
            let (text, plain) = index_column(column);
            if plain {
                if table.lacks(&text) {
                    unknown.push(text.clone());
                }
            } else {
                unknown.extend(
                    identifiers(&column.column.expr)
                        .into_iter()
                        .filter(|c| table.lacks(c)),
                );
                volatile.extend(not_immutable_functions(&column.column.expr));
            }
            columns.push(text);
        }
        for include in &create.include {
            let column = ident(include);
            if table.lacks(&column) {
                unknown.push(column);
            }
        }
        if let Some(predicate) = &create.predicate {
            unknown.extend(
                identifiers(predicate)
                    .into_iter()
                    .filter(|c| table.lacks(c)),
            );
            volatile.extend(not_immutable_functions(predicate));
        }
        unknown.dedup();
        if !unknown.is_empty() {
            self.find(
                Rule::IndexUnknownColumn,
                format!(
                    "index {label} names column(s) {} that table {table_name} does not have",
                    unknown.join(", ")
                ),
            );
        }
        if !volatile.is_empty() {
            volatile.sort();
            volatile.dedup();
            self.find(
                Rule::VolatileIndexPredicate,
                format!("index {label} uses volatile function(s) {}; index predicates and expressions must be immutable", volatile.join(", ")),
            );
        }
        if !create.concurrently {
            if self.upgrade() && self.existing(&table_name) {
                self.find(
                    Rule::IndexNotConcurrent,
                    format!("index {label} is built without CONCURRENTLY on existing table {table_name}, blocking its writes"),
                );
            }
            if self.postgres() {
                self.strong_lock(&table_name, "CREATE INDEX");
            }
        }
        if let Some(name) = name {
            model.indexes.insert(
                name,
                Index {
                    table: table_name,
                    columns,
                    unique: create.unique,
                    predicate: create.predicate.as_ref().map(|p| p.to_string()),
                },
            );
        }
    }

    pub(super) fn create_view(&mut self, model: &mut Model, view: &CreateView, ast: &Ast) {
        let name = object_name(&view.name);
        if model.views.contains_key(&name) || model.tables.contains_key(&name) {
            if !view.or_replace && !view.if_not_exists {
                self.find(Rule::DuplicateName, format!("{name} already exists"));
            }
            if !view.or_replace {
                return;
            }
        }
        if !view.or_replace && !view.if_not_exists {
            self.robust("CREATE VIEW without OR REPLACE or IF NOT EXISTS");
        }
        let dependent = Dependent {
            tables: relations(ast),
            identifiers: self.words_here(),
        };
        model.views.insert(name, dependent);
    }

    pub(super) fn create_trigger(
        &mut self,
        model: &mut Model,
        trigger: &CreateTrigger,
        if_not_exists: bool,
    ) {
        let name = object_name(&trigger.name);
        let table = object_name(&trigger.table_name);
        if self.table(model, &table).is_none() {
            self.find(
                Rule::UnknownTable,
                format!("trigger {name} is on table {table}, which does not exist at this point of the chain"),
            );
            return;
        }
        let same_table = model
            .triggers
            .get(&name)
            .is_some_and(|t| t.tables.contains(&table));
        // PostgreSQL names triggers per table, SQLite per schema.
        let taken = model.triggers.contains_key(&name) && (self.sqlite() || same_table);
        if taken && !if_not_exists && !trigger.or_replace {
            self.find(
                Rule::DuplicateName,
                format!("trigger {name} already exists"),
            );
            return;
        }
        // Only the table it is on: dropping that table drops the trigger.
        model.triggers.insert(
            name,
            Dependent {
                tables: [table].into_iter().collect(),
                identifiers: self.words_here(),
            },
        );
    }

    /// The words of the current statement (see [`super::names::words`]).
    fn words_here(&self) -> std::collections::BTreeSet<String> {
        self.here
            .as_ref()
            .map(|h| super::names::words(&h.sql, self.settings.backend))
            .unwrap_or_default()
    }

    pub(super) fn create_extension(&mut self, extension: &CreateExtension) {
        if !extension.if_not_exists {
            self.find(
                Rule::ExtensionWithoutIfNotExists,
                format!(
                    "CREATE EXTENSION {} fails where the extension is already installed",
                    ident(&extension.name)
                ),
            );
        }
    }
}
