//! The column a backfill walks along: the given one, else the table's
//! single-column primary key; NOT NULL, so that no row is left out.

use crate::backend::{Backend, Connection, Param};
use crate::error::DbError;
use crate::not_api::text::quote_ident;

/// The key column and, on PostgreSQL, its type (what a bound text value
/// is cast to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyColumn {
    pub(crate) name: String,
    pub(crate) cast_to: Option<String>,
}

impl KeyColumn {
    /// `$n` as a value of the key's type.
    pub(crate) fn param(&self, placeholder: &str) -> String {
        match &self.cast_to {
            Some(sql_type) => format!("CAST({placeholder} AS {sql_type})"),
            None => placeholder.to_string(),
        }
    }
}

/// Why a table cannot be walked, or the database's error.
pub(crate) enum KeyProblem {
    Refused(String),
    Database(DbError),
}

impl From<DbError> for KeyProblem {
    fn from(error: DbError) -> Self {
        KeyProblem::Database(error)
    }
}

/// Finds the key of `table`: `given`, else its primary key.
pub(crate) fn find_key(
    connection: &mut dyn Connection,
    table: &str,
    given: Option<&str>,
) -> Result<KeyColumn, KeyProblem> {
    // (name, type, not null, part of the primary key), per column.
    let columns: Vec<(String, String, bool, bool)> = match connection.backend() {
        Backend::Mysql => {
            return Err(KeyProblem::Refused(
                "backfills are not built for MariaDB and MySQL yet; update the rows with op.mysql(\"UPDATE …\") in batches of your own".to_string(),
            ))
        }
        Backend::Postgres => connection
            .query_with(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod), \
                 CASE WHEN a.attnotnull THEN 'y' ELSE 'n' END, \
                 CASE WHEN EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid \
                   AND i.indisprimary AND a.attnum = ANY(i.indkey)) THEN 'y' ELSE 'n' END \
                 FROM pg_attribute a WHERE a.attrelid = to_regclass($1) \
                 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                &[Param::Text(Some(&quote_ident(table)))],
            )?
            .into_iter()
            .map(|row| {
                let mut values = row.into_iter().map(Option::unwrap_or_default);
                let mut next = || values.next().unwrap_or_default();
                (next(), next(), next() == "y", next() == "y")
            })
            .collect(),
        Backend::Sqlite => connection
            .query_with(
                "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
                &[Param::Text(Some(table))],
            )?
            .into_iter()
            .map(|row| {
                let mut values = row.into_iter().map(Option::unwrap_or_default);
                let mut next = || values.next().unwrap_or_default();
                let (name, sql_type, not_null, pk) = (next(), next(), next(), next());
                // A primary key column is never NULL in SQLite's rowid
                // alias; other primary keys are NOT NULL in practice.
                let in_pk = pk != "0";
                (name, sql_type, not_null != "0" || in_pk, in_pk)
            })
            .collect(),
    };
    if columns.is_empty() {
        return Err(KeyProblem::Refused(format!(
            "table {table} does not exist (or has no columns)"
        )));
    }
    let chosen = match given {
        Some(given) => columns
            .iter()
            .find(|(name, ..)| name == given)
            .ok_or_else(|| {
                KeyProblem::Refused(format!(
                    "table {table} has no column {given} to walk along; name an existing unique column with .key(…)"
                ))
            })?,
        None => {
            let primary: Vec<_> = columns.iter().filter(|(.., pk)| *pk).collect();
            match primary.as_slice() {
                [one] => *one,
                [] => {
                    return Err(KeyProblem::Refused(format!(
                        "table {table} has no primary key to walk along; name a unique NOT NULL indexed column with .key(…)"
                    )))
                }
                _ => {
                    return Err(KeyProblem::Refused(format!(
                        "table {table}'s primary key has {} columns; a backfill walks one: name a unique NOT NULL indexed column with .key(…)",
                        primary.len()
                    )))
                }
            }
        }
    };
    let (name, sql_type, not_null, _) = chosen;
    if !not_null {
        return Err(KeyProblem::Refused(format!(
            "column {name} of {table} may be NULL, and rows with a NULL key would be left out; walk along a NOT NULL column"
        )));
    }
    Ok(KeyColumn {
        name: name.clone(),
        cast_to: (connection.backend() == Backend::Postgres).then(|| sql_type.clone()),
    })
}
