//! From two schemas to the ordered steps that turn one into the other.
//!
//! Steps are gathered in phases, so that what depends on an object is
//! dropped before it and created after it: extensions, sequences and
//! functions first; then views and triggers are dropped; renames; keys
//! and other table parts that go away; new tables (in foreign-key order);
//! column changes; new table parts and keys; dropped tables (referencing
//! ones first); views, triggers and virtual tables are created; removed
//! functions, sequences and extensions last. Each step carries its exact
//! reverse, and the downgrade runs those in the opposite order.

use std::collections::{BTreeMap, BTreeSet};

use super::call::{Action, Call, NewColumn, NewForeignKey};
use super::rename::{renamed, Rename};
use super::serial::{identity_to_serial, owned_sequence, serial_to_identity};
use super::shadow::is_shadow_table;
use super::source::Schema;
use super::sqlite_names::ConstraintNames;
use crate::check::{ColumnSnapshot, Identity, IndexSnapshot, ObjectSnapshot, TableSnapshot};
use crate::lint::parse_one;
use arx_migrate_core::error::{Error, Result};
use arx_migrate_core::not_api::text::quote_ident as q;
use arx_migrate_core::Backend;
use sqlparser::ast::{Expr, Statement as Ast};

use crate::lint::Rule;

/// One change: what the upgrade does and its exact reverse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What it does, for the comment above it.
    pub comment: String,
    /// The calls of the upgrade.
    pub up: Vec<Call>,
    /// The calls that undo them, in order.
    pub down: Vec<Call>,
    /// The lint rule of a step that destroys data ([`Rule::DropTable`],
    /// [`Rule::DropColumn`], [`Rule::AlterColumnType`]): a person must
    /// allow it.
    pub destructive: Option<Rule>,
    /// Whether it takes a safe form on an existing PostgreSQL table that
    /// needs each statement to commit on its own (an index built or
    /// dropped `CONCURRENTLY`, a unique index built concurrently, a
    /// constraint validated after its `NOT VALID` add, `NOT NULL` through
    /// a validated check): the migration is then `transactional = false`.
    pub outside_transaction: bool,
}

/// The phases steps are gathered in, in the order they run: what depends
/// on an object comes after it, what it depends on is dropped after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AddExtensions,
    DropObjects,
    Renames,
    DropKeys,
    DropParts,
    CreateTables,
    Columns,
    AddParts,
    AddKeys,
    DropTables,
    CreateObjects,
    DropLast,
}

impl Phase {
    /// How many phases there are.
    const COUNT: usize = Phase::DropLast as usize + 1;
}

/// What a MySQL path of the planner says, should one be reached: `plan`
/// refuses MySQL at its start.
fn not_for_mysql() -> Error {
    Error::Unsupported {
        operation: "revision --autogenerate".to_string(),
        backend: Backend::Mysql.name(),
        reason: "autogenerate is not built for MariaDB and MySQL yet".to_string(),
    }
}

/// The steps that turn `before` (the schema at head) into `after` (the
/// schema wanted), with `renames` made as renames. No steps: no change.
pub fn plan(before: &Schema, after: &Schema, renames: &[Rename]) -> Result<Vec<Step>> {
    if before.backend == Backend::Mysql {
        return Err(Error::Unsupported {
            operation: "revision --autogenerate".to_string(),
            backend: Backend::Mysql.name(),
            reason:
                "autogenerate is not built for MariaDB and MySQL yet; write the revision by hand"
                    .to_string(),
        });
    }
    if before.backend != after.backend {
        return Err(Error::Config(format!(
            "the desired schema is {} but the migrations were replayed on {}",
            after.backend, before.backend
        )));
    }
    let mut planner = Planner {
        backend: before.backend,
        before: renamed(before, renames)?,
        after,
        phases: vec![Vec::new(); Phase::COUNT],
    };
    for rename in renames {
        planner.rename(rename);
    }
    planner.extensions();
    planner.tables()?;
    planner.objects()?;
    Ok(planner.phases.into_iter().flatten().collect())
}

/// Foreign keys left out of a `CREATE TABLE` (their table comes later):
/// `(name, definition)`.
type Deferred = Vec<(String, String)>;

struct Planner<'a> {
    backend: Backend,
    /// The schema at head, renames made.
    before: Schema,
    after: &'a Schema,
    phases: Vec<Vec<Step>>,
}

fn step(comment: String, up: Vec<Call>, down: Vec<Call>) -> Step {
    Step {
        comment,
        up,
        down,
        destructive: None,
        outside_transaction: false,
    }
}

/// A step in its safe form on an existing table: outside a transaction.
fn safe_step(comment: String, up: Vec<Call>, down: Vec<Call>) -> Step {
    Step {
        outside_transaction: true,
        ..step(comment, up, down)
    }
}

/// `CREATE [UNIQUE] INDEX name …` as PostgreSQL prints it, built
/// `CONCURRENTLY` (a raw index the builder cannot make: an operator class,
/// a method, a predicate). Other SQL is returned as it is.
fn concurrently(sql: &str) -> String {
    for prefix in ["CREATE UNIQUE INDEX ", "CREATE INDEX "] {
        if let Some(rest) = sql.strip_prefix(prefix) {
            if !rest.starts_with("CONCURRENTLY ") {
                return format!("{prefix}CONCURRENTLY {rest}");
            }
        }
    }
    sql.to_string()
}

/// A name PostgreSQL prints without quotes.
fn plain(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The table a foreign key's definition references.
fn referenced_table(definition: &str) -> Option<String> {
    let rest = definition.split_once(" REFERENCES ")?.1;
    let name = rest.split('(').next()?.trim();
    Some(name.trim_matches('"').to_string())
}

fn list(text: &str) -> Option<Vec<String>> {
    let columns: Vec<String> = text.split(',').map(|c| c.trim().to_string()).collect();
    columns.iter().all(|c| plain(c)).then_some(columns)
}

/// A foreign key definition as `check` prints it (`FOREIGN KEY (a) REFERENCES
/// t(id) ON DELETE CASCADE`), when `Ops::add_foreign_key` can make it.
fn parse_foreign_key(table: &str, name: &str, definition: &str) -> Option<NewForeignKey> {
    let rest = definition.strip_prefix("FOREIGN KEY (")?;
    let (columns, rest) = rest.split_once(") REFERENCES ")?;
    let (ref_table, rest) = rest.split_once('(')?;
    let (ref_columns, mut rest) = rest.split_once(')')?;
    let mut key = NewForeignKey {
        name: name.to_string(),
        table: table.to_string(),
        columns: list(columns)?,
        ref_table: ref_table.trim().to_string(),
        ref_columns: list(ref_columns)?,
        on_delete: None,
        on_update: None,
    };
    if !plain(&key.ref_table) || key.columns.len() != key.ref_columns.len() {
        return None;
    }
    while !rest.is_empty() {
        let (event, tail) = if let Some(tail) = rest.strip_prefix(" ON UPDATE ") {
            ("update", tail)
        } else {
            ("delete", rest.strip_prefix(" ON DELETE ")?)
        };
        let end = tail.find(" ON ").unwrap_or(tail.len());
        let action = Action::parse(&tail[..end])?;
        match event {
            "update" => key.on_update = action,
            _ => key.on_delete = action,
        }
        rest = &tail[end..];
    }
    Some(key)
}

/// The expression of `CHECK (expr)`, when that is all the definition says.
fn check_expression(definition: &str) -> Option<String> {
    let inner = definition.strip_prefix("CHECK (")?.strip_suffix(')')?;
    Some(inner.to_string())
}

/// `serial` for a PostgreSQL column whose default is the `nextval` of a
/// sequence it owns: written so, the sequence comes with the column.
fn serial_type(
    schema: &Schema,
    table: &str,
    column: &str,
    c: &ColumnSnapshot,
) -> Option<&'static str> {
    owned_sequence(schema, table, column, c)?;
    match c.data_type.as_str() {
        "integer" => Some("serial"),
        "bigint" => Some("bigserial"),
        "smallint" => Some("smallserial"),
        _ => None,
    }
}

