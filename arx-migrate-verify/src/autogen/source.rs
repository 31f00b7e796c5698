//! The two schemas autogenerate compares, read with what `check` reads
//! plus the text it needs to recreate objects exactly: SQLite's own
//! `CREATE TABLE` / `CREATE INDEX` statements, PostgreSQL's function
//! definitions and extensions.

use std::collections::{BTreeMap, BTreeSet};

use crate::check::{
    self, ColumnSnapshot, SchemaSnapshot, ScratchDatabase, ScratchSource, TableSnapshot,
};
use arx_migrate_core::backend::{Backend, Connection, Row};
use arx_migrate_core::error::{Error, Result};
use arx_migrate_core::not_api::text::{quote_ident, quote_literal};
use arx_migrate_core::runner::Migrator;

/// A schema as autogenerate sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// The backend it was read from.
    pub backend: Backend,
    /// What `check` reads.
    pub snapshot: SchemaSnapshot,
    /// SQLite: the `CREATE TABLE` and `CREATE INDEX` statements as stored,
    /// by table or index name; PostgreSQL: the `CREATE INDEX` statements
    /// (`pg_get_indexdef`, the table not schema-qualified), by index name.
    pub create_sql: BTreeMap<String, String>,
    /// PostgreSQL: each function's `CREATE FUNCTION` (`pg_get_functiondef`),
    /// by the signature `check` names it with.
    pub function_sql: BTreeMap<String, String>,
    /// PostgreSQL: the extensions installed in the database (`plpgsql`
    /// left out).
    pub extensions: BTreeSet<String>,
    /// Each table's column names in the order the table has them
    /// (`attnum`, SQLite's `cid`): the snapshot keys columns by name, and
    /// a table created or columns added in another order would change
    /// what `SELECT *`, `\d` and `COPY` show.
    pub column_order: BTreeMap<String, Vec<String>>,
}

impl Schema {
    /// The columns of `table` (as `snapshot` has them) in the table's
    /// order; a column the order does not know comes last, by name.
    pub fn columns_in_order<'a>(
        &self,
        table: &str,
        snapshot: &'a TableSnapshot,
    ) -> Vec<(&'a String, &'a ColumnSnapshot)> {
        let order = self.column_order.get(table);
        let position = |name: &str| {
            order
                .and_then(|o| o.iter().position(|c| c == name))
                .unwrap_or(usize::MAX)
        };
        let mut columns: Vec<(&String, &ColumnSnapshot)> = snapshot.columns.iter().collect();
        // Stable: unknown columns stay in name order.
        columns.sort_by_key(|(name, _)| position(name));
        columns
    }
}

/// Reading a schema for autogenerate is not built for MariaDB and MySQL
/// yet.
fn not_built_for_mysql() -> Error {
    Error::Unsupported {
        operation: "reading the schema for autogenerate".to_string(),
        backend: Backend::Mysql.name(),
        reason: "it is not built for MariaDB and MySQL yet".to_string(),
    }
}

fn query(connection: &mut dyn Connection, sql: &str) -> Result<Vec<Row>> {
    connection.query(sql).map_err(Error::Database)
}

fn text(row: &Row, i: usize) -> String {
    row.get(i).cloned().flatten().unwrap_or_default()
}

