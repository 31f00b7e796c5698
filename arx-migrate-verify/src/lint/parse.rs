//! Splitting SQL text into statements and parsing them with `sqlparser`.
//!
//! The text is tokenized once (with line numbers), split at top-level
//! semicolons (trigger bodies stay whole), and each statement parsed on its
//! own, so one statement the parser does not know never hides the others.
//! The comments before each statement are read for `arx-migrate:`
//! directives ([`super::allow`]); nothing else in a comment means anything.
//!
//! A few forms the parser does not read are parsed after a change of their
//! tokens, remembered in [`Flags`]: `DROP INDEX CONCURRENTLY`, SQLite's
//! `CREATE TRIGGER IF NOT EXISTS`, and the `+` that marks auxiliary columns
//! of an SQLite R*Tree (`rtree(id, minx, maxx, +obj_id)`).

use sqlparser::ast::Statement as Ast;
use sqlparser::dialect::{Dialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

use super::allow::{directives_in_comment, Directive};
use arx_migrate_core::backend::Backend;

/// What the tokens said that the syntax tree does not keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Flags {
    /// `DROP INDEX CONCURRENTLY` (the parser has no such option).
    pub concurrently: bool,
    /// SQLite's `CREATE TRIGGER IF NOT EXISTS`.
    pub if_not_exists: bool,
}

/// How a statement was read.
#[derive(Debug, Clone)]
pub(crate) enum Parsed {
    /// Read by the parser.
    Ast(Box<Ast>),
    /// Not understood by the parser.
    Unparsed {
        /// What the parser said.
        error: String,
        /// Its first words (unquoted, uppercase), for the few rules that
        /// apply to statements the parser cannot read (`REINDEX
        /// CONCURRENTLY`, `VACUUM (FULL)`).
        words: Vec<String>,
    },
}

/// One statement of a SQL text.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    /// Its text, as written.
    pub sql: String,
    /// The line it starts on (1-based) in its text.
    pub line: usize,
    /// Its syntax tree, or why there is none.
    pub parsed: Parsed,
    /// What its tokens said besides the tree.
    pub flags: Flags,
    /// The directives in the comments right before it.
    pub directives: Vec<Directive>,
}

impl Statement {
    /// The syntax tree, when the parser read the statement.
    pub fn ast(&self) -> Option<&Ast> {
        match &self.parsed {
            Parsed::Ast(ast) => Some(ast),
            Parsed::Unparsed { .. } => None,
        }
    }
}

/// A SQL text (one migration string, or a `.sql` file) read statement by
/// statement.
#[derive(Debug, Clone, Default)]
pub(crate) struct SqlText {
    /// The statements, in order.
    pub statements: Vec<Statement>,
    /// The directives before its first statement: they apply to the whole
    /// text.
    pub header: Vec<Directive>,
}

fn dialect(backend: Backend) -> Box<dyn Dialect> {
    match backend {
        Backend::Sqlite => Box::new(SQLiteDialect {}),
        Backend::Postgres => Box::new(PostgreSqlDialect {}),
        Backend::Mysql => Box::new(sqlparser::dialect::MySqlDialect {}),
    }
}

