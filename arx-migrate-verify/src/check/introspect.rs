//! Reading a live schema: PostgreSQL catalogs, SQLite's `sqlite_master` and
//! pragmas, MariaDB/MySQL's `information_schema`. Everything goes through [`Connection::query`], so the same code
//! serves every connection type.

use std::collections::BTreeMap;

use sqlparser::ast::{ColumnOption, Statement as Ast, TableConstraint};

use super::objects::read_objects;
use super::snapshot::{
    ColumnSnapshot, ConstraintSnapshot, Identity, IndexSnapshot, SchemaSnapshot, TableSnapshot,
};
use crate::lint::parse_one;
use arx_migrate_core::backend::{Backend, Connection, Row};
use arx_migrate_core::error::{Error, Result};
use arx_migrate_core::not_api::text::quote_literal;

/// Tables that introspection never reports, besides the bookkeeping ones:
/// PostGIS's reference table.
pub const ALWAYS_EXCLUDED: &[&str] = &["spatial_ref_sys"];

/// Reads the schema the connection sees (on PostgreSQL its current schema):
/// tables, views, triggers, functions, sequences and virtual tables,
/// leaving out the tables named in `exclude` (and the triggers and
/// sequences that belong to them), [`ALWAYS_EXCLUDED`], SQLite's internal
/// tables and what belongs to a PostgreSQL extension.
pub fn introspect(connection: &mut dyn Connection, exclude: &[String]) -> Result<SchemaSnapshot> {
    let mut snapshot = match connection.backend() {
        Backend::Postgres => introspect_postgres(connection)?,
        Backend::Sqlite => introspect_sqlite(connection)?,
        Backend::Mysql => introspect_mysql(connection)?,
    };
    read_objects(connection, &mut snapshot)?;
    let excluded =
        |name: &str| exclude.iter().any(|e| e == name) || ALWAYS_EXCLUDED.contains(&name);
    snapshot.tables.retain(|name, _| !excluded(name));
    for map in [&mut snapshot.triggers, &mut snapshot.sequences] {
        map.retain(|_, object| !object.table.as_deref().is_some_and(excluded));
    }
    Ok(snapshot)
}

fn query(connection: &mut dyn Connection, sql: &str) -> Result<Vec<Row>> {
    connection.query(sql).map_err(Error::Database)
}

fn text(row: &Row, i: usize) -> String {
    row.get(i).cloned().flatten().unwrap_or_default()
}

fn opt(row: &Row, i: usize) -> Option<String> {
    row.get(i).cloned().flatten()
}

fn split_list(value: Option<String>) -> Vec<String> {
    value
        .map(|v| v.split('\u{1f}').map(str::to_string).collect())
        .unwrap_or_default()
}

