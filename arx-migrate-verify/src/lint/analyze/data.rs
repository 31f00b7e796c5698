//! Statements on rows rather than the schema: `TRUNCATE`, `DELETE` or
//! `UPDATE` without `WHERE`, and `VACUUM FULL`. A table the migration
//! created itself holds no rows a running system depends on.

use sqlparser::ast::{Delete, FromTable, TableFactor, TableWithJoins, Truncate, Update};

use super::names::object_name;
use super::state::MigrationLint;
use crate::lint::model::Model;
use crate::lint::rules::Rule;

/// The table a `FROM` item names, when it is a plain table.
fn table_of(item: &TableWithJoins) -> Option<String> {
    match &item.relation {
        TableFactor::Table { name, .. } => Some(object_name(name)),
        _ => None,
    }
}

/// Whether `VACUUM (…)` options switch FULL on (`FULL`, `FULL true`, not
/// `FULL false`).
fn full_option(words: &[String]) -> bool {
    words.iter().enumerate().any(|(i, w)| {
        w == "FULL"
            && !words
                .get(i + 1)
                .is_some_and(|next| matches!(next.as_str(), "FALSE" | "OFF"))
    })
}

impl MigrationLint<'_> {
    pub(super) fn truncate(&mut self, model: &mut Model, truncate: &Truncate) {
        for target in &truncate.table_names {
            let table = object_name(&target.name);
            if self.table(model, &table).is_none() {
                if !truncate.if_exists {
                    self.find(
                        Rule::UnknownTable,
                        format!("TRUNCATE {table}: no such table"),
                    );
                }
                continue;
            }
            if self.existing(&table) && self.upgrade() {
                let cascade = if truncate.cascade.is_some() {
                    " and, with CASCADE, of every table referencing it"
                } else {
                    ""
                };
                self.find(
                    Rule::TruncateTable,
                    format!("TRUNCATE deletes every row of existing table {table}{cascade}"),
                );
            }
            self.strong_lock(&table, "TRUNCATE");
        }
    }

    pub(super) fn delete(&mut self, model: &mut Model, delete: &Delete) {
        if delete.selection.is_some() || delete.using.is_some() || delete.limit.is_some() {
            return;
        }
        let items = match &delete.from {
            FromTable::WithFromKeyword(items) | FromTable::WithoutKeyword(items) => items,
        };
        for table in items.iter().filter_map(table_of) {
            if self.table(model, &table).is_some() && self.existing(&table) && self.upgrade() {
                self.find(
                    Rule::DeleteWithoutWhere,
                    format!("DELETE without WHERE removes every row of existing table {table}"),
                );
            }
        }
    }

    pub(super) fn update(&mut self, model: &mut Model, update: &Update) {
        if update.selection.is_some() || update.limit.is_some() {
            return;
        }
        let Some(table) = table_of(&update.table) else {
            return;
        };
        if self.table(model, &table).is_some() && self.existing(&table) && self.upgrade() {
            self.find(
                Rule::UpdateWithoutWhere,
                format!("UPDATE without WHERE rewrites and locks every row of existing table {table} in one transaction"),
            );
        }
    }

    pub(super) fn vacuum_full(&mut self) {
        let in_transaction = if self.in_transaction() {
            "; inside the migration's transaction it fails"
        } else {
            ""
        };
        self.find(
            Rule::VacuumFull,
            format!("VACUUM FULL rewrites its table(s) under an ACCESS EXCLUSIVE lock, blocking reads and writes{in_transaction}"),
        );
    }

    /// Rules for statements the parser cannot read, by their first words.
    pub(super) fn unparsed_statement(&mut self, words: &[String]) {
        let first = words.first().map(String::as_str);
        let has = |word: &str| words.iter().any(|w| w == word);
        match first {
            Some("VACUUM") if full_option(words) => self.vacuum_full(),
            Some("REINDEX") if has("CONCURRENTLY") => self.concurrently("REINDEX CONCURRENTLY"),
            Some("SET") if has("LOCK_TIMEOUT") => self.lock_timeout = true,
            _ => {}
        }
    }
}
