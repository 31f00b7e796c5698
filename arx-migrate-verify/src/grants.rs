//! The privileges a migration chain's statements need on PostgreSQL,
//! derived from the SQL each revision renders (offline, as `upgrade --sql`
//! renders it), read with the SQL parser lint uses.
//!
//! What the role needs, by statement:
//! - `CREATE TABLE / VIEW / SEQUENCE / FUNCTION / TYPE / TRIGGER FUNCTION`
//!   in a schema: `CREATE` on that schema (the role then owns the object,
//!   so altering, indexing and dropping it later need nothing more);
//! - `ALTER TABLE`, `CREATE INDEX … ON`, `DROP`, `CREATE TRIGGER … ON` a
//!   table the chain did not create: ownership of it (PostgreSQL has no
//!   grant for DDL on another role's table);
//! - `INSERT / UPDATE / DELETE / SELECT` on a table the chain did not
//!   create: that privilege on it;
//! - a statement only a superuser may run ([`crate::superuser`]): a note,
//!   saying what the DBA must do beforehand;
//! - the bookkeeping (version and history tables): `CREATE` on their
//!   schema (and `CONNECT` on the database, PUBLIC's by default).

use std::collections::{BTreeMap, BTreeSet};

use sqlparser::ast::{ObjectName, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use arx_migrate_core::backend::Backend;
use arx_migrate_core::graph::RevisionGraph;
use arx_migrate_core::{render, Direction};

/// What a chain needs, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Grants {
    /// Schemas the role creates objects in.
    pub create_in_schemas: BTreeSet<String>,
    /// Per table the chain did not create: the privileges it needs.
    pub table_privileges: BTreeMap<String, BTreeSet<&'static str>>,
    /// Tables the chain alters but did not create: the role must own them.
    pub must_own: BTreeSet<String>,
    /// Things a grant cannot give, one line each, with the revision.
    pub notes: Vec<String>,
}

impl Grants {
    /// The GRANT statements for `role`, then the notes as comments.
    pub fn statements(&self, role: &str) -> Vec<String> {
        let role = quote(role);
        let mut out = vec![
            "-- CONNECT on the database is PUBLIC's by default; grant it where it was revoked."
                .to_string(),
        ];
        for schema in &self.create_in_schemas {
            out.push(format!(
                "GRANT USAGE, CREATE ON SCHEMA {} TO {role};",
                quote(schema)
            ));
        }
        for (table, privileges) in &self.table_privileges {
            let list: Vec<&str> = privileges.iter().copied().collect();
            out.push(format!(
                "GRANT {} ON TABLE {table} TO {role};",
                list.join(", ")
            ));
        }
        for table in &self.must_own {
            out.push(format!("ALTER TABLE {table} OWNER TO {role};"));
        }
        out.extend(self.notes.iter().map(|note| format!("-- {note}")));
        out
    }
}

/// The privileges `graph`'s revisions need on PostgreSQL, upgrades and
/// downgrades, with the bookkeeping in `bookkeeping_schema` (`None`: the
/// role's current schema, written `public`).
pub fn postgres_grants(graph: &RevisionGraph, bookkeeping_schema: Option<&str>) -> Grants {
    let mut grants = Grants::default();
    grants
        .create_in_schemas
        .insert(bookkeeping_schema.unwrap_or("public").to_string());
    let mut created: BTreeSet<String> = BTreeSet::new();
    let dialect = PostgreSqlDialect {};
    let revisions: Vec<_> = graph.in_order().collect();
    let passes = revisions
        .iter()
        .map(|m| (m, Direction::Upgrade))
        .chain(revisions.iter().rev().map(|m| (m, Direction::Downgrade)));
    for (migration, direction) in passes {
        let revision = migration.revision();
        let rendered = render(migration.as_ref(), Backend::Postgres, direction);
        if let Some(error) = &rendered.error {
            grants.notes.push(format!(
                "{revision} ({direction}): not all of it renders offline ({error}); run `validate --as-role` to check the rest"
            ));
        }
        for sql in &rendered.statements {
            if let Some(reason) = crate::superuser::superuser_reason(sql) {
                grants.notes.push(format!("{revision}: {reason}"));
                continue;
            }
            let statements = match Parser::parse_sql(&dialect, sql) {
                Ok(statements) => statements,
                Err(_) => {
                    grants.notes.push(format!(
                        "{revision}: not read (the SQL parser cannot parse it), check by hand or with `validate --as-role`: {}",
                        first_line(sql)
                    ));
                    continue;
                }
            };
            for statement in statements {
                grants.add(&statement, &mut created);
            }
        }
    }
    grants
}

impl Grants {
    fn add(&mut self, statement: &Statement, created: &mut BTreeSet<String>) {
        match statement {
            Statement::CreateTable(create) => {
                self.create_in(&create.name);
                created.insert(table_key(&create.name));
            }
            Statement::CreateView(view) => self.create_in(&view.name),
            Statement::CreateSequence { name, .. } => self.create_in(name),
            Statement::CreateFunction(function) => self.create_in(&function.name),
            Statement::CreateIndex(index) => self.owns(&index.table_name, created),
            Statement::AlterTable(alter) => self.owns(&alter.name, created),
            Statement::Drop {
                object_type: sqlparser::ast::ObjectType::Table,
                names,
                ..
            } => {
                for name in names {
                    self.owns(name, created);
                }
            }
            Statement::Insert(insert) => {
                if let sqlparser::ast::TableObject::TableName(name) = &insert.table {
                    self.privilege(name, "INSERT", created);
                }
            }
            Statement::Update(update) => {
                if let sqlparser::ast::TableFactor::Table { name, .. } = &update.table.relation {
                    self.privilege(name, "UPDATE", created);
                }
            }
            Statement::Delete(delete) => {
                let tables = match &delete.from {
                    sqlparser::ast::FromTable::WithFromKeyword(t)
                    | sqlparser::ast::FromTable::WithoutKeyword(t) => t,
                };
                for table in tables {
                    if let sqlparser::ast::TableFactor::Table { name, .. } = &table.relation {
                        self.privilege(name, "DELETE", created);
                    }
                }
            }
            _ => {}
        }
    }

    fn create_in(&mut self, name: &ObjectName) {
        let schema = schema_of(name).unwrap_or_else(|| "public".to_string());
        self.create_in_schemas.insert(schema);
    }

    fn owns(&mut self, name: &ObjectName, created: &BTreeSet<String>) {
        let key = table_key(name);
        if !created.contains(&key) {
            self.must_own.insert(key);
        }
    }

    fn privilege(
        &mut self,
        name: &ObjectName,
        privilege: &'static str,
        created: &BTreeSet<String>,
    ) {
        let key = table_key(name);
        if !created.contains(&key) {
            self.table_privileges
                .entry(key)
                .or_default()
                .insert(privilege);
        }
    }
}

/// `schema.table` or `table`, as PostgreSQL resolves the written name
/// (bare names folded to lower case).
fn table_key(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|part| {
            let text = part.to_string();
            if text.starts_with('"') {
                text
            } else {
                text.to_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn schema_of(name: &ObjectName) -> Option<String> {
    (name.0.len() > 1).then(|| {
        name.0[name.0.len() - 2]
            .to_string()
            .trim_matches('"')
            .to_string()
    })
}

fn quote(name: &str) -> String {
    arx_migrate_core::ops::quote_ident(name)
}

fn first_line(sql: &str) -> &str {
    sql.lines().next().unwrap_or("")
}
