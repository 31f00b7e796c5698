//! Databases whose schema another version table records: another
//! Alembic-layout table (`alembic_version` where this run uses
//! `arx_migrate_version`), sqlx's `_sqlx_migrations`, refinery's
//! `refinery_schema_history`.
//!
//! Two things come of finding one. A run that fails on a database whose
//! own version table is empty says which table records the schema and
//! what to do (instead of only "table users already exists"). And
//! [`Migrator::adopt`] takes over a database that sqlx or refinery
//! migrated: it stamps the revision whose id is the version that tool
//! applied last, after checking that every earlier revision was applied
//! too.

use crate::backend::Connection;
use crate::error::{Error, Result};
use crate::ops::quote_ident;
use crate::runner::Migrator;
use crate::store::DEFAULT_VERSION_TABLE;

/// The tools whose bookkeeping is recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Alembic, or arx-migrate under another version table: one row per
    /// head in `version_num`.
    Alembic,
    /// sqlx: `_sqlx_migrations`, one row per applied version.
    Sqlx,
    /// refinery: `refinery_schema_history`, one row per applied version.
    Refinery,
}

impl Tool {
    /// The tool's name.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Alembic => "alembic",
            Tool::Sqlx => "sqlx",
            Tool::Refinery => "refinery",
        }
    }
}

/// The version tables looked for, with their layout.
const KNOWN_TABLES: [(&str, Tool); 4] = [
    ("alembic_version", Tool::Alembic),
    (DEFAULT_VERSION_TABLE, Tool::Alembic),
    ("_sqlx_migrations", Tool::Sqlx),
    ("refinery_schema_history", Tool::Refinery),
];

/// A version table other than the run's, found in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignVersionTable {
    /// Its name.
    pub table: String,
    /// Whose layout it has.
    pub tool: Tool,
    /// What it records: the heads (Alembic) or every applied version in
    /// order (sqlx, refinery; for sqlx only the successful ones).
    pub revisions: Vec<String>,
    /// sqlx's versions recorded as failed.
    pub failed: Vec<String>,
}

/// What [`Migrator::adopt`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adopted {
    /// The table it read.
    pub table: String,
    /// The tool that wrote it.
    pub tool: Tool,
    /// The versions that tool had applied, oldest first.
    pub applied: Vec<String>,
    /// The heads the version table now holds.
    pub heads: Vec<String>,
}

/// The version tables of `KNOWN_TABLES` present with rows, other than
/// `own` (the run's). Each missing table costs a failed query.
pub fn foreign_version_tables(
    connection: &mut dyn Connection,
    own: &str,
) -> Result<Vec<ForeignVersionTable>> {
    let mut found = Vec::new();
    for (table, tool) in KNOWN_TABLES {
        if table == own {
            continue;
        }
        let quoted = quote_ident(table);
        let query = match tool {
            Tool::Alembic => format!("SELECT version_num, 1 FROM {quoted} ORDER BY version_num"),
            Tool::Sqlx => format!(
                "SELECT version, CASE WHEN success THEN 1 ELSE 0 END FROM {quoted} ORDER BY version"
            ),
            Tool::Refinery => format!("SELECT version, 1 FROM {quoted} ORDER BY version"),
        };
        let rows = match connection.query(&query) {
            Ok(rows) => rows,
            Err(error) if connection.is_undefined_table(&error) => continue,
            Err(source) => {
                return Err(Error::Store {
                    table: table.to_string(),
                    statement: query,
                    source: Box::new(source),
                })
            }
        };
        let mut revisions = Vec::new();
        let mut failed = Vec::new();
        for row in rows {
            let mut values = row.into_iter();
            let (Some(Some(version)), ok) = (values.next(), values.next().flatten()) else {
                continue;
            };
            if ok.as_deref() == Some("1") {
                revisions.push(version);
            } else {
                failed.push(version);
            }
        }
        if !revisions.is_empty() || !failed.is_empty() {
            found.push(ForeignVersionTable {
                table: table.to_string(),
                tool,
                revisions,
                failed,
            });
        }
    }
    Ok(found)
}

/// A version number as written in an id (`0003`, `20240101120000`).
fn number(id: &str) -> Option<u128> {
    id.parse().ok()
}