impl Planner<'_> {
    fn push(&mut self, phase: Phase, step: Step) {
        self.phases[phase as usize].push(step);
    }

    fn sql(&self, sql: String) -> Call {
        Call::Sql {
            backend: self.backend,
            sql,
        }
    }

    fn rename(&mut self, rename: &Rename) {
        let (up, down, comment) = match &rename.table {
            None => (
                Call::RenameTable {
                    from: rename.from.clone(),
                    to: rename.to.clone(),
                },
                Call::RenameTable {
                    from: rename.to.clone(),
                    to: rename.from.clone(),
                },
                format!("Rename table {} to {} (--rename).", rename.from, rename.to),
            ),
            Some(table) => (
                Call::RenameColumn {
                    table: table.clone(),
                    from: rename.from.clone(),
                    to: rename.to.clone(),
                },
                Call::RenameColumn {
                    table: table.clone(),
                    from: rename.to.clone(),
                    to: rename.from.clone(),
                },
                format!(
                    "Rename column {table}.{} to {} (--rename).",
                    rename.from, rename.to
                ),
            ),
        };
        self.push(Phase::Renames, step(comment, vec![up], vec![down]));
    }

    fn extensions(&mut self) {
        let (before, after) = (&self.before.extensions, &self.after.extensions);
        let drop = |name: &str| format!("DROP EXTENSION {}", q(name));
        let added: Vec<String> = after.difference(before).cloned().collect();
        let removed: Vec<String> = before.difference(after).cloned().collect();
        for name in added {
            let down = vec![self.sql(drop(&name))];
            self.push(
                Phase::AddExtensions,
                step(
                    format!("Extension {name}."),
                    vec![Call::RequireExtension(name)],
                    down,
                ),
            );
        }
        for name in removed {
            let up = vec![self.sql(drop(&name))];
            self.push(
                Phase::DropLast,
                step(
                    format!("Drop extension {name}."),
                    up,
                    vec![Call::RequireExtension(name)],
                ),
            );
        }
    }

    /// The tables of a schema, without a virtual table's shadow tables.
    fn real_tables(schema: &Schema) -> BTreeMap<&String, &TableSnapshot> {
        let virtual_tables = &schema.snapshot.virtual_tables;
        schema
            .snapshot
            .tables
            .iter()
            .filter(|(name, _)| {
                !virtual_tables.contains_key(*name)
                    && !is_shadow_table(
                        name,
                        virtual_tables.iter().map(|(v, o)| (v, &o.definition)),
                    )
            })
            .collect()
    }

    fn tables(&mut self) -> Result<()> {
        let before = self.before.clone();
        let after = self.after;
        let old = Self::real_tables(&before);
        let new = Self::real_tables(after);
        let added: Vec<&String> = new
            .keys()
            .filter(|t| !old.contains_key(*t))
            .copied()
            .collect();
        let removed: Vec<&String> = old
            .keys()
            .filter(|t| !new.contains_key(*t))
            .copied()
            .collect();
        let guess = |table: &str, others: &[&String]| {
            if others.is_empty() {
                String::new()
            } else {
                format!(
                    " Renames are not guessed: if {table} is {} renamed, run again with --rename OLD=NEW.",
                    others.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or ")
                )
            }
        };
        // New tables, referenced ones first.
        let mut created: BTreeSet<String> = old.keys().map(|t| t.to_string()).collect();
        for name in foreign_key_order(&added, after) {
            let comment = format!("Create table {name}.{}", guess(&name, &removed));
            let table = new[&name];
            let (create, deferred) = self.create_table(after, &name, table, &created)?;
            created.insert(name.clone());
            self.push(
                Phase::CreateTables,
                step(comment, create, vec![Call::DropTable(name.clone())]),
            );
            for (key, definition) in deferred {
                let (up, down) = self.add_key(&name, &key, &definition, false)?;
                self.push(
                    Phase::AddKeys,
                    step(format!("Foreign key {key} on {name}."), up, down),
                );
            }
        }
        for (name, table) in &old {
            if let Some(wanted) = new.get(name) {
                self.alter_table(name, table, wanted)?;
            }
        }
        // Dropped tables, referencing ones first (so that the downgrade
        // recreates referenced ones first).
        let mut remaining: BTreeSet<String> = new.keys().map(|t| t.to_string()).collect();
        let mut drops = Vec::new();
        for name in &foreign_key_order(&removed, &before) {
            let (create, _) = self.create_table(&before, name, old[name], &remaining)?;
            remaining.insert(name.clone());
            drops.push((name.clone(), create));
        }
        for (name, create) in drops.into_iter().rev() {
            let mut s = step(
                format!(
                    "Drop table {name}: its rows are lost; the downgrade recreates it empty.{}",
                    guess(&name, &added)
                ),
                vec![Call::DropTable(name)],
                create,
            );
            s.destructive = Some(Rule::DropTable);
            self.push(Phase::DropTables, s);
        }
        Ok(())
    }

    /// The calls that create `name` as `schema` has it, with its indexes;
    /// foreign keys to tables not in `existing` are left out and returned.
    fn create_table(
        &self,
        schema: &Schema,
        name: &str,
        table: &TableSnapshot,
        existing: &BTreeSet<String>,
    ) -> Result<(Vec<Call>, Deferred)> {
        let mut calls = Vec::new();
        let mut deferred = Vec::new();
        match self.backend {
            Backend::Mysql => return Err(not_for_mysql()),
            Backend::Sqlite => {
                let Some(sql) = schema.create_sql.get(name) else {
                    return Err(Error::Config(format!(
                        "no CREATE TABLE statement was found for table {name}"
                    )));
                };
                calls.push(self.sql(sql.clone()));
            }
            Backend::Postgres => {
                let mut parts = Vec::new();
                for (column, c) in schema.columns_in_order(name, table) {
                    parts.push(match serial_type(schema, name, column, c) {
                        Some(serial) => format!("{} {serial} NOT NULL", q(column)),
                        None => pg_column(column, c),
                    });
                }
                let rank = |kind: &str| match kind {
                    "primary key" => 0,
                    "unique" => 1,
                    "check" => 2,
                    "exclude" => 3,
                    _ => 4,
                };
                let mut constraints: Vec<(&String, &crate::check::ConstraintSnapshot)> =
                    table.constraints.iter().collect();
                constraints.sort_by_key(|(key, c)| (rank(&c.kind), key.to_string()));
                for (key, c) in constraints {
                    if c.kind == "foreign key"
                        && referenced_table(&c.definition)
                            .is_some_and(|t| t != name && !existing.contains(&t))
                    {
                        deferred.push((key.clone(), c.definition.clone()));
                        continue;
                    }
                    parts.push(format!("CONSTRAINT {} {}", q(key), c.definition));
                }
                calls.push(self.sql(format!("CREATE TABLE {} ({})", q(name), parts.join(", "))));
            }
        }
        for (index, i) in &table.indexes {
            if !self.constraint_index(table, index) {
                calls.push(self.create_index(schema, name, index, i, table));
            }
        }
        Ok((calls, deferred))
    }

    /// Whether an index is the one a constraint makes (it comes and goes
    /// with the constraint).
    fn constraint_index(&self, table: &TableSnapshot, index: &str) -> bool {
        match self.backend {
            // `plan` refuses MySQL before a planner exists.
            Backend::Postgres | Backend::Mysql => table.constraints.contains_key(index),
            Backend::Sqlite => index.starts_with("sqlite_autoindex_"),
        }
    }

    fn create_index(
        &self,
        schema: &Schema,
        table_name: &str,
        name: &str,
        index: &IndexSnapshot,
        table: &TableSnapshot,
    ) -> Call {
        let plain_columns = index
            .columns
            .iter()
            .all(|c| plain(c) && table.columns.contains_key(c));
        let simple = plain_columns
            && index.predicate.is_none()
            && index.include.is_empty()
            && index.method.as_deref().is_none_or(|m| m == "btree");
        let written = schema.create_sql.get(name);
        match self.backend {
            Backend::Sqlite => {
                let sql = written.cloned().unwrap_or_default();
                if simple && plain_sqlite_keys(&sql) {
                    builder_index(table_name, name, index)
                } else {
                    self.sql(sql)
                }
            }
            // Only what the plain call makes back: sort order, NULLS
            // FIRST/LAST, an operator class or a collation are in the
            // definition, not in the key columns.
            Backend::Postgres
                if simple
                    && written
                        .is_none_or(|sql| *sql == plain_pg_index(table_name, name, index)) =>
            {
                builder_index(table_name, name, index)
            }
            // `plan` refuses MySQL before a planner exists; this would be
            // the plain call.
            Backend::Mysql => builder_index(table_name, name, index),
            // As PostgreSQL prints it: operator classes, ordering, all.
            Backend::Postgres if schema.create_sql.contains_key(name) => {
                self.sql(schema.create_sql[name].clone())
            }
            Backend::Postgres => {
                let columns: Vec<String> = index
                    .columns
                    .iter()
                    .map(|c| {
                        if c.contains('(') && !c.starts_with('(') {
                            format!("({c})")
                        } else {
                            c.clone()
                        }
                    })
                    .collect();
                let mut sql = format!(
                    "CREATE {}INDEX {} ON {} USING {} ({})",
                    if index.unique { "UNIQUE " } else { "" },
                    q(name),
                    q(table_name),
                    index.method.as_deref().unwrap_or("btree"),
                    columns.join(", ")
                );
                if !index.include.is_empty() {
                    sql.push_str(&format!(" INCLUDE ({})", index.include.join(", ")));
                }
                if let Some(predicate) = &index.predicate {
                    sql.push_str(&format!(" WHERE {predicate}"));
                }
                self.sql(sql)
            }
        }
    }

    fn alter_table(&mut self, name: &str, old: &TableSnapshot, new: &TableSnapshot) -> Result<()> {
        let before = self.before.clone();
        let after = self.after;
        // In the wanted table's order: added columns go in that order.
        for (column, c) in after.columns_in_order(name, new) {
            match old.columns.get(column) {
                None => {
                    let add = self.add_column(after, name, column, c);
                    self.push(
                        Phase::Columns,
                        step(
                            format!("Add column {name}.{column}."),
                            vec![add],
                            vec![Call::DropColumn {
                                table: name.to_string(),
                                column: column.clone(),
                            }],
                        ),
                    );
                }
                Some(was) if was != c => {
                    if let Some(s) = self.serial_identity(&before, name, column, was, c) {
                        self.push(Phase::Columns, s);
                        continue;
                    }
                    let up = self.change_column(name, column, was, c, true);
                    let safe = up
                        .iter()
                        .any(|call| matches!(call, Call::SetNotNull { .. }));
                    let mut s = step(
                        format!("Alter column {name}.{column}."),
                        up,
                        self.change_column(name, column, c, was, false),
                    );
                    if safe {
                        s.outside_transaction = true;
                        s.comment = format!("Alter column {name}.{column}: NOT NULL is set through a CHECK validated without blocking writes to the table.");
                    }
                    if was.identity.is_none() && c.identity.is_some() {
                        s.comment = format!(
                            "Make {name}.{column} an identity column. Its sequence starts at 1: if the table has rows, RESTART it past their values or inserts may collide."
                        );
                    }
                    if was.data_type != c.data_type {
                        s.comment = format!(
                            "Change the type of {name}.{column} from {} to {}: values that do not convert fail the upgrade.",
                            was.data_type, c.data_type
                        );
                        s.destructive = Some(Rule::AlterColumnType);
                    }
                    self.push(Phase::Columns, s);
                }
                Some(_) => {}
            }
        }
        let added_columns: Vec<&String> = new
            .columns
            .keys()
            .filter(|c| !old.columns.contains_key(*c))
            .collect();
        // Last first, so that the downgrade adds them back in order.
        for (column, c) in before.columns_in_order(name, old).into_iter().rev() {
            if new.columns.contains_key(column) {
                continue;
            }
            let guess = if added_columns.is_empty() {
                String::new()
            } else {
                format!(
                    " Renames are not guessed: if it became {}, run again with --rename {name}.{column}=NEW.",
                    added_columns.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or ")
                )
            };
            let restore = self.add_column(&before, name, column, c);
            let mut s = step(
                format!(
                    "Drop column {name}.{column}: its values are lost; the downgrade adds it back empty.{guess}"
                ),
                vec![Call::DropColumn {
                    table: name.to_string(),
                    column: column.clone(),
                }],
                vec![restore],
            );
            s.destructive = Some(Rule::DropColumn);
            self.push(Phase::Columns, s);
        }
        self.alter_indexes(name, old, new, &before);
        match self.backend {
            // `plan` refuses MySQL before a planner exists.
            Backend::Postgres | Backend::Mysql => self.alter_pg_constraints(name, old, new),
            Backend::Sqlite => self.alter_sqlite_constraints(name, old, new, &before),
        }
    }

    /// The call that adds column `column` to `table` as `schema` has it: a
    /// `serial` column with its sequence, an identity column in
    /// PostgreSQL's own words (`Ops` has no builder for one).
    fn add_column(&self, schema: &Schema, table: &str, column: &str, c: &ColumnSnapshot) -> Call {
        if c.identity.is_some() {
            return self.sql(format!(
                "ALTER TABLE {} ADD COLUMN {}",
                q(table),
                pg_column(column, c)
            ));
        }
        let serial = serial_type(schema, table, column, c);
        Call::AddColumn {
            table: table.to_string(),
            column: NewColumn {
                name: column.to_string(),
                data_type: serial.map_or_else(|| c.data_type.clone(), str::to_string),
                not_null: !c.nullable,
                default: serial.map_or_else(|| c.default.clone(), |_| None),
            },
        }
    }

    /// A `serial` column that becomes an identity column, or the reverse:
    /// its sequence goes (or comes back, owned by the column) and the next
    /// value is kept. Other changes to the column come after the
    /// conversion and are undone before it.
    fn serial_identity(
        &self,
        before: &Schema,
        table: &str,
        column: &str,
        was: &ColumnSnapshot,
        c: &ColumnSnapshot,
    ) -> Option<Step> {
        let (to_identity, serial_schema, serial, identity) = match (was.identity, c.identity) {
            (None, Some(kind)) => (true, before, was, kind),
            (Some(kind), None) => (false, self.after, c, kind),
            _ => return None,
        };
        let (sequence, object) = owned_sequence(serial_schema, table, column, serial)?;
        let default = serial.default.clone()?;
        let to_identity_sql = serial_to_identity(table, column, sequence, identity);
        let to_serial_sql =
            identity_to_serial(table, column, sequence, &object.definition, &default);
        // The rest of the change, between the identity column and the
        // serial one's other properties.
        let identity_side = ColumnSnapshot {
            default: None,
            identity: Some(identity),
            ..serial.clone()
        };
        let (other, convert_up, convert_down, comment) = if to_identity {
            (
                c,
                to_identity_sql,
                to_serial_sql,
                format!("Make serial column {table}.{column} an identity column: its sequence {sequence} goes, the identity's starts at its next value."),
            )
        } else {
            (
                was,
                to_serial_sql,
                to_identity_sql,
                format!("Make identity column {table}.{column} a serial one: sequence {sequence}, owned by the column, starts at the identity's next value."),
            )
        };
        let (up, down) = if to_identity {
            let mut up = vec![self.sql(convert_up)];
            up.extend(self.change_column(table, column, &identity_side, other, false));
            let mut down = self.change_column(table, column, other, &identity_side, false);
            down.push(self.sql(convert_down));
            (up, down)
        } else {
            let mut up = self.change_column(table, column, other, &identity_side, false);
            up.push(self.sql(convert_up));
            let mut down = vec![self.sql(convert_down)];
            down.extend(self.change_column(table, column, &identity_side, other, false));
            (up, down)
        };
        let mut s = step(comment, up, down);
        if was.data_type != c.data_type {
            s.destructive = Some(Rule::AlterColumnType);
        }
        Some(s)
    }

    /// The calls that take column `column` of `table` from `from` to `to`.
    /// An identity is dropped before the rest changes (a default may then
    /// be set) and added after it (it needs NOT NULL and no default).
    ///
    /// `safe` (PostgreSQL, a table in use): `NOT NULL` is set by
    /// `set_not_null`, after the other changes, which proves it from a
    /// validated check instead of reading every row under an exclusive lock.
    fn change_column(
        &self,
        table: &str,
        column: &str,
        from: &ColumnSnapshot,
        to: &ColumnSnapshot,
        safe: bool,
    ) -> Vec<Call> {
        let identity = identity_clause(from.identity, to.identity).map(|clause| {
            self.sql(format!(
                "ALTER TABLE {} ALTER COLUMN {} {clause}",
                q(table),
                q(column)
            ))
        });
        let set_not_null =
            (safe && self.backend == Backend::Postgres && from.nullable && !to.nullable).then(
                || Call::SetNotNull {
                    table: table.to_string(),
                    column: column.to_string(),
                },
            );
        let nullability = from.nullable != to.nullable && set_not_null.is_none();
        let alter = Call::AlterColumn {
            table: table.to_string(),
            column: column.to_string(),
            data_type: (from.data_type != to.data_type).then(|| to.data_type.clone()),
            not_null: nullability.then_some(!to.nullable),
            default: (from.default != to.default).then(|| to.default.clone()),
        };
        let alters = from.data_type != to.data_type || nullability || from.default != to.default;
        let (first, last) = match from.identity {
            None => (None, identity),
            Some(_) => (identity, None),
        };
        first
            .into_iter()
            .chain(alters.then_some(alter))
            .chain(set_not_null)
            .chain(last)
            .collect()
    }

    fn alter_indexes(
        &mut self,
        name: &str,
        old: &TableSnapshot,
        new: &TableSnapshot,
        before: &Schema,
    ) {
        for (index, i) in &old.indexes {
            if self.constraint_index(old, index) || new.indexes.get(index) == Some(i) {
                continue;
            }
            let create = self.create_index(before, name, index, i, old);
            let s = self.index_step(
                format!("Drop index {index}"),
                vec![Call::DropIndex(index.clone())],
                vec![create],
            );
            self.push(Phase::DropParts, s);
        }
        for (index, i) in &new.indexes {
            if self.constraint_index(new, index) || old.indexes.get(index) == Some(i) {
                continue;
            }
            let create = self.create_index(self.after, name, index, i, new);
            let s = self.index_step(
                format!("Index {index} on {name}"),
                vec![create],
                vec![Call::DropIndex(index.clone())],
            );
            self.push(Phase::AddParts, s);
        }
    }

    /// A step that builds or drops an index of an existing table: on
    /// PostgreSQL `CONCURRENTLY` (`Ops` does so for its own calls outside
    /// a transaction; raw SQL says it), so that writes go on meanwhile.
    /// `what`: the comment, without its full stop.
    fn index_step(&self, what: String, up: Vec<Call>, down: Vec<Call>) -> Step {
        if self.backend != Backend::Postgres {
            return step(format!("{what}."), up, down);
        }
        let concurrent = |calls: Vec<Call>| -> Vec<Call> {
            calls
                .into_iter()
                .map(|call| match call {
                    Call::Sql { backend, sql } => Call::Sql {
                        backend,
                        sql: concurrently(&sql),
                    },
                    other => other,
                })
                .collect()
        };
        safe_step(
            format!("{what}, CONCURRENTLY so that writes to the table go on."),
            concurrent(up),
            concurrent(down),
        )
    }

    /// A primary key on new columns (the downgrade puts the old ones back).
    fn set_primary_key(&mut self, table: &str, from: Vec<String>, to: Vec<String>) {
        let set = |columns: Vec<String>| Call::SetPrimaryKey {
            table: table.to_string(),
            columns,
        };
        self.push(
            Phase::Columns,
            step(
                format!("Primary key of {table}: ({}).", to.join(", ")),
                vec![set(to)],
                vec![set(from)],
            ),
        );
    }

    /// The calls that add constraint `key` (PostgreSQL: its name) to
    /// `table`, and those that drop it.
    ///
    /// `safe`: the table exists and has rows (PostgreSQL): a foreign key
    /// or a CHECK is added `NOT VALID` and then validated, a UNIQUE
    /// constraint is built by `add_unique` from a concurrent index (the
    /// step then runs outside a transaction, see [`Step::outside_transaction`]).
    fn add_key(
        &self,
        table: &str,
        key: &str,
        definition: &str,
        safe: bool,
    ) -> Result<(Vec<Call>, Vec<Call>)> {
        let (add, drop) = self.add_key_plainly(table, key, definition)?;
        if !safe || self.backend != Backend::Postgres {
            return Ok((add, drop));
        }
        let validate = Call::ValidateConstraint {
            table: table.to_string(),
            name: key.to_string(),
        };
        let add = match add.as_slice() {
            [Call::AddForeignKey(fk)] => vec![Call::AddForeignKeyNotValid(fk.clone()), validate],
            [Call::AddCheck {
                table,
                name,
                expression,
            }] => vec![
                Call::AddCheckNotValid {
                    table: table.clone(),
                    name: name.clone(),
                    expression: expression.clone(),
                },
                validate,
            ],
            [Call::Sql { backend, sql }]
                if definition.starts_with("FOREIGN KEY") || definition.starts_with("CHECK") =>
            {
                vec![
                    Call::Sql {
                        backend: *backend,
                        sql: format!("{sql} NOT VALID"),
                    },
                    validate,
                ]
            }
            _ => add,
        };
        Ok((add, drop))
    }

    /// Whether the safe form of adding a constraint `definition` runs
    /// outside a transaction: a foreign key, a CHECK (validated once the
    /// add has committed) or a UNIQUE constraint (its index built
    /// concurrently).
    fn safe_key_needs_no_transaction(&self, definition: &str) -> bool {
        self.backend == Backend::Postgres
            && ["FOREIGN KEY", "CHECK", "UNIQUE"]
                .iter()
                .any(|kind| definition.starts_with(kind))
    }

    /// The plain calls that add constraint `key` and drop it again.
    fn add_key_plainly(
        &self,
        table: &str,
        key: &str,
        definition: &str,
    ) -> Result<(Vec<Call>, Vec<Call>)> {
        let t = table.to_string();
        let raw_add = || {
            self.sql(format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {definition}",
                q(table),
                q(key)
            ))
        };
        let raw_drop = || {
            self.sql(format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                q(table),
                q(key)
            ))
        };
        Ok(if definition.starts_with("FOREIGN KEY") {
            match parse_foreign_key(table, key, definition) {
                Some(fk) => (
                    vec![Call::AddForeignKey(fk)],
                    vec![Call::DropForeignKey {
                        table: t,
                        name: key.to_string(),
                    }],
                ),
                None => (vec![raw_add()], vec![raw_drop()]),
            }
        } else if let Some(expression) = check_expression(definition) {
            (
                vec![Call::AddCheck {
                    table: t.clone(),
                    name: key.to_string(),
                    expression,
                }],
                vec![Call::DropCheck {
                    table: t,
                    name: key.to_string(),
                }],
            )
        } else if let Some(columns) = definition
            .strip_prefix("UNIQUE (")
            .and_then(|d| d.strip_suffix(')'))
            .and_then(list)
        {
            (
                vec![Call::AddUnique {
                    table: t.clone(),
                    name: key.to_string(),
                    columns,
                }],
                vec![Call::DropUnique {
                    table: t,
                    name: key.to_string(),
                }],
            )
        } else {
            (vec![raw_add()], vec![raw_drop()])
        })
    }

    fn alter_pg_constraints(
        &mut self,
        name: &str,
        old: &TableSnapshot,
        new: &TableSnapshot,
    ) -> Result<()> {
        let primary_key = format!("{name}_pkey");
        let pk_columns = |t: &TableSnapshot| {
            t.constraints
                .get(&primary_key)
                .filter(|c| c.kind == "primary key")
                .and_then(|c| c.definition.strip_prefix("PRIMARY KEY ("))
                .and_then(|d| d.strip_suffix(')'))
                .and_then(list)
        };
        let mut handled = BTreeSet::new();
        if let (Some(from), Some(to)) = (pk_columns(old), pk_columns(new)) {
            if from != to {
                handled.insert(primary_key.clone());
                self.set_primary_key(name, from, to);
            }
        }
        // What goes away (dropped early), then what comes (added late).
        for (from, to, going) in [(old, new, true), (new, old, false)] {
            for (key, c) in &from.constraints {
                if handled.contains(key) || to.constraints.get(key) == Some(c) {
                    continue;
                }
                let key_phase = c.kind == "foreign key";
                let s = if going {
                    let (add, drop) = self.add_key(name, key, &c.definition, false)?;
                    step(format!("Drop constraint {key} on {name}."), drop, add)
                } else if self.safe_key_needs_no_transaction(&c.definition) {
                    // The table is in use: rows are checked after the
                    // add's instant lock, or the index is built meanwhile.
                    let (add, drop) = self.add_key(name, key, &c.definition, true)?;
                    let how = if c.definition.starts_with("UNIQUE") {
                        "its unique index is built CONCURRENTLY, then attached"
                    } else {
                        "added NOT VALID, then validated in a statement of its own"
                    };
                    safe_step(
                        format!(
                            "Constraint {key} on {name}: {how}, so that writes to the table go on."
                        ),
                        add,
                        drop,
                    )
                } else {
                    let (add, drop) = self.add_key(name, key, &c.definition, false)?;
                    step(format!("Constraint {key} on {name}."), add, drop)
                };
                let phase = match (going, key_phase) {
                    (true, true) => Phase::DropKeys,
                    (true, false) => Phase::DropParts,
                    (false, true) => Phase::AddKeys,
                    (false, false) => Phase::AddParts,
                };
                self.push(phase, s);
            }
        }
        Ok(())
    }

    fn alter_sqlite_constraints(
        &mut self,
        name: &str,
        old: &TableSnapshot,
        new: &TableSnapshot,
        before: &Schema,
    ) -> Result<()> {
        let old_names =
            ConstraintNames::read(name, before.create_sql.get(name).map(String::as_str));
        let new_names =
            ConstraintNames::read(name, self.after.create_sql.get(name).map(String::as_str));
        let t = name.to_string();
        let primary_key = |table: &TableSnapshot| {
            table
                .constraints
                .values()
                .find(|c| c.kind == "primary key")
                .and_then(|c| c.definition.strip_prefix("PRIMARY KEY ("))
                .and_then(|d| d.strip_suffix(')'))
                .map(|d| d.split(", ").map(str::to_string).collect::<Vec<_>>())
        };
        let (old_pk, new_pk) = (primary_key(old), primary_key(new));
        if old_pk != new_pk {
            let (Some(from), Some(to)) = (old_pk.clone(), new_pk.clone()) else {
                return Err(Error::Config(format!(
                    "table {name} gains or loses its primary key; autogenerate changes a primary key on SQLite but cannot add or remove one: write that step by hand"
                )));
            };
            self.set_primary_key(name, from, to);
        }
        let unnamed = |what: &str, key: &str| {
            Error::Config(format!(
                "{what} {key} of table {name} cannot be named for SQLite; write that step by hand"
            ))
        };
        let foreign_key = |names: &ConstraintNames, key: &str, definition: &str| {
            let columns = key
                .strip_prefix("FOREIGN KEY (")
                .and_then(|k| k.split_once(')'))
                .map(|(c, _)| c.to_string())
                .unwrap_or_default();
            let fk_name = names
                .foreign_keys
                .get(&columns)
                .cloned()
                .unwrap_or_else(|| format!("{name}_{}_fkey", columns.replace(", ", "_")));
            parse_foreign_key(name, &fk_name, definition)
                .map(|fk| (fk_name, fk))
                .ok_or_else(|| unnamed("foreign key", key))
        };
        for (key, c) in &old.constraints {
            if new.constraints.get(key) == Some(c) || c.kind == "primary key" {
                continue;
            }
            let (up, down, phase) = match c.kind.as_str() {
                "foreign key" => {
                    let (fk_name, fk) = foreign_key(&old_names, key, &c.definition)?;
                    (
                        Call::DropForeignKey {
                            table: t.clone(),
                            name: fk_name,
                        },
                        Call::AddForeignKey(fk),
                        Phase::DropKeys,
                    )
                }
                _ => {
                    let check = old_names
                        .checks
                        .get(key)
                        .cloned()
                        .ok_or_else(|| unnamed("CHECK", key))?;
                    let expression =
                        check_expression(&c.definition).ok_or_else(|| unnamed("CHECK", key))?;
                    (
                        Call::DropCheck {
                            table: t.clone(),
                            name: check.clone(),
                        },
                        Call::AddCheck {
                            table: t.clone(),
                            name: check,
                            expression,
                        },
                        Phase::DropParts,
                    )
                }
            };
            self.push(
                phase,
                step(format!("Drop {key} on {name}."), vec![up], vec![down]),
            );
        }
        for (key, c) in &new.constraints {
            if old.constraints.get(key) == Some(c) || c.kind == "primary key" {
                continue;
            }
            let (up, down, phase) = match c.kind.as_str() {
                "foreign key" => {
                    let (fk_name, fk) = foreign_key(&new_names, key, &c.definition)?;
                    (
                        Call::AddForeignKey(fk),
                        Call::DropForeignKey {
                            table: t.clone(),
                            name: fk_name,
                        },
                        Phase::AddKeys,
                    )
                }
                _ => {
                    let check = new_names
                        .checks
                        .get(key)
                        .cloned()
                        .unwrap_or_else(|| format!("{name}_check"));
                    let expression =
                        check_expression(&c.definition).ok_or_else(|| unnamed("CHECK", key))?;
                    (
                        Call::AddCheck {
                            table: t.clone(),
                            name: check.clone(),
                            expression,
                        },
                        Call::DropCheck {
                            table: t.clone(),
                            name: check,
                        },
                        Phase::AddParts,
                    )
                }
            };
            self.push(
                phase,
                step(format!("{key} on {name}."), vec![up], vec![down]),
            );
        }
        // UNIQUE constraints show as automatic indexes.
        let uniques = |table: &TableSnapshot, pk: &Option<Vec<String>>| -> BTreeSet<Vec<String>> {
            table
                .indexes
                .iter()
                .filter(|(n, i)| n.starts_with("sqlite_autoindex_") && i.unique)
                .map(|(_, i)| i.columns.clone())
                .filter(|columns| Some(columns) != pk.as_ref())
                .collect()
        };
        let (old_unique, new_unique) = (uniques(old, &old_pk), uniques(new, &new_pk));
        let unique_name = |names: &ConstraintNames, columns: &[String]| {
            names
                .uniques
                .get(&columns.join(", "))
                .cloned()
                .unwrap_or_else(|| format!("{name}_{}_key", columns.join("_")))
        };
        for columns in old_unique.difference(&new_unique) {
            let key = unique_name(&old_names, columns);
            self.push(
                Phase::DropParts,
                step(
                    format!("Drop unique {key} on {name}."),
                    vec![Call::DropUnique {
                        table: t.clone(),
                        name: key.clone(),
                    }],
                    vec![Call::AddUnique {
                        table: t.clone(),
                        name: key,
                        columns: columns.clone(),
                    }],
                ),
            );
        }
        for columns in new_unique.difference(&old_unique) {
            let key = unique_name(&new_names, columns);
            self.push(
                Phase::AddParts,
                step(
                    format!("Unique {key} on {name}."),
                    vec![Call::AddUnique {
                        table: t.clone(),
                        name: key.clone(),
                        columns: columns.clone(),
                    }],
                    vec![Call::DropUnique {
                        table: t.clone(),
                        name: key,
                    }],
                ),
            );
        }
        Ok(())
    }

    /// Tables whose columns, keys or existence change: views that read them
    /// are dropped first and created again after.
    fn changed_tables(&self) -> BTreeSet<String> {
        let old = Self::real_tables(&self.before);
        let new = Self::real_tables(self.after);
        old.iter()
            .filter(|(name, table)| new.get(*name).is_none_or(|t| t != *table))
            .map(|(name, _)| name.to_string())
            .collect()
    }

    fn objects(&mut self) -> Result<()> {
        let changed = self.changed_tables();
        let before = self.before.snapshot.clone();
        let after = self.after.snapshot.clone();
        let reads_changed = |definition: &str| {
            changed
                .iter()
                .any(|t| super::rename::contains_word(definition, t))
        };
        // Views and triggers: dropped early, created late.
        for (kind, old, new) in [
            ("trigger", &before.triggers, &after.triggers),
            ("view", &before.views, &after.views),
            (
                "virtual table",
                &before.virtual_tables,
                &after.virtual_tables,
            ),
        ] {
            let recreate = |name: &String, o: &ObjectSnapshot| {
                new.get(name) != Some(o) || (kind == "view" && reads_changed(&o.definition))
            };
            for (name, o) in old.iter().rev() {
                if recreate(name, o) {
                    let create = self.create_object(kind, name, o)?;
                    let drop = self.drop_object(kind, name, o);
                    self.push(
                        Phase::DropObjects,
                        step(format!("Drop {kind} {name}."), vec![drop], vec![create]),
                    );
                }
            }
            for (name, o) in new {
                let again = old.get(name).is_some_and(|was| !recreate(name, was));
                if !again {
                    let create = self.create_object(kind, name, o)?;
                    let drop = self.drop_object(kind, name, o);
                    self.push(
                        Phase::CreateObjects,
                        step(format!("Create {kind} {name}."), vec![create], vec![drop]),
                    );
                }
            }
        }
        // Sequences and functions: created first, dropped last, replaced
        // in place.
        for (kind, old, new) in [
            ("sequence", &before.sequences, &after.sequences),
            ("function", &before.functions, &after.functions),
        ] {
            let own = |o: &ObjectSnapshot| kind == "function" || o.table.is_none();
            for (name, o) in new.iter().filter(|(_, o)| own(o)) {
                match old.get(name) {
                    None => {
                        let create = self.create_object(kind, name, o)?;
                        let drop = self.drop_object(kind, name, o);
                        self.push(
                            Phase::AddExtensions,
                            step(format!("Create {kind} {name}."), vec![create], vec![drop]),
                        );
                    }
                    Some(was) if was != o => {
                        let up = self.replace_object(kind, name, o)?;
                        let down = self.replace_object(kind, name, was)?;
                        self.push(
                            Phase::AddExtensions,
                            step(format!("Change {kind} {name}."), vec![up], vec![down]),
                        );
                    }
                    Some(_) => {}
                }
            }
            for (name, o) in old.iter().filter(|(_, o)| own(o)) {
                if !new.contains_key(name) {
                    let create = self.create_object(kind, name, o)?;
                    let drop = self.drop_object(kind, name, o);
                    self.push(
                        Phase::DropLast,
                        step(format!("Drop {kind} {name}."), vec![drop], vec![create]),
                    );
                }
            }
        }
        Ok(())
    }

    fn schema_of(&self, kind: &str, name: &str, o: &ObjectSnapshot) -> &Schema {
        let in_after = match kind {
            "function" => self.after.snapshot.functions.get(name) == Some(o),
            _ => true,
        };
        if in_after {
            self.after
        } else {
            &self.before
        }
    }

    fn create_object(&self, kind: &str, name: &str, o: &ObjectSnapshot) -> Result<Call> {
        let definition = o.definition.trim_end_matches(';').trim();
        let sql = match (self.backend, kind) {
            (Backend::Postgres, "view") => match definition.strip_prefix("MATERIALIZED ") {
                Some(query) => format!("CREATE MATERIALIZED VIEW {} AS {query}", q(name)),
                None => format!("CREATE VIEW {} AS {definition}", q(name)),
            },
            (Backend::Postgres, "sequence") => format!("CREATE SEQUENCE {} {definition}", q(name)),
            (Backend::Postgres, "function") => {
                let schema = self.schema_of(kind, name, o);
                let sql = schema
                    .function_sql
                    .get(name)
                    .or_else(|| self.before.function_sql.get(name))
                    .ok_or_else(|| {
                        Error::Config(format!(
                            "the definition of function {name} could not be read"
                        ))
                    })?;
                sql.trim().to_string()
            }
            _ => definition.to_string(),
        };
        Ok(self.sql(sql))
    }

    fn replace_object(&self, kind: &str, name: &str, o: &ObjectSnapshot) -> Result<Call> {
        if kind == "sequence" {
            let cycle = if o.definition.contains(" CYCLE") {
                ""
            } else {
                " NO CYCLE"
            };
            return Ok(self.sql(format!(
                "ALTER SEQUENCE {} {}{cycle}",
                q(name),
                o.definition
            )));
        }
        // pg_get_functiondef writes CREATE OR REPLACE.
        let sql = if self.after.snapshot.functions.get(name) == Some(o) {
            self.after.function_sql.get(name)
        } else {
            self.before.function_sql.get(name)
        };
        sql.map(|s| self.sql(s.trim().to_string())).ok_or_else(|| {
            Error::Config(format!(
                "the definition of function {name} could not be read"
            ))
        })
    }

    fn drop_object(&self, kind: &str, name: &str, o: &ObjectSnapshot) -> Call {
        let sql = match (self.backend, kind) {
            (Backend::Postgres, "view") if o.definition.starts_with("MATERIALIZED ") => {
                format!("DROP MATERIALIZED VIEW {}", q(name))
            }
            (_, "view") => format!("DROP VIEW {}", q(name)),
            (Backend::Postgres, "trigger") => {
                let table = o.table.clone().unwrap_or_default();
                let trigger = name.strip_prefix(&format!("{table}.")).unwrap_or(name);
                format!("DROP TRIGGER {} ON {}", q(trigger), q(&table))
            }
            (_, "trigger") => format!("DROP TRIGGER {}", q(name)),
            (_, "sequence") => format!("DROP SEQUENCE {}", q(name)),
            (_, "function") => match name.split_once('(') {
                Some((function, arguments)) => format!("DROP FUNCTION {}({arguments}", q(function)),
                None => format!("DROP FUNCTION {}", q(name)),
            },
            _ => format!("DROP TABLE {}", q(name)),
        };
        self.sql(sql)
    }
}

