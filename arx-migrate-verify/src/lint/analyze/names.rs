//! Reading names and expressions out of the syntax tree: identifiers as
//! both backends compare them, the columns an index or view uses, and which
//! functions are volatile.

use std::collections::{BTreeSet, HashSet};
use std::ops::ControlFlow;
use std::sync::OnceLock;

use arx_migrate_core::backend::Backend;
use sqlparser::ast::{
    visit_expressions, visit_relations, ColumnDef, ColumnOption, Expr, Ident, IndexColumn,
    ObjectName, UnaryOperator, Value,
};

/// A name as both backends compare it: the last part, lowercased.
pub(crate) fn ident(ident: &Ident) -> String {
    ident.value.to_lowercase()
}

/// The last part of a (possibly schema-qualified) name, lowercased.
pub(crate) fn object_name(name: &ObjectName) -> String {
    name.0
        .last()
        .map(|part| match part.as_ident() {
            Some(i) => ident(i),
            None => part.to_string().to_lowercase(),
        })
        .unwrap_or_default()
}

/// The column an index column names, or the expression's text; and whether
/// it is a plain column.
pub(crate) fn index_column(column: &IndexColumn) -> (String, bool) {
    match &column.column.expr {
        Expr::Identifier(i) => (ident(i), true),
        Expr::CompoundIdentifier(parts) => (parts.last().map(ident).unwrap_or_default(), true),
        other => (other.to_string().to_lowercase(), false),
    }
}

/// The columns (or expressions) of a key or index.
pub(crate) fn plain_columns(columns: &[IndexColumn]) -> Vec<String> {
    columns.iter().map(|c| index_column(c).0).collect()
}