/// Reads one SQL text (one statement or several) for `backend`.
pub(crate) fn parse_text(sql: &str, backend: Backend) -> SqlText {
    let dialect = dialect(backend);
    let tokens = match Tokenizer::new(&*dialect, sql).tokenize_with_location() {
        Ok(tokens) => tokens,
        Err(error) => {
            // Not even tokens: one unparsed statement.
            let text = sql.trim();
            if text.trim_matches(';').trim().is_empty() {
                return SqlText::default();
            }
            return SqlText {
                statements: vec![Statement {
                    sql: text.to_string(),
                    line: 1 + sql[..sql.len() - sql.trim_start().len()]
                        .matches('\n')
                        .count(),
                    parsed: Parsed::Unparsed {
                        error: error.to_string(),
                        words: Vec::new(),
                    },
                    flags: Flags::default(),
                    directives: Vec::new(),
                }],
                header: Vec::new(),
            };
        }
    };
    let index = LineIndex::new(sql);
    let mut text = SqlText::default();
    for (position, piece) in split(&tokens).into_iter().enumerate() {
        let directives: Vec<Directive> = piece
            .comments
            .iter()
            .flat_map(|(line, comment)| directives_in_comment(comment, *line))
            .collect();
        let Some(body) = piece.body else {
            // Comments after the last statement: only a header counts.
            if position == 0 && text.statements.is_empty() {
                text.header.extend(directives);
            }
            continue;
        };
        let (parsed, flags) = parse_tokens(&*dialect, body.to_vec());
        let first = &body[0].span.start;
        let last = &body[body.len() - 1].span.end;
        let statement = Statement {
            sql: index.slice(sql, first, last).trim().to_string(),
            line: usize::try_from(first.line).unwrap_or(1),
            parsed,
            flags,
            directives: Vec::new(),
        };
        if text.statements.is_empty() {
            text.header.extend(directives);
            text.statements.push(statement);
        } else {
            text.statements.push(Statement {
                directives,
                ..statement
            });
        }
    }
    text
}

/// One piece between top-level semicolons: the comments before its first
/// token (with their lines), and its tokens from the first to the last that
/// is not whitespace (none for a piece of comments only).
struct Piece<'t> {
    comments: Vec<(usize, String)>,
    body: Option<&'t [TokenWithSpan]>,
}

/// Splits at top-level semicolons; `BEGIN … END` bodies of triggers and
/// functions stay whole.
fn split(tokens: &[TokenWithSpan]) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut start = 0usize;
    let mut words: Vec<String> = Vec::new();
    let mut depth = 0usize;
    let mut previous_word: Option<String> = None;
    for (i, token) in tokens.iter().enumerate() {
        match &token.token {
            Token::SemiColon if depth == 0 => {
                pieces.push(piece(&tokens[start..i]));
                start = i + 1;
                words.clear();
                previous_word = None;
            }
            Token::Word(word) if word.quote_style.is_none() => {
                let upper = word.value.to_ascii_uppercase();
                if words.len() < 8 {
                    words.push(upper.clone());
                }
                // Bodies of SQLite triggers and of SQL-standard functions
                // (`BEGIN ATOMIC … END`) hold semicolons of their own.
                let block = words
                    .iter()
                    .take(5)
                    .any(|w| matches!(w.as_str(), "TRIGGER" | "FUNCTION" | "PROCEDURE"))
                    && words.first().is_some_and(|w| w == "CREATE");
                if block {
                    // MySQL's compound statements close with `END IF`, `END
                    // LOOP`, `END WHILE`, `END REPEAT` (their openers are not
                    // counted, so neither are these) and `END CASE` (one
                    // close of the CASE that opened).
                    let after_end = previous_word.as_deref() == Some("END");
                    match upper.as_str() {
                        "CASE" if after_end => {}
                        "BEGIN" | "CASE" => depth += 1,
                        "END" => {
                            let closes = next_word(&tokens[i + 1..]);
                            if !matches!(
                                closes.as_deref(),
                                Some("IF" | "LOOP" | "WHILE" | "REPEAT")
                            ) {
                                depth = depth.saturating_sub(1);
                            }
                        }
                        _ => {}
                    }
                }
                previous_word = Some(upper);
            }
            Token::Whitespace(_) => {}
            _ => previous_word = None,
        }
    }
    pieces.push(piece(&tokens[start..]));
    pieces
}

/// The next significant token's unquoted word, uppercase (none if it is
/// not a word).
fn next_word(tokens: &[TokenWithSpan]) -> Option<String> {
    match &tokens
        .iter()
        .find(|t| !matches!(t.token, Token::Whitespace(_)))?
        .token
    {
        Token::Word(word) if word.quote_style.is_none() => Some(word.value.to_ascii_uppercase()),
        _ => None,
    }
}