fn introspect_postgres(connection: &mut dyn Connection) -> Result<SchemaSnapshot> {
    let schema = quote_literal(&connection.current_schema().map_err(Error::Database)?);
    let tables_filter = format!(
        "n.nspname = {schema} AND t.relkind IN ('r', 'p') AND NOT EXISTS (\
         SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = t.oid AND d.deptype = 'e')"
    );
    let mut snapshot = SchemaSnapshot::default();
    for row in query(
        connection,
        &format!("SELECT t.relname FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace WHERE {tables_filter}"),
    )? {
        snapshot.tables.insert(text(&row, 0), TableSnapshot::default());
    }
    for row in query(
        connection,
        &format!(
            "SELECT t.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity \
             FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE {tables_filter} AND a.attnum > 0 AND NOT a.attisdropped"
        ),
    )? {
        if let Some(table) = snapshot.tables.get_mut(&text(&row, 0)) {
            table.columns.insert(
                text(&row, 1),
                ColumnSnapshot {
                    data_type: text(&row, 2),
                    nullable: text(&row, 3) != "t",
                    default: opt(&row, 4),
                    identity: Identity::from_catalog(&text(&row, 5)),
                },
            );
        }
    }
    for row in query(
        connection,
        &format!(
            "SELECT t.relname, i.relname, am.amname, x.indisunique, pg_get_expr(x.indpred, x.indrelid), \
             (SELECT string_agg(pg_get_indexdef(x.indexrelid, k, true), chr(31) ORDER BY k) FROM generate_series(1, x.indnkeyatts) k), \
             (SELECT string_agg(pg_get_indexdef(x.indexrelid, k, true), chr(31) ORDER BY k) FROM generate_series(x.indnkeyatts + 1, x.indnatts) k) \
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_am am ON am.oid = i.relam WHERE {tables_filter}"
        ),
    )? {
        if let Some(table) = snapshot.tables.get_mut(&text(&row, 0)) {
            table.indexes.insert(
                text(&row, 1),
                IndexSnapshot {
                    method: opt(&row, 2),
                    unique: text(&row, 3) == "t",
                    predicate: opt(&row, 4),
                    columns: split_list(opt(&row, 5)),
                    include: split_list(opt(&row, 6)),
                },
            );
        }
    }
    for row in query(
        connection,
        &format!(
            "SELECT t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid) \
             FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE {tables_filter} AND c.contype IN ('p', 'u', 'f', 'c', 'x')"
        ),
    )? {
        if let Some(table) = snapshot.tables.get_mut(&text(&row, 0)) {
            let kind = match text(&row, 2).as_str() {
                "p" => "primary key",
                "u" => "unique",
                "f" => "foreign key",
                "c" => "check",
                _ => "exclude",
            };
            table.constraints.insert(
                text(&row, 1),
                ConstraintSnapshot {
                    kind: kind.to_string(),
                    definition: text(&row, 3),
                },
            );
        }
    }
    Ok(snapshot)
}

/// A foreign key read from `pragma_foreign_key_list`: referenced table,
/// local columns, referenced columns, ON UPDATE, ON DELETE.
type PragmaForeignKey = (String, Vec<String>, Vec<String>, String, String);