/// Every column name an expression (or statement) mentions.
pub(crate) fn identifiers<V: sqlparser::ast::Visit>(node: &V) -> Vec<String> {
    let mut out = Vec::new();
    let _ = visit_expressions(node, |e: &Expr| {
        match e {
            Expr::Identifier(i) if i.quote_style.is_some() || !is_keyword_value(&i.value) => {
                out.push(ident(i))
            }
            Expr::CompoundIdentifier(parts) => {
                if let Some(last) = parts.last() {
                    out.push(ident(last));
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    out
}

/// Every word (identifier or keyword, lowercase) of a statement's text:
/// what a view or trigger mentions, wherever (a trigger's `UPDATE OF col`,
/// `SET col = …`), comments aside.
pub(crate) fn words(sql: &str, backend: Backend) -> BTreeSet<String> {
    let dialect: Box<dyn sqlparser::dialect::Dialect> = match backend {
        Backend::Sqlite => Box::new(sqlparser::dialect::SQLiteDialect {}),
        Backend::Postgres => Box::new(sqlparser::dialect::PostgreSqlDialect {}),
        Backend::Mysql => Box::new(sqlparser::dialect::MySqlDialect {}),
    };
    sqlparser::tokenizer::Tokenizer::new(&*dialect, sql)
        .tokenize()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|token| match token {
            sqlparser::tokenizer::Token::Word(word) => Some(word.value.to_lowercase()),
            _ => None,
        })
        .collect()
}

/// Every table a statement reads or writes.
pub(crate) fn relations<V: sqlparser::ast::Visit>(node: &V) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let _ = visit_relations(node, |name: &ObjectName| {
        out.insert(object_name(name));
        ControlFlow::<()>::Continue(())
    });
    out
}

/// Bare words some dialects read as identifiers but that name no column.
fn is_keyword_value(word: &str) -> bool {
    matches!(
        word.to_ascii_lowercase().as_str(),
        "true"
            | "false"
            | "null"
            | "current_timestamp"
            | "current_date"
            | "current_time"
            | "localtime"
            | "localtimestamp"
    )
}

/// Functions that are not immutable, so never allowed in an index.
const NOT_IMMUTABLE: &[&str] = &[
    "now",
    "random",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtime",
    "localtimestamp",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "timeofday",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "nextval",
    "currval",
    "setval",
    "txid_current",
    "randomblob",
    "changes",
    "total_changes",
    "last_insert_rowid",
];

/// PostgreSQL's (and PostGIS's) functions that are not volatile: a column
/// default calling only these is computed once, so adding the column
/// rewrites nothing. Any other function counts as volatile: every
/// user-defined function is, unless declared otherwise.
fn non_volatile() -> &'static HashSet<&'static str> {
    static NAMES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        include_str!("non_volatile_functions.txt")
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect()
    })
}

const SQLITE_DATE_FUNCTIONS: &[&str] = &[
    "date",
    "time",
    "datetime",
    "julianday",
    "unixepoch",
    "strftime",
    "timediff",
];

/// The functions an expression calls that an index may not use.
pub(crate) fn not_immutable_functions(expr: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    let _ = visit_expressions(expr, |e: &Expr| {
        match e {
            Expr::Function(function) => {
                let name = object_name(&function.name);
                let text = function.to_string().to_lowercase();
                if NOT_IMMUTABLE.contains(&name.as_str())
                    || (SQLITE_DATE_FUNCTIONS.contains(&name.as_str())
                        && (text.contains("'now'") || text.ends_with("()")))
                {
                    out.push(name);
                }
            }
            Expr::Identifier(i) if i.quote_style.is_none() => {
                let word = i.value.to_lowercase();
                if NOT_IMMUTABLE.contains(&word.as_str()) {
                    out.push(word);
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    out.dedup();
    out
}

/// The volatile function a default expression calls, if any.
pub(crate) fn volatile_function(expr: &Expr) -> Option<String> {
    let mut found = None;
    let _ = visit_expressions(expr, |e: &Expr| {
        if let Expr::Function(function) = e {
            let name = object_name(&function.name);
            // SQL's special functions (`CURRENT_TIMESTAMP`, `CURRENT_USER`)
            // are stable, and not in pg_proc under these names.
            let special = matches!(
                name.as_str(),
                "current_timestamp"
                    | "current_date"
                    | "current_time"
                    | "localtime"
                    | "localtimestamp"
                    | "current_user"
                    | "session_user"
                    | "current_role"
                    | "current_schema"
                    | "current_catalog"
                    | "user"
            );
            if !special && !non_volatile().contains(name.as_str()) {
                found = Some(name);
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    found
}

/// A `serial` type (an integer with a sequence's `nextval()` default).
pub(crate) fn is_serial(data_type: &str) -> bool {
    matches!(
        data_type,
        "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8"
    )
}

/// Whether a new column gets a value without a DEFAULT clause: serial,
/// identity, generated.
pub(crate) fn has_implicit_default(column: &ColumnDef) -> bool {
    is_serial(&column.data_type.to_string().to_lowercase())
        || column.options.iter().any(|o| {
            matches!(
                o.option,
                ColumnOption::Default(_)
                    | ColumnOption::Generated { .. }
                    | ColumnOption::Identity(_)
            )
        })
}

/// The column's DEFAULT expression, if it has one.
pub(crate) fn default_of(column: &ColumnDef) -> Option<&Expr> {
    column.options.iter().find_map(|o| match &o.option {
        ColumnOption::Default(expr) => Some(expr),
        _ => None,
    })
}

/// Whether a DEFAULT is a constant SQLite's `ADD COLUMN` accepts: a
/// literal, or a signed number (not CURRENT_TIMESTAMP, not an expression
/// in parentheses).
pub(crate) fn is_constant(expr: &Expr) -> bool {
    match expr {
        Expr::Value(value) => !matches!(value.value, Value::Placeholder(_)),
        Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr,
        } => matches!(expr.as_ref(), Expr::Value(_)),
        _ => false,
    }
}

/// Whether a DEFAULT is NULL.
pub(crate) fn is_null(expr: &Expr) -> bool {
    matches!(expr, Expr::Value(value) if matches!(value.value, Value::Null))
}

/// The column a CHECK proves NOT NULL: `CHECK (col IS NOT NULL)`.
pub(crate) fn not_null_check(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Nested(inner) => not_null_check(inner),
        Expr::IsNotNull(inner) => match inner.as_ref() {
            Expr::Identifier(i) => Some(ident(i)),
            Expr::CompoundIdentifier(parts) => parts.last().map(ident),
            Expr::Nested(nested) => not_null_check(&Expr::IsNotNull(nested.clone())),
            _ => None,
        },
        _ => None,
    }
}
