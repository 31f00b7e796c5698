//! The schema `lint --file` starts from: a live database's (read by
//! [`crate::check::introspect`]) turned into the lint model.

use sqlparser::ast::{AlterTableOperation, Statement as Ast, TableConstraint};

use super::analyze::names::{ident, not_null_check, object_name, plain_columns, relations, words};
use super::model::{Check, Column, Dependent, ForeignKey, Index, Model, Table};
use super::parse::parse_one;
use crate::check::SchemaSnapshot;
use arx_migrate_core::backend::Backend;

impl Model {
    /// The model of a live database's schema.
    pub(crate) fn from_snapshot(snapshot: &SchemaSnapshot, backend: Backend) -> Model {
        let mut model = Model::default();
        for (name, found) in &snapshot.tables {
            let mut table = Table::new();
            for (column, c) in &found.columns {
                table.columns.push(Column {
                    name: column.to_lowercase(),
                    data_type: c.data_type.to_lowercase(),
                    not_null: !c.nullable,
                    default: c.default.clone(),
                });
            }
            for (key, constraint) in &found.constraints {
                // PostgreSQL names constraints; SQLite's are keyed by their
                // definition.
                let definition = match backend {
                    Backend::Postgres => format!("CONSTRAINT \"{key}\" {}", constraint.definition),
                    Backend::Sqlite => constraint.definition.clone(),
                    Backend::Mysql => format!("CONSTRAINT `{key}` {}", constraint.definition),
                };
                add_constraint(&mut table, &definition, backend);
            }
            for (index, i) in &found.indexes {
                model.indexes.insert(
                    index.to_lowercase(),
                    Index {
                        table: name.to_lowercase(),
                        columns: i.columns.iter().map(|c| c.to_lowercase()).collect(),
                        unique: i.unique,
                        predicate: i.predicate.clone(),
                    },
                );
            }
            model.tables.insert(name.to_lowercase(), table);
        }
        for (name, view) in &snapshot.views {
            model
                .views
                .insert(name.to_lowercase(), dependent(&view.definition, backend));
        }
        for (name, trigger) in &snapshot.triggers {
            let mut d = dependent(&trigger.definition, backend);
            d.tables = trigger.table.iter().map(|t| t.to_lowercase()).collect();
            // PostgreSQL's trigger names are `table.name` in the snapshot.
            let name = name.rsplit('.').next().unwrap_or(name);
            model.triggers.insert(name.to_lowercase(), d);
        }
        model
    }
}

/// What a view's or trigger's definition mentions.
fn dependent(definition: &str, backend: Backend) -> Dependent {
    match parse_one(definition, backend) {
        Some(ast) => Dependent {
            tables: relations(&ast),
            identifiers: words(definition, backend),
        },
        None => Dependent {
            tables: Default::default(),
            identifiers: Default::default(),
        },
    }
}

/// Adds a constraint, as the database prints its definition, to `table`.
fn add_constraint(table: &mut Table, definition: &str, backend: Backend) {
    let sql = format!("ALTER TABLE t ADD {definition}");
    let Some(Ast::AlterTable(alter)) = parse_one(&sql, backend) else {
        return;
    };
    for op in alter.operations {
        let AlterTableOperation::AddConstraint {
            constraint,
            not_valid,
        } = op
        else {
            continue;
        };
        match constraint {
            TableConstraint::PrimaryKey(pk) => {
                table.primary_key = plain_columns(&pk.columns);
            }
            TableConstraint::Unique(unique) => table.uniques.push((
                unique.name.as_ref().map(ident),
                plain_columns(&unique.columns),
            )),
            TableConstraint::ForeignKey(fk) => table.foreign_keys.push(ForeignKey {
                name: fk.name.as_ref().map(ident),
                columns: fk.columns.iter().map(ident).collect(),
                ref_table: object_name(&fk.foreign_table),
            }),
            TableConstraint::Check(check) => table.checks.push(Check {
                name: check.name.as_ref().map(ident),
                not_null_of: not_null_check(&check.expr),
                valid: !not_valid,
            }),
            _ => {}
        }
    }
}
