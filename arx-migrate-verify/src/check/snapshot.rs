//! What introspection reads from a live database: tables with their
//! columns, indexes and constraints; views, triggers, and on PostgreSQL the
//! schema's functions and sequences, on SQLite its virtual tables (R*Tree).

use std::collections::BTreeMap;

use serde::Serialize;

/// The schema of a database (one schema on PostgreSQL), bookkeeping tables
/// excluded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SchemaSnapshot {
    /// The tables by name (on SQLite with a virtual table's shadow tables).
    pub tables: BTreeMap<String, TableSnapshot>,
    /// The views (materialized ones too) by name.
    pub views: BTreeMap<String, ObjectSnapshot>,
    /// The triggers by name (on PostgreSQL `table.name`, as names are per
    /// table), with their table.
    pub triggers: BTreeMap<String, ObjectSnapshot>,
    /// PostgreSQL: the schema's functions and procedures by signature
    /// (`name(argument types)`), those of extensions left out.
    pub functions: BTreeMap<String, ObjectSnapshot>,
    /// PostgreSQL: the schema's sequences by name (with the column that owns
    /// one), those of extensions left out.
    pub sequences: BTreeMap<String, ObjectSnapshot>,
    /// SQLite: virtual tables (R*Tree, FTS) by name, with their module and
    /// arguments.
    pub virtual_tables: BTreeMap<String, ObjectSnapshot>,
}

/// A view, trigger, function, sequence or virtual table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectSnapshot {
    /// The table it belongs to (a trigger's table, a sequence's owner), if
    /// any.
    pub table: Option<String>,
    /// Its definition as the database prints it (whitespace collapsed).
    pub definition: String,
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

/// The kinds of objects besides tables, as reports name them.
pub const OBJECT_KINDS: [&str; 5] = ["view", "trigger", "function", "sequence", "virtual table"];

impl SchemaSnapshot {
    /// Whether there is nothing: no table, view, trigger, function,
    /// sequence or virtual table.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.objects().all(|(_, map)| map.is_empty())
    }

    /// The table names.
    pub fn table_names(&self) -> Vec<&str> {
        self.tables.keys().map(String::as_str).collect()
    }

    /// Every object besides tables, by kind (see [`OBJECT_KINDS`]).
    pub fn objects(
        &self,
    ) -> impl Iterator<Item = (&'static str, &BTreeMap<String, ObjectSnapshot>)> {
        OBJECT_KINDS.into_iter().zip([
            &self.views,
            &self.triggers,
            &self.functions,
            &self.sequences,
            &self.virtual_tables,
        ])
    }

    /// Every object as `kind name` (`table rooms`, `view v`, `trigger
    /// rooms.t`), for reports of what is left.
    pub fn object_names(&self) -> Vec<String> {
        self.tables
            .keys()
            .map(|t| format!("table {t}"))
            .chain(
                self.objects()
                    .flat_map(|(kind, map)| map.keys().map(move |name| format!("{kind} {name}"))),
            )
            .collect()
    }
}
