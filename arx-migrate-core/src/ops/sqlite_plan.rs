//! Planning an SQLite table rebuild: the alterations of one table, applied
//! in order to its `CREATE TABLE` text, give the new definition and what
//! the copy of the rows must watch for (columns becoming NOT NULL, new
//! columns that need a value, type affinities that change). Pure: nothing
//! here touches a database; [`super::sqlite_rebuild`] carries it out.
//!
//! As PostgreSQL does, dropping a column drops the table constraints that
//! use it, and a constraint that PostgreSQL would have named by default
//! (`<table>_<columns>_key`, `_fkey`, `_check`, `<table>_pkey`) is found
//! under that name when SQLite keeps none.

use super::sqlite_ddl::{
    Affinity, Column, ColumnConstraintKind, Constraint, ConstraintKind, Item, TableSql,
};
use crate::not_api::text::quote_ident as quote;

/// One alteration of a table, in SQLite's terms.
#[derive(Debug, Clone)]
pub(crate) enum TableChange {
    /// Add a column; its SQLite definition (`"name" type constraints…`).
    AddColumn { definition: String },
    /// Drop a column, with the indexes and constraints that use it.
    DropColumn { column: String },
    /// Change a column's type, nullability or default; `None` leaves it.
    AlterColumn {
        column: String,
        data_type: Option<String>,
        not_null: Option<bool>,
        /// `Some(None)` drops the default; `Some(Some(v))` sets `DEFAULT v`.
        default: Option<Option<String>>,
    },
    /// Add a table constraint; its text (`CONSTRAINT "n" CHECK (…)`).
    AddConstraint { definition: String },
    /// Drop the named constraint of this kind.
    DropConstraint { name: String, kind: ConstraintKind },
    /// Make these columns the primary key.
    SetPrimaryKey { columns: Vec<String> },
}

/// The new definition, and what the copy must watch for.
#[derive(Debug)]
pub(crate) struct Plan {
    pub table: TableSql,
    /// Columns of the old table that are gone.
    pub dropped: Vec<String>,
    /// Columns that are new (never copied, even under an old name).
    pub added: Vec<String>,
    /// Old columns that become NOT NULL (or join the primary key).
    pub must_not_be_null: Vec<String>,
    /// New NOT NULL columns without a default.
    pub needs_value: Vec<String>,
    /// Old columns whose type affinity changes: (column, from, to, the
    /// new declared type).
    pub retyped: Vec<(String, Affinity, Affinity, String)>,
    /// Whether the old table is a `WITHOUT ROWID` table.
    pub old_without_rowid: bool,
}

/// Whether `list` holds `name` (SQLite names are case-insensitive).
pub(super) fn contains(list: &[String], name: &str) -> bool {
    list.iter().any(|n| n.eq_ignore_ascii_case(name))
}

fn remove(list: &mut Vec<String>, name: &str) -> bool {
    let before = list.len();
    list.retain(|n| !n.eq_ignore_ascii_case(name));
    list.len() != before
}

/// The name PostgreSQL gives an unnamed constraint, so that one
/// `drop_unique("users", "users_email_key")` serves both backends.
fn postgres_default_name(table: &str, columns: &[String], suffix: &str) -> String {
    let mut name = table.to_string();
    for column in columns {
        name.push('_');
        name.push_str(column);
    }
    name.push('_');
    name.push_str(suffix);
    name
}

impl Plan {
    /// Applies `changes`, in order, to the table `name` defined by `sql`.
    pub(crate) fn new(name: &str, sql: &str, changes: &[TableChange]) -> Result<Plan, String> {
        let original = TableSql::parse(sql)
            .map_err(|e| format!("cannot read its CREATE TABLE statement: {e}"))?;
        let mut plan = Plan {
            table: original.clone(),
            dropped: Vec::new(),
            added: Vec::new(),
            must_not_be_null: Vec::new(),
            needs_value: Vec::new(),
            retyped: Vec::new(),
            old_without_rowid: original.without_rowid(),
        };
        for change in changes {
            plan.apply(name, &original, change)?;
        }
        plan.must_not_be_null.retain(|c| !contains(&plan.added, c));
        Ok(plan)
    }

    fn is_old(&self, original: &TableSql, column: &str) -> bool {
        original.column(column).is_some() && !contains(&self.added, column)
    }

