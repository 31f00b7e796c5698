//! The SQLite table rebuild: what SQLite's `ALTER TABLE` cannot do (change
//! a column's type, nullability or default; add or drop a foreign key,
//! CHECK or UNIQUE constraint; change the primary key; drop a column that
//! something uses), done by SQLite's documented procedure
//! (<https://www.sqlite.org/lang_altertable.html>, "Making Other Kinds Of
//! Table Schema Changes"), as Alembic's batch mode does.
//!
//! All of it runs in a savepoint inside the migration's transaction:
//!
//! 1. read the table's `CREATE TABLE` text, its indexes and triggers from
//!    `sqlite_master`, and write the new definition
//!    ([`super::sqlite_ddl`]; everything unchanged is kept as written);
//! 2. refuse, before changing anything, what would lose data: NULLs in a
//!    column becoming NOT NULL, values a type change cannot convert, a NOT
//!    NULL column without default added to a table with rows;
//! 3. switch foreign-key enforcement off for the connection (see below);
//!    create the new table under a temporary name, copy every row (rowids
//!    kept), drop the old table, rename the new one (with
//!    `legacy_alter_table` on, so that nothing else is rewritten), recreate
//!    the indexes and triggers, keep the AUTOINCREMENT counter and the
//!    planner's statistics;
//! 4. check that every view and trigger of the schema still compiles;
//! 5. switch enforcement back and run `PRAGMA foreign_key_check` on the
//!    table and on every table that references it.
//!
//! Any failure rolls the savepoint back: the table is as it was.
//!
//! Foreign keys: `DROP TABLE` on a table that other tables reference
//! deletes its rows first when enforcement is on, and that fires their
//! `ON DELETE CASCADE` / `SET NULL` actions: the rebuild would empty or
//! orphan the referencing tables. `PRAGMA foreign_keys = OFF` is a no-op
//! inside a transaction, but `sqlite3_db_config(SQLITE_DBCONFIG_ENABLE_FKEY)`,
//! which sets the same flag, is not limited to autocommit; it is what turns
//! enforcement off here, for the rebuild's own statements only. A
//! connection that is not a `rusqlite::Connection` cannot be switched; a
//! rebuild of a table that other tables reference is then refused.

use super::sqlite_ddl::Affinity;
pub(crate) use super::sqlite_plan::TableChange;
use super::sqlite_plan::{contains, Plan};
use super::sqlite_tokens::index_idents;
use crate::backend::{quote_literal, Connection, Row};
use crate::error::DbError;
use crate::not_api::text::quote_ident as quote;

/// Why a rebuild did not happen.
#[derive(Debug)]
pub(crate) enum RebuildError {
    /// It would lose data or break the schema; nothing was changed.
    Refused(String),
    /// A statement failed.
    Statement { sql: String, source: DbError },
}

type Outcome<T> = Result<T, RebuildError>;

fn refused<T>(reason: impl Into<String>) -> Outcome<T> {
    Err(RebuildError::Refused(reason.into()))
}

/// Runs `sql`, naming it on failure.
fn execute(connection: &mut dyn Connection, sql: &str) -> Outcome<()> {
    tracing::debug!(statement = %sql, "rebuild");
    connection
        .execute(sql)
        .map_err(|source| RebuildError::Statement {
            sql: sql.to_string(),
            source,
        })
}

fn query(connection: &mut dyn Connection, sql: &str) -> Outcome<Vec<Row>> {
    connection
        .query(sql)
        .map_err(|source| RebuildError::Statement {
            sql: sql.to_string(),
            source,
        })
}

fn count(connection: &mut dyn Connection, sql: &str) -> Outcome<i64> {
    Ok(query(connection, sql)?
        .first()
        .and_then(|row| row.first().cloned().flatten())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

fn text(row: &Row, i: usize) -> String {
    row.get(i).cloned().flatten().unwrap_or_default()
}

/// The connection's foreign-key enforcement switch, where it can be set
/// inside a transaction (a `rusqlite::Connection`).
fn enforcement(connection: &mut dyn Connection, on: Option<bool>) -> Option<bool> {
    #[cfg(feature = "sqlite")]
    if let crate::backend::DataConnection::Sqlite(sqlite) = connection.data() {
        use rusqlite::config::DbConfig;
        return match on {
            Some(on) => sqlite
                .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_FKEY, on)
                .ok(),
            None => sqlite.db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_FKEY).ok(),
        };
    }
    let _ = (connection, on);
    None
}

