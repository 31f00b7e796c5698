//! Splitting rendered SQL into statements and parsing them with `sqlparser`.
//!
//! A string that does not parse as a whole is split at top-level semicolons
//! (keeping trigger bodies whole) and each piece parsed on its own, so one
//! statement the parser does not know (a trigger, an SQLite virtual table
//! module it cannot read) never hides the others.

use sqlparser::ast::Statement as Ast;
use sqlparser::dialect::{Dialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use arx_migrate_core::backend::Backend;

/// One statement of rendered SQL.
#[derive(Debug, Clone)]
pub(crate) enum Parsed {
    /// Read by the parser.
    Statement {
        /// The statement's text.
        sql: String,
        /// Its syntax tree.
        ast: Box<Ast>,
    },
    /// Not understood by the parser.
    Unparsed {
        /// The statement's text.
        sql: String,
        /// What the parser said.
        error: String,
    },
}

fn dialect(backend: Backend) -> Box<dyn Dialect> {
    match backend {
        Backend::Sqlite => Box::new(SQLiteDialect {}),
        Backend::Postgres => Box::new(PostgreSqlDialect {}),
    }
}

/// Parses one string of SQL (one statement or several) for `backend`.
pub(crate) fn parse_sql(sql: &str, backend: Backend) -> Vec<Parsed> {
    let dialect = dialect(backend);
    if sql.trim().trim_matches(';').trim().is_empty() {
        return Vec::new();
    }
    if let Ok(statements) = parse(&*dialect, sql) {
        let single = statements.len() == 1;
        return statements
            .into_iter()
            .map(|ast| Parsed::Statement {
                sql: if single {
                    sql.trim().trim_end_matches(';').trim().to_string()
                } else {
                    ast.to_string()
                },
                ast: Box::new(ast),
            })
            .collect();
    }
    split(&*dialect, sql)
        .into_iter()
        .filter(|piece| !piece.trim().is_empty())
        .flat_map(|piece| match parse(&*dialect, &piece) {
            Ok(statements) => {
                let single = statements.len() == 1;
                statements
                    .into_iter()
                    .map(|ast| Parsed::Statement {
                        sql: if single {
                            piece.trim().to_string()
                        } else {
                            ast.to_string()
                        },
                        ast: Box::new(ast),
                    })
                    .collect::<Vec<_>>()
            }
            Err(error) => vec![Parsed::Unparsed {
                sql: piece.trim().to_string(),
                error,
            }],
        })
        .collect()
}

/// Parses, turning a panic of the parser (never expected) into an error.
///
/// A `CREATE VIRTUAL TABLE` the parser rejects is parsed again without the
/// `+` that marks SQLite R*Tree auxiliary columns (`rtree(id, minx, maxx,
/// +obj_id)`): the parser does not know that syntax, and the columns are
/// the same to lint either way.
fn parse(dialect: &dyn Dialect, sql: &str) -> Result<Vec<Ast>, String> {
    match parse_exact(dialect, sql) {
        Ok(statements) => Ok(statements),
        Err(error) => match without_auxiliary_markers(dialect, sql) {
            Some(rewritten) => parse_exact(dialect, &rewritten).map_err(|_| error),
            None => Err(error),
        },
    }
}

fn parse_exact(dialect: &dyn Dialect, sql: &str) -> Result<Vec<Ast>, String> {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Parser::parse_sql(dialect, sql)
    }));
    match result {
        Ok(Ok(statements)) => Ok(statements),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("the SQL parser failed on this statement".to_string()),
    }
}

/// `sql` without the `+` before a module argument, when `sql` is one
/// `CREATE VIRTUAL TABLE` statement that has such a marker; `None`
/// otherwise.
fn without_auxiliary_markers(dialect: &dyn Dialect, sql: &str) -> Option<String> {
    let tokens = Tokenizer::new(dialect, sql).tokenize().ok()?;
    let words: Vec<String> = tokens
        .iter()
        .filter_map(|t| match t {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        })
        .take(3)
        .collect();
    if words != ["CREATE", "VIRTUAL", "TABLE"] {
        return None;
    }
    let mut out = String::with_capacity(sql.len());
    let mut previous: Option<&Token> = None;
    let mut changed = false;
    for token in &tokens {
        if matches!(token, Token::Whitespace(_)) {
            out.push_str(&token.to_string());
            continue;
        }
        if matches!(token, Token::Plus)
            && matches!(previous, Some(Token::LParen) | Some(Token::Comma))
        {
            changed = true;
            previous = Some(token);
            continue;
        }
        out.push_str(&token.to_string());
        previous = Some(token);
    }
    changed.then_some(out)
}

/// Splits SQL at top-level semicolons; `BEGIN … END` bodies of triggers stay
/// whole.
fn split(dialect: &dyn Dialect, sql: &str) -> Vec<String> {
    let tokens = match Tokenizer::new(dialect, sql).tokenize() {
        Ok(tokens) => tokens,
        Err(_) => return sql.split(';').map(str::to_string).collect(),
    };
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut words: Vec<String> = Vec::new();
    let mut depth = 0usize;
    for token in tokens {
        match &token {
            Token::SemiColon if depth == 0 => {
                pieces.push(std::mem::take(&mut current));
                words.clear();
                continue;
            }
            Token::Word(word) if word.quote_style.is_none() => {
                let upper = word.value.to_ascii_uppercase();
                if words.len() < 8 {
                    words.push(upper.clone());
                }
                let trigger = words.iter().take(5).any(|w| w == "TRIGGER");
                if trigger && words.first().is_some_and(|w| w == "CREATE") {
                    match upper.as_str() {
                        "BEGIN" | "CASE" => depth += 1,
                        "END" => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        current.push_str(&token.to_string());
    }
    pieces.push(current);
    pieces
}

/// Parses one statement; `None` when it is not exactly one statement the
/// parser reads.
pub(crate) fn parse_one(sql: &str, backend: Backend) -> Option<Ast> {
    let dialect = dialect(backend);
    let mut statements = parse(&*dialect, sql).ok()?;
    if statements.len() == 1 {
        statements.pop()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtree_auxiliary_columns_parse() {
        let sql =
            "CREATE VIRTUAL TABLE idx_walls_geom USING rtree(id, minx, maxx, miny, maxy, +obj_id)";
        let parsed = parse_sql(sql, Backend::Sqlite);
        assert_eq!(parsed.len(), 1);
        match &parsed[0] {
            Parsed::Statement { sql: text, ast } => {
                assert!(
                    text.contains("+obj_id"),
                    "the original text is kept: {text}"
                );
                assert!(matches!(ast.as_ref(), Ast::CreateVirtualTable { .. }));
            }
            Parsed::Unparsed { error, .. } => panic!("not parsed: {error}"),
        }
        // Only virtual tables are rewritten: a stray `+` elsewhere still fails.
        let bad = parse_sql("CREATE TABLE t (a INTEGER, +b INTEGER)", Backend::Sqlite);
        assert!(matches!(bad[0], Parsed::Unparsed { .. }));
    }
}
