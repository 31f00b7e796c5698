//! Copying a migrated database into a new one, object by object: what
//! PostgreSQL's `CREATE DATABASE … TEMPLATE` does in one statement.
//!
//! `CREATE TABLE … LIKE` is not enough: it leaves out foreign keys. The
//! copy replays `SHOW CREATE` of every table (foreign key checks off, so
//! the order does not matter), copies the rows (the version and history
//! tables among them), then creates routines, views and triggers — after
//! the rows, so that no trigger fires on the copy. Events, sequences and
//! anything else it does not know are refused: [`structure`] compares the
//! copy with its source, and the pool migrates instead when they differ.

use arx_migrate_core::{Connection, DbError};

/// Copies every object of database `from` into the empty database `to`,
/// on `conn` (whose default database it changes to `to`).
pub(crate) fn copy_database(conn: &mut mysql::Conn, from: &str, to: &str) -> Result<(), DbError> {
    let unsupported = conn.query(&format!(
        "SELECT 'event', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '{from}' \
         UNION ALL SELECT TABLE_TYPE, TABLE_NAME FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = '{from}' AND TABLE_TYPE NOT IN ('BASE TABLE', 'VIEW')"
    ))?;
    if let Some(row) = unsupported.first() {
        let kind = row.first().cloned().flatten().unwrap_or_default();
        let name = row.get(1).cloned().flatten().unwrap_or_default();
        return Err(DbError::new(
            arx_migrate_core::DbErrorKind::Other,
            format!("the template holds {kind} {name}, which the copy does not reproduce"),
        ));
    }
    conn.execute(&format!("USE `{to}`"))?;
    conn.execute("SET SESSION foreign_key_checks = 0")?;
    let tables = column(
        conn,
        &format!(
            "SELECT TABLE_NAME FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = '{from}' AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"
        ),
    )?;
    for table in &tables {
        let create = nth(conn, &format!("SHOW CREATE TABLE `{from}`.`{table}`"), 1)?;
        conn.execute(&create)?;
    }
    for table in &tables {
        // Generated columns are computed again; they cannot be written.
        let columns = column(
            conn,
            &format!(
                "SELECT CONCAT('`', COLUMN_NAME, '`') FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = '{from}' AND TABLE_NAME = '{table}' \
             AND EXTRA NOT LIKE '%GENERATED%' ORDER BY ORDINAL_POSITION"
            ),
        )?
        .join(", ");
        conn.execute(&format!(
            "INSERT INTO `{to}`.`{table}` ({columns}) SELECT {columns} FROM `{from}`.`{table}`"
        ))?;
    }
    conn.execute("SET SESSION foreign_key_checks = 1")?;
    for (kind, name) in pairs(
        conn,
        &format!(
            "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES \
         WHERE ROUTINE_SCHEMA = '{from}' ORDER BY ROUTINE_NAME"
        ),
    )? {
        let row = first_row(conn, &format!("SHOW CREATE {kind} `{from}`.`{name}`"))?;
        let sql_mode = row.get(1).cloned().flatten().unwrap_or_default();
        let create = row.get(2).cloned().flatten().unwrap_or_default();
        // A routine keeps the sql_mode it was created under.
        conn.execute(&format!("SET SESSION sql_mode = '{sql_mode}'"))?;
        conn.execute(&create)?;
    }
    create_views(conn, from, to)?;
    for name in column(
        conn,
        &format!(
            "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '{from}' \
         ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER"
        ),
    )? {
        let row = first_row(conn, &format!("SHOW CREATE TRIGGER `{from}`.`{name}`"))?;
        let sql_mode = row.get(1).cloned().flatten().unwrap_or_default();
        let create = row.get(2).cloned().flatten().unwrap_or_default();
        // A trigger keeps the sql_mode it was created under.
        conn.execute(&format!("SET SESSION sql_mode = '{sql_mode}'"))?;
        conn.execute(&create)?;
    }
    Ok(())
}

