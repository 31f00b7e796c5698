//! The header of a `.sql` migration: the comment lines before its first
//! statement.
//!
//! ```sql
//! -- arx-migrate: rev = "003", down_rev = "002", transactional = false
//! -- Add the tags table
//! --
//! -- Longer notes, not part of the message.
//! CREATE TABLE tags (id integer PRIMARY KEY, name text NOT NULL);
//! ```
//!
//! A line `-- arx-migrate: …` holds the options, written as in the
//! `#[migration(...)]` attribute: `rev`, `down_rev` (a string or a list;
//! `[]` for a base), `transactional`, `allow = ["rule-id: reason"]`; they
//! are read and checked by `arx_migrate_ids::options`, as the attribute's
//! are. The other comment lines' first paragraph is the revision's message.

use arx_migrate_ids::options::{self, Dialect};
use arx_migrate_ids::RevisionId;

/// The options of a header; `None` where the header does not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// `rev = "…"`.
    pub rev: Option<String>,
    /// `down_rev = "…"` or `down_rev = ["…", …]`.
    pub down_revs: Option<Vec<String>>,
    /// `transactional = true|false`.
    pub transactional: Option<bool>,
    /// `allow = ["rule-id: reason", …]`, split into rule and reason.
    pub allow: Option<Vec<(String, String)>>,
    /// The first paragraph of the other leading comment lines, on one line.
    pub message: Option<String>,
}

/// The prefix of an options line.
pub const HEADER_PREFIX: &str = "arx-migrate:";

/// The comment lines (`-- …`, without the dashes) before the first
/// statement of `sql`.
pub fn leading_comment_lines(sql: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    for line in sql.lines() {
        let line = line.trim();
        if line.is_empty() {
            lines.push("");
            continue;
        }
        match line.strip_prefix("--") {
            Some(comment) => lines.push(comment.trim()),
            None => break,
        }
    }
    lines
}

/// Reads the header of `sql`. `other_directives` are comment lines that
/// belong to another tool (sqlx's `no-transaction`) and are neither
/// options nor message.
pub fn parse_header(sql: &str, other_directives: &[&str]) -> Result<Header, String> {
    let mut raw = Vec::new();
    let mut message_lines: Vec<&str> = Vec::new();
    for line in leading_comment_lines(sql) {
        if let Some(options) = line.strip_prefix(HEADER_PREFIX) {
            raw.extend(options::text::read(options)?);
        } else if other_directives.contains(&line) {
            continue;
        } else {
            message_lines.push(line);
        }
    }
    let options = options::parse(raw, Dialect::SqlHeader).map_err(|error| error.to_string())?;
    let message = message_lines
        .split(|line| line.is_empty())
        .find(|paragraph| !paragraph.is_empty())
        .map(|paragraph| paragraph.join(" "));
    let ids = |ids: Vec<RevisionId>| ids.into_iter().map(String::from).collect();
    Ok(Header {
        rev: options.rev.map(String::from),
        down_revs: options.down_revs.map(ids),
        transactional: options.transactional,
        allow: options.allow.map(|lints| {
            lints
                .into_iter()
                .map(|lint| (lint.rule, lint.reason))
                .collect()
        }),
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_and_message_are_read() {
        let sql = "-- arx-migrate: rev = \"003\", down_rev = [\"a\", \"b\"],\n-- arx-migrate: transactional = false, allow = [\"drop-table: unused since 2.3\"]\n-- Add the tags\n-- table\n--\n-- Notes.\nCREATE TABLE tags (id int);\n-- not a header\n";
        let header = parse_header(sql, &[]).unwrap();
        assert_eq!(header.rev.as_deref(), Some("003"));
        assert_eq!(
            header.down_revs,
            Some(vec!["a".to_string(), "b".to_string()])
        );
        assert_eq!(header.transactional, Some(false));
        assert_eq!(
            header.allow,
            Some(vec![("drop-table".into(), "unused since 2.3".into())])
        );
        assert_eq!(header.message.as_deref(), Some("Add the tags table"));
    }

    #[test]
    fn an_empty_list_is_a_base_and_no_header_says_nothing() {
        let header = parse_header("-- arx-migrate: down_rev = []\nSELECT 1", &[]).unwrap();
        assert_eq!(header.down_revs, Some(vec![]));
        assert_eq!(header.message, None);
        assert_eq!(parse_header("SELECT 1", &[]).unwrap(), Header::default());
    }

    #[test]
    fn other_tools_directives_are_not_the_message() {
        let header = parse_header(
            "-- no-transaction\n-- Build the index\nCREATE INDEX",
            &["no-transaction"],
        )
        .unwrap();
        assert_eq!(header.message.as_deref(), Some("Build the index"));
    }

    #[test]
    fn mistakes_are_explained() {
        let cases = [
            ("rev = 3", "expected a \"string\""),
            ("rev = \"a b\"", "invalid revision id"),
            ("rev = \"a\", rev = \"b\"", "more than once"),
            ("down_rev = true", "down_rev must be"),
            ("down_rev = [\"a\", \"a\"]", "twice"),
            ("transactional = \"no\"", "true or false"),
            ("allow = [\"drop-table\"]", "needs a reason"),
            ("allow = [\"Drop Table: x\"]", "rule-id: reason"),
            ("revision = \"1\"", "unknown option `revision`"),
            ("rev \"1\"", "needs a value"),
            ("rev = \"1\" down_rev = \"0\"", "expected `,`"),
            ("rev = \"1", "never closed"),
        ];
        for (options, expected) in cases {
            let sql = format!("-- arx-migrate: {options}\nSELECT 1");
            let error = parse_header(&sql, &[]).unwrap_err();
            assert!(error.contains(expected), "{options}: {error}");
        }
    }

    #[test]
    fn the_attributes_rules_hold_in_a_header() {
        // Refused here, in the attribute's words, rather than later as a cycle.
        let error = parse_header(
            "-- arx-migrate: rev = \"a\", down_rev = [\"b\", \"a\"]\nSELECT 1",
            &[],
        )
        .unwrap_err();
        assert_eq!(error, "a revision cannot revise itself: \"a\"");
        // Options repeated across lines are one set of options.
        let error = parse_header(
            "-- arx-migrate: rev = \"a\"\n-- arx-migrate: rev = \"b\"\nSELECT 1",
            &[],
        )
        .unwrap_err();
        assert_eq!(error, "option `rev` is given more than once");
    }
}
