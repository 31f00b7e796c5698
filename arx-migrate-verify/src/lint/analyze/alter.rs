//! `ALTER TABLE`: destructive changes, locks that grow with the table, and
//! the schema they leave. What is safe depends on the chain: a change to a
//! table (or column) the same migration created is never a risk to a
//! running system.

use sqlparser::ast::{
    AlterColumnOperation, AlterTable, AlterTableOperation, ColumnDef, ColumnOption,
    RenameTableNameKind, Statement as Ast, TableConstraint,
};

use super::names::{
    default_of, has_implicit_default, ident, is_serial, not_null_check, object_name, plain_columns,
    volatile_function,
};
use super::state::MigrationLint;
use crate::lint::model::{Check, Column, ForeignKey, Model};
use crate::lint::rules::Rule;

/// The names an `ALTER TABLE … RENAME TO` gives tables.
pub(super) fn renamed_to(ast: &Ast) -> Vec<String> {
    let Ast::AlterTable(alter) = ast else {
        return Vec::new();
    };
    alter
        .operations
        .iter()
        .filter_map(|op| match op {
            AlterTableOperation::RenameTable {
                table_name: RenameTableNameKind::To(n) | RenameTableNameKind::As(n),
            } => Some(object_name(n)),
            _ => None,
        })
        .collect()
}

