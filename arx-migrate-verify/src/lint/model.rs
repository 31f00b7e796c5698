//! The schema as the chain builds it, statement by statement: tables with
//! their columns, keys, foreign keys and CHECKs, indexes, views and
//! triggers by name. Known without a database, from the parsed SQL alone
//! (or read from a live database's schema, [`Model::from_snapshot`]).

use std::collections::{BTreeMap, BTreeSet};

/// A column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub name: String,
    pub data_type: String,
    pub not_null: bool,
    pub default: Option<String>,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ForeignKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub ref_table: String,
}

/// A CHECK constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Check {
    pub name: Option<String>,
    /// The column it proves NOT NULL (`CHECK (col IS NOT NULL)`), if that
    /// is what it says.
    pub not_null_of: Option<String>,
    /// False while it was added `NOT VALID` and not validated since.
    pub valid: bool,
}

/// A table.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub columns: Vec<Column>,
    /// False when the columns are not known (`CREATE TABLE … AS`, virtual
    /// tables): column checks are then skipped.
    pub columns_known: bool,
    pub primary_key: Vec<String>,
    /// Unique constraints: (name, columns).
    pub uniques: Vec<(Option<String>, Vec<String>)>,
    pub foreign_keys: Vec<ForeignKey>,
    pub checks: Vec<Check>,
}

impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        let mut a = self.columns.clone();
        let mut b = other.columns.clone();
        a.sort_by(|x, y| x.name.cmp(&y.name));
        b.sort_by(|x, y| x.name.cmp(&y.name));
        a == b
            && self.columns_known == other.columns_known
            && self.primary_key == other.primary_key
            && self.foreign_keys.len() == other.foreign_keys.len()
            && self.foreign_keys.iter().all(|fk| {
                other
                    .foreign_keys
                    .iter()
                    .any(|o| o.columns == fk.columns && o.ref_table == fk.ref_table)
            })
    }
}

impl Table {
    pub fn new() -> Self {
        Table {
            columns: Vec::new(),
            columns_known: true,
            primary_key: Vec::new(),
            uniques: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
        }
    }

    /// A table known to exist whose columns are not known (`lint --file`
    /// without a schema).
    pub fn unknown() -> Self {
        Table {
            columns_known: false,
            ..Table::new()
        }
    }

    /// Whether a validated CHECK proves `column` NOT NULL.
    pub fn proven_not_null(&self, column: &str) -> bool {
        self.checks
            .iter()
            .any(|c| c.valid && c.not_null_of.as_deref() == Some(column))
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.name == name)
    }

    /// Whether the column is known to be missing (unknown columns are
    /// never "missing").
    pub fn lacks(&self, name: &str) -> bool {
        self.columns_known && self.column(name).is_none()
    }
}

/// An index.
#[derive(Debug, Clone)]
pub(crate) struct Index {
    pub table: String,
    /// Column names, or the expression's text for expression columns.
    pub columns: Vec<String>,
    pub unique: bool,
    pub predicate: Option<String>,
}

impl PartialEq for Index {
    fn eq(&self, other: &Self) -> bool {
        self.table == other.table
            && self.columns == other.columns
            && self.unique == other.unique
            && self.predicate == other.predicate
    }
}

/// A view, or a trigger: what it names, for the SQLite columns that cannot
/// be dropped while one uses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dependent {
    /// A trigger's table; the tables a view reads.
    pub tables: BTreeSet<String>,
    /// Every identifier its body or query mentions.
    pub identifiers: BTreeSet<String>,
}

/// The schema at one point of the chain.
#[derive(Debug, Clone, Default)]
pub(crate) struct Model {
    pub tables: BTreeMap<String, Table>,
    pub indexes: BTreeMap<String, Index>,
    pub views: BTreeMap<String, Dependent>,
    pub triggers: BTreeMap<String, Dependent>,
}

impl Model {
    /// Adds what `other` has that this model lacks (a merge revision sees
    /// the union of its parents).
    pub fn merge(&mut self, other: &Model) {
        for (name, table) in &other.tables {
            self.tables
                .entry(name.clone())
                .or_insert_with(|| table.clone());
        }
        for (name, index) in &other.indexes {
            self.indexes
                .entry(name.clone())
                .or_insert_with(|| index.clone());
        }
        for (name, view) in &other.views {
            self.views
                .entry(name.clone())
                .or_insert_with(|| view.clone());
        }
        for (name, trigger) in &other.triggers {
            self.triggers
                .entry(name.clone())
                .or_insert_with(|| trigger.clone());
        }
    }

