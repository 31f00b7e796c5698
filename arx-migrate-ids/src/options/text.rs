//! Options written as text — the `.sql` header's `-- arx-migrate: …` line,
//! or the inside of a `#[migration(…)]` attribute in a source file — read
//! into the token model. A token's position is its text.
//!
//! Strings are double-quoted, with `\"` and `\\` as escapes; lists hold
//! strings.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{needs_a_value, RawOption, Value};

/// Reads `text`, all of it, as options: `rev = "003", down_rev = "002"`.
///
/// ```
/// use arx_migrate_ids::options::text;
/// let options = text::read("rev = \"003\", transactional = false").unwrap();
/// assert_eq!(options[1].name, "transactional");
/// assert!(text::read("rev \"003\"").unwrap_err().contains("needs a value"));
/// ```
pub fn read(text: &str) -> Result<Vec<RawOption<&str>>, String> {
    read_options(text, None).map(|(options, _)| options)
}

/// Reads options up to the `)` that closes them (the inside of
/// `migration(…)`), and returns the text after it.
///
/// ```
/// use arx_migrate_ids::options::text;
/// let (options, rest) = text::read_to_close("rev = \"a)\")]\npub mod m {}").unwrap();
/// assert_eq!(options.len(), 1);
/// assert_eq!(rest, "]\npub mod m {}");
/// ```
pub fn read_to_close(text: &str) -> Result<(Vec<RawOption<&str>>, &str), String> {
    read_options(text, Some(')'))
}

fn read_options(text: &str, close: Option<char>) -> Result<(Vec<RawOption<&str>>, &str), String> {
    let mut options = Vec::new();
    let mut rest = text.trim_start();
    loop {
        if let Some(close) = close {
            if let Some(after) = rest.strip_prefix(close) {
                return Ok((options, after));
            }
            if rest.is_empty() {
                return Err(format!("the options are never closed with `{close}`"));
            }
        } else if rest.trim_end().is_empty() {
            return Ok((options, ""));
        }
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
            return Err(needs_a_value(name));
        };
        let (value, after) = read_value(after_equals.trim_start())?;
        options.push(RawOption {
            name: name.into(),
            name_span: name,
            value,
        });
        rest = after.trim_start();
        if let Some(after_comma) = rest.strip_prefix(',') {
            rest = after_comma.trim_start();
        } else if !(rest.trim_end().is_empty() || close.is_some_and(|c| rest.starts_with(c))) {
            return Err(format!("expected `,` between options at `{}`", cut(rest)));
        }
    }
}

fn cut(text: &str) -> String {
    text.chars().take(30).collect()
}

/// The text `read` consumed between `start` and `rest`.
fn consumed<'a>(start: &'a str, rest: &'a str) -> &'a str {
    &start[..start.len() - rest.len()]
}

fn read_value(text: &str) -> Result<(Value<&str>, &str), String> {
    if let Some(rest) = text.strip_prefix('[') {
        let mut items = Vec::new();
        let mut rest = rest.trim_start();
        loop {
            if let Some(after) = rest.strip_prefix(']') {
                let span = consumed(text, after);
                return Ok((Value::List { items, span }, after));
            }
            let (item, after) = read_string(rest)?;
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
        return read_string(text);
    }
    for (word, value) in [("true", true), ("false", false)] {
        if let Some(after) = text.strip_prefix(word) {
            if !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                let span = consumed(text, after);
                return Ok((Value::Bool { value, span }, after));
            }
        }
    }
    Err(format!(
        "expected a \"string\", a [\"list\"], true or false at `{}`",
        cut(text)
    ))
}

/// A double-quoted string; `\"` and `\\` are escapes.
fn read_string(text: &str) -> Result<(Value<&str>, &str), String> {
    let Some(body) = text.strip_prefix('"') else {
        return Err(format!("expected a \"string\" at `{}`", cut(text)));
    };
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                let after = &body[i + 1..];
                let span = consumed(text, after);
                return Ok((Value::Str { text: out, span }, after));
            }
            '\\' => match chars.next() {
                Some((_, escaped)) => out.push(escaped),
                None => break,
            },
            other => out.push(other),
        }
    }
    Err(format!("a string is never closed: `{}`", cut(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_the_tokens_text() {
        let options = read("rev = \"a\\\"b\", down_rev = [ \"x\" ]").unwrap();
        assert_eq!(options[0].name_span, "rev");
        assert_eq!(
            options[0].value,
            Value::Str {
                text: "a\"b".into(),
                span: "\"a\\\"b\""
            }
        );
        assert_eq!(options[1].value.span(), "[ \"x\" ]");
    }

    #[test]
    fn a_parenthesis_closes_only_outside_strings() {
        let (options, rest) = read_to_close(" rev = \"a)\" , allow = [\"x: (y)\"] ) tail").unwrap();
        assert_eq!(options.len(), 2);
        assert_eq!(rest, " tail");
        assert!(read_to_close("rev = \"a\"").is_err());
        assert!(read_to_close(")").unwrap().0.is_empty());
    }
}