    fn apply(
        &mut self,
        name: &str,
        original: &TableSql,
        change: &TableChange,
    ) -> Result<(), String> {
        match change {
            TableChange::AddColumn { definition } => {
                let column = Column::parse(definition)
                    .map_err(|e| format!("cannot read the new column's definition: {e}"))?;
                if self.table.column(&column.name).is_some() {
                    return Err(format!("it already has a column {}", column.name));
                }
                let default_is_null = column
                    .default_text()
                    .is_none_or(|d| d.trim().eq_ignore_ascii_case("DEFAULT NULL"));
                if column.not_null() && default_is_null && !column.generated() {
                    self.needs_value.push(column.name.clone());
                }
                self.added.push(column.name.clone());
                self.table.add_column(column);
            }
            TableChange::DropColumn { column } => {
                let Some(existing) = self.table.column(column) else {
                    return Err(format!("it has no column {column}"));
                };
                let column = existing.name.clone();
                if self.table.columns().count() == 1 {
                    return Err(format!(
                        "{column} is its only column; drop the table instead"
                    ));
                }
                let lower = column.to_lowercase();
                self.table.items.retain(|item| match item {
                    Item::Column(c) => !c.name.eq_ignore_ascii_case(&column),
                    // As PostgreSQL does: constraints that use the column go with it.
                    Item::Constraint(c) => !c.idents.contains(&lower),
                });
                for other in self.table.columns_mut() {
                    other.remove_constraints(|c| {
                        c.kind == ColumnConstraintKind::Check && c.idents.contains(&lower)
                    });
                }
                remove(&mut self.needs_value, &column);
                remove(&mut self.must_not_be_null, &column);
                self.retyped
                    .retain(|(c, ..)| !c.eq_ignore_ascii_case(&column));
                if !remove(&mut self.added, &column) {
                    self.dropped.push(column);
                }
            }
            TableChange::AlterColumn {
                column,
                data_type,
                not_null,
                default,
            } => {
                let is_old = self.is_old(original, column);
                let Some(existing) = self.table.column_mut(column) else {
                    return Err(format!("it has no column {column}"));
                };
                let column = existing.name.clone();
                if let Some(data_type) = data_type {
                    existing.set_type(data_type);
                }
                if let Some(not_null) = not_null {
                    existing.set_not_null(*not_null);
                }
                if let Some(default) = default {
                    existing.set_default(default.as_deref());
                }
                if is_old {
                    if let (Some(data_type), Some(old)) = (data_type, original.column(&column)) {
                        let (from, to) = (Affinity::of(&old.type_text), Affinity::of(data_type));
                        self.retyped
                            .retain(|(c, ..)| !c.eq_ignore_ascii_case(&column));
                        if from != to {
                            self.retyped
                                .push((column.clone(), from, to, data_type.clone()));
                        }
                    }
                    if *not_null == Some(true) && !contains(&self.must_not_be_null, &column) {
                        self.must_not_be_null.push(column);
                    }
                } else if *not_null == Some(true) {
                    let has_default = self
                        .table
                        .column(&column)
                        .and_then(Column::default_text)
                        .is_some_and(|d| !d.trim().eq_ignore_ascii_case("DEFAULT NULL"));
                    if !has_default && !contains(&self.needs_value, &column) {
                        self.needs_value.push(column);
                    }
                }
            }
            TableChange::AddConstraint { definition } => {
                let constraint = Constraint::parse(definition)
                    .map_err(|e| format!("cannot read the new constraint: {e}"))?;
                if let Some(new_name) = &constraint.name {
                    if self.named(new_name) {
                        return Err(format!("it already has a constraint named {new_name}"));
                    }
                }
                if constraint.kind == ConstraintKind::PrimaryKey
                    && !self.table.primary_key().is_empty()
                {
                    return Err(
                        "it already has a primary key; use set_primary_key to change it".into(),
                    );
                }
                for column in &constraint.columns {
                    if self.table.column(column).is_none() {
                        return Err(format!("it has no column {column}"));
                    }
                }
                self.table.items.push(Item::Constraint(constraint));
            }
            TableChange::DropConstraint {
                name: dropped,
                kind,
            } => {
                self.drop_constraint(name, dropped, *kind)?;
            }
            TableChange::SetPrimaryKey { columns } => {
                for column in columns {
                    if self.table.column(column).is_none() {
                        return Err(format!("it has no column {column}"));
                    }
                }
                self.table.items.retain(|item| {
                    !matches!(item, Item::Constraint(c) if c.kind == ConstraintKind::PrimaryKey)
                });
                for column in self.table.columns_mut() {
                    column.remove_constraints(|c| {
                        matches!(c.kind, ColumnConstraintKind::PrimaryKey { .. })
                    });
                }
                let list: Vec<String> = columns.iter().map(|c| quote(c)).collect();
                let key = Constraint::parse(&format!("PRIMARY KEY ({})", list.join(", ")))
                    .map_err(|e| format!("cannot write the primary key: {e}"))?;
                self.table.items.push(Item::Constraint(key));
                for column in columns {
                    if self.is_old(original, column) && !contains(&self.must_not_be_null, column) {
                        self.must_not_be_null.push(column.clone());
                    }
                }
            }
        }
        Ok(())
    }

