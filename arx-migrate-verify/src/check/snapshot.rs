//! What introspection reads from a live database: tables with their
//! columns, indexes and constraints.

use std::collections::BTreeMap;

use serde::Serialize;

/// The schema of a database (one schema on PostgreSQL), bookkeeping tables
/// excluded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SchemaSnapshot {
    /// The tables by name.
    pub tables: BTreeMap<String, TableSnapshot>,
}

/// One table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableSnapshot {
    /// The columns by name.
    pub columns: BTreeMap<String, ColumnSnapshot>,
    /// The indexes by name (those backing keys included).
    pub indexes: BTreeMap<String, IndexSnapshot>,
    /// The constraints by name (PostgreSQL) or by a key made of their
    /// definition (SQLite, where constraints have no names).
    pub constraints: BTreeMap<String, ConstraintSnapshot>,
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnSnapshot {
    /// The type as the database spells it (`character varying(64)`,
    /// `geometry(Point,4326)`, `INTEGER`).
    pub data_type: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The default expression, as the database prints it.
    pub default: Option<String>,
}

/// One index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexSnapshot {
    /// Key columns or expressions, in order.
    pub columns: Vec<String>,
    /// `INCLUDE` columns (PostgreSQL covering indexes).
    pub include: Vec<String>,
    /// Whether it is unique.
    pub unique: bool,
    /// The access method (`btree`, `gist`; none on SQLite).
    pub method: Option<String>,
    /// The predicate of a partial index.
    pub predicate: Option<String>,
}

/// One constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConstraintSnapshot {
    /// `primary key`, `unique`, `foreign key`, `check` or `exclude`.
    pub kind: String,
    /// The definition as the database prints it.
    pub definition: String,
}

impl SchemaSnapshot {
    /// Whether there are no tables.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// The table names.
    pub fn table_names(&self) -> Vec<&str> {
        self.tables.keys().map(String::as_str).collect()
    }
}