fn introspect_sqlite(connection: &mut dyn Connection) -> Result<SchemaSnapshot> {
    let mut snapshot = SchemaSnapshot::default();
    let tables = query(
        connection,
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )?;
    let index_sql: BTreeMap<String, String> = query(
        connection,
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
    )?
    .into_iter()
    .map(|row| (text(&row, 0), text(&row, 1)))
    .collect();
    for row in tables {
        let name = text(&row, 0);
        let literal = quote_literal(&name);
        let mut table = TableSnapshot::default();
        let mut primary_key: Vec<(i64, String)> = Vec::new();
        for column in query(
            connection,
            &format!(
                "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info({literal})"
            ),
        )? {
            let pk: i64 = text(&column, 4).parse().unwrap_or(0);
            if pk > 0 {
                primary_key.push((pk, text(&column, 0)));
            }
            table.columns.insert(
                text(&column, 0),
                ColumnSnapshot {
                    data_type: text(&column, 1),
                    nullable: text(&column, 2) == "0",
                    default: opt(&column, 3),
                    identity: None,
                },
            );
        }
        if !primary_key.is_empty() {
            primary_key.sort();
            let columns: Vec<String> = primary_key.into_iter().map(|(_, c)| c).collect();
            let definition = format!("PRIMARY KEY ({})", columns.join(", "));
            table.constraints.insert(
                definition.clone(),
                ConstraintSnapshot {
                    kind: "primary key".into(),
                    definition,
                },
            );
        }
        for index in query(
            connection,
            &format!("SELECT name, \"unique\" FROM pragma_index_list({literal})"),
        )? {
            let index_name = text(&index, 0);
            let mut columns = Vec::new();
            let mut predicate = None;
            let parsed =
                index_sql
                    .get(&index_name)
                    .and_then(|sql| match parse_one(sql, Backend::Sqlite) {
                        Some(Ast::CreateIndex(create)) => Some(create),
                        _ => None,
                    });
            if let Some(create) = &parsed {
                predicate = create.predicate.as_ref().map(|p| p.to_string());
            }
            for (position, key) in query(
                connection,
                &format!(
                    "SELECT name, cid FROM pragma_index_xinfo({}) WHERE key = 1 ORDER BY seqno",
                    quote_literal(&index_name)
                ),
            )?
            .into_iter()
            .enumerate()
            {
                let column = match opt(&key, 0) {
                    Some(column) => column,
                    None => parsed
                        .as_ref()
                        .and_then(|c| c.columns.get(position))
                        .map(|c| c.column.expr.to_string())
                        .unwrap_or_else(|| "<expression>".to_string()),
                };
                columns.push(column);
            }
            table.indexes.insert(
                index_name,
                IndexSnapshot {
                    columns,
                    include: Vec::new(),
                    unique: text(&index, 1) == "1",
                    method: None,
                    predicate,
                },
            );
        }
        let mut foreign_keys: BTreeMap<i64, PragmaForeignKey> = BTreeMap::new();
        for fk in query(
            connection,
            &format!(
                "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list({literal}) ORDER BY id, seq"
            ),
        )? {
            let entry = foreign_keys
                .entry(text(&fk, 0).parse().unwrap_or(0))
                .or_insert_with(|| (text(&fk, 1), Vec::new(), Vec::new(), text(&fk, 4), text(&fk, 5)));
            entry.1.push(text(&fk, 2));
            entry.2.push(opt(&fk, 3).unwrap_or_default());
        }
        for (ref_table, from, to, on_update, on_delete) in foreign_keys.into_values() {
            let key = format!(
                "FOREIGN KEY ({}) REFERENCES {ref_table}({})",
                from.join(", "),
                to.join(", ")
            );
            table.constraints.insert(
                key.clone(),
                ConstraintSnapshot {
                    kind: "foreign key".into(),
                    definition: format!("{key} ON UPDATE {on_update} ON DELETE {on_delete}"),
                },
            );
        }
        if let Some(Ast::CreateTable(create)) =
            opt(&row, 1).and_then(|sql| parse_one(&sql, Backend::Sqlite))
        {
            let checks = create
                .constraints
                .iter()
                .filter_map(|c| match c {
                    TableConstraint::Check(check) => Some(check.expr.to_string()),
                    _ => None,
                })
                .chain(create.columns.iter().flat_map(|column| {
                    column.options.iter().filter_map(|o| match &o.option {
                        ColumnOption::Check(check) => Some(check.expr.to_string()),
                        _ => None,
                    })
                }));
            for check in checks {
                let definition = format!("CHECK ({check})");
                table.constraints.insert(
                    definition.clone(),
                    ConstraintSnapshot {
                        kind: "check".into(),
                        definition,
                    },
                );
            }
        }
        snapshot.tables.insert(name, table);
    }
    Ok(snapshot)
}

/// A foreign key read from `KEY_COLUMN_USAGE`: local columns, referenced
/// table, referenced columns.
type MysqlForeignKey = (Vec<String>, String, Vec<String>);

