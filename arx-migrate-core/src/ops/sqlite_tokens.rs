//! Splitting SQLite SQL into tokens: words, quoted identifiers, strings,
//! numbers and punctuation, with comments and white space skipped, each
//! token keeping its place in the text so that pieces can be cut out as
//! they were written. The table rebuild reads `CREATE TABLE`, `CREATE
//! INDEX` and the statements that may name a queued table with it.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A bare word: keyword or identifier.
    Word,
    /// A quoted identifier: `"x"`, `` `x` ``, `[x]`.
    Quoted,
    /// A string literal `'x'` (or blob `x'00'`).
    Str,
    /// A number.
    Number,
    /// One punctuation or operator character.
    Punct(char),
}

/// One token: what it is and where it is in the text.
#[derive(Debug, Clone, Copy)]
pub(super) struct Token {
    pub(super) kind: Kind,
    start: usize,
    pub(super) end: usize,
}

/// Splits SQL into tokens, skipping white space and comments.
fn tokenize(sql: &str) -> Result<Vec<Token>, String> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => {
                i += 1;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |end| i + 2 + end + 2);
                continue;
            }
            b'\'' | b'"' | b'`' => {
                i = skip_quoted(sql, i, c)?;
                if c == b'\'' {
                    Kind::Str
                } else {
                    Kind::Quoted
                }
            }
            b'[' => {
                i = sql[i..]
                    .find(']')
                    .map(|end| i + end + 1)
                    .ok_or("an unterminated [identifier]")?;
                Kind::Quoted
            }
            b'x' | b'X' if bytes.get(i + 1) == Some(&b'\'') => {
                i = skip_quoted(sql, i + 1, b'\'')?;
                Kind::Str
            }
            c if c.is_ascii_digit()
                || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) =>
            {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'.'
                        || ((bytes[i] == b'+' || bytes[i] == b'-')
                            && matches!(bytes[i - 1], b'e' | b'E')))
                {
                    i += 1;
                }
                Kind::Number
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'_'
                        || bytes[i] == b'$'
                        || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                Kind::Word
            }
            _ => {
                // One character; multi-byte UTF-8 is only ever in words,
                // strings or identifiers, handled above.
                i += 1;
                Kind::Punct(c as char)
            }
        };
        tokens.push(Token {
            kind,
            start,
            end: i,
        });
    }
    Ok(tokens)
}

fn skip_quoted(sql: &str, open: usize, quote: u8) -> Result<usize, String> {
    let bytes = sql.as_bytes();
    let mut i = open + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return Ok(i + 1);
        }
        i += 1;
    }
    Err(format!("an unterminated {} quote", quote as char))
}

/// A token list over its SQL text.
pub(super) struct Tokens<'a> {
    sql: &'a str,
    pub(super) tokens: Vec<Token>,
}

impl<'a> Tokens<'a> {
    pub(super) fn new(sql: &'a str) -> Result<Self, String> {
        Ok(Tokens {
            sql,
            tokens: tokenize(sql)?,
        })
    }