/// Reads the schema of `connection`, leaving out the tables in `exclude`
/// (the migrator's bookkeeping).
pub fn read_schema(connection: &mut dyn Connection, exclude: &[String]) -> Result<Schema> {
    let snapshot = check::introspect(connection, exclude)?;
    let backend = connection.backend();
    let mut schema = Schema {
        backend,
        snapshot,
        create_sql: BTreeMap::new(),
        function_sql: BTreeMap::new(),
        extensions: BTreeSet::new(),
        column_order: BTreeMap::new(),
    };
    schema.column_order = column_order(connection, &schema.snapshot)?;
    match backend {
        Backend::Mysql => return Err(not_built_for_mysql()),
        Backend::Sqlite => {
            for row in query(
                connection,
                "SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'index') AND sql IS NOT NULL",
            )? {
                schema.create_sql.insert(text(&row, 0), text(&row, 1));
            }
        }
        Backend::Postgres => {
            let namespace = quote_literal(&connection.current_schema().map_err(Error::Database)?);
            for row in query(
                connection,
                &format!(
                    "SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', pg_get_functiondef(p.oid) \
                     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
                     WHERE n.nspname = {namespace} AND p.prokind IN ('f', 'p') AND NOT EXISTS (SELECT 1 FROM pg_depend e \
                     WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')"
                ),
            )? {
                schema.function_sql.insert(text(&row, 0), text(&row, 1));
            }
            let schema_name = connection.current_schema().map_err(Error::Database)?;
            let qualified = [
                format!(" ON {}.", quote_ident(&schema_name)),
                format!(" ON {schema_name}."),
            ];
            for row in query(
                connection,
                &format!(
                    "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x \
                     JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace \
                     WHERE n.nspname = {namespace}"
                ),
            )? {
                let mut sql = text(&row, 1);
                for prefix in &qualified {
                    sql = sql.replacen(prefix.as_str(), " ON ", 1);
                }
                schema.create_sql.insert(text(&row, 0), sql);
            }
            for row in query(
                connection,
                "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'",
            )? {
                schema.extensions.insert(text(&row, 0));
            }
        }
    }
    Ok(schema)
}

/// The column names of each table of `snapshot`, in the table's order.
fn column_order(
    connection: &mut dyn Connection,
    snapshot: &SchemaSnapshot,
) -> Result<BTreeMap<String, Vec<String>>> {
    let mut order: BTreeMap<String, Vec<String>> = BTreeMap::new();
    match connection.backend() {
        Backend::Mysql => return Err(not_built_for_mysql()),
        Backend::Sqlite => {
            for table in snapshot.tables.keys() {
                let sql = format!(
                    "SELECT name FROM pragma_table_info({}) ORDER BY cid",
                    quote_literal(table)
                );
                let names = query(connection, &sql)?.iter().map(|row| text(row, 0)).collect();
                order.insert(table.clone(), names);
            }
        }
        Backend::Postgres => {
            for row in query(
                connection,
                "SELECT t.relname, a.attname FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace \
                 WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped \
                 ORDER BY t.relname, a.attnum",
            )? {
                let table = text(&row, 0);
                if snapshot.tables.contains_key(&table) {
                    order.entry(table).or_default().push(text(&row, 1));
                }
            }
        }
    }
    Ok(order)
}

/// The schema the migrations produce at their heads, built on a scratch
/// database as `check` builds it (or read from the schema cache, for
/// [`ScratchSource::PostgresCached`]).
pub fn head_schema(migrator: &Migrator, scratch: &ScratchSource) -> Result<Schema> {
    let heads: Vec<String> = migrator
        .graph()
        .heads()
        .into_iter()
        .map(str::to_string)
        .collect();
    let bookkeeping = check::bookkeeping_tables(migrator);
    check::read_at_heads(migrator, &heads, scratch, &mut |connection| {
        read_schema(connection, &bookkeeping)
    })
    .map(|(schema, _)| schema)
}

/// The schema a declarative SQL file describes: the file is run on a new
/// scratch database and read back, leaving out the tables in `exclude`
/// (the migrator's bookkeeping, should the file be a dump that has them).
pub fn schema_from_sql(sql: &str, scratch: &ScratchSource, exclude: &[String]) -> Result<Schema> {
    let mut database = ScratchDatabase::create(scratch)?;
    let connection = database.connection()?;
    connection.execute(sql).map_err(|source| {
        Error::Config(format!(
            "the desired schema does not run on a scratch {} database: {}",
            scratch.backend(),
            source.message
        ))
    })?;
    read_schema(connection, exclude)
}