/// Views name their tables with the database, so the source's name is
/// replaced (fixture names are unique, so nothing else matches it). A
/// view over a view not yet created is tried again after the others.
fn create_views(conn: &mut mysql::Conn, from: &str, to: &str) -> Result<(), DbError> {
    let mut pending = column(conn, &format!(
        "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '{from}' ORDER BY TABLE_NAME"
    ))?;
    while !pending.is_empty() {
        let mut failed = Vec::new();
        let mut last_error = None;
        for view in pending.iter() {
            let create = nth(conn, &format!("SHOW CREATE VIEW `{from}`.`{view}`"), 1)?
                .replace(&format!("`{from}`."), &format!("`{to}`."));
            if let Err(error) = conn.execute(&create) {
                failed.push(view.clone());
                last_error = Some(error);
            }
        }
        if failed.len() == pending.len() {
            return Err(last_error.unwrap_or_else(|| {
                DbError::new(
                    arx_migrate_core::DbErrorKind::Other,
                    "views could not be copied",
                )
            }));
        }
        pending = failed;
    }
    Ok(())
}

/// What a database consists of, as `information_schema` describes it,
/// without its name: two databases with equal structures are copies.
pub(crate) fn structure(
    conn: &mut mysql::Conn,
    database: &str,
) -> Result<Vec<Vec<Option<String>>>, DbError> {
    let mut all = Vec::new();
    for sql in [
        "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION, CREATE_OPTIONS, TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db}' ORDER BY 1",
        "SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, COLUMN_TYPE, COLLATION_NAME, EXTRA, GENERATION_EXPRESSION, COLUMN_COMMENT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{db}' ORDER BY 1, 3",
        "SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE, SUB_PART, INDEX_TYPE, COLLATION FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '{db}' ORDER BY 1, 2, 3",
        "SELECT TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = '{db}' ORDER BY 1, 2, 3",
        "SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, ORDINAL_POSITION, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE CONSTRAINT_SCHEMA = '{db}' ORDER BY 1, 2, 4",
        "SELECT TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = '{db}' ORDER BY 1, 2",
        "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = '{db}' ORDER BY 1, 2",
        "SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_ORDER, ACTION_STATEMENT, ACTION_TIMING, SQL_MODE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '{db}' ORDER BY 1",
        "SELECT ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION, SQL_MODE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '{db}' ORDER BY 1",
        "SELECT TABLE_NAME, REPLACE(VIEW_DEFINITION, '`{db}`.', ''), CHECK_OPTION, SECURITY_TYPE FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '{db}' ORDER BY 1",
    ] {
        all.extend(conn.query(&sql.replace("{db}", database))?);
        all.push(Vec::new());
    }
    Ok(all)
}

fn column(conn: &mut mysql::Conn, sql: &str) -> Result<Vec<String>, DbError> {
    Ok(conn
        .query(sql)?
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .collect())
}

fn pairs(conn: &mut mysql::Conn, sql: &str) -> Result<Vec<(String, String)>, DbError> {
    Ok(conn
        .query(sql)?
        .into_iter()
        .filter_map(|row| {
            let mut row = row.into_iter();
            Some((row.next()??, row.next()??))
        })
        .collect())
}

fn first_row(conn: &mut mysql::Conn, sql: &str) -> Result<Vec<Option<String>>, DbError> {
    conn.query(sql)?.into_iter().next().ok_or_else(|| {
        DbError::new(
            arx_migrate_core::DbErrorKind::Other,
            format!("`{sql}` returned no row"),
        )
    })
}

fn nth(conn: &mut mysql::Conn, sql: &str, index: usize) -> Result<String, DbError> {
    first_row(conn, sql)?
        .get(index)
        .cloned()
        .flatten()
        .ok_or_else(|| {
            DbError::new(
                arx_migrate_core::DbErrorKind::Other,
                format!("`{sql}` returned no definition"),
            )
        })
}