    fn named(&self, name: &str) -> bool {
        let same = |n: &Option<String>| n.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name));
        self.table.constraints().any(|c| same(&c.name))
            || self
                .table
                .columns()
                .any(|column| column.constraints.iter().any(|c| same(&c.name)))
    }

    fn drop_constraint(
        &mut self,
        table: &str,
        name: &str,
        kind: ConstraintKind,
    ) -> Result<(), String> {
        let column_kind = |k: &ColumnConstraintKind| match k {
            ColumnConstraintKind::PrimaryKey { .. } => Some(ConstraintKind::PrimaryKey),
            ColumnConstraintKind::Unique => Some(ConstraintKind::Unique),
            ColumnConstraintKind::Check => Some(ConstraintKind::Check),
            ColumnConstraintKind::References { .. } => Some(ConstraintKind::ForeignKey),
            _ => None,
        };
        let is_named =
            |n: &Option<String>| n.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name));
        let wrong_kind = |found: ConstraintKind| {
            format!("{name} is a {}, not a {}", found.words(), kind.words())
        };
        // A table constraint of that name, or PostgreSQL's name for an unnamed one.
        let position = self.table.items.iter().position(|item| match item {
            Item::Constraint(c) => {
                is_named(&c.name)
                    || (c.name.is_none()
                        && c.kind == kind
                        && default_names(table, c.kind, &c.columns)
                            .iter()
                            .any(|n| n.eq_ignore_ascii_case(name)))
            }
            Item::Column(_) => false,
        });
        if let Some(position) = position {
            let Item::Constraint(found) = &self.table.items[position] else {
                unreachable!("position() matched a constraint");
            };
            if found.kind != kind {
                return Err(wrong_kind(found.kind));
            }
            self.table.items.remove(position);
            return Ok(());
        }
        // A column constraint of that name, or PostgreSQL's name for an unnamed one.
        for column in self.table.columns_mut() {
            let column_name = vec![column.name.clone()];
            let mut mismatch = None;
            let removed = column.remove_constraints(|c| {
                let Some(found) = column_kind(&c.kind) else {
                    return false;
                };
                let matches = is_named(&c.name)
                    || (c.name.is_none()
                        && found == kind
                        && default_names(table, found, &column_name)
                            .iter()
                            .any(|n| n.eq_ignore_ascii_case(name)));
                if matches && found != kind {
                    mismatch = Some(found);
                    return false;
                }
                matches
            });
            if let Some(found) = mismatch {
                return Err(wrong_kind(found));
            }
            if removed {
                return Ok(());
            }
        }
        Err(format!(
            "it has no {} named {name}; its constraints are known on SQLite as: {}. (SQLite keeps a constraint's name only where its CREATE TABLE spells it out, and sea-query's CREATE TABLE leaves foreign keys unnamed: name them as PostgreSQL does by default, <table>_<columns>_fkey, to drop them by one name on both backends)",
            kind.words(),
            self.known_names(table).join(", ")
        ))
    }
}

impl Plan {
    /// Every constraint of the table by the name the lookup accepts.
    fn known_names(&self, table: &str) -> Vec<String> {
        let mut names = Vec::new();
        for c in self.table.constraints() {
            names.push(match &c.name {
                Some(name) => name.clone(),
                None => default_names(table, c.kind, &c.columns).remove(0),
            });
        }
        for column in self.table.columns() {
            let columns = vec![column.name.clone()];
            for c in &column.constraints {
                let kind = match c.kind {
                    ColumnConstraintKind::PrimaryKey { .. } => ConstraintKind::PrimaryKey,
                    ColumnConstraintKind::Unique => ConstraintKind::Unique,
                    ColumnConstraintKind::Check => ConstraintKind::Check,
                    ColumnConstraintKind::References { .. } => ConstraintKind::ForeignKey,
                    _ => continue,
                };
                names.push(match &c.name {
                    Some(name) => name.clone(),
                    None => default_names(table, kind, &columns).remove(0),
                });
            }
        }
        if names.is_empty() {
            names.push("none".to_string());
        }
        names
    }
}