fn pg_column(column: &str, c: &ColumnSnapshot) -> String {
    let mut sql = format!("{} {}", q(column), c.data_type);
    if !c.nullable {
        sql.push_str(" NOT NULL");
    }
    if let Some(default) = &c.default {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    if let Some(identity) = c.identity {
        sql.push_str(&format!(" {identity}"));
    }
    sql
}

/// The `ALTER COLUMN` clause that takes a PostgreSQL column from identity
/// `from` to `to`, if they differ.
fn identity_clause(from: Option<Identity>, to: Option<Identity>) -> Option<String> {
    match (from, to) {
        (Some(_), None) => Some("DROP IDENTITY".to_string()),
        (None, Some(to)) => Some(format!("ADD {to}")),
        (Some(from), Some(to)) if from != to => Some(format!("SET GENERATED {}", to.as_sql())),
        _ => None,
    }
}

/// `pg_get_indexdef` of the index the plain `create_index` call makes.
fn plain_pg_index(table: &str, name: &str, index: &IndexSnapshot) -> String {
    format!(
        "CREATE {}INDEX {name} ON {table} USING btree ({})",
        if index.unique { "UNIQUE " } else { "" },
        index.columns.join(", ")
    )
}

/// Whether an SQLite `CREATE INDEX` keys on bare column names, with no
/// `ASC`/`DESC`, `NULLS` or `COLLATE` that the plain call would lose.
fn plain_sqlite_keys(sql: &str) -> bool {
    match parse_one(sql, Backend::Sqlite) {
        Some(Ast::CreateIndex(create)) => create.columns.iter().all(|key| {
            key.operator_class.is_none()
                && key.column.options.sort.is_none()
                && key.column.options.nulls_first.is_none()
                && key.column.with_fill.is_none()
                && matches!(key.column.expr, Expr::Identifier(_))
        }),
        _ => false,
    }
}

fn builder_index(table: &str, name: &str, index: &IndexSnapshot) -> Call {
    Call::CreateIndex {
        name: name.to_string(),
        table: table.to_string(),
        columns: index.columns.clone(),
        unique: index.unique,
    }
}

/// `tables` ordered so that a table comes after those it references
/// (by name where there is a cycle).
fn foreign_key_order(tables: &[&String], schema: &Schema) -> Vec<String> {
    let wanted: BTreeSet<&str> = tables.iter().map(|t| t.as_str()).collect();
    let references = |table: &str| -> BTreeSet<String> {
        schema
            .snapshot
            .tables
            .get(table)
            .map(|t| {
                t.constraints
                    .values()
                    .filter(|c| c.kind == "foreign key")
                    .filter_map(|c| referenced_table(&c.definition))
                    .filter(|r| r != table && wanted.contains(r.as_str()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut placed: Vec<String> = Vec::new();
    let mut left: Vec<&str> = wanted.iter().copied().collect();
    while !left.is_empty() {
        let ready = left
            .iter()
            .position(|t| references(t).iter().all(|r| placed.contains(r)))
            .unwrap_or(0);
        placed.push(left.remove(ready).to_string());
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_table(columns: &[(&str, Option<Identity>, Option<&str>)]) -> Schema {
        let mut table = TableSnapshot::default();
        for (name, identity, default) in columns {
            table.columns.insert(
                name.to_string(),
                ColumnSnapshot {
                    data_type: "integer".into(),
                    nullable: identity.is_none(),
                    default: default.map(str::to_string),
                    identity: *identity,
                },
            );
        }
        let mut schema = Schema {
            backend: Backend::Postgres,
            snapshot: Default::default(),
            create_sql: Default::default(),
            function_sql: Default::default(),
            extensions: Default::default(),
            column_order: Default::default(),
        };
        schema.snapshot.tables.insert("t".into(), table);
        schema
    }

    fn sql_of(calls: &[Call]) -> Vec<String> {
        calls
            .iter()
            .map(|c| match c {
                Call::Sql { sql, .. } => sql.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn identity_is_added_after_and_dropped_before_the_column_changes() {
        let before = one_table(&[
            ("a", None, Some("0")),
            ("b", Some(Identity::Always), None),
            ("c", Some(Identity::Always), None),
        ]);
        let after = one_table(&[
            ("a", Some(Identity::ByDefault), None),
            ("b", Some(Identity::ByDefault), None),
            ("c", None, None),
        ]);
        let steps = plan(&before, &after, &[]).unwrap();
        let ups: Vec<Vec<String>> = steps.iter().map(|s| sql_of(&s.up)).collect();
        let downs: Vec<Vec<String>> = steps.iter().map(|s| sql_of(&s.down)).collect();
        let alter = |column: &str, not_null: bool, default: &str| {
            format!(
                "AlterColumn {{ table: \"t\", column: \"{column}\", data_type: None, not_null: Some({not_null}), default: {default} }}"
            )
        };
        assert_eq!(
            ups,
            [
                // NOT NULL on the existing table through its safe form,
                // before the identity that needs it.
                vec![
                    "AlterColumn { table: \"t\", column: \"a\", data_type: None, not_null: None, default: Some(None) }".to_string(),
                    "SetNotNull { table: \"t\", column: \"a\" }".to_string(),
                    r#"ALTER TABLE "t" ALTER COLUMN "a" ADD GENERATED BY DEFAULT AS IDENTITY"#
                        .into()
                ],
                vec![r#"ALTER TABLE "t" ALTER COLUMN "b" SET GENERATED BY DEFAULT"#.into()],
                vec![
                    r#"ALTER TABLE "t" ALTER COLUMN "c" DROP IDENTITY"#.into(),
                    alter("c", false, "None")
                ],
            ]
        );
        assert_eq!(
            downs,
            [
                vec![
                    r#"ALTER TABLE "t" ALTER COLUMN "a" DROP IDENTITY"#.into(),
                    alter("a", false, "Some(Some(\"0\"))")
                ],
                vec![r#"ALTER TABLE "t" ALTER COLUMN "b" SET GENERATED ALWAYS"#.into()],
                vec![
                    alter("c", true, "None"),
                    r#"ALTER TABLE "t" ALTER COLUMN "c" ADD GENERATED ALWAYS AS IDENTITY"#.into()
                ],
            ]
        );
    }

    #[test]
    fn foreign_keys_are_read_when_ops_can_make_them() {
        let fk = parse_foreign_key(
            "walls",
            "walls_room_id_fkey",
            "FOREIGN KEY (room_id) REFERENCES rooms(id) ON UPDATE NO ACTION ON DELETE CASCADE",
        )
        .unwrap();
        assert_eq!(fk.ref_table, "rooms");
        assert_eq!(fk.on_delete, Some(Action::Cascade));
        assert_eq!(fk.on_update, None);
        assert!(
            parse_foreign_key("t", "k", "FOREIGN KEY (a) REFERENCES r(id) MATCH FULL").is_none()
        );
        assert!(parse_foreign_key("t", "k", "FOREIGN KEY (\"A\") REFERENCES r(id)").is_none());
    }
}