fn piece(tokens: &[TokenWithSpan]) -> Piece<'_> {
    let mut comments = Vec::new();
    let first = tokens
        .iter()
        .position(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF));
    for token in &tokens[..first.unwrap_or(tokens.len())] {
        let line = usize::try_from(token.span.start.line).unwrap_or(1);
        match &token.token {
            Token::Whitespace(Whitespace::SingleLineComment { comment, .. }) => {
                comments.push((line, comment.clone()))
            }
            Token::Whitespace(Whitespace::MultiLineComment(comment)) => {
                comments.push((line, comment.clone()))
            }
            _ => {}
        }
    }
    let body = first.map(|first| {
        let last = tokens
            .iter()
            .rposition(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
            .unwrap_or(first);
        &tokens[first..=last]
    });
    Piece { comments, body }
}

/// The significant (not whitespace) tokens' unquoted words, uppercase, up
/// to `n` of them (a quoted word or a symbol ends the list).
fn leading_words(tokens: &[TokenWithSpan], n: usize) -> Vec<String> {
    tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .map_while(|t| match &t.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        })
        .take(n)
        .collect()
}

/// The unquoted words (uppercase) among the first `n` significant tokens.
fn words_of(tokens: &[TokenWithSpan], n: usize) -> Vec<String> {
    tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .take(n)
        .filter_map(|t| match &t.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        })
        .collect()
}

/// Parses one statement's tokens, with the rewrites the parser needs.
fn parse_tokens(dialect: &dyn Dialect, mut tokens: Vec<TokenWithSpan>) -> (Parsed, Flags) {
    let mut flags = Flags::default();
    let words = leading_words(&tokens, 4);
    if words.starts_with(&["DROP".into(), "INDEX".into(), "CONCURRENTLY".into()]) {
        remove_word(&mut tokens, 2);
        flags.concurrently = true;
    }
    match parse_exact(dialect, tokens.clone()) {
        Ok(ast) => (Parsed::Ast(Box::new(ast)), flags),
        Err(error) => {
            let retry = if words.starts_with(&["CREATE".into(), "VIRTUAL".into()]) {
                without_auxiliary_markers(&tokens)
            } else if let Some(rewritten) = without_ref_system_id(&tokens) {
                Some(rewritten)
            } else if is_trigger_if_not_exists(&words) {
                let mut rewritten = tokens.clone();
                let at = words.iter().position(|w| w == "IF").unwrap_or(2);
                for _ in 0..3 {
                    remove_word(&mut rewritten, at);
                }
                flags.if_not_exists = true;
                Some(rewritten)
            } else {
                None
            };
            match retry.map(|t| parse_exact(dialect, t)) {
                Some(Ok(ast)) => (Parsed::Ast(Box::new(ast)), flags),
                _ => (
                    Parsed::Unparsed {
                        error,
                        words: words_of(&tokens, 12),
                    },
                    Flags {
                        if_not_exists: false,
                        ..flags
                    },
                ),
            }
        }
    }
}

fn is_trigger_if_not_exists(words: &[String]) -> bool {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    matches!(
        w.as_slice(),
        ["CREATE", "TRIGGER", "IF", "NOT"]
            | ["CREATE", "TEMP", "TRIGGER", "IF"]
            | ["CREATE", "TEMPORARY", "TRIGGER", "IF"]
    )
}

/// Removes the `n`th significant token (0-based).
fn remove_word(tokens: &mut Vec<TokenWithSpan>, n: usize) {
    if let Some(at) = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_)))
        .nth(n)
        .map(|(i, _)| i)
    {
        tokens.remove(at);
    }
}

/// Exactly one statement from the tokens; a panic of the parser (never
/// expected) is an error.
fn parse_exact(dialect: &dyn Dialect, tokens: Vec<TokenWithSpan>) -> Result<Ast, String> {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Parser::new(dialect)
            .with_tokens_with_locations(tokens)
            .parse_statements()
    }));
    match result {
        Ok(Ok(mut statements)) if statements.len() == 1 => Ok(statements.remove(0)),
        Ok(Ok(statements)) => Err(format!(
            "read as {} statements where one was expected",
            statements.len()
        )),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("the SQL parser failed on this statement".to_string()),
    }
}

