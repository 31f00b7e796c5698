//! Comparing index predicates as parsed rather than as spelled.
//!
//! SQLite keeps a partial index's `WHERE` as its author wrote it, so the
//! same predicate reads `"status" = 'active'` from one tool and
//! `status = 'active'` from another; PostgreSQL prints its own spelling,
//! with casts it added (`(status)::text = 'active'::text`). Both sides are
//! parsed (sqlparser, the dialect of the backend) and brought to one form —
//! parentheses gone (the tree keeps the grouping), identifiers unquoted in
//! the case the database resolves them to, casts to a text type of a column
//! or a literal dropped — and the trees compared. Keyword case is gone with
//! the parse. A side that does not parse is compared as text.

use std::ops::ControlFlow;

use sqlparser::ast::{CastKind, Expr, Ident, ObjectNamePart, Value};
use sqlparser::dialect::{Dialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use arx_migrate_core::backend::Backend;

/// Whether two index predicates mean the same on `backend`: equal text, or
/// equal trees once both are parsed and normalised.
pub(crate) fn same_predicate(expected: &str, actual: &str, backend: Backend) -> bool {
    if expected == actual {
        return true;
    }
    match (normalized(expected, backend), normalized(actual, backend)) {
        (Some(e), Some(a)) => e == a,
        _ => false,
    }
}

/// The normal form of `predicate`, or `None` when it does not parse as one
/// whole expression.
fn normalized(predicate: &str, backend: Backend) -> Option<Expr> {
    let dialect: Box<dyn Dialect> = match backend {
        Backend::Sqlite => Box::new(SQLiteDialect {}),
        Backend::Postgres => Box::new(PostgreSqlDialect {}),
        Backend::Mysql => Box::new(sqlparser::dialect::MySqlDialect {}),
    };
    let mut parser = Parser::new(&*dialect).try_with_sql(predicate).ok()?;
    let mut expr = parser.parse_expr().ok()?;
    // Something after the expression: not a predicate this can read.
    if parser.peek_token().token != Token::EOF {
        return None;
    }
    // Children are visited before their parent, so each rewrite sees
    // normalised operands.
    let _ = sqlparser::ast::visit_expressions_mut(&mut expr, |e| {
        normalize(e, backend);
        ControlFlow::<()>::Continue(())
    });
    Some(expr)
}

fn normalize(expr: &mut Expr, backend: Backend) {
    match expr {
        Expr::Nested(inner) => *expr = std::mem::replace(inner.as_mut(), Expr::value(Value::Null)),
        Expr::Cast {
            kind: CastKind::DoubleColon,
            expr: inner,
            data_type,
            format: None,
        } if is_text_type(&data_type.to_string())
            && matches!(
                inner.as_ref(),
                Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Value(_)
            ) =>
        {
            *expr = std::mem::replace(inner.as_mut(), Expr::value(Value::Null));
        }
        Expr::Identifier(ident) => fold(ident, backend),
        Expr::CompoundIdentifier(idents) => idents.iter_mut().for_each(|i| fold(i, backend)),
        Expr::Function(function) => {
            for part in &mut function.name.0 {
                if let ObjectNamePart::Identifier(ident) = part {
                    fold(ident, backend);
                }
            }
        }
        _ => {}
    }
}

/// The casts PostgreSQL prints on a `varchar` column compared with a
/// literal: to `text` or `character varying`. They change nothing the
/// predicate selects.
fn is_text_type(data_type: &str) -> bool {
    let data_type = data_type.to_ascii_lowercase();
    data_type == "text"
        || data_type.starts_with("character varying")
        || data_type.starts_with("varchar")
}

/// An identifier as the database resolves it: PostgreSQL folds unquoted
/// names to lower case and keeps quoted ones; SQLite ignores the case of
/// both.
fn fold(ident: &mut Ident, backend: Backend) {
    let keep_case = backend == Backend::Postgres && ident.quote_style.is_some();
    if !keep_case {
        ident.value = ident.value.to_ascii_lowercase();
    }
    ident.quote_style = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_keyword_case_do_not_matter_on_sqlite() {
        let sqlite = Backend::Sqlite;
        assert!(same_predicate(
            "\"status\" = 'active'",
            "status = 'active'",
            sqlite
        ));
        assert!(same_predicate(
            "\"locked_by\" IS NOT NULL",
            "locked_by is not null",
            sqlite
        ));
        assert!(same_predicate("(A > 1)", "a > 1", sqlite));
    }

    #[test]
    fn postgres_casts_and_parentheses_are_not_differences() {
        assert!(same_predicate(
            "((status)::text = 'active'::text)",
            "status = 'active'",
            Backend::Postgres
        ));
        // A quoted name keeps its case on PostgreSQL: another column.
        assert!(!same_predicate(
            "\"Status\" = 'active'",
            "status = 'active'",
            Backend::Postgres
        ));
    }

    #[test]
    fn a_different_predicate_is_a_difference() {
        let sqlite = Backend::Sqlite;
        assert!(!same_predicate(
            "status = 'active'",
            "status = 'Active'",
            sqlite
        ));
        assert!(!same_predicate(
            "locked_by IS NOT NULL",
            "locked_by IS NULL",
            sqlite
        ));
        // Grouping is kept in the tree even though the parentheses go.
        assert!(!same_predicate(
            "(a = 1 OR b = 1) AND c = 1",
            "a = 1 OR (b = 1 AND c = 1)",
            sqlite
        ));
        // A cast to a number is not one PostgreSQL adds: it stays.
        assert!(!same_predicate(
            "(n)::integer = 1",
            "n = 1",
            Backend::Postgres
        ));
    }

    #[test]
    fn what_does_not_parse_is_compared_as_text() {
        let sqlite = Backend::Sqlite;
        assert!(same_predicate("status = = 1", "status = = 1", sqlite));
        assert!(!same_predicate("status = = 1", "\"status\" = = 1", sqlite));
        assert!(!same_predicate("a = 1 garbage", "a = 1", sqlite));
    }
}