/// Settings the rebuild changes, restored whatever happens.
struct Saved {
    enforced: Option<bool>,
    legacy_alter_table: bool,
}

const SAVEPOINT: &str = "arx_migrate_rebuild";

/// Rebuilds `table` with `changes` applied (see the module docs).
pub(crate) fn rebuild(
    connection: &mut dyn Connection,
    table: &str,
    changes: &[TableChange],
) -> Outcome<()> {
    let rows = query(
        connection,
        &format!(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name = {} COLLATE NOCASE",
            quote_literal(table)
        ),
    )?;
    let Some(row) = rows.first() else {
        return refused("there is no such table");
    };
    let name = text(row, 0);
    let plan = Plan::new(&name, &text(row, 1), changes).map_err(RebuildError::Refused)?;
    let enforced_now = match enforcement(connection, None) {
        Some(on) => on,
        None => count(connection, "PRAGMA foreign_keys")? == 1,
    };
    let legacy = count(connection, "PRAGMA legacy_alter_table")? == 1;
    execute(connection, &format!("SAVEPOINT {SAVEPOINT}"))?;
    let saved = Saved {
        enforced: enforced_now.then_some(true),
        legacy_alter_table: legacy,
    };
    let mut outcome = replace(connection, &name, &plan, &saved);
    let restored = restore(connection, &saved);
    if outcome.is_ok() {
        outcome = restored;
    }
    if outcome.is_ok() && enforced_now {
        outcome = check_foreign_keys(connection, &name);
    }
    match outcome {
        Ok(()) => execute(connection, &format!("RELEASE {SAVEPOINT}")),
        Err(error) => {
            let _ = connection.execute(&format!("ROLLBACK TO {SAVEPOINT}; RELEASE {SAVEPOINT}"));
            Err(error)
        }
    }
}

fn restore(connection: &mut dyn Connection, saved: &Saved) -> Outcome<()> {
    if saved.enforced == Some(true) {
        enforcement(connection, Some(true));
    }
    execute(
        connection,
        &format!(
            "PRAGMA legacy_alter_table = {}",
            if saved.legacy_alter_table {
                "ON"
            } else {
                "OFF"
            }
        ),
    )
}

/// Steps 2 to 4 of the module docs, inside the savepoint.
fn replace(connection: &mut dyn Connection, name: &str, plan: &Plan, saved: &Saved) -> Outcome<()> {
    let quoted = quote(name);
    refuse_data_loss(connection, name, plan)?;
    if saved.enforced == Some(true) && enforcement(connection, Some(false)).is_none() {
        let referencing = referencing_tables(connection, name)?;
        if !referencing.is_empty() {
            return refused(format!(
                "foreign-key enforcement is on and cannot be switched off inside this transaction on this connection type, and {} reference it: dropping the old table would delete or orphan their rows. Run the migration on a rusqlite::Connection",
                referencing.join(", ")
            ));
        }
    }
    let schema = query(
        connection,
        &format!(
            "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = {} AND sql IS NOT NULL ORDER BY rowid",
            quote_literal(name)
        ),
    )?;
    // A schema that is broken already (a view on a table dropped long ago)
    // cannot tell whether the rebuild broke something.
    let compiled_before = match schema_compiles(connection)? {
        Ok(()) => true,
        Err(message) => {
            tracing::warn!(table = name, %message, "the schema does not compile before the rebuild; the views and triggers that use the table are not checked");
            false
        }
    };
    let sequence = autoincrement_counter(connection, name)?;
    let analyzed = has_statistics(connection, name)?;

    let temporary = temporary_name(connection, name)?;
    execute(connection, &plan.table.create_sql(&temporary))?;
    copy_rows(connection, name, &temporary, plan)?;
    refuse_unconverted(connection, name, &temporary, plan)?;
    execute(connection, &format!("DROP TABLE {quoted}"))?;
    // Legacy mode renames the table and nothing else: views and triggers
    // elsewhere keep naming the table, which is the new one from now on.
    execute(connection, "PRAGMA legacy_alter_table = ON")?;
    execute(
        connection,
        &format!("ALTER TABLE {} RENAME TO {quoted}", quote(&temporary)),
    )?;
    for row in &schema {
        let (kind, object, sql) = (text(row, 0), text(row, 1), text(row, 2));
        if kind == "index" {
            let used = index_idents(&sql);
            if plan
                .dropped
                .iter()
                .any(|c| used.contains(&c.to_lowercase()))
            {
                tracing::debug!(index = %object, "dropped with its column");
                continue;
            }
        }
        execute(connection, &sql).map_err(|error| match error {
            RebuildError::Statement { source, .. } => RebuildError::Refused(format!(
                "its {kind} {object} cannot be created again after the change: {}; drop it before this alteration and create it again after",
                source.message
            )),
            other => other,
        })?;
    }
    if let (Some(counter), true) = (sequence, plan.table.autoincrement()) {
        execute(
            connection,
            &format!(
                "UPDATE sqlite_sequence SET seq = max(seq, {counter}) WHERE name = {lit}; \
                 INSERT INTO sqlite_sequence (name, seq) SELECT {lit}, {counter} \
                 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = {lit})",
                lit = quote_literal(name)
            ),
        )?;
    }
    if analyzed {
        // DROP TABLE took the planner's statistics of the table with it.
        execute(connection, &format!("ANALYZE {quoted}"))?;
    }
    if compiled_before {
        if let Err(message) = schema_compiles(connection)? {
            return refused(format!(
                "after the change, the schema does not compile: {message}; drop that view or trigger before this alteration and create it again after"
            ));
        }
    }
    Ok(())
}

