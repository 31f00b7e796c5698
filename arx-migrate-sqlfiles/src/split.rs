//! Splitting a `.sql` file into its statements.
//!
//! Each statement is run on its own (so that an error names the statement,
//! and so that a non-transactional file can hold `CREATE INDEX
//! CONCURRENTLY`, which PostgreSQL refuses inside the implicit transaction
//! of a multi-statement query). A `;` ends a statement unless it is inside
//! a string (`'…'`, `E'…'` with backslash escapes), a quoted identifier
//! (`"…"`, `` `…` ``), a dollar-quoted body (`$$…$$`, `$tag$…$tag$`), a
//! comment (`-- …`, `/* … */`), parentheses, the `BEGIN … END` body of a
//! `CREATE TRIGGER` (SQLite) or a `BEGIN ATOMIC … END` body (PostgreSQL).
//!
//! Comments before a statement's first token and after its last are not
//! part of it (they document the file; editing them does not change the
//! revision's checksum); comments inside a statement are kept.

use std::fmt;

/// A file that cannot be split: an unterminated string, quoted identifier,
/// comment or dollar-quoted body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    /// The 1-based line where the unterminated part starts.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for SplitError {}

/// The statements of `sql`, in order, each without its terminating `;` and
/// without the comments and white space around it. A file of comments only
/// has no statement.
///
/// ```
/// let statements = arx_migrate_sqlfiles::split_statements(
///     "-- the tags\nCREATE TABLE tags (id int, name text DEFAULT 'a;b');\n\
///      CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;",
/// )
/// .unwrap();
/// assert_eq!(statements, [
///     "CREATE TABLE tags (id int, name text DEFAULT 'a;b')",
///     "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
/// ]);
/// ```
pub fn split_statements(sql: &str) -> Result<Vec<String>, SplitError> {
    Ok(statement_spans(sql)?
        .into_iter()
        .map(|span| sql[span.start..span.end].to_string())
        .collect())
}

/// Where one statement of a file is, in bytes: the text
/// [`split_statements`] gives is `sql[start..end]`, and the comments before
/// it are in `sql[after_previous..start]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementSpan {
    /// Just after the `;` that ends the statement before it (0 for the
    /// first statement).
    pub after_previous: usize,
    /// Its first token.
    pub start: usize,
    /// Just after its last token.
    pub end: usize,
}

/// The statements of `sql` as [`split_statements`] splits them, as places
/// in the text: for a tool that must read the same statements the runner
/// runs and still point at their lines and comments (`lint --file`).
///
/// ```
/// let sql = "-- one\nSELECT 1;\n-- two\nSELECT 2";
/// let spans = arx_migrate_sqlfiles::statement_spans(sql).unwrap();
/// assert_eq!(&sql[spans[1].start..spans[1].end], "SELECT 2");
/// assert_eq!(&sql[spans[1].after_previous..spans[1].start], "\n-- two\n");
/// ```
pub fn statement_spans(sql: &str) -> Result<Vec<StatementSpan>, SplitError> {
    let mut splitter = Splitter::new(sql);
    splitter.run()?;
    Ok(splitter.statements)
}

struct Splitter<'a> {
    sql: &'a str,
    bytes: &'a [u8],
    pos: usize,
    statements: Vec<StatementSpan>,
    current: Statement,
    /// Just after the last `;` that ended a statement (or an empty one).
    after_terminator: usize,
}

/// What is known about the statement being read.
#[derive(Default)]
struct Statement {
    /// Byte offset of its first token.
    start: Option<usize>,
    /// Where the comments before it begin: just after the previous `;`.
    after_previous: usize,
    /// Byte offset just after its last token.
    end: usize,
    parens: usize,
    /// Open `BEGIN … END` bodies.
    blocks: usize,
    /// Open `CASE … END` expressions inside a body.
    cases: usize,
    /// Its first words, upper-cased (enough to recognise CREATE TRIGGER).
    head: Vec<String>,
    /// The previous word, upper-cased.
    previous_word: String,
}