/// The tokens without the `+` before a module argument of a `CREATE
/// VIRTUAL TABLE`; `None` when there is none.
fn without_auxiliary_markers(tokens: &[TokenWithSpan]) -> Option<Vec<TokenWithSpan>> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut previous: Option<&Token> = None;
    let mut changed = false;
    for token in tokens {
        if matches!(token.token, Token::Whitespace(_)) {
            out.push(token.clone());
            continue;
        }
        if matches!(token.token, Token::Plus)
            && matches!(previous, Some(Token::LParen) | Some(Token::Comma))
        {
            changed = true;
            previous = Some(&token.token);
            continue;
        }
        out.push(token.clone());
        previous = Some(&token.token);
    }
    changed.then_some(out)
}

/// The tokens without MariaDB's `REF_SYSTEM_ID = n` column attribute (a
/// geometry column's SRID, which the parser does not know and the schema
/// model does not need); `None` when there is none.
fn without_ref_system_id(tokens: &[TokenWithSpan]) -> Option<Vec<TokenWithSpan>> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut skip = 0usize;
    let mut changed = false;
    for token in tokens {
        if skip > 0 {
            if !matches!(token.token, Token::Whitespace(_)) {
                skip -= 1;
            }
            continue;
        }
        if let Token::Word(word) = &token.token {
            if word.quote_style.is_none() && word.value.eq_ignore_ascii_case("REF_SYSTEM_ID") {
                // The word, `=` and the number.
                skip = 2;
                changed = true;
                continue;
            }
        }
        out.push(token.clone());
    }
    changed.then_some(out)
}

/// Byte offsets of line starts, to cut the text of a statement out of its
/// source by the tokenizer's (line, column) locations.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn offset(&self, text: &str, location: &sqlparser::tokenizer::Location) -> usize {
        let line = usize::try_from(location.line).unwrap_or(1).max(1);
        let Some(&start) = self.starts.get(line - 1) else {
            return text.len();
        };
        let column = usize::try_from(location.column).unwrap_or(1).max(1);
        text[start..]
            .char_indices()
            .nth(column - 1)
            .map(|(i, _)| start + i)
            .unwrap_or(text.len())
    }

    fn slice<'s>(
        &self,
        text: &'s str,
        from: &sqlparser::tokenizer::Location,
        to: &sqlparser::tokenizer::Location,
    ) -> &'s str {
        let (a, b) = (self.offset(text, from), self.offset(text, to));
        text.get(a..b.max(a)).unwrap_or_default()
    }
}