/// Whether `ANALYZE` has statistics of the table in `sqlite_stat1`.
fn has_statistics(connection: &mut dyn Connection, name: &str) -> Outcome<bool> {
    let has_table = count(
        connection,
        "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'",
    )? > 0;
    Ok(has_table
        && count(
            connection,
            &format!(
                "SELECT count(*) FROM sqlite_stat1 WHERE tbl = {} COLLATE NOCASE",
                quote_literal(name)
            ),
        )? > 0)
}

fn temporary_name(connection: &mut dyn Connection, name: &str) -> Outcome<String> {
    for n in 0.. {
        let candidate = if n == 0 {
            format!("_arx_migrate_new_{name}")
        } else {
            format!("_arx_migrate_new_{name}_{n}")
        };
        let taken = count(
            connection,
            &format!(
                "SELECT count(*) FROM sqlite_master WHERE name = {} COLLATE NOCASE",
                quote_literal(&candidate)
            ),
        )?;
        if taken == 0 {
            return Ok(candidate);
        }
    }
    unreachable!("the loop returns")
}

/// The table's AUTOINCREMENT counter, which `DROP TABLE` forgets.
fn autoincrement_counter(connection: &mut dyn Connection, name: &str) -> Outcome<Option<i64>> {
    let has_sequence = count(
        connection,
        "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'",
    )? > 0;
    if !has_sequence {
        return Ok(None);
    }
    let rows = query(
        connection,
        &format!(
            "SELECT seq FROM sqlite_sequence WHERE name = {}",
            quote_literal(name)
        ),
    )?;
    Ok(rows
        .first()
        .and_then(|row| row.first().cloned().flatten())
        .and_then(|v| v.parse().ok()))
}

fn refuse_data_loss(connection: &mut dyn Connection, name: &str, plan: &Plan) -> Outcome<()> {
    let quoted = quote(name);
    for column in &plan.must_not_be_null {
        let nulls = count(
            connection,
            &format!(
                "SELECT count(*) FROM {quoted} WHERE {} IS NULL",
                quote(column)
            ),
        )?;
        if nulls > 0 {
            return refused(format!(
                "column {name}.{column} is to be NOT NULL but {nulls} row(s) hold NULL in it; fill them first (UPDATE {name} SET {column} = … WHERE {column} IS NULL)"
            ));
        }
    }
    if !plan.needs_value.is_empty() {
        let rows = count(connection, &format!("SELECT count(*) FROM {quoted}"))?;
        if rows > 0 {
            let column = &plan.needs_value[0];
            return refused(format!(
                "new column {name}.{column} is NOT NULL without a default, and the table has {rows} row(s) that would hold NULL in it; give it a default, or add it nullable, fill it, then make it NOT NULL"
            ));
        }
    }
    for (column, _, to, new_type) in &plan.retyped {
        let c = quote(column);
        // Conversions SQLite makes silently but not exactly.
        let lossy = match to {
            Affinity::Text => {
                format!("typeof({c}) = 'real' AND CAST(CAST({c} AS TEXT) AS REAL) <> {c}")
            }
            Affinity::Real => {
                format!("typeof({c}) = 'integer' AND CAST(CAST({c} AS REAL) AS INTEGER) <> {c}")
            }
            _ => continue,
        };
        let rows = count(
            connection,
            &format!("SELECT count(*) FROM {quoted} WHERE {lossy}"),
        )?;
        if rows > 0 {
            return refused(format!(
                "column {name}.{column}: {rows} value(s) would change in the conversion to {new_type} (a real number that text would round, an integer beyond a real's precision)"
            ));
        }
    }
    Ok(())
}

