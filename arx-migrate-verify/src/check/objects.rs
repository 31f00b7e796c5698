//! Reading the objects besides tables: views and triggers on every
//! backend (and stored routines on MariaDB/MySQL), the schema's functions and sequences on PostgreSQL (those of
//! extensions, such as PostGIS's, left out; an identity column's sequence
//! too, as it belongs to its column), virtual tables (R*Tree) on SQLite. Definitions are kept as the database prints them, on one line.

use super::snapshot::{ObjectSnapshot, SchemaSnapshot};
use arx_migrate_core::backend::{Backend, Connection, Row};
use arx_migrate_core::error::{Error, Result};
use arx_migrate_core::not_api::text::{one_line, quote_literal};

fn query(connection: &mut dyn Connection, sql: &str) -> Result<Vec<Row>> {
    connection.query(sql).map_err(Error::Database)
}

fn text(row: &Row, i: usize) -> String {
    row.get(i).cloned().flatten().unwrap_or_default()
}

fn object(table: Option<String>, definition: &str) -> ObjectSnapshot {
    ObjectSnapshot {
        table,
        definition: one_line(definition),
    }
}

/// Adds the views, triggers, functions, sequences and virtual tables the
/// connection sees to `snapshot`.
pub(super) fn read_objects(
    connection: &mut dyn Connection,
    snapshot: &mut SchemaSnapshot,
) -> Result<()> {
    match connection.backend() {
        Backend::Postgres => read_postgres(connection, snapshot),
        Backend::Sqlite => read_sqlite(connection, snapshot),
        Backend::Mysql => read_mysql(connection, snapshot),
    }
}

/// MariaDB/MySQL: the database's views, triggers (named per database) and
/// stored functions and procedures, from `information_schema`.
fn read_mysql(connection: &mut dyn Connection, snapshot: &mut SchemaSnapshot) -> Result<()> {
    for row in query(
        connection,
        "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS \
         WHERE TABLE_SCHEMA = DATABASE()",
    )? {
        snapshot
            .views
            .insert(text(&row, 0), object(None, &text(&row, 1)));
    }
    for row in query(
        connection,
        "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT \
         FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()",
    )? {
        let definition = format!(
            "{} {} ON {} FOR EACH ROW {}",
            text(&row, 2),
            text(&row, 3),
            text(&row, 1),
            text(&row, 4)
        );
        snapshot
            .triggers
            .insert(text(&row, 0), object(Some(text(&row, 1)), &definition));
    }
    for row in query(
        connection,
        "SELECT ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION FROM information_schema.ROUTINES \
         WHERE ROUTINE_SCHEMA = DATABASE()",
    )? {
        snapshot.functions.insert(
            text(&row, 0),
            object(None, &format!("{} {}", text(&row, 1), text(&row, 2))),
        );
    }
    Ok(())
}

/// `NOT EXISTS` an extension owning the object `oid` of catalog `catalog`.
fn not_extension(catalog: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{catalog}'::regclass \
         AND e.objid = {oid} AND e.deptype = 'e')"
    )
}

fn read_postgres(connection: &mut dyn Connection, snapshot: &mut SchemaSnapshot) -> Result<()> {
    let schema = quote_literal(&connection.current_schema().map_err(Error::Database)?);
    for row in query(
        connection,
        &format!(
            "SELECT c.relname, c.relkind, pg_get_viewdef(c.oid, true) FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = {schema} AND c.relkind IN ('v', 'm') AND {}",
            not_extension("pg_class", "c.oid")
        ),
    )? {
        let kind = if text(&row, 1) == "m" {
            "MATERIALIZED "
        } else {
            ""
        };
        snapshot.views.insert(
            text(&row, 0),
            object(None, &format!("{kind}{}", text(&row, 2))),
        );
    }
    for row in query(
        connection,
        &format!(
            "SELECT t.relname, g.tgname, pg_get_triggerdef(g.oid, true) FROM pg_trigger g \
             JOIN pg_class t ON t.oid = g.tgrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = {schema} AND NOT g.tgisinternal AND {}",
            not_extension("pg_class", "t.oid")
        ),
    )? {
        let table = text(&row, 0);
        snapshot.triggers.insert(
            format!("{table}.{}", text(&row, 1)),
            object(Some(table), &text(&row, 2)),
        );
    }
    for row in query(
        connection,
        &format!(
            "SELECT p.proname, pg_get_function_identity_arguments(p.oid), p.prokind, \
             pg_get_function_result(p.oid), l.lanname, p.provolatile, p.prosrc \
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
             JOIN pg_language l ON l.oid = p.prolang \
             WHERE n.nspname = {schema} AND {}",
            not_extension("pg_proc", "p.oid")
        ),
    )? {
        let kind = match text(&row, 2).as_str() {
            "p" => "PROCEDURE",
            "a" => "AGGREGATE",
            "w" => "WINDOW FUNCTION",
            _ => "FUNCTION",
        };
        let volatility = match text(&row, 5).as_str() {
            "i" => "IMMUTABLE",
            "s" => "STABLE",
            _ => "VOLATILE",
        };
        let returns = text(&row, 3);
        let returns = if returns.is_empty() {
            String::new()
        } else {
            format!(" RETURNS {returns}")
        };
        snapshot.functions.insert(
            format!("{}({})", text(&row, 0), text(&row, 1)),
            object(
                None,
                &format!(
                    "{kind}{returns} LANGUAGE {} {volatility} AS {}",
                    text(&row, 4),
                    text(&row, 6).trim()
                ),
            ),
        );
    }
    for row in query(
        connection,
        &format!(
            "SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, \
             s.seqmin, s.seqmax, s.seqcycle, \
             (SELECT t.relname || '.' || a.attname FROM pg_depend d \
              JOIN pg_class t ON t.oid = d.refobjid \
              JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
              WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a' LIMIT 1) \
             FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = {schema} AND {} AND NOT EXISTS (SELECT 1 FROM pg_depend i \
             WHERE i.classid = 'pg_class'::regclass AND i.objid = c.oid AND i.deptype = 'i')",
            not_extension("pg_class", "c.oid")
        ),
    )? {
        let owner = row.get(7).cloned().flatten();
        let definition = format!(
            "AS {} START {} INCREMENT {} MINVALUE {} MAXVALUE {}{}{}",
            text(&row, 1),
            text(&row, 2),
            text(&row, 3),
            text(&row, 4),
            text(&row, 5),
            if text(&row, 6) == "t" { " CYCLE" } else { "" },
            owner
                .as_deref()
                .map(|o| format!(" OWNED BY {o}"))
                .unwrap_or_default()
        );
        let table = owner.and_then(|o| o.split('.').next().map(str::to_string));
        snapshot
            .sequences
            .insert(text(&row, 0), object(table, &definition));
    }
    Ok(())
}

fn read_sqlite(connection: &mut dyn Connection, snapshot: &mut SchemaSnapshot) -> Result<()> {
    for row in query(
        connection,
        "SELECT type, name, tbl_name, sql FROM sqlite_master \
         WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND (type IN ('view', 'trigger') OR (type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'))",
    )? {
        let name = text(&row, 1);
        let sql = text(&row, 3);
        match text(&row, 0).as_str() {
            "view" => {
                snapshot.views.insert(name, object(None, &sql));
            }
            "trigger" => {
                snapshot
                    .triggers
                    .insert(name, object(Some(text(&row, 2)), &sql));
            }
            _ => {
                snapshot.virtual_tables.insert(name, object(None, &sql));
            }
        }
    }
    Ok(())
}
