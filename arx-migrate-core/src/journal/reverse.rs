//! The reverse of a statement, where its text says plainly what it
//! creates: `CREATE TABLE t` is undone by `DROP TABLE t`, an added column
//! by dropping it, a created index by dropping it. Statements that
//! destroy or change something (DROP, MODIFY, UPDATE) have no reverse:
//! what they took is not in their text.
//!
//! What [`Ops`](crate::Ops)' portable calls render is plain enough to be
//! read back; raw SQL is read the same way, and a statement that is not
//! recognised has none. A migration can also name a statement's reverse
//! itself ([`Ops::mysql_reversible`](crate::Ops::mysql_reversible)).

/// One token: a word or quoted identifier (unquoted), or one punctuation
/// character.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Text,
    Punct(char),
}

impl Token {
    fn is(&self, word: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(word))
    }
}

/// Splits SQL into tokens; `None` on an unterminated quote.
fn tokens(sql: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') || c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == '`' || c == '"' || c == '\'' {
            let mut text = String::new();
            i += 1;
            loop {
                let d = *chars.get(i)?;
                if d == '\\' && c != '`' {
                    text.push(*chars.get(i + 1)?);
                    i += 2;
                    continue;
                }
                if d == c {
                    if chars.get(i + 1) == Some(&c) {
                        text.push(c);
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                text.push(d);
                i += 1;
            }
            out.push(if c == '\'' {
                Token::Text
            } else {
                Token::Quoted(text)
            });
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    Some(out)
}

/// A name as written back: quoted with backticks.
fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Reads a possibly qualified name (`db.t`, `` `db`.`t` ``) at `i`;
/// returns it quoted and the index after it.
fn name_at(tokens: &[Token], mut i: usize) -> Option<(String, usize)> {
    let mut parts = Vec::new();
    loop {
        match tokens.get(i)? {
            Token::Word(word) | Token::Quoted(word) => parts.push(quote(word)),
            _ => return None,
        }
        i += 1;
        if tokens.get(i) == Some(&Token::Punct('.')) {
            i += 1;
        } else {
            return Some((parts.join("."), i));
        }
    }
}

/// Skips `IF NOT EXISTS` at `i`.
fn skip_if_not_exists(tokens: &[Token], i: usize) -> usize {
    if tokens.get(i).is_some_and(|t| t.is("IF"))
        && tokens.get(i + 1).is_some_and(|t| t.is("NOT"))
        && tokens.get(i + 2).is_some_and(|t| t.is("EXISTS"))
    {
        i + 3
    } else {
        i
    }
}

/// The top-level clauses of a statement's tail, split at commas outside
/// parentheses.
fn clauses(tokens: &[Token]) -> Vec<&[Token]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Punct('(') => depth += 1,
            Token::Punct(')') => depth = depth.saturating_sub(1),
            Token::Punct(',') if depth == 0 => {
                out.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&tokens[start..]);
    out
}

/// The statement that undoes `sql`, where its text says plainly what it
/// creates; `None` otherwise.
///
/// ```
/// use arx_migrate_core::journal::reverse_of;
/// assert_eq!(reverse_of("CREATE TABLE IF NOT EXISTS notes (id INT)").as_deref(), Some("DROP TABLE `notes`"));
/// assert_eq!(
///     reverse_of("ALTER TABLE notes ADD COLUMN body LONGTEXT, ALGORITHM=INSTANT").as_deref(),
///     Some("ALTER TABLE `notes` DROP COLUMN `body`")
/// );
/// assert_eq!(reverse_of("DROP TABLE notes"), None);
/// ```
pub fn reverse_of(sql: &str) -> Option<String> {
    let tokens = tokens(sql)?;
    let mut tokens: &[Token] = &tokens;
    while let Some((Token::Punct(';'), rest)) = tokens.split_last() {
        tokens = rest;
    }
    if tokens.first()?.is("CREATE") {
        return reverse_create(tokens);
    }
    if tokens.first()?.is("ALTER") && tokens.get(1)?.is("TABLE") {
        return reverse_alter(tokens);
    }
    if tokens.first()?.is("RENAME") && tokens.get(1)?.is("TABLE") {
        let (from, i) = name_at(tokens, 2)?;
        if !tokens.get(i)?.is("TO") {
            return None;
        }
        let (to, end) = name_at(tokens, i + 1)?;
        return (end == tokens.len()).then(|| format!("RENAME TABLE {to} TO {from}"));
    }
    None
}

