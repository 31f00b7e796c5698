//! The definitions of the columns an expand/contract change touches: read
//! from the live database when the expand runs, kept in the bookkeeping,
//! so that the contract's downgrade puts the old columns back as they were.

use crate::backend::{Backend, Connection, Param};
use crate::error::DbError;
use crate::not_api::text::quote_ident;

/// A column as the database has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ColumnDefinition {
    pub(crate) name: String,
    /// The type as the backend spells it (`character varying(80)`).
    pub(crate) sql_type: String,
    pub(crate) not_null: bool,
    /// The default, as SQL.
    pub(crate) default: Option<String>,
}

/// The columns of `table`, in order; empty when it does not exist.
pub(crate) fn read_columns(
    connection: &mut dyn Connection,
    table: &str,
) -> Result<Vec<ColumnDefinition>, DbError> {
    let rows = match connection.backend() {
        Backend::Postgres | Backend::Mysql => connection.query_with(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), \
             CASE WHEN a.attnotnull THEN '1' ELSE '0' END, pg_get_expr(d.adbin, d.adrelid) \
             FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            &[Param::Text(Some(&quote_ident(table)))],
        )?,
        Backend::Sqlite => connection.query_with(
            "SELECT name, type, CAST(\"notnull\" AS TEXT), dflt_value FROM pragma_table_info($1) ORDER BY cid",
            &[Param::Text(Some(table))],
        )?,
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut values = row.into_iter();
            let mut next = || values.next().flatten();
            ColumnDefinition {
                name: next().unwrap_or_default(),
                sql_type: next().unwrap_or_default(),
                not_null: next().is_some_and(|v| v != "0"),
                default: next(),
            }
        })
        .collect())
}

/// The definitions as one text for the bookkeeping table: a line per
/// column, its fields separated by tabs (tabs, newlines and backslashes in
/// them escaped).
pub(crate) fn encode(columns: &[ColumnDefinition]) -> String {
    columns
        .iter()
        .map(|c| {
            [
                escape(&c.name),
                escape(&c.sql_type),
                (if c.not_null { "1" } else { "0" }).to_string(),
                c.default
                    .as_deref()
                    .map(|d| format!("={}", escape(d)))
                    .unwrap_or_default(),
            ]
            .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads what [`encode`] wrote.
pub(crate) fn decode(text: &str) -> Vec<ColumnDefinition> {
    text.lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            let mut fields = line.split('\t');
            let mut next = || fields.next().unwrap_or_default();
            let (name, sql_type, not_null, default) = (next(), next(), next(), next());
            ColumnDefinition {
                name: unescape(name),
                sql_type: unescape(sql_type),
                not_null: not_null == "1",
                default: default.strip_prefix('=').map(unescape),
            }
        })
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_survive_the_bookkeeping_text() {
        let columns = vec![
            ColumnDefinition {
                name: "na\tme".to_string(),
                sql_type: "character varying(80)".to_string(),
                not_null: true,
                default: Some("'a\\b\nc'::text".to_string()),
            },
            ColumnDefinition {
                name: "x".to_string(),
                sql_type: "integer".to_string(),
                not_null: false,
                default: None,
            },
        ];
        assert_eq!(decode(&encode(&columns)), columns);
    }
}