impl Statement {
    /// `CREATE [OR REPLACE] [TEMP|TEMPORARY] TRIGGER`: its body is
    /// `BEGIN … END` with `;` inside.
    fn is_trigger(&self) -> bool {
        let words: Vec<&str> = self
            .head
            .iter()
            .map(String::as_str)
            .filter(|w| !matches!(*w, "OR" | "REPLACE" | "TEMP" | "TEMPORARY"))
            .collect();
        matches!(words.as_slice(), ["CREATE", "TRIGGER", ..])
    }
}

impl<'a> Splitter<'a> {
    fn new(sql: &'a str) -> Self {
        Splitter {
            sql,
            bytes: sql.as_bytes(),
            pos: 0,
            statements: Vec::new(),
            current: Statement::default(),
            after_terminator: 0,
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.sql[..offset].matches('\n').count() + 1
    }

    fn error(&self, at: usize, message: impl Into<String>) -> SplitError {
        SplitError {
            line: self.line_of(at),
            message: message.into(),
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    /// Marks `from..to` as part of the current statement.
    fn token(&mut self, from: usize, to: usize) {
        if self.current.start.is_none() {
            self.current.start = Some(from);
            self.current.after_previous = self.after_terminator;
        }
        self.current.end = to;
    }

    fn finish_statement(&mut self) {
        let statement = std::mem::take(&mut self.current);
        if let Some(start) = statement.start {
            self.statements.push(StatementSpan {
                after_previous: statement.after_previous,
                start,
                end: statement.end,
            });
        }
    }

    fn run(&mut self) -> Result<(), SplitError> {
        while let Some(byte) = self.peek(0) {
            let at = self.pos;
            match byte {
                b'-' if self.peek(1) == Some(b'-') => {
                    self.pos = self.sql[at..]
                        .find('\n')
                        .map_or(self.bytes.len(), |n| at + n);
                }
                b'/' if self.peek(1) == Some(b'*') => {
                    let Some(close) = self.sql[at + 2..].find("*/") else {
                        return Err(self.error(at, "a /* comment is never closed with */"));
                    };
                    self.pos = at + 2 + close + 2;
                }
                b'\'' => {
                    let escapes = self.current.end == at
                        && matches!(self.current.previous_word.as_str(), "E")
                        && at > 0
                        && matches!(self.bytes[at - 1], b'E' | b'e');
                    self.pos = self.quoted(at, b'\'', escapes, "a string")?;
                    self.token(at, self.pos);
                }
                b'"' => {
                    self.pos = self.quoted(at, b'"', false, "a quoted identifier")?;
                    self.token(at, self.pos);
                }
                b'`' => {
                    self.pos = self.quoted(at, b'`', false, "a quoted identifier")?;
                    self.token(at, self.pos);
                }
                b'$' if self.dollar_tag(at).is_some() => {
                    let tag = self.dollar_tag(at).unwrap_or_default();
                    let body = at + tag.len();
                    let Some(close) = self.sql[body..].find(tag) else {
                        return Err(self.error(
                            at,
                            format!("a body opened with {tag} is never closed with {tag}"),
                        ));
                    };
                    self.pos = body + close + tag.len();
                    self.token(at, self.pos);
                }
                b'(' => {
                    self.current.parens += 1;
                    self.pos += 1;
                    self.token(at, self.pos);
                }
                b')' => {
                    self.current.parens = self.current.parens.saturating_sub(1);
                    self.pos += 1;
                    self.token(at, self.pos);
                }
                b';' => {
                    self.pos += 1;
                    if self.current.parens == 0 && self.current.blocks == 0 {
                        self.finish_statement();
                        self.after_terminator = self.pos;
                    } else {
                        self.token(at, self.pos);
                    }
                }
                b if b.is_ascii_alphabetic() || b == b'_' => {
                    let end = self.sql[at..]
                        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                        .map_or(self.bytes.len(), |n| at + n);
                    self.pos = end;
                    self.token(at, end);
                    self.word(self.sql[at..end].to_ascii_uppercase());
                }
                b if b.is_ascii_whitespace() => self.pos += 1,
                _ => {
                    // Any other character (operators, digits, non-ASCII
                    // text): one whole UTF-8 character.
                    let width = self.sql[at..].chars().next().map_or(1, char::len_utf8);
                    self.pos += width;
                    self.token(at, self.pos);
                }
            }
        }
        self.finish_statement();
        Ok(())
    }

    /// Tracks the words that open and close bodies with `;` inside.
    fn word(&mut self, word: String) {
        let statement = &mut self.current;
        if statement.head.len() < 6 {
            statement.head.push(word.clone());
        }
        match word.as_str() {
            "BEGIN" if statement.is_trigger() => statement.blocks += 1,
            "ATOMIC" if statement.previous_word == "BEGIN" && !statement.is_trigger() => {
                statement.blocks += 1
            }
            // MySQL's `END IF`, `END LOOP`, `END WHILE` and `END REPEAT`
            // close no BEGIN: undo the END's close.
            "IF" | "LOOP" | "WHILE" | "REPEAT"
                if statement.previous_word == "END" && statement.is_trigger() =>
            {
                statement.blocks += 1
            }
            // MySQL's `END CASE`: the END closed the CASE already.
            "CASE" if statement.previous_word == "END" => {}
            "CASE" if statement.blocks > 0 => statement.cases += 1,
            "END" if statement.cases > 0 => statement.cases -= 1,
            "END" => statement.blocks = statement.blocks.saturating_sub(1),
            _ => {}
        }
        statement.previous_word = word;
    }

    /// The end of the quoted text starting at `at` (just after the closing
    /// quote); a doubled quote is an escape, and with `backslashes` so is
    /// a backslash.
    fn quoted(
        &self,
        at: usize,
        quote: u8,
        backslashes: bool,
        what: &str,
    ) -> Result<usize, SplitError> {
        let mut i = at + 1;
        while i < self.bytes.len() {
            let byte = self.bytes[i];
            if backslashes && byte == b'\\' {
                i += 2;
                continue;
            }
            if byte == quote {
                if self.bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                    continue;
                }
                return Ok(i + 1);
            }
            i += 1;
        }
        Err(self.error(
            at,
            format!("{what} opened with {} is never closed", quote as char),
        ))
    }

    /// The dollar-quote tag (`$$`, `$body$`) starting at `at`, if one does.
    /// `$1` (a parameter) is not one, nor a `$` inside a word.
    fn dollar_tag(&self, at: usize) -> Option<&'a str> {
        if at > 0 {
            let before = self.bytes[at - 1];
            if before.is_ascii_alphanumeric() || before == b'_' || before == b'$' {
                return None;
            }
        }
        let rest = &self.sql[at + 1..];
        let tag_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let tag = &rest[..tag_len];
        if tag.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        rest[tag_len..]
            .starts_with('$')
            .then(|| &self.sql[at..at + 1 + tag_len + 1])
    }
}

#[cfg(test)]
mod tests {
    use super::split_statements;