fn reverse_create(tokens: &[Token]) -> Option<String> {
    let mut i = 1;
    if tokens.get(i)?.is("OR") && tokens.get(i + 1)?.is("REPLACE") {
        return None; // it may have replaced something
    }
    if tokens.get(i)?.is("TEMPORARY") {
        return None;
    }
    if ["UNIQUE", "FULLTEXT", "SPATIAL"]
        .iter()
        .any(|w| tokens.get(1).is_some_and(|t| t.is(w)))
    {
        i += 1;
    }
    let what = tokens.get(i)?;
    if what.is("TABLE") {
        let (name, _) = name_at(tokens, skip_if_not_exists(tokens, i + 1))?;
        return Some(format!("DROP TABLE {name}"));
    }
    if what.is("INDEX") {
        let (index, j) = name_at(tokens, skip_if_not_exists(tokens, i + 1))?;
        if !tokens.get(j)?.is("ON") {
            return None;
        }
        let (table, _) = name_at(tokens, j + 1)?;
        return Some(format!("DROP INDEX {index} ON {table}"));
    }
    if what.is("VIEW") || what.is("TRIGGER") {
        let kind = if what.is("VIEW") { "VIEW" } else { "TRIGGER" };
        let (name, _) = name_at(tokens, skip_if_not_exists(tokens, i + 1))?;
        return Some(format!("DROP {kind} {name}"));
    }
    None
}

fn reverse_alter(tokens: &[Token]) -> Option<String> {
    let (table, i) = name_at(tokens, 2)?;
    let changes: Vec<&[Token]> = clauses(&tokens[i..])
        .into_iter()
        .filter(|clause| {
            !clause
                .first()
                .is_some_and(|t| t.is("ALGORITHM") || t.is("LOCK"))
        })
        .collect();
    let [change] = changes.as_slice() else {
        return None;
    };
    if !change.first()?.is("ADD") {
        return None;
    }
    let mut j = 1;
    let kind = change.get(j)?;
    let undo = if kind.is("INDEX") || kind.is("KEY") {
        let (name, _) = name_at(change, skip_if_not_exists(change, j + 1))?;
        format!("DROP INDEX {name}")
    } else if (kind.is("UNIQUE") || kind.is("FULLTEXT") || kind.is("SPATIAL"))
        && change
            .get(j + 1)
            .is_some_and(|t| t.is("INDEX") || t.is("KEY"))
    {
        let (name, _) = name_at(change, skip_if_not_exists(change, j + 2))?;
        format!("DROP INDEX {name}")
    } else if kind.is("CONSTRAINT")
        || kind.is("PRIMARY")
        || kind.is("FOREIGN")
        || kind.is("CHECK")
        || kind.is("PARTITION")
    {
        return None;
    } else {
        if kind.is("COLUMN") {
            j += 1;
        }
        if change.get(j) == Some(&Token::Punct('(')) {
            return None; // several columns at once
        }
        let (column, _) = name_at(change, skip_if_not_exists(change, j))?;
        format!("DROP COLUMN {column}")
    };
    Some(format!("ALTER TABLE {table} {undo}"))
}

#[cfg(test)]
mod tests {
    use super::reverse_of;

    #[test]
    fn what_is_created_is_dropped_and_nothing_else_is_guessed() {
        for (sql, reverse) in [
            ("CREATE TABLE `a` (id INT)", Some("DROP TABLE `a`")),
            (
                "create table if not exists db.a (id int);",
                Some("DROP TABLE `db`.`a`"),
            ),
            (
                "CREATE UNIQUE INDEX ix ON a (b)",
                Some("DROP INDEX `ix` ON `a`"),
            ),
            (
                "CREATE INDEX `i``x` ON `a` (b)",
                Some("DROP INDEX `i``x` ON `a`"),
            ),
            (
                "ALTER TABLE a ADD b INT NOT NULL DEFAULT 0",
                Some("ALTER TABLE `a` DROP COLUMN `b`"),
            ),
            (
                "ALTER TABLE a ADD COLUMN b INT, ALGORITHM=INSTANT, LOCK=NONE",
                Some("ALTER TABLE `a` DROP COLUMN `b`"),
            ),
            (
                "ALTER TABLE a ADD UNIQUE KEY uq (b, c)",
                Some("ALTER TABLE `a` DROP INDEX `uq`"),
            ),
            (
                "ALTER TABLE a ADD INDEX ix (b), ALGORITHM=INPLACE",
                Some("ALTER TABLE `a` DROP INDEX `ix`"),
            ),
            ("RENAME TABLE a TO b", Some("RENAME TABLE `b` TO `a`")),
            ("CREATE VIEW v AS SELECT 1", Some("DROP VIEW `v`")),
            ("ALTER TABLE a ADD COLUMN b INT, ADD COLUMN c INT", None),
            ("ALTER TABLE a ADD (b INT, c INT)", None),
            (
                "ALTER TABLE a ADD CONSTRAINT fk FOREIGN KEY (b) REFERENCES c (id)",
                None,
            ),
            ("ALTER TABLE a MODIFY b BIGINT", None),
            ("ALTER TABLE a DROP COLUMN b", None),
            ("CREATE OR REPLACE VIEW v AS SELECT 1", None),
            ("DROP TABLE a", None),
            ("UPDATE a SET b = 1", None),
            ("RENAME TABLE a TO b, c TO d", None),
            ("CREATE TABLE 'open", None),
        ] {
            assert_eq!(reverse_of(sql).as_deref(), reverse, "{sql}");
        }
    }
}
