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
//! `[]` for a base), `transactional`, `allow = ["rule-id: reason"]`. The
//! other comment lines' first paragraph is the revision's message.

use arx_migrate_ids::check_revision_id;

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
    let mut header = Header::default();
    let mut message_lines: Vec<&str> = Vec::new();
    for line in leading_comment_lines(sql) {
        if let Some(options) = line.strip_prefix(HEADER_PREFIX) {
            parse_options(options, &mut header)?;
        } else if other_directives.contains(&line) {
            continue;
        } else {
            message_lines.push(line);
        }
    }
    let message = message_lines
        .split(|line| line.is_empty())
        .find(|paragraph| !paragraph.is_empty())
        .map(|paragraph| paragraph.join(" "));
    header.message = message;
    Ok(header)
}

/// A value in an options line.
#[derive(Debug, PartialEq)]
enum Value {
    Text(String),
    List(Vec<String>),
    Bool(bool),
}

fn parse_options(text: &str, header: &mut Header) -> Result<(), String> {
    let mut rest = text.trim();
    while !rest.is_empty() {
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        if name.is_empty() {
            return Err(format!(
                "expected an option name at `{}`; options are written as in #[migration]: rev = \"003\", down_rev = \"002\"",
                cut(rest)
            ));
        }
        rest = rest[name_len..].trim_start();
        let Some(after_equals) = rest.strip_prefix('=') else {
            return Err(format!(
                "option `{name}` needs a value, as in `{name} = ...`"
            ));
        };
        let (value, after) = parse_value(after_equals.trim_start())?;
        rest = after.trim_start();
        if let Some(after_comma) = rest.strip_prefix(',') {
            rest = after_comma.trim_start();
        } else if !rest.is_empty() {
            return Err(format!("expected `,` between options at `{}`", cut(rest)));
        }
        set_option(header, name, value)?;
    }
    Ok(())
}

fn cut(text: &str) -> String {
    text.chars().take(30).collect()
}

fn parse_value(text: &str) -> Result<(Value, &str), String> {
    if let Some(rest) = text.strip_prefix('[') {
        let mut items = Vec::new();
        let mut rest = rest.trim_start();
        loop {
            if let Some(after) = rest.strip_prefix(']') {
                return Ok((Value::List(items), after));
            }
            let (item, after) = parse_string(rest)?;
            items.push(item);
            rest = after.trim_start();
            if let Some(after) = rest.strip_prefix(',') {
                rest = after.trim_start();
            } else if !rest.starts_with(']') {
                return Err(format!("expected `,` or `]` in a list at `{}`", cut(rest)));
            }
        }
    }
    if text.starts_with('"') {
        let (item, after) = parse_string(text)?;
        return Ok((Value::Text(item), after));
    }
    for (word, value) in [("true", true), ("false", false)] {
        if let Some(after) = text.strip_prefix(word) {
            if !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                return Ok((Value::Bool(value), after));
            }
        }
    }
    Err(format!(
        "expected a \"string\", a [\"list\"], true or false at `{}`",
        cut(text)
    ))
}

/// A double-quoted string; `\"` and `\\` are escapes.
fn parse_string(text: &str) -> Result<(String, &str), String> {
    let Some(body) = text.strip_prefix('"') else {
        return Err(format!("expected a \"string\" at `{}`", cut(text)));
    };
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &body[i + 1..])),
            '\\' => match chars.next() {
                Some((_, escaped)) => out.push(escaped),
                None => break,
            },
            other => out.push(other),
        }
    }
    Err(format!("a string is never closed: `{}`", cut(text)))
}

fn set_option(header: &mut Header, name: &str, value: Value) -> Result<(), String> {
    let repeated = || format!("option `{name}` is given more than once");
    match (name, value) {
        ("rev", Value::Text(rev)) => {
            if header.rev.is_some() {
                return Err(repeated());
            }
            check_id(&rev)?;
            header.rev = Some(rev);
        }
        ("rev", _) => return Err("rev must be a string, as in rev = \"003\"".into()),
        ("down_rev", value) => {
            if header.down_revs.is_some() {
                return Err(repeated());
            }
            let parents = match value {
                Value::Text(one) => vec![one],
                Value::List(many) => many,
                Value::Bool(_) => {
                    return Err("down_rev must be a revision id or a list of them, as in down_rev = \"002\" or down_rev = [\"002a\", \"002b\"] (down_rev = [] for a base)".into())
                }
            };
            for (i, parent) in parents.iter().enumerate() {
                check_id(parent)?;
                if parents[..i].contains(parent) {
                    return Err(format!("down_rev lists {parent:?} twice"));
                }
            }
            header.down_revs = Some(parents);
        }
        ("transactional", Value::Bool(flag)) => {
            if header.transactional.is_some() {
                return Err(repeated());
            }
            header.transactional = Some(flag);
        }
        ("transactional", _) => {
            return Err("transactional must be true or false, without quotes".into())
        }
        ("allow", value) => {
            if header.allow.is_some() {
                return Err(repeated());
            }
            let items = match value {
                Value::Text(one) => vec![one],
                Value::List(many) => many,
                Value::Bool(_) => {
                    return Err("allow must be a list of \"rule-id: reason\" strings".into())
                }
            };
            let mut rules = Vec::new();
            for item in items {
                let (rule, reason) = match item.split_once(':') {
                    Some((rule, reason)) => (rule.trim(), reason.trim()),
                    None => (item.trim(), ""),
                };
                if rule.is_empty()
                    || !rule
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                {
                    return Err(format!("an allowed lint is written \"rule-id: reason\" (the rule id in lowercase, with '-'), not {item:?}"));
                }
                if reason.is_empty() {
                    return Err(format!(
                        "allowing {rule} needs a reason: \"{rule}: why it is safe here\""
                    ));
                }
                rules.push((rule.to_string(), reason.to_string()));
            }
            header.allow = Some(rules);
        }
        (other, _) => {
            return Err(format!(
                "unknown option `{other}`; expected rev, down_rev, transactional or allow"
            ))
        }
    }
    Ok(())
}

fn check_id(id: &str) -> Result<(), String> {
    check_revision_id(id).map_err(|problem| format!("invalid revision id {id:?}: {problem}"))
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
}