    pub(super) fn text(&self, i: usize) -> &'a str {
        let t = self.tokens[i];
        &self.sql[t.start..t.end]
    }

    pub(super) fn is_word(&self, i: usize, word: &str) -> bool {
        i < self.tokens.len()
            && self.tokens[i].kind == Kind::Word
            && self.text(i).eq_ignore_ascii_case(word)
    }

    pub(super) fn is_punct(&self, i: usize, c: char) -> bool {
        i < self.tokens.len() && self.tokens[i].kind == Kind::Punct(c)
    }

    /// The identifier at `i` (a word or a quoted name), unquoted.
    pub(super) fn ident(&self, i: usize) -> Option<String> {
        let token = self.tokens.get(i)?;
        let text = &self.sql[token.start..token.end];
        match token.kind {
            Kind::Word => Some(text.to_string()),
            Kind::Quoted => Some(unquote(text)),
            // SQLite accepts 'name' where an identifier is expected.
            Kind::Str => Some(unquote(text)),
            _ => None,
        }
    }

    /// The index after the group that opens at `i` (which must be `(`).
    pub(super) fn skip_group(&self, i: usize) -> Result<usize, String> {
        if !self.is_punct(i, '(') {
            return Err(format!("expected ( at {:?}", self.snippet(i)));
        }
        let mut depth = 0usize;
        for j in i..self.tokens.len() {
            match self.tokens[j].kind {
                Kind::Punct('(') => depth += 1,
                Kind::Punct(')') => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(j + 1);
                    }
                }
                _ => {}
            }
        }
        Err("unbalanced parentheses".to_string())
    }

    /// The first identifier of each comma-separated element of the group
    /// at `i` (a column list), and the index after the group.
    pub(super) fn column_list(&self, i: usize) -> Result<(Vec<String>, usize), String> {
        let end = self.skip_group(i)?;
        let mut columns = Vec::new();
        let mut depth = 0usize;
        let mut expecting = true;
        for j in i + 1..end - 1 {
            match self.tokens[j].kind {
                Kind::Punct('(') => depth += 1,
                Kind::Punct(')') => depth -= 1,
                Kind::Punct(',') if depth == 0 => expecting = true,
                _ if expecting && depth == 0 => {
                    if let Some(name) = self.ident(j) {
                        columns.push(name);
                    }
                    expecting = false;
                }
                _ => {}
            }
        }
        Ok((columns, end))
    }

    /// Every identifier among tokens `from..to`, lowercased.
    pub(super) fn idents(&self, from: usize, to: usize) -> Vec<String> {
        (from..to.min(self.tokens.len()))
            .filter(|&j| matches!(self.tokens[j].kind, Kind::Word | Kind::Quoted))
            .filter_map(|j| self.ident(j))
            .map(|s| s.to_lowercase())
            .collect()
    }

    pub(super) fn slice(&self, from: usize, to: usize) -> &'a str {
        &self.sql[self.tokens[from].start..self.tokens[to - 1].end]
    }

    pub(super) fn snippet(&self, i: usize) -> String {
        match self.tokens.get(i) {
            Some(token) => self.sql[token.start..].chars().take(40).collect(),
            None => "the end".to_string(),
        }
    }

    /// Skips an `ON CONFLICT <resolution>` clause at `i`, if there is one.
    pub(super) fn skip_conflict(&self, i: usize) -> usize {
        if self.is_word(i, "ON") && self.is_word(i + 1, "CONFLICT") {
            i + 3
        } else {
            i
        }
    }

    /// Skips the clauses after `REFERENCES table [(cols)]`, from `i`.
    pub(super) fn skip_reference_clauses(&self, mut i: usize) -> Result<usize, String> {
        loop {
            if self.is_word(i, "ON")
                && (self.is_word(i + 1, "DELETE") || self.is_word(i + 1, "UPDATE"))
            {
                i += 2;
                if self.is_word(i, "SET") || self.is_word(i, "NO") {
                    i += 2;
                } else if self.is_word(i, "CASCADE") || self.is_word(i, "RESTRICT") {
                    i += 1;
                } else {
                    return Err(format!(
                        "unknown foreign key action at {:?}",
                        self.snippet(i)
                    ));
                }
            } else if self.is_word(i, "MATCH")
                || (self.is_word(i, "NOT") && self.is_word(i + 1, "DEFERRABLE"))
            {
                i += 2;
            } else if self.is_word(i, "DEFERRABLE") {
                i += 1;
                if self.is_word(i, "INITIALLY") {
                    i += 2;
                }
            } else {
                return Ok(i);
            }
        }
    }
}

fn unquote(text: &str) -> String {
    let inner = &text[1..text.len() - 1];
    match text.as_bytes()[0] {
        b'"' => inner.replace("\"\"", "\""),
        b'`' => inner.replace("``", "`"),
        b'\'' => inner.replace("''", "'"),
        _ => inner.to_string(),
    }
}

/// The identifiers (lowercase) an index's definition uses after `ON table`:
/// its columns, expressions and `WHERE` clause.
pub(crate) fn index_idents(sql: &str) -> Vec<String> {
    let Ok(tokens) = Tokens::new(sql) else {
        return Vec::new();
    };
    let on = (0..tokens.tokens.len())
        .find(|&i| tokens.is_word(i, "ON"))
        .unwrap_or(0);
    tokens.idents(on + 2, tokens.tokens.len())
}

/// Whether `sql` names `name` anywhere as a word, quoted identifier or
/// string (case-insensitively): the test for "this statement touches that
/// table". A false positive only makes a rebuild happen sooner.
pub(crate) fn mentions(sql: &str, name: &str) -> bool {
    match Tokens::new(sql) {
        Ok(tokens) => (0..tokens.tokens.len()).any(|i| {
            matches!(tokens.tokens[i].kind, Kind::Word | Kind::Quoted | Kind::Str)
                && tokens
                    .ident(i)
                    .is_some_and(|id| id.eq_ignore_ascii_case(name))
        }),
        Err(_) => sql.to_lowercase().contains(&name.to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_finds_names_however_quoted() {
        assert!(mentions("INSERT INTO \"Rooms\" VALUES (1)", "rooms"));
        assert!(mentions("CREATE INDEX i ON [rooms] (a)", "rooms"));
        assert!(!mentions("CREATE INDEX i ON rooms_archive (a)", "rooms"));
        assert_eq!(
            index_idents("CREATE INDEX \"i\" ON \"t\" (\"a\", b) WHERE c IS NOT NULL"),
            ["a", "b", "where", "c", "is", "not", "null"]
        );
    }
}
