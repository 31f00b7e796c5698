//! `DROP TABLE`, `DROP INDEX [CONCURRENTLY]`, `DROP VIEW`, `DROP TRIGGER`,
//! `DROP DATABASE`.

use sqlparser::ast::{DropTrigger, ObjectName, ObjectType};

use super::names::object_name;
use super::state::MigrationLint;
use crate::lint::model::Model;
use crate::lint::rules::Rule;

impl MigrationLint<'_> {
    pub(super) fn drop(
        &mut self,
        model: &mut Model,
        object_type: ObjectType,
        if_exists: bool,
        names: &[ObjectName],
        concurrently: bool,
    ) {
        if !if_exists && matches!(object_type, ObjectType::Table | ObjectType::Index) {
            self.robust("DROP without IF EXISTS");
        }
        match object_type {
            ObjectType::Table => {
                for name in names.iter().map(object_name) {
                    if !model.tables.contains_key(&name) {
                        if if_exists {
                            continue;
                        }
                        if self.table(model, &name).is_none() {
                            self.find(Rule::UnknownTable, format!("DROP TABLE {name}: no table {name} exists at this point of the chain"));
                            continue;
                        }
                    }
                    if self.holds_data(&name) && self.upgrade() && !self.rebuilt.contains(&name) {
                        self.find(
                            Rule::DropTable,
                            format!("existing table {name} is dropped with its data"),
                        );
                    }
                    self.strong_lock(&name, "DROP TABLE");
                    model.drop_table(&name);
                }
            }
            ObjectType::Index => {
                if concurrently {
                    self.concurrently("DROP INDEX CONCURRENTLY");
                }
                for name in names.iter().map(object_name) {
                    let index = match model.indexes.remove(&name) {
                        Some(index) => Some(index.table),
                        None if self.settings.assume_unknown => {
                            self.assumed.insert(format!("index {name}"));
                            None
                        }
                        None if if_exists => continue,
                        None => {
                            self.find(Rule::UnknownIndex, format!("DROP INDEX {name}: no index {name} exists at this point of the chain"));
                            continue;
                        }
                    };
                    let before = self.existing_indexes.contains(&name)
                        || (index.is_none() && self.settings.assume_unknown);
                    let on_existing = index.as_deref().is_none_or(|t| self.existing(t));
                    if concurrently {
                        continue;
                    }
                    if before && on_existing && self.upgrade() {
                        self.find(
                            Rule::RequireConcurrentIndexDeletion,
                            format!("index {name} is dropped without CONCURRENTLY: its table is locked (ACCESS EXCLUSIVE) until running queries end"),
                        );
                    }
                    if let Some(table) = &index {
                        self.strong_lock(table, "DROP INDEX");
                    }
                }
            }
            ObjectType::View | ObjectType::MaterializedView => {
                for name in names.iter().map(object_name) {
                    if model.views.remove(&name).is_none() && !if_exists {
                        if self.settings.assume_unknown {
                            self.assumed.insert(format!("view {name}"));
                        } else {
                            self.find(
                                Rule::UnknownIndex,
                                format!("DROP VIEW {name}: no view {name} exists at this point of the chain"),
                            );
                        }
                    }
                }
            }
            ObjectType::Database => self.find(
                Rule::BanDropDatabase,
                format!(
                    "DROP DATABASE {} destroys the database",
                    names.iter().map(object_name).collect::<Vec<_>>().join(", ")
                ),
            ),
            _ => {}
        }
    }

    pub(super) fn drop_trigger(&mut self, model: &mut Model, drop: &DropTrigger) {
        let name = object_name(&drop.trigger_name);
        if model.triggers.remove(&name).is_none() && !drop.if_exists {
            if self.settings.assume_unknown {
                self.assumed.insert(format!("trigger {name}"));
            } else {
                self.find(
                    Rule::UnknownIndex,
                    format!(
                        "DROP TRIGGER {name}: no trigger {name} exists at this point of the chain"
                    ),
                );
            }
        }
    }
}