impl MigrationLint<'_> {
    /// Whether a change to this column is a change to data a running system
    /// already has: the table existed before the migration, and the column
    /// was not added by it.
    fn column_exists_before(&self, table: &str, column: &str) -> bool {
        self.existing(table)
            && !self
                .new_columns
                .contains(&(table.to_string(), column.to_string()))
    }

    /// Whether dropping or retyping this column is reported (see
    /// [`MigrationLint::holds_data`]).
    fn column_holds_data(&self, table: &str, column: &str) -> bool {
        self.column_exists_before(table, column)
            || (self.settings.file.is_some() && self.holds_data(table))
    }

    pub(super) fn alter_table(&mut self, model: &mut Model, alter: &AlterTable) {
        let table = object_name(&alter.name);
        if self.table(model, &table).is_none() {
            if !alter.if_exists {
                self.find(
                    Rule::UnknownTable,
                    format!(
                        "ALTER TABLE {table}: no table {table} exists at this point of the chain"
                    ),
                );
            }
            return;
        }
        let only_validates = alter
            .operations
            .iter()
            .all(|op| matches!(op, AlterTableOperation::ValidateConstraint { .. }));
        if !only_validates {
            self.strong_lock(&table, "ALTER TABLE");
        }
        for op in &alter.operations {
            if self.sqlite_native() && !self.sqlite_supports(op) {
                continue;
            }
            self.alter(model, &table, op);
        }
    }

    fn alter(&mut self, model: &mut Model, table_name: &str, op: &AlterTableOperation) {
        match op {
            AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                ..
            } => self.add_column(model, table_name, column_def, *if_not_exists),
            AlterTableOperation::DropColumn {
                column_names,
                if_exists,
                ..
            } => {
                if !if_exists {
                    self.robust("DROP COLUMN without IF EXISTS");
                }
                for column in column_names.iter().map(ident) {
                    self.drop_column(model, table_name, &column, *if_exists);
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => self.rename_column(
                model,
                table_name,
                &ident(old_column_name),
                &ident(new_column_name),
            ),
            AlterTableOperation::RenameTable {
                table_name: RenameTableNameKind::To(n) | RenameTableNameKind::As(n),
            } => {
                let new = object_name(n);
                if model.tables.contains_key(&new) {
                    self.find(Rule::DuplicateName, format!("table {new} already exists"));
                    return;
                }
                if self.existing(table_name) && self.upgrade() {
                    self.find(
                        Rule::Rename,
                        format!("existing table {table_name} is renamed to {new}"),
                    );
                }
                model.rename_table(table_name, &new);
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                self.alter_column(model, table_name, &ident(column_name), op)
            }
            AlterTableOperation::AddConstraint {
                constraint,
                not_valid,
            } => self.add_constraint(model, table_name, constraint, *not_valid),
            AlterTableOperation::ValidateConstraint { name } => {
                let name = ident(name);
                if self.in_transaction() && self.not_valid_here.contains(&name) {
                    self.find(
                        Rule::ConstraintMissingNotValid,
                        format!("constraint {name} is validated in the same transaction that added it NOT VALID, so the lock of the ADD is held during the scan"),
                    );
                }
                if let Some(t) = model.tables.get_mut(table_name) {
                    for check in &mut t.checks {
                        if check.name.as_deref() == Some(name.as_str()) {
                            check.valid = true;
                        }
                    }
                }
            }
            AlterTableOperation::DropConstraint {
                name, if_exists, ..
            } => {
                if !if_exists {
                    self.robust("DROP CONSTRAINT without IF EXISTS");
                }
                self.drop_constraint(model, table_name, &ident(name));
            }
            AlterTableOperation::DropForeignKey { name, .. } => {
                self.drop_constraint(model, table_name, &ident(name));
            }
            AlterTableOperation::DropPrimaryKey { .. } => {
                if let Some(t) = model.tables.get_mut(table_name) {
                    t.primary_key.clear();
                }
            }
            _ => {}
        }
    }

    fn drop_constraint(&mut self, model: &mut Model, table_name: &str, name: &str) {
        if let Some(t) = model.tables.get_mut(table_name) {
            t.foreign_keys.retain(|fk| fk.name.as_deref() != Some(name));
            t.uniques.retain(|u| u.0.as_deref() != Some(name));
            t.checks.retain(|c| c.name.as_deref() != Some(name));
            if name == format!("{table_name}_pkey") {
                t.primary_key.clear();
            }
        }
    }

    fn add_column(
        &mut self,
        model: &mut Model,
        table_name: &str,
        column_def: &ColumnDef,
        if_not_exists: bool,
    ) {
        let column = ident(&column_def.name);
        if self.here.as_ref().is_some_and(|h| h.contract) && !self.upgrade() {
            self.restored.push((table_name.to_string(), column.clone()));
        }
        if !if_not_exists {
            self.robust("ADD COLUMN without IF NOT EXISTS");
        }
        let Some(table) = model.tables.get(table_name) else {
            return;
        };
        if table.column(&column).is_some() {
            if !if_not_exists {
                self.find(
                    Rule::DuplicateName,
                    format!("column {table_name}.{column} already exists"),
                );
            }
            return;
        }
        let existing = self.existing(table_name) && self.upgrade();
        let not_null = column_def.options.iter().any(|o| {
            matches!(
                o.option,
                ColumnOption::NotNull | ColumnOption::PrimaryKey(_)
            )
        });
        if not_null && !has_implicit_default(column_def) && existing {
            self.find(
                Rule::NotNullWithoutDefault,
                format!("column {table_name}.{column} is added NOT NULL without a default to an existing table"),
            );
        }
        if self.sqlite_native() {
            self.sqlite_add_column(table_name, column_def);
        }
        self.style_of_type(table_name, &column, &column_def.data_type);
        if existing {
            self.add_column_locks(table_name, &column, column_def);
        }
        let mut def = Column {
            name: column.clone(),
            data_type: column_def.data_type.to_string().to_lowercase(),
            not_null,
            default: default_of(column_def).map(|e| e.to_string()),
        };
        if def.default.is_none() && is_serial(&def.data_type) {
            def.default = Some("nextval()".to_string());
        }
        let mut fk = None;
        for option in &column_def.options {
            match &option.option {
                ColumnOption::ForeignKey(f) => fk = Some(object_name(&f.foreign_table)),
                ColumnOption::Unique(_) => {
                    if let Some(t) = model.tables.get_mut(table_name) {
                        t.uniques.push((None, vec![column.clone()]));
                    }
                }
                ColumnOption::PrimaryKey(_) => {
                    if let Some(t) = model.tables.get_mut(table_name) {
                        t.primary_key = vec![column.clone()];
                    }
                }
                ColumnOption::Check(check) => {
                    if let Some(t) = model.tables.get_mut(table_name) {
                        t.checks.push(Check {
                            name: option.name.as_ref().map(ident),
                            not_null_of: not_null_check(&check.expr),
                            valid: true,
                        });
                    }
                }
                _ => {}
            }
        }
        if let Some(ref_table) = fk {
            self.foreign_key_target(model, table_name, &ref_table);
            self.pending_fk(table_name, vec![column.clone()]);
            if let Some(t) = model.tables.get_mut(table_name) {
                t.foreign_keys.push(ForeignKey {
                    name: None,
                    columns: vec![column.clone()],
                    ref_table,
                });
            }
        }
        if let Some(t) = model.tables.get_mut(table_name) {
            t.columns.push(def);
        }
        self.new_columns.insert((table_name.to_string(), column));
    }

    /// PostgreSQL: what adding this column to an existing table locks.
    fn add_column_locks(&mut self, table_name: &str, column: &str, column_def: &ColumnDef) {
        let data_type = column_def.data_type.to_string().to_lowercase();
        let generated = column_def.options.iter().find_map(|o| match &o.option {
            ColumnOption::Generated {
                generation_expr, ..
            } => Some(if generation_expr.is_some() {
                "a stored generated expression"
            } else {
                "GENERATED AS IDENTITY (a value for every row)"
            }),
            ColumnOption::Identity(_) => Some("an identity (a value for every row)"),
            _ => None,
        });
        let rewrite = if is_serial(&data_type) {
            Some(format!("type {data_type} (a nextval() default)"))
        } else if let Some(function) = default_of(column_def).and_then(volatile_function) {
            Some(format!("volatile default {function}()"))
        } else {
            generated.map(str::to_string)
        };
        if let Some(what) = rewrite {
            self.find(
                Rule::AddingFieldWithDefault,
                format!("column {table_name}.{column} is added with {what}: existing table {table_name} is rewritten under an ACCESS EXCLUSIVE lock"),
            );
        }
        for option in &column_def.options {
            match &option.option {
                ColumnOption::Unique(_) => self.find(
                    Rule::DisallowedUniqueConstraint,
                    format!("column {table_name}.{column} is added UNIQUE: its index is built under an ACCESS EXCLUSIVE lock on existing table {table_name}"),
                ),
                ColumnOption::PrimaryKey(_) => self.find(
                    Rule::AddingSerialPrimaryKeyField,
                    format!("column {table_name}.{column} is added as PRIMARY KEY: its index is built under an ACCESS EXCLUSIVE lock on existing table {table_name}"),
                ),
                ColumnOption::ForeignKey(fk) => self.find(
                    Rule::AddingForeignKeyConstraint,
                    format!(
                        "column {table_name}.{column} is added with a foreign key to {}: existing table {table_name} is scanned while both tables' writes are blocked",
                        object_name(&fk.foreign_table)
                    ),
                ),
                _ => {}
            }
        }
    }

    fn drop_column(&mut self, model: &mut Model, table_name: &str, column: &str, if_exists: bool) {
        let Some(t) = model.tables.get(table_name) else {
            return;
        };
        if t.lacks(column) {
            if !if_exists {
                self.find(
                    Rule::UnknownColumn,
                    format!("DROP COLUMN {table_name}.{column}: no such column"),
                );
            }
            return;
        }
        if self.sqlite_native() {
            self.sqlite_drop_column(model, table_name, column);
        }
        let contract = self.here.as_ref().is_some_and(|h| h.contract);
        if self.column_holds_data(table_name, column) && self.upgrade() && !contract {
            self.find(
                Rule::DropColumn,
                format!(
                    "column {table_name}.{column} of an existing table is dropped with its data"
                ),
            );
        }
        if let Some(t) = model.tables.get_mut(table_name) {
            t.columns.retain(|c| c.name != column);
            t.foreign_keys
                .retain(|fk| !fk.columns.iter().any(|c| c == column));
            t.uniques.retain(|u| !u.1.iter().any(|c| c == column));
            t.checks
                .retain(|c| c.not_null_of.as_deref() != Some(column));
        }
        model.indexes.retain(|_, index| {
            !(index.table == table_name && index.columns.iter().any(|c| c == column))
        });
    }

    fn rename_column(&mut self, model: &mut Model, table_name: &str, old: &str, new: &str) {
        let Some(table) = model.tables.get(table_name) else {
            return;
        };
        if table.lacks(old) {
            self.find(
                Rule::UnknownColumn,
                format!("RENAME COLUMN {table_name}.{old}: no such column"),
            );
            return;
        }
        if table.column(new).is_some() {
            self.find(
                Rule::DuplicateName,
                format!("column {table_name}.{new} already exists"),
            );
            return;
        }
        if self.column_exists_before(table_name, old) && self.upgrade() {
            self.find(
                Rule::Rename,
                format!("column {table_name}.{old} of an existing table is renamed to {new}"),
            );
        }
        if let Some(t) = model.tables.get_mut(table_name) {
            if let Some(c) = t.column_mut(old) {
                c.name = new.to_string();
            }
            for list in std::iter::once(&mut t.primary_key)
                .chain(t.uniques.iter_mut().map(|u| &mut u.1))
                .chain(t.foreign_keys.iter_mut().map(|f| &mut f.columns))
            {
                for c in list.iter_mut() {
                    if c == old {
                        *c = new.to_string();
                    }
                }
            }
            for check in &mut t.checks {
                if check.not_null_of.as_deref() == Some(old) {
                    check.not_null_of = Some(new.to_string());
                }
            }
        }
        for index in model.indexes.values_mut().filter(|i| i.table == table_name) {
            for c in index.columns.iter_mut() {
                if c == old {
                    *c = new.to_string();
                }
            }
        }
        let key = (table_name.to_string(), old.to_string());
        if self.new_columns.remove(&key) {
            self.new_columns
                .insert((table_name.to_string(), new.to_string()));
        }
    }

    fn alter_column(
        &mut self,
        model: &mut Model,
        table_name: &str,
        column: &str,
        op: &AlterColumnOperation,
    ) {
        let Some(table) = model.tables.get(table_name) else {
            return;
        };
        if table.lacks(column) {
            self.find(
                Rule::UnknownColumn,
                format!("ALTER COLUMN {table_name}.{column}: no such column"),
            );
            return;
        }
        let before = self.column_exists_before(table_name, column) && self.upgrade();
        let retype_counts = self.column_holds_data(table_name, column) && self.upgrade();
        let current_type = table.column(column).map(|c| c.data_type.clone());
        let proven_not_null = table.proven_not_null(column);
        match op {
            AlterColumnOperation::SetDataType { data_type, .. } => {
                let new_type = data_type.to_string().to_lowercase();
                let free = current_type
                    .as_deref()
                    .is_some_and(|old| super::types::rewrite_free(old, &new_type));
                if retype_counts && !free {
                    self.find(
                        Rule::AlterColumnType,
                        format!(
                            "column {table_name}.{column} of an existing table changes type{} to {data_type}",
                            current_type
                                .as_deref()
                                .map(|t| format!(" from {t}"))
                                .unwrap_or_default()
                        ),
                    );
                }
                self.style_of_type(table_name, column, data_type);
            }
            AlterColumnOperation::SetNotNull if before && !proven_not_null => self.find(
                Rule::AddingNotNullableField,
                format!("SET NOT NULL on {table_name}.{column} scans existing table {table_name} under an ACCESS EXCLUSIVE lock and fails if a row holds NULL"),
            ),
            AlterColumnOperation::DropNotNull if before => self.find(
                Rule::BanDropNotNull,
                format!("{table_name}.{column} may hold NULL from now on; code that reads it may not expect that"),
            ),
            _ => {}
        }
        let Some(c) = model
            .tables
            .get_mut(table_name)
            .and_then(|t| t.column_mut(column))
        else {
            return;
        };
        match op {
            AlterColumnOperation::SetNotNull => c.not_null = true,
            AlterColumnOperation::DropNotNull => c.not_null = false,
            AlterColumnOperation::SetDefault { value } => c.default = Some(value.to_string()),
            AlterColumnOperation::DropDefault => c.default = None,
            AlterColumnOperation::SetDataType { data_type, .. } => {
                c.data_type = data_type.to_string().to_lowercase()
            }
            _ => {}
        }
    }

    fn add_constraint(
        &mut self,
        model: &mut Model,
        table_name: &str,
        constraint: &TableConstraint,
        not_valid: bool,
    ) {
        let existing = self.existing(table_name) && self.upgrade();
        let name = constraint_name(constraint);
        if let Some(name) = &name {
            if not_valid {
                self.not_valid_here.insert(name.clone());
            }
        }
        let label = name
            .as_deref()
            .map(|n| format!("constraint {n}"))
            .unwrap_or_else(|| "a constraint".to_string());
        match constraint {
            TableConstraint::ForeignKey(fk) => {
                let ref_table = object_name(&fk.foreign_table);
                let columns: Vec<String> = fk.columns.iter().map(ident).collect();
                if existing && !not_valid {
                    self.find(
                        Rule::AddingForeignKeyConstraint,
                        format!("foreign key {table_name}({}) → {ref_table} is added without NOT VALID: existing table {table_name} is scanned while writes to both tables are blocked", columns.join(", ")),
                    );
                    self.find(
                        Rule::ConstraintMissingNotValid,
                        format!("{label} (a foreign key) is added to existing table {table_name} without NOT VALID"),
                    );
                }
                self.foreign_key_target(model, table_name, &ref_table);
                let lacking: Vec<String> = model
                    .tables
                    .get(table_name)
                    .map(|t| columns.iter().filter(|c| t.lacks(c)).cloned().collect())
                    .unwrap_or_default();
                for column in lacking {
                    self.find(
                        Rule::UnknownColumn,
                        format!("foreign key column {table_name}.{column}: no such column"),
                    );
                }
                self.pending_fk(table_name, columns.clone());
                if let Some(t) = model.tables.get_mut(table_name) {
                    t.foreign_keys.push(ForeignKey {
                        name: fk.name.as_ref().map(ident),
                        columns,
                        ref_table,
                    });
                }
            }
            TableConstraint::Check(check) => {
                if existing && !not_valid {
                    self.find(
                        Rule::ConstraintMissingNotValid,
                        format!("CHECK {label} is added to existing table {table_name} without NOT VALID: every row is checked under an ACCESS EXCLUSIVE lock"),
                    );
                }
                if let Some(t) = model.tables.get_mut(table_name) {
                    t.checks.push(Check {
                        name: check.name.as_ref().map(ident),
                        not_null_of: not_null_check(&check.expr),
                        valid: !not_valid,
                    });
                }
            }
            TableConstraint::Unique(unique) => {
                if existing {
                    self.find(
                        Rule::DisallowedUniqueConstraint,
                        format!("UNIQUE {label} is added to existing table {table_name} without USING INDEX: its index is built under an ACCESS EXCLUSIVE lock"),
                    );
                }
                if let Some(t) = model.tables.get_mut(table_name) {
                    t.uniques.push((
                        unique.name.as_ref().map(ident),
                        plain_columns(&unique.columns),
                    ));
                }
            }
            TableConstraint::PrimaryKey(pk) => {
                if existing {
                    self.find(
                        Rule::AddingSerialPrimaryKeyField,
                        format!("PRIMARY KEY is added to existing table {table_name} without USING INDEX: its index is built under an ACCESS EXCLUSIVE lock"),
                    );
                }
                if let Some(t) = model.tables.get_mut(table_name) {
                    t.primary_key = plain_columns(&pk.columns);
                }
            }
            TableConstraint::UniqueUsingIndex(using)
            | TableConstraint::PrimaryKeyUsingIndex(using) => {
                let index = ident(&using.index_name);
                let Some(found) = model.indexes.remove(&index) else {
                    if !self.settings.assume_unknown {
                        self.find(
                            Rule::UnknownIndex,
                            format!("USING INDEX {index}: no index {index} exists at this point of the chain"),
                        );
                    }
                    return;
                };
                if let Some(t) = model.tables.get_mut(table_name) {
                    if matches!(constraint, TableConstraint::PrimaryKeyUsingIndex(_)) {
                        t.primary_key = found.columns;
                    } else {
                        t.uniques.push((name, found.columns));
                    }
                }
            }
            _ => {}
        }
    }
}

/// The name a constraint is given, if any.
fn constraint_name(constraint: &TableConstraint) -> Option<String> {
    match constraint {
        TableConstraint::ForeignKey(c) => c.name.as_ref().map(ident),
        TableConstraint::Check(c) => c.name.as_ref().map(ident),
        TableConstraint::Unique(c) => c.name.as_ref().map(ident),
        TableConstraint::PrimaryKey(c) => c.name.as_ref().map(ident),
        TableConstraint::UniqueUsingIndex(c) | TableConstraint::PrimaryKeyUsingIndex(c) => {
            c.name.as_ref().map(ident)
        }
        _ => None,
    }
}
