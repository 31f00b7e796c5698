//! SQLite keeps a constraint's name only in the `CREATE TABLE` text, and
//! `check` keys constraints by their definition. This finds the name each
//! one goes by for [`arx_migrate_core::Ops`]: the one written, else the
//! name PostgreSQL would give it, which `Ops` also accepts on SQLite.

use std::collections::BTreeMap;

use sqlparser::ast::{ColumnOption, Statement as Ast, TableConstraint};

use crate::lint::parse_one;
use arx_migrate_core::Backend;

/// The names of one table's constraints.
#[derive(Debug, Default)]
pub(super) struct ConstraintNames {
    /// By `check`'s key, `CHECK (expr)`.
    pub checks: BTreeMap<String, String>,
    /// By the local columns, `a, b`.
    pub foreign_keys: BTreeMap<String, String>,
    /// By the columns, `a, b`.
    pub uniques: BTreeMap<String, String>,
}

fn default_name(table: &str, columns: &[String], suffix: &str) -> String {
    let mut name = table.to_string();
    for column in columns {
        name.push('_');
        name.push_str(column);
    }
    format!("{name}_{suffix}")
}

impl ConstraintNames {
    /// Reads the names from `table`'s `CREATE TABLE` text.
    pub(super) fn read(table: &str, create_sql: Option<&str>) -> Self {
        let mut names = ConstraintNames::default();
        let Some(Ast::CreateTable(create)) = create_sql.and_then(|s| parse_one(s, Backend::Sqlite))
        else {
            return names;
        };
        let ident = |i: &sqlparser::ast::Ident| i.value.clone();
        for constraint in &create.constraints {
            match constraint {
                TableConstraint::Check(c) => {
                    let name = c
                        .name
                        .as_ref()
                        .map(ident)
                        .unwrap_or_else(|| default_name(table, &[], "check"));
                    names.checks.insert(format!("CHECK ({})", c.expr), name);
                }
                TableConstraint::ForeignKey(fk) => {
                    let columns: Vec<String> = fk.columns.iter().map(ident).collect();
                    let name = fk
                        .name
                        .as_ref()
                        .map(ident)
                        .unwrap_or_else(|| default_name(table, &columns, "fkey"));
                    names.foreign_keys.insert(columns.join(", "), name);
                }
                TableConstraint::Unique(u) => {
                    let columns: Vec<String> = u
                        .columns
                        .iter()
                        .map(|c| c.column.expr.to_string())
                        .collect();
                    let columns: Vec<String> = columns
                        .iter()
                        .map(|c| c.trim_matches('"').to_string())
                        .collect();
                    let name = u
                        .name
                        .as_ref()
                        .map(ident)
                        .unwrap_or_else(|| default_name(table, &columns, "key"));
                    names.uniques.insert(columns.join(", "), name);
                }
                _ => {}
            }
        }
        for column in &create.columns {
            let columns = vec![column.name.value.clone()];
            for option in &column.options {
                let given = option.name.as_ref().map(ident);
                match &option.option {
                    ColumnOption::Check(c) => {
                        let name = given
                            .or_else(|| c.name.as_ref().map(ident))
                            .unwrap_or_else(|| default_name(table, &columns, "check"));
                        names.checks.insert(format!("CHECK ({})", c.expr), name);
                    }
                    ColumnOption::ForeignKey(fk) => {
                        let name = given
                            .or_else(|| fk.name.as_ref().map(ident))
                            .unwrap_or_else(|| default_name(table, &columns, "fkey"));
                        names.foreign_keys.insert(columns.join(", "), name);
                    }
                    ColumnOption::Unique(u) => {
                        let name = given
                            .or_else(|| u.name.as_ref().map(ident))
                            .unwrap_or_else(|| default_name(table, &columns, "key"));
                        names.uniques.insert(columns.join(", "), name);
                    }
                    _ => {}
                }
            }
        }
        names
    }
}
