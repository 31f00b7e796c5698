//! Checksums of the SQL a revision renders, over a canonical form so that a
//! formatting change in a dependency (line endings, spacing, keyword case)
//! does not read as an edited migration.

use hmac_sha256::Hash as Sha256;

/// Accumulates the canonical SQL of a revision's statements.
#[derive(Clone)]
pub(crate) struct ChecksumBuilder {
    hasher: Sha256,
    stopped: bool,
}

impl ChecksumBuilder {
    pub(crate) fn new() -> Self {
        ChecksumBuilder {
            hasher: Sha256::new(),
            stopped: false,
        }
    }

    /// Adds one statement, canonicalised.
    pub(crate) fn add_statement(&mut self, sql: &str) {
        if self.stopped {
            return;
        }
        self.hasher.update(canonical_sql(sql).as_bytes());
        self.hasher.update(b";\n");
    }

    /// Marks a point after which the statements depend on data (a data
    /// migration). Offline renders stop there, so live runs stop hashing
    /// there too: both then agree on the checksum.
    pub(crate) fn add_marker(&mut self, marker: &str) {
        if !self.stopped {
            self.hasher.update(b"-- ");
            self.hasher.update(marker.as_bytes());
            self.hasher.update(b"\n");
            self.stopped = true;
        }
    }

    /// The checksum, as lowercase hex.
    pub(crate) fn finish(self) -> String {
        hex(&self.hasher.finalize())
    }
}

/// `bytes` as lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[(byte >> 4) as usize] as char);
        out.push(DIGITS[(byte & 15) as usize] as char);
    }
    out
}

/// The canonical form of a statement: runs of white space outside quotes
/// become one space (none next to punctuation), unquoted text is lowercased,
/// a trailing `;` is dropped. Quoted strings and identifiers are kept as
/// they are, since their case and spacing matter.
pub fn canonical_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql
        .trim()
        .trim_end_matches(';')
        .trim_end()
        .chars()
        .peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' | '`' => {
                flush_space(&mut out, &mut pending_space, c);
                out.push(c);
                // Copy up to the closing quote; a doubled quote is an escape.
                while let Some(inner) = chars.next() {
                    out.push(inner);
                    if inner == c {
                        if chars.peek() == Some(&c) {
                            out.push(chars.next().unwrap_or(c));
                        } else {
                            break;
                        }
                    }
                }
            }
            c if c.is_whitespace() => pending_space = !out.is_empty(),
            c => {
                flush_space(&mut out, &mut pending_space, c);
                out.extend(c.to_lowercase());
            }
        }
    }
    out
}

fn flush_space(out: &mut String, pending_space: &mut bool, next: char) {
    if *pending_space {
        let after_punct = out.ends_with(['(', ',', '.']);
        let before_punct = matches!(next, ')' | ',' | '.' | '(');
        if !after_punct && !before_punct {
            out.push(' ');
        }
        *pending_space = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_does_not_change_the_canonical_form() {
        let a = "CREATE TABLE \"Users\" (\n  id integer,\r\n  name TEXT DEFAULT 'A  b'\n);";
        let b = "create table \"Users\"( id INTEGER , name text default 'A  b')";
        assert_eq!(canonical_sql(a), canonical_sql(b));
        assert_eq!(
            canonical_sql(a),
            "create table \"Users\"(id integer,name text default 'A  b')"
        );
    }

    #[test]
    fn quoted_text_keeps_its_case_and_spacing() {
        assert_ne!(
            canonical_sql("SELECT 'Hello  World'"),
            canonical_sql("SELECT 'hello world'")
        );
        assert_ne!(
            canonical_sql("SELECT \"Col\""),
            canonical_sql("SELECT \"col\"")
        );
        assert_eq!(canonical_sql("SELECT 'it''s'"), "select 'it''s'");
    }

    #[test]
    fn a_changed_statement_changes_the_checksum() {
        let sum = |statements: &[&str]| {
            let mut builder = ChecksumBuilder::new();
            for s in statements {
                builder.add_statement(s);
            }
            builder.finish()
        };
        assert_eq!(
            sum(&["CREATE TABLE a (x int)"]),
            sum(&["create  table a(x INT);"])
        );
        assert_ne!(
            sum(&["CREATE TABLE a (x int)"]),
            sum(&["CREATE TABLE a (x bigint)"])
        );
        assert_ne!(sum(&["A", "B"]), sum(&["B", "A"]));
        assert_eq!(sum(&[]).len(), 64);
    }
}
