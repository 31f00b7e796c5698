//! What SQLite's `ALTER TABLE` cannot do (<https://sqlite.org/lang_altertable.html>):
//! it renames a table, renames, adds or drops a column, nothing else; an
//! added column may not be a key, NOT NULL without a default, or default
//! to something other than a constant; a dropped column may not be a key,
//! indexed, or used by a foreign key, view or trigger. Each of these fails
//! when the migration runs.

use sqlparser::ast::{AlterTableOperation, ColumnDef, ColumnOption};

use super::names::{default_of, ident, is_constant, is_null};
use super::state::MigrationLint;
use crate::lint::model::Model;
use crate::lint::rules::Rule;

impl MigrationLint<'_> {
    /// Whether SQLite's ALTER TABLE has the operation; reports it when not.
    pub(super) fn sqlite_supports(&mut self, op: &AlterTableOperation) -> bool {
        let what = match op {
            AlterTableOperation::AddColumn { .. }
            | AlterTableOperation::DropColumn { .. }
            | AlterTableOperation::RenameColumn { .. }
            | AlterTableOperation::RenameTable { .. } => return true,
            AlterTableOperation::AlterColumn { column_name, .. } => {
                format!("ALTER COLUMN {}", ident(column_name))
            }
            AlterTableOperation::AddConstraint { .. } => "ADD CONSTRAINT".to_string(),
            AlterTableOperation::DropConstraint { .. }
            | AlterTableOperation::DropForeignKey { .. }
            | AlterTableOperation::DropPrimaryKey { .. } => "DROP CONSTRAINT".to_string(),
            other => other.to_string(),
        };
        self.find(
            Rule::SqliteUnsupportedAlter,
            format!("SQLite's ALTER TABLE has no {what}: the migration fails"),
        );
        false
    }

    pub(super) fn sqlite_add_column(&mut self, table: &str, column_def: &ColumnDef) {
        let column = ident(&column_def.name);
        let default = default_of(column_def);
        let mut problems = Vec::new();
        for option in &column_def.options {
            match &option.option {
                ColumnOption::PrimaryKey(_) => problems.push("be a PRIMARY KEY"),
                ColumnOption::Unique(_) => problems.push("be UNIQUE"),
                ColumnOption::NotNull if default.is_none_or(is_null) => {
                    problems.push("be NOT NULL without a non-NULL default")
                }
                ColumnOption::Generated {
                    generation_expr_mode: Some(sqlparser::ast::GeneratedExpressionMode::Stored),
                    ..
                } => problems.push("be a STORED generated column"),
                ColumnOption::ForeignKey(_) if default.is_some_and(|d| !is_null(d)) => {
                    problems.push("reference another table with a non-NULL default")
                }
                _ => {}
            }
        }
        if default.is_some_and(|d| !is_constant(d)) {
            problems.push("default to an expression (CURRENT_TIMESTAMP, a function, parentheses)");
        }
        if !problems.is_empty() {
            self.find(
                Rule::SqliteUnsupportedAlter,
                format!(
                    "SQLite cannot ADD COLUMN {table}.{column}: an added column may not {}",
                    problems.join(", nor ")
                ),
            );
        }
    }

    pub(super) fn sqlite_drop_column(&mut self, model: &Model, table_name: &str, column: &str) {
        let Some(table) = model.tables.get(table_name) else {
            return;
        };
        let mut uses: Vec<String> = Vec::new();
        if table.primary_key.iter().any(|c| c == column) {
            uses.push("the PRIMARY KEY".to_string());
        }
        if table
            .uniques
            .iter()
            .any(|u| u.1.iter().any(|c| c == column))
        {
            uses.push("a UNIQUE constraint".to_string());
        }
        if table
            .foreign_keys
            .iter()
            .any(|fk| fk.columns.iter().any(|c| c == column))
        {
            uses.push("a foreign key".to_string());
        }
        for (name, index) in &model.indexes {
            let in_predicate = index.predicate.as_deref().is_some_and(|p| {
                p.to_lowercase()
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|word| word == column)
            });
            if index.table == table_name
                && (index.columns.iter().any(|c| c == column) || in_predicate)
            {
                uses.push(format!("index {name}"));
            }
        }
        uses.extend(model.dependents_of(table_name, column));
        if !uses.is_empty() {
            self.find(
                Rule::SqliteUnsupportedAlter,
                format!(
                    "SQLite cannot DROP COLUMN {table_name}.{column}: it is used by {}; drop those first or rebuild the table",
                    uses.join(", ")
                ),
            );
        }
    }
}