fn copy_rows(
    connection: &mut dyn Connection,
    name: &str,
    temporary: &str,
    plan: &Plan,
) -> Outcome<()> {
    let mut columns: Vec<String> = plan
        .table
        .columns()
        .filter(|c| !c.generated() && !contains(&plan.added, &c.name))
        .map(|c| quote(&c.name))
        .collect();
    let mut selected = columns.clone();
    // Keep rowids where the new table has no column of its own for them.
    if !plan.old_without_rowid && !plan.table.without_rowid() && plan.table.rowid_alias().is_none()
    {
        columns.insert(0, "rowid".to_string());
        selected.insert(0, "rowid".to_string());
    }
    if columns.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO {} ({}) SELECT {} FROM {}",
        quote(temporary),
        columns.join(", "),
        selected.join(", "),
        quote(name)
    );
    execute(connection, &sql).map_err(|error| match error {
        RebuildError::Statement { source, .. } => RebuildError::Refused(format!(
            "its rows do not fit the new definition: {}",
            source.message.replace(temporary, name)
        )),
        other => other,
    })
}

fn refuse_unconverted(
    connection: &mut dyn Connection,
    name: &str,
    temporary: &str,
    plan: &Plan,
) -> Outcome<()> {
    for (column, _, to, new_type) in &plan.retyped {
        let kept = match to {
            Affinity::Integer => "'integer', 'null'",
            Affinity::Real => "'real', 'null'",
            _ => continue,
        };
        let rows = count(
            connection,
            &format!(
                "SELECT count(*) FROM {} WHERE typeof({}) NOT IN ({kept})",
                quote(temporary),
                quote(column)
            ),
        )?;
        if rows > 0 {
            return refused(format!(
                "column {name}.{column}: {rows} value(s) cannot be converted to {new_type} (text that is not a number, a fraction where an integer is wanted); convert or clear them first"
            ));
        }
    }
    Ok(())
}

/// The tables with a foreign key to `name` (itself excluded).
fn referencing_tables(connection: &mut dyn Connection, name: &str) -> Outcome<Vec<String>> {
    let rows = query(
        connection,
        &format!(
            "SELECT DISTINCT m.name FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f \
             WHERE m.type = 'table' AND f.\"table\" = {lit} COLLATE NOCASE AND m.name <> {lit} ORDER BY m.name",
            lit = quote_literal(name)
        ),
    )?;
    Ok(rows.iter().map(|row| text(row, 0)).collect())
}

/// Whether every view and trigger of the schema compiles (`Err` with
/// SQLite's message if one does not). A rename with `legacy_alter_table`
/// off re-reads them all and fails on the first that does not: the check
/// that nothing uses what a rebuild removed.
fn schema_compiles(connection: &mut dyn Connection) -> Outcome<Result<(), String>> {
    const PROBE: &str = "_arx_migrate_probe";
    execute(connection, "PRAGMA legacy_alter_table = OFF")?;
    execute(connection, &format!("CREATE TABLE {PROBE} (x)"))?;
    match connection.execute(&format!("ALTER TABLE {PROBE} RENAME TO {PROBE}_renamed")) {
        Ok(()) => {
            execute(connection, &format!("DROP TABLE {PROBE}_renamed"))?;
            Ok(Ok(()))
        }
        Err(error) => {
            execute(connection, &format!("DROP TABLE {PROBE}"))?;
            Ok(Err(error.message))
        }
    }
}

fn check_foreign_keys(connection: &mut dyn Connection, name: &str) -> Outcome<()> {
    let mut tables = vec![name.to_string()];
    tables.extend(referencing_tables(connection, name)?);
    for table in tables {
        let sql = format!("PRAGMA foreign_key_check({})", quote(&table));
        let rows = connection.query(&sql).map_err(|error| {
            RebuildError::Refused(format!(
                "its foreign keys no longer match: {}",
                error.message
            ))
        })?;
        if let Some(first) = rows.first() {
            return refused(format!(
                "{} row(s) of {} reference rows of {} that do not exist (first at rowid {}); fix or delete them first",
                rows.len(),
                text(first, 0),
                text(first, 2),
                text(first, 1),
            ));
        }
    }
    Ok(())
}