impl Migrator {
    /// Takes over a database that sqlx or refinery migrated, when this
    /// migrator's revisions are that tool's files (read with
    /// `sql_migrations!` or [`crate::MigrationSet::from_sql_dir`], so that
    /// each revision id is the file's version): stamps the revision of the
    /// last version the tool applied, and from then on this library runs
    /// the rest. Nothing is run but the stamp; the tool's table is left as
    /// it was.
    ///
    /// Fails, changing nothing, when this migrator's version table already
    /// has rows, when there is no sqlx or refinery table (or both), when
    /// the tool recorded a failed migration, or when its applied versions
    /// are not exactly a revision and everything below it.
    pub fn adopt(&self, connection: &mut dyn Connection) -> Result<Adopted> {
        let refuse = |message: String| Error::TakeOver(message);
        let own = self.store_config().version_table.clone();
        let current = self.current(connection)?;
        if !current.is_empty() {
            return Err(refuse(format!(
                "version table {own} already holds {}; adopting is for a database this library has never migrated",
                current.join(", ")
            )));
        }
        let tables: Vec<ForeignVersionTable> = foreign_version_tables(connection, &own)?
            .into_iter()
            .filter(|t| t.tool != Tool::Alembic)
            .collect();
        let table = match <[_; 1]>::try_from(tables) {
            Ok([table]) => table,
            Err(tables) if tables.is_empty() => {
                return Err(refuse(
                    "the database has no _sqlx_migrations or refinery_schema_history table with rows; for a database another Alembic-layout table records, set that version table instead".to_string(),
                ))
            }
            Err(tables) => {
                return Err(refuse(format!(
                    "the database has several version tables ({}); adopt by hand with `stamp`",
                    tables.iter().map(|t| t.table.as_str()).collect::<Vec<_>>().join(", ")
                )))
            }
        };
        if !table.failed.is_empty() {
            return Err(refuse(format!(
                "{} records version(s) {} as failed; repair them with {} first",
                table.table,
                table.failed.join(", "),
                table.tool.name()
            )));
        }
        let mut applied_revisions = Vec::new();
        let mut unknown = Vec::new();
        for version in &table.revisions {
            let found = number(version).and_then(|n| {
                self.graph()
                    .in_order()
                    .map(|m| m.revision())
                    .find(|id| number(id) == Some(n))
            });
            match found {
                Some(id) => applied_revisions.push(id.to_string()),
                None => unknown.push(version.clone()),
            }
        }
        if !unknown.is_empty() {
            return Err(refuse(format!(
                "{} applied version(s) {} that no revision of this program has as its id; embed the same folder of .sql files (its file versions are the revision ids)",
                table.tool.name(),
                unknown.join(", ")
            )));
        }
        let last = applied_revisions
            .last()
            .cloned()
            .ok_or_else(|| refuse(format!("{} is empty", table.table)))?;
        let below: Vec<&str> = self.graph().applied(std::slice::from_ref(&last))?;
        let missing: Vec<&str> = below
            .iter()
            .copied()
            .filter(|id| !applied_revisions.iter().any(|a| a == id))
            .collect();
        let extra: Vec<&String> = applied_revisions
            .iter()
            .filter(|a| !below.contains(&a.as_str()))
            .collect();
        if !missing.is_empty() || !extra.is_empty() {
            return Err(refuse(format!(
                "{} applied {} but stamping {last} would mean {}; bring the database to a revision and everything below it first",
                table.tool.name(),
                table.revisions.join(", "),
                if missing.is_empty() {
                    format!("the other branch's {} is not applied", extra.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
                } else {
                    format!("{} were applied too", missing.join(", "))
                }
            )));
        }
        let heads = self.stamp(connection, &last)?;
        Ok(Adopted {
            table: table.table,
            tool: table.tool,
            applied: table.revisions,
            heads,
        })
    }
}

/// Adds to a failed upgrade's error which other version table records
/// the schema, when this run's version table is empty: the usual cause
/// of "table … already exists" on a database migrated before.
///
/// A free function, not a method, so that the runner calls into adoption
/// and adoption builds on the runner's types without either importing
/// the other back.
pub(crate) fn explain_other_version_table(
    migrator: &Migrator,
    connection: &mut dyn Connection,
    error: Error,
) -> Error {
    let Error::Statement(mut failure) = error else {
        return error;
    };
    if failure.hint.is_some() {
        return Error::Statement(failure);
    }
    let own = migrator.store_config().version_table.clone();
    let own_is_empty = matches!(migrator.current(connection).as_deref(), Ok([]));
    if !own_is_empty {
        return Error::Statement(failure);
    }
    let Ok(tables) = foreign_version_tables(connection, &own) else {
        return Error::Statement(failure);
    };
    failure.hint = tables.first().map(|table| other_table_hint(table, &own));
    Error::Statement(failure)
}

fn other_table_hint(table: &ForeignVersionTable, own: &str) -> String {
    let name = &table.table;
    match table.tool {
        Tool::Alembic => format!(
            "the schema of this database is recorded in version table {name} (at {}), but this run uses {own}, which is empty, so it started from the first revision. Use {name}: `Migrator::version_table(\"{name}\")`, `CliConfig::version_table(\"{name}\")`, or `version_table = \"{name}\"` in arx-migrate.toml{}",
            table.revisions.join(", "),
            if name == "alembic_version" {
                " (the Arxos schema's `arx_schema::migrate_to_head` and `arx_schema::migrator()` do)"
            } else {
                ""
            }
        ),
        Tool::Sqlx | Tool::Refinery => format!(
            "this database was migrated by {} ({name}, up to version {}), and this run's version table {own} is empty, so it started from the first revision. Take the database over with `Migrator::adopt` (command line: `adopt`), which stamps the revision {} applied last",
            table.tool.name(),
            table.revisions.last().map(String::as_str).unwrap_or("?"),
            table.tool.name()
        ),
    }
}