/// Parses one statement; `None` when it is not exactly one statement the
/// parser reads.
pub(crate) fn parse_one(sql: &str, backend: Backend) -> Option<Ast> {
    let mut text = parse_text(sql, backend);
    if text.statements.len() != 1 {
        return None;
    }
    match text.statements.pop()?.parsed {
        Parsed::Ast(ast) => Some(*ast),
        Parsed::Unparsed { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(sql: &str, backend: Backend) -> Statement {
        let mut text = parse_text(sql, backend);
        assert_eq!(text.statements.len(), 1, "{sql}");
        text.statements.pop().unwrap()
    }

    #[test]
    fn rtree_auxiliary_columns_parse() {
        let sql =
            "CREATE VIRTUAL TABLE idx_walls_geom USING rtree(id, minx, maxx, miny, maxy, +obj_id)";
        let statement = only(sql, Backend::Sqlite);
        assert!(
            statement.sql.contains("+obj_id"),
            "the original text is kept"
        );
        assert!(matches!(
            statement.ast(),
            Some(Ast::CreateVirtualTable { .. })
        ));
        // Only virtual tables are rewritten: a stray `+` elsewhere still fails.
        let bad = only("CREATE TABLE t (a INTEGER, +b INTEGER)", Backend::Sqlite);
        assert!(bad.ast().is_none());
    }

    #[test]
    fn drop_index_concurrently_is_read() {
        let statement = only("DROP INDEX CONCURRENTLY IF EXISTS idx_a", Backend::Postgres);
        assert!(statement.flags.concurrently);
        assert!(matches!(
            statement.ast(),
            Some(Ast::Drop {
                if_exists: true,
                ..
            })
        ));
        assert!(
            !only("DROP INDEX idx_a", Backend::Postgres)
                .flags
                .concurrently
        );
    }

    #[test]
    fn statements_keep_their_lines_text_and_comments() {
        let sql = "-- arx-migrate: allow drop-table: archived\n\nCREATE TABLE a (id int);\n\n-- arx-migrate: allow drop-column: unused\nALTER TABLE a\n  DROP COLUMN id; -- trailing\n";
        let text = parse_text(sql, Backend::Postgres);
        assert_eq!(text.statements.len(), 2);
        assert_eq!(text.header.len(), 1);
        assert_eq!(text.statements[0].line, 3);
        assert_eq!(text.statements[1].line, 6);
        assert_eq!(text.statements[1].sql, "ALTER TABLE a\n  DROP COLUMN id");
        assert_eq!(text.statements[1].directives.len(), 1);
        assert!(text.statements[0].directives.is_empty());
    }

    #[test]
    fn sqlite_trigger_if_not_exists_is_read() {
        let statement = only(
            "CREATE TRIGGER IF NOT EXISTS t_ai AFTER INSERT ON t BEGIN UPDATE t SET a = 1; END",
            Backend::Sqlite,
        );
        assert!(statement.flags.if_not_exists);
        assert!(matches!(statement.ast(), Some(Ast::CreateTrigger(_))));
    }

    #[test]
    fn mysql_trigger_bodies_stay_whole_and_srids_are_read() {
        let sql = "CREATE TRIGGER t_ins AFTER INSERT ON t FOR EACH ROW BEGIN \
                   IF NEW.g IS NOT NULL THEN INSERT INTO s (id) VALUES (NEW.id); END IF; \
                   CASE WHEN NEW.id > 1 THEN SET @a = 1; ELSE SET @a = 2; END CASE; END; \
                   CREATE TABLE s (id INT, g POINT REF_SYSTEM_ID=4326 NOT NULL)";
        let text = parse_text(sql, Backend::Mysql);
        assert_eq!(text.statements.len(), 2, "{:?}", text.statements);
        assert!(text.statements[0].sql.ends_with("END CASE; END"));
        assert!(
            matches!(text.statements[1].parsed, Parsed::Ast(_)),
            "{:?}",
            text.statements[1].parsed
        );
    }

    #[test]
    fn function_bodies_stay_whole() {
        let sql = "CREATE FUNCTION f() RETURNS integer LANGUAGE sql BEGIN ATOMIC UPDATE t SET a = 1; SELECT 1; END; SELECT 2";
        let text = parse_text(sql, Backend::Postgres);
        assert_eq!(text.statements.len(), 2, "{:?}", text.statements);
        let dollar = "CREATE FUNCTION g() RETURNS trigger AS $$ BEGIN UPDATE t SET a = 1; RETURN NEW; END $$ LANGUAGE plpgsql; SELECT 3";
        assert_eq!(parse_text(dollar, Backend::Postgres).statements.len(), 2);
    }

    #[test]
    fn unparsed_statements_keep_their_first_words() {
        let statement = only("VACUUM (FULL, ANALYZE) t", Backend::Postgres);
        match statement.parsed {
            Parsed::Unparsed { words, .. } => assert_eq!(words, ["VACUUM", "FULL", "ANALYZE", "T"]),
            Parsed::Ast(ast) => panic!("parsed: {ast}"),
        }
    }
}