/// The connection's database on MariaDB/MySQL, from `information_schema`:
/// columns with `COLUMN_TYPE` (and collation where it differs from the
/// table's), defaults, nullability and AUTO_INCREMENT; indexes with their
/// prefix lengths (`SUB_PART`) and type; primary keys, UNIQUE, foreign keys
/// (with ON UPDATE / ON DELETE) and CHECKs; the table's engine and
/// collation as a pseudo-constraint `table options`, so that a table
/// rebuilt with other options is drift.
fn introspect_mysql(connection: &mut dyn Connection) -> Result<SchemaSnapshot> {
    let here = "TABLE_SCHEMA = DATABASE()";
    let mut snapshot = SchemaSnapshot::default();
    let mut collations: BTreeMap<String, String> = BTreeMap::new();
    for row in query(
        connection,
        &format!(
            "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES \
             WHERE {here} AND TABLE_TYPE = 'BASE TABLE'"
        ),
    )? {
        let mut table = TableSnapshot::default();
        table.constraints.insert(
            "table options".to_string(),
            ConstraintSnapshot {
                kind: "table options".to_string(),
                definition: format!("ENGINE={} COLLATE={}", text(&row, 1), text(&row, 2)),
            },
        );
        collations.insert(text(&row, 0), text(&row, 2));
        snapshot.tables.insert(text(&row, 0), table);
    }
    for row in query(
        connection,
        &format!(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLLATION_NAME \
             FROM information_schema.COLUMNS WHERE {here}"
        ),
    )? {
        let Some(table) = snapshot.tables.get_mut(&text(&row, 0)) else {
            continue;
        };
        let mut data_type = text(&row, 2);
        if let Some(collation) = opt(&row, 6) {
            if collations.get(&text(&row, 0)) != Some(&collation) {
                data_type.push_str(&format!(" COLLATE {collation}"));
            }
        }
        let extra = text(&row, 5).to_ascii_lowercase();
        if extra.contains("auto_increment") {
            data_type.push_str(" AUTO_INCREMENT");
        }
        table.columns.insert(
            text(&row, 1),
            ColumnSnapshot {
                data_type,
                nullable: text(&row, 3) == "YES",
                // MariaDB writes a NULL default as the word NULL.
                default: opt(&row, 4).filter(|d| d != "NULL"),
                identity: None,
            },
        );
    }
    // (table, index) → (unique, type, columns in order)
    let mut indexes: BTreeMap<(String, String), (bool, String, Vec<String>)> = BTreeMap::new();
    for row in query(
        connection,
        &format!(
            "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, INDEX_TYPE, COLUMN_NAME, SUB_PART, SEQ_IN_INDEX \
             FROM information_schema.STATISTICS WHERE {here} ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
        ),
    )? {
        let column = match opt(&row, 5) {
            Some(prefix) => format!("{}({prefix})", text(&row, 4)),
            None => text(&row, 4),
        };
        indexes
            .entry((text(&row, 0), text(&row, 1)))
            .or_insert_with(|| (text(&row, 2) == "0", text(&row, 3).to_lowercase(), Vec::new()))
            .2
            .push(column);
    }
    for ((table_name, index_name), (unique, method, columns)) in indexes {
        let Some(table) = snapshot.tables.get_mut(&table_name) else {
            continue;
        };
        if index_name == "PRIMARY" {
            let definition = format!("PRIMARY KEY ({})", columns.join(", "));
            table.constraints.insert(
                "PRIMARY".to_string(),
                ConstraintSnapshot {
                    kind: "primary key".into(),
                    definition,
                },
            );
        }
        table.indexes.insert(
            index_name,
            IndexSnapshot {
                columns,
                include: Vec::new(),
                unique,
                method: Some(method),
                predicate: None,
            },
        );
    }
    // Foreign keys by (table, name), then their rules.
    let mut keys: BTreeMap<(String, String), MysqlForeignKey> = BTreeMap::new();
    for row in query(
        connection,
        &format!(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME \
             FROM information_schema.KEY_COLUMN_USAGE WHERE {here} AND REFERENCED_TABLE_NAME IS NOT NULL \
             ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION"
        ),
    )? {
        let entry = keys
            .entry((text(&row, 0), text(&row, 1)))
            .or_insert_with(|| (Vec::new(), text(&row, 3), Vec::new()));
        entry.0.push(text(&row, 2));
        entry.2.push(text(&row, 4));
    }
    for row in query(
        connection,
        "SELECT TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE \
         FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()",
    )? {
        let Some((from, ref_table, to)) = keys.remove(&(text(&row, 0), text(&row, 1))) else {
            continue;
        };
        if let Some(table) = snapshot.tables.get_mut(&text(&row, 0)) {
            table.constraints.insert(
                text(&row, 1),
                ConstraintSnapshot {
                    kind: "foreign key".into(),
                    definition: format!(
                        "FOREIGN KEY ({}) REFERENCES {ref_table}({}) ON UPDATE {} ON DELETE {}",
                        from.join(", "),
                        to.join(", "),
                        text(&row, 2),
                        text(&row, 3)
                    ),
                },
            );
        }
    }
    for row in query(
        connection,
        "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS \
         WHERE CONSTRAINT_SCHEMA = DATABASE()",
    )? {
        if let Some(table) = snapshot.tables.get_mut(&text(&row, 0)) {
            table.constraints.insert(
                format!("check {}", text(&row, 1)),
                ConstraintSnapshot {
                    kind: "check".into(),
                    definition: format!("CHECK ({})", text(&row, 2)),
                },
            );
        }
    }
    Ok(snapshot)
}