    fn split(sql: &str) -> Vec<String> {
        split_statements(sql).unwrap()
    }

    #[test]
    fn semicolons_end_statements_and_comments_around_them_are_dropped() {
        assert_eq!(
            split("-- header\n\nCREATE TABLE a (id int);\n/* two */ DROP TABLE b ; -- done\n"),
            ["CREATE TABLE a (id int)", "DROP TABLE b"]
        );
        assert_eq!(split("SELECT 1"), ["SELECT 1"]);
        assert!(split("-- only a comment\n  ;;  \n").is_empty());
    }

    #[test]
    fn comments_inside_a_statement_are_kept_and_a_trailing_one_is_not() {
        assert_eq!(
            split("CREATE TABLE a (\n  id int -- the key; really\n) -- end\n;"),
            ["CREATE TABLE a (\n  id int -- the key; really\n)"]
        );
    }

    #[test]
    fn mysql_compound_statements_stay_in_their_trigger() {
        let trigger = "CREATE TRIGGER t AFTER INSERT ON a FOR EACH ROW BEGIN \
                       IF NEW.id > 0 THEN INSERT INTO b VALUES (1); END IF; \
                       CASE NEW.id WHEN 1 THEN SET @x = 1; ELSE SET @x = 2; END CASE; \
                       WHILE @x > 0 DO SET @x = @x - 1; END WHILE; END";
        assert_eq!(
            split(&format!("{trigger};\nSELECT 1;")),
            [trigger.to_string(), "SELECT 1".to_string()]
        );
    }