fn default_names(table: &str, kind: ConstraintKind, columns: &[String]) -> Vec<String> {
    match kind {
        ConstraintKind::PrimaryKey => vec![format!("{table}_pkey")],
        ConstraintKind::Unique => vec![postgres_default_name(table, columns, "key")],
        ConstraintKind::ForeignKey => vec![postgres_default_name(table, columns, "fkey")],
        ConstraintKind::Check => vec![postgres_default_name(table, columns, "check")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = "CREATE TABLE \"t\" ( \"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"name\" varchar(10), \"u\" integer UNIQUE, \"v\" text CHECK (v <> name), CONSTRAINT \"fk_t_u\" FOREIGN KEY (\"u\") REFERENCES \"other\" (\"id\"), UNIQUE (\"name\", \"v\") )";

    fn planned(changes: &[TableChange]) -> Result<Plan, String> {
        Plan::new("t", PARENT, changes)
    }

    #[test]
    fn dropping_a_column_drops_what_uses_it() {
        let plan = planned(&[TableChange::DropColumn { column: "V".into() }]).unwrap();
        assert_eq!(plan.dropped, ["v"]);
        let sql = plan.table.create_sql("t");
        assert!(!sql.contains("\"v\""), "{sql}");
        assert!(!sql.contains("UNIQUE (\"name\""), "{sql}");
        assert!(sql.contains("fk_t_u"), "{sql}");
        let plan = planned(&[TableChange::DropColumn {
            column: "name".into(),
        }])
        .unwrap();
        let sql = plan.table.create_sql("t");
        assert!(!sql.contains("CHECK"), "the CHECK on v used name: {sql}");
    }

    #[test]
    fn constraints_are_found_by_name_or_by_postgres_default_name() {
        let plan = planned(&[
            TableChange::DropConstraint {
                name: "fk_t_u".into(),
                kind: ConstraintKind::ForeignKey,
            },
            TableChange::DropConstraint {
                name: "t_u_key".into(),
                kind: ConstraintKind::Unique,
            },
            TableChange::DropConstraint {
                name: "t_name_v_key".into(),
                kind: ConstraintKind::Unique,
            },
            TableChange::DropConstraint {
                name: "t_v_check".into(),
                kind: ConstraintKind::Check,
            },
        ])
        .unwrap();
        assert_eq!(
            plan.table.create_sql("t"),
            "CREATE TABLE \"t\" ( \"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"name\" varchar(10), \"u\" integer, \"v\" text )"
        );
        let wrong = planned(&[TableChange::DropConstraint {
            name: "fk_t_u".into(),
            kind: ConstraintKind::Check,
        }]);
        assert_eq!(
            wrong.unwrap_err(),
            "fk_t_u is a foreign key, not a check constraint"
        );
        let missing = planned(&[TableChange::DropConstraint {
            name: "nope".into(),
            kind: ConstraintKind::Check,
        }]);
        assert!(missing
            .unwrap_err()
            .contains("known on SQLite as: fk_t_u, t_name_v_key, t_pkey, t_u_key, t_v_check."));
    }

    #[test]
    fn what_the_copy_must_watch_for() {
        let plan = planned(&[
            TableChange::AlterColumn {
                column: "name".into(),
                data_type: Some("integer".into()),
                not_null: Some(true),
                default: Some(Some("0".into())),
            },
            TableChange::AddColumn {
                definition: "\"w\" text NOT NULL".into(),
            },
            TableChange::AddColumn {
                definition: "\"x\" text NOT NULL DEFAULT 'a'".into(),
            },
        ])
        .unwrap();
        assert_eq!(plan.must_not_be_null, ["name"]);
        assert_eq!(plan.needs_value, ["w"]);
        assert_eq!(
            plan.retyped,
            [(
                "name".to_string(),
                Affinity::Text,
                Affinity::Integer,
                "integer".to_string()
            )]
        );
        assert!(plan
            .table
            .create_sql("t")
            .contains("\"name\" integer NOT NULL DEFAULT 0"));
    }

    #[test]
    fn a_new_primary_key_replaces_the_old_one() {
        let plan = planned(&[TableChange::SetPrimaryKey {
            columns: vec!["name".into(), "u".into()],
        }])
        .unwrap();
        let sql = plan.table.create_sql("t");
        assert!(sql.contains("\"id\" integer NOT NULL,"), "{sql}");
        assert!(sql.ends_with("PRIMARY KEY (\"name\", \"u\") )"), "{sql}");
        assert_eq!(plan.must_not_be_null, ["name", "u"]);
        assert!(plan.table.rowid_alias().is_none());
    }

    #[test]
    fn mistakes_are_named() {
        let e = planned(&[TableChange::DropColumn {
            column: "nope".into(),
        }])
        .unwrap_err();
        assert_eq!(e, "it has no column nope");
        let e = planned(&[TableChange::AddColumn {
            definition: "\"name\" text".into(),
        }])
        .unwrap_err();
        assert_eq!(e, "it already has a column name");
        let e = planned(&[TableChange::AddConstraint {
            definition: "CONSTRAINT \"fk_t_u\" CHECK (1)".into(),
        }])
        .unwrap_err();
        assert_eq!(e, "it already has a constraint named fk_t_u");
    }
}