    /// Whether a view or a trigger (on `table`, or reading it) mentions
    /// `column`.
    pub fn dependents_of(&self, table: &str, column: &str) -> Vec<String> {
        let uses = |d: &Dependent| d.tables.contains(table) && d.identifiers.contains(column);
        self.views
            .iter()
            .filter(|(_, v)| uses(v))
            .map(|(name, _)| format!("view {name}"))
            .chain(
                self.triggers
                    .iter()
                    .filter(|(_, t)| uses(t))
                    .map(|(name, _)| format!("trigger {name}")),
            )
            .collect()
    }

    /// Whether an index's leading columns are `columns` (in any order), or
    /// the primary key or a unique constraint's are.
    pub fn has_index_starting_with(&self, table: &str, columns: &[String]) -> bool {
        let starts = |candidate: &[String]| {
            candidate.len() >= columns.len()
                && columns
                    .iter()
                    .all(|c| candidate[..columns.len()].contains(c))
        };
        let Some(t) = self.tables.get(table) else {
            return true;
        };
        starts(&t.primary_key)
            || t.uniques.iter().any(|(_, cols)| starts(cols))
            || self
                .indexes
                .values()
                .any(|index| index.table == table && starts(&index.columns))
    }

    /// Removes a table, its indexes and its triggers.
    pub fn drop_table(&mut self, name: &str) {
        self.tables.remove(name);
        self.indexes.retain(|_, index| index.table != name);
        self.triggers
            .retain(|_, trigger| !trigger.tables.contains(name));
    }

    /// Renames a table; indexes and foreign keys follow it.
    pub fn rename_table(&mut self, old: &str, new: &str) {
        if let Some(table) = self.tables.remove(old) {
            self.tables.insert(new.to_string(), table);
        }
        for index in self.indexes.values_mut() {
            if index.table == old {
                index.table = new.to_string();
            }
        }
        for table in self.tables.values_mut() {
            for fk in &mut table.foreign_keys {
                if fk.ref_table == old {
                    fk.ref_table = new.to_string();
                }
            }
        }
        for dependent in self.views.values_mut().chain(self.triggers.values_mut()) {
            if dependent.tables.remove(old) {
                dependent.tables.insert(new.to_string());
            }
        }
    }

    /// How `self` (the schema after a downgrade) differs from `before`.
    pub fn differences_from(&self, before: &Model) -> Vec<String> {
        let mut out = Vec::new();
        for name in self.tables.keys() {
            if !before.tables.contains_key(name) {
                out.push(format!("table {name} is left behind"));
            }
        }
        for (name, table) in &before.tables {
            match self.tables.get(name) {
                None => out.push(format!("table {name} is not restored")),
                Some(now) if now != table => {
                    let before_count = out.len();
                    for column in &table.columns {
                        match now.column(&column.name) {
                            None => out.push(format!("column {name}.{} is not restored", column.name)),
                            Some(c) if c != column => out.push(format!(
                                "column {name}.{} is restored differently ({} {}null, was {} {}null)",
                                column.name,
                                c.data_type,
                                if c.not_null { "not " } else { "" },
                                column.data_type,
                                if column.not_null { "not " } else { "" }
                            )),
                            Some(_) => {}
                        }
                    }
                    for column in &now.columns {
                        if table.column(&column.name).is_none() {
                            out.push(format!("column {name}.{} is left behind", column.name));
                        }
                    }
                    if now.primary_key != table.primary_key
                        || now.foreign_keys.len() != table.foreign_keys.len()
                        || now.columns_known != table.columns_known
                    {
                        out.push(format!("the keys of table {name} are not restored"));
                    }
                    if out.len() == before_count {
                        out.push(format!("table {name} is restored differently"));
                    }
                }
                Some(_) => {}
            }
        }
        for name in self.indexes.keys() {
            if !before.indexes.contains_key(name) {
                out.push(format!("index {name} is left behind"));
            }
        }
        for (name, index) in &before.indexes {
            match self.indexes.get(name) {
                None => out.push(format!("index {name} is not restored")),
                Some(now) if now != index => {
                    out.push(format!("index {name} is restored differently"))
                }
                Some(_) => {}
            }
        }
        for (kind, now, was) in [
            ("view", &self.views, &before.views),
            ("trigger", &self.triggers, &before.triggers),
        ] {
            for name in now.keys().filter(|name| !was.contains_key(*name)) {
                out.push(format!("{kind} {name} is left behind"));
            }
            for name in was.keys().filter(|name| !now.contains_key(*name)) {
                out.push(format!("{kind} {name} is not restored"));
            }
        }
        out
    }
}