    #[test]
    fn quotes_hide_semicolons() {
        assert_eq!(
            split("INSERT INTO t VALUES ('a;''b', \"c;d\", `e;f`); SELECT 2"),
            ["INSERT INTO t VALUES ('a;''b', \"c;d\", `e;f`)", "SELECT 2"]
        );
        assert_eq!(
            split(r"SELECT E'it\'s; here'; SELECT 'no\'; SELECT 3"),
            [r"SELECT E'it\'s; here'", r"SELECT 'no\'", "SELECT 3"]
        );
    }

    #[test]
    fn dollar_quoted_bodies_hide_semicolons() {
        let sql = "CREATE FUNCTION f() RETURNS trigger AS $body$\nBEGIN\n  NEW.x := 1;\n  RETURN NEW;\nEND;\n$body$ LANGUAGE plpgsql;\nSELECT $1, a$b FROM t;";
        assert_eq!(
            split(sql),
            [
                "CREATE FUNCTION f() RETURNS trigger AS $body$\nBEGIN\n  NEW.x := 1;\n  RETURN NEW;\nEND;\n$body$ LANGUAGE plpgsql",
                "SELECT $1, a$b FROM t"
            ]
        );
    }

    #[test]
    fn sqlite_trigger_bodies_and_begin_atomic_are_one_statement() {
        let sql = "CREATE TRIGGER IF NOT EXISTS t AFTER INSERT ON a\nWHEN (CASE WHEN new.x THEN 1 END)\nBEGIN\n  UPDATE b SET y = CASE WHEN new.x > 0 THEN 1 ELSE 0 END;\n  DELETE FROM c;\nEND;\nCREATE TEMP TRIGGER u BEFORE DELETE ON a BEGIN SELECT 1; END;\nBEGIN;\nCOMMIT;";
        let statements = split(sql);
        assert_eq!(statements.len(), 4, "{statements:#?}");
        assert!(statements[0].ends_with("DELETE FROM c;\nEND"));
        assert_eq!(
            statements[1],
            "CREATE TEMP TRIGGER u BEFORE DELETE ON a BEGIN SELECT 1; END"
        );
        assert_eq!(&statements[2..], ["BEGIN", "COMMIT"]);
        let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3;";
        assert_eq!(
            split(sql),
            [
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END",
                "SELECT 3"
            ]
        );
    }

    #[test]
    fn parentheses_hide_semicolons() {
        assert_eq!(
            split("CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b); SELECT 1"),
            [
                "CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b)",
                "SELECT 1"
            ]
        );
    }

    #[test]
    fn non_ascii_text_is_kept_whole() {
        assert_eq!(
            split("INSERT INTO t VALUES ('é;ü') ; SELECT 'ß' || ’x’"),
            ["INSERT INTO t VALUES ('é;ü')", "SELECT 'ß' || ’x’"]
        );
    }

    #[test]
    fn unterminated_parts_name_their_line() {
        let error = split_statements("SELECT 1;\nSELECT 'open;\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.message.contains("string"), "{error}");
        let error = split_statements("\n\n/* never closed").unwrap_err();
        assert_eq!(error.line, 3);
        let error = split_statements("SELECT $x$ body").unwrap_err();
        assert!(error.message.contains("$x$"), "{error}");
        assert!(split_statements("SELECT \"id").is_err());
    }
}
