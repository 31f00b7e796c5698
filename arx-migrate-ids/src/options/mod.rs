//! The options of a migration — `rev`, `down_rev`, `branch_labels`,
//! `depends_on`, `transactional`, `allow` — and the rules their values
//! follow, in one place.
//!
//! Three readers write them the same way: the `#[migration(...)]`
//! attribute, the `-- arx-migrate: ...` line of a `.sql` file's header,
//! and the command line's scan of existing migrations. Each turns what it
//! reads into the small token model here ([`RawOption`], [`Value`]), keeping
//! a position of its own (`S`: the attribute a span, text the token's
//! text), and [`parse`] applies the vocabulary and the value rules, saying
//! what is wrong at that position. [`text`] reads the model from text.

pub mod text;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::{BranchLabel, RevisionId};

/// A value as written, with where it was written (`S`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<S> {
    /// A string: `"002"`.
    Str {
        /// The string's value, escapes resolved.
        text: String,
        /// Where it was written.
        span: S,
    },
    /// `true` or `false`.
    Bool {
        /// Which.
        value: bool,
        /// Where it was written.
        span: S,
    },
    /// A list: `["001a", "001b"]`.
    List {
        /// Its elements.
        items: Vec<Value<S>>,
        /// Where the whole list was written.
        span: S,
    },
    /// Anything else (a number, a path, an expression).
    Other {
        /// Where it was written.
        span: S,
    },
}

impl<S: Clone> Value<S> {
    /// Where the value was written.
    pub fn span(&self) -> S {
        match self {
            Value::Str { span, .. }
            | Value::Bool { span, .. }
            | Value::List { span, .. }
            | Value::Other { span } => span.clone(),
        }
    }
}

/// One `name = value` option as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOption<S> {
    /// The name as written (`rev`, or a mistake).
    pub name: String,
    /// Where the name was written.
    pub name_span: S,
    /// The value.
    pub value: Value<S>,
}

/// Which reader the options come from: they accept different options and
/// read an empty list differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `#[migration(...)]`: every option; `rev` is required; a list is
    /// never empty (a base leaves `down_rev` out).
    Attribute,
    /// The header of a `.sql` file: `rev`, `down_rev`, `transactional` and
    /// `allow`; `rev` may come from the file's name; `down_rev = []` makes
    /// a base (leaving it out means "the previous file").
    SqlHeader,
}

impl Dialect {
    fn accepts(self) -> &'static [&'static str] {
        match self {
            Dialect::Attribute => &[
                "rev",
                "down_rev",
                "branch_labels",
                "depends_on",
                "transactional",
                "allow",
            ],
            Dialect::SqlHeader => &["rev", "down_rev", "transactional", "allow"],
        }
    }

    fn empty_list_allowed(self) -> bool {
        self == Dialect::SqlHeader
    }
}

/// A rule a revision allows a lint to break, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedLint {
    /// The rule id, `destructive-drop`.
    pub rule: String,
    /// Why breaking it is safe here.
    pub reason: String,
}

/// The options, checked; `None` where they do not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationOptions {
    /// `rev = "…"` (always there for [`Dialect::Attribute`]).
    pub rev: Option<RevisionId>,
    /// `down_rev = "…"` or `down_rev = ["…", …]`, without repeats.
    pub down_revs: Option<Vec<RevisionId>>,
    /// `branch_labels = ["…"]`, without repeats.
    pub branch_labels: Option<Vec<BranchLabel>>,
    /// `depends_on = ["…"]`: revision ids or branch labels (both follow
    /// the revision-id rules), without repeats.
    pub depends_on: Option<Vec<String>>,
    /// `transactional = true|false`.
    pub transactional: Option<bool>,
    /// `allow = ["rule-id: reason", …]`.
    pub allow: Option<Vec<AllowedLint>>,
}

/// What is wrong with the options, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError<S> {
    /// Where: `None` for the options as a whole (`rev` is missing).
    pub span: Option<S>,
    /// What is wrong and what to write instead.
    pub message: String,
    /// The offending text when the message does not quote it, for readers
    /// that cannot point at [`OptionError::span`].
    pub offending: Option<String>,
}

impl<S> fmt::Display for OptionError<S> {
    /// The message, quoting the offending text when the message does not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match &self.offending {
            Some(text) => write!(f, ": {text:?}"),
            None => Ok(()),
        }
    }
}

impl<S> OptionError<S> {
    fn at(span: S, message: impl Into<String>) -> Self {
        OptionError {
            span: Some(span),
            message: message.into(),
            offending: None,
        }
    }

    fn quoting(mut self, offending: &str) -> Self {
        self.offending = Some(offending.to_string());
        self
    }
}

/// What the readers say about an option written without `= value`.
pub fn needs_a_value(name: &str) -> String {
    format!("option `{name}` needs a value, as in `rev = \"002\"` or `transactional = false`")
}

/// Checks `options` against the vocabulary of `dialect` and the rules of
/// each value, in the order written.
///
/// ```
/// use arx_migrate_ids::options::{parse, text, Dialect};
/// let raw = text::read("rev = \"003\", down_rev = [\"a\", \"b\"]").unwrap();
/// let options = parse(raw, Dialect::SqlHeader).unwrap();
/// assert_eq!(options.rev.unwrap(), "003");
/// assert_eq!(options.down_revs.unwrap(), ["a", "b"]);
///
/// let raw = text::read("rev = \"a b\"").unwrap();
/// let error = parse(raw, Dialect::SqlHeader).unwrap_err();
/// assert_eq!(error.to_string(), "invalid revision id \"a b\": only ASCII letters, digits, '_' and '-' are allowed");
/// ```
pub fn parse<S: Clone>(
    options: Vec<RawOption<S>>,
    dialect: Dialect,
) -> Result<MigrationOptions, OptionError<S>> {
    let mut parsed = MigrationOptions::default();
    // Where each list's strings were written, for the checks across options.
    let mut rev_span = None;
    let mut down_rev_spans = Vec::new();
    let mut label_spans = Vec::new();
    let mut dependency_spans = Vec::new();
    for option in options {
        let RawOption {
            name,
            name_span,
            value,
        } = option;
        if !dialect.accepts().contains(&name.as_str()) {
            let expected = or_list(dialect.accepts());
            return Err(OptionError::at(
                name_span,
                format!("unknown option `{name}`; expected {expected}"),
            ));
        }
        let given = match name.as_str() {
            "rev" => parsed.rev.is_some(),
            "down_rev" => parsed.down_revs.is_some(),
            "branch_labels" => parsed.branch_labels.is_some(),
            "depends_on" => parsed.depends_on.is_some(),
            "transactional" => parsed.transactional.is_some(),
            _ => parsed.allow.is_some(),
        };
        if given {
            return Err(OptionError::at(
                name_span,
                format!("option `{name}` is given more than once"),
            ));
        }
        match name.as_str() {
            "rev" => {
                let Value::Str { text, span } = value else {
                    return Err(OptionError::at(
                        value.span(),
                        "rev must be a string literal, as in `rev = \"002\"`",
                    ));
                };
                parsed.rev = Some(checked(&text, &span, "revision id")?);
                rev_span = Some((text, span));
            }
            "down_rev" => {
                let base = match dialect {
                    Dialect::Attribute => "leave it out for a base",
                    Dialect::SqlHeader => "`down_rev = []` for a base",
                };
                let list = strings(
                    value,
                    dialect,
                    &format!("down_rev must be a revision id or a list of them, as in `down_rev = \"001\"` or `down_rev = [\"001a\", \"001b\"]` ({base})"),
                    "each parent in down_rev must be a string literal",
                )?;
                let ids = list
                    .iter()
                    .map(|(text, span)| checked(text, span, "revision id"))
                    .collect::<Result<_, _>>()?;
                no_repeats(&list, "this parent is listed twice")?;
                parsed.down_revs = Some(ids);
                down_rev_spans = list;
            }
            "branch_labels" => {
                let list = strings(
                    value,
                    dialect,
                    "branch_labels must be a label or a list of them, as in `branch_labels = [\"billing\"]`",
                    "each branch label must be a string literal",
                )?;
                let labels = list
                    .iter()
                    .map(|(text, span)| checked(text, span, "branch label"))
                    .collect::<Result<_, _>>()?;
                no_repeats(&list, "this label is listed twice")?;
                parsed.branch_labels = Some(labels);
                label_spans = list;
            }
            "depends_on" => {
                let list = strings(
                    value,
                    dialect,
                    "depends_on must be a revision id or branch label, or a list of them, as in `depends_on = [\"b001\"]`",
                    "each entry of depends_on must be a string literal",
                )?;
                for (text, span) in &list {
                    checked::<BranchLabel, S>(text, span, "revision id or branch label")?;
                }
                no_repeats(&list, "this dependency is listed twice")?;
                parsed.depends_on = Some(list.iter().map(|(text, _)| text.clone()).collect());
                dependency_spans = list;
            }
            "transactional" => {
                let Value::Bool { value, .. } = value else {
                    return Err(OptionError::at(
                        value.span(),
                        "transactional must be true or false, without quotes",
                    ));
                };
                parsed.transactional = Some(value);
            }
            _ => {
                let list = strings(
                    value,
                    dialect,
                    "allow must be a string or a list of strings, as in `allow = [\"rule-id: reason\"]`",
                    "each allowed lint must be a string literal, \"rule-id: reason\"",
                )?;
                let lints = list
                    .iter()
                    .map(|(text, span)| allowed_lint(text, span))
                    .collect::<Result<_, _>>()?;
                parsed.allow = Some(lints);
            }
        }
    }
    let Some((rev, _)) = rev_span else {
        if dialect == Dialect::Attribute {
            return Err(OptionError {
                span: None,
                message: "missing `rev = \"...\"`: every migration needs a revision id, as in `#[migration(rev = \"002\", down_rev = \"001\")]`".to_string(),
                offending: None,
            });
        }
        return Ok(parsed);
    };
    for (list, message) in [
        (&down_rev_spans, "a revision cannot revise itself"),
        (&dependency_spans, "a revision cannot depend on itself"),
        (
            &label_spans,
            "a branch label cannot be the revision's own id",
        ),
    ] {
        if let Some((text, span)) = list.iter().find(|(text, _)| *text == rev) {
            return Err(OptionError::at(span.clone(), message).quoting(text));
        }
    }
    Ok(parsed)
}

/// "a, b or c".
fn or_list(names: &[&str]) -> String {
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// A name checked against the revision-id rules; `what` names it in the
/// message.
fn checked<T, S: Clone>(text: &str, span: &S, what: &str) -> Result<T, OptionError<S>>
where
    T: TryFrom<String, Error = crate::IdProblem>,
{
    T::try_from(text.to_string()).map_err(|problem| {
        OptionError::at(span.clone(), format!("invalid {what} {text:?}: {problem}"))
    })
}

/// A string or a list of strings, as `(text, span)` pairs. `one` is the
/// message for a value that is neither, `each` for an element that is not
/// a string.
fn strings<S: Clone>(
    value: Value<S>,
    dialect: Dialect,
    one: &str,
    each: &str,
) -> Result<Vec<(String, S)>, OptionError<S>> {
    match value {
        Value::Str { text, span } => Ok(alloc::vec![(text, span)]),
        Value::List { items, span } => {
            if items.is_empty() && !dialect.empty_list_allowed() {
                return Err(OptionError::at(span, format!("{one}; the list is empty")));
            }
            items
                .into_iter()
                .map(|item| match item {
                    Value::Str { text, span } => Ok((text, span)),
                    other => Err(OptionError::at(other.span(), each)),
                })
                .collect()
        }
        other => Err(OptionError::at(other.span(), one)),
    }
}

/// An error at the second occurrence of a repeated string.
fn no_repeats<S: Clone>(list: &[(String, S)], message: &str) -> Result<(), OptionError<S>> {
    for (i, (text, span)) in list.iter().enumerate() {
        if list[..i].iter().any(|(other, _)| other == text) {
            return Err(OptionError::at(span.clone(), message).quoting(text));
        }
    }
    Ok(())
}

/// `"rule-id: reason"`, split and checked.
fn allowed_lint<S: Clone>(text: &str, span: &S) -> Result<AllowedLint, OptionError<S>> {
    let (rule, reason) = match text.split_once(':') {
        Some((rule, reason)) => (rule.trim(), reason.trim()),
        None => (text.trim(), ""),
    };
    if rule.is_empty()
        || !rule
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(OptionError::at(
            span.clone(),
            "an allowed lint is written \"rule-id: reason\" (the rule id in lowercase, with '-')",
        )
        .quoting(text));
    }
    if reason.is_empty() {
        return Err(OptionError::at(
            span.clone(),
            format!("allowing {rule} needs a reason: \"{rule}: why it is safe here\""),
        ));
    }
    Ok(AllowedLint {
        rule: rule.to_string(),
        reason: reason.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn parse_text(text: &str, dialect: Dialect) -> Result<MigrationOptions, String> {
        parse(text::read(text)?, dialect).map_err(|error| error.to_string())
    }

    #[test]
    fn each_dialect_has_its_vocabulary() {
        let labels = "rev = \"a\", branch_labels = [\"billing\"], depends_on = \"b1\"";
        let options = parse_text(labels, Dialect::Attribute).unwrap();
        assert_eq!(options.branch_labels.unwrap(), ["billing"]);
        assert_eq!(options.depends_on.unwrap(), ["b1"]);
        assert_eq!(
            parse_text(labels, Dialect::SqlHeader).unwrap_err(),
            "unknown option `branch_labels`; expected rev, down_rev, transactional or allow"
        );
        assert!(parse_text("down_rev = \"a\"", Dialect::Attribute)
            .unwrap_err()
            .starts_with("missing `rev"));
        assert_eq!(
            parse_text("down_rev = \"a\"", Dialect::SqlHeader)
                .unwrap()
                .rev,
            None
        );
    }

    #[test]
    fn an_empty_list_is_a_base_only_in_a_header() {
        let header = parse_text("down_rev = []", Dialect::SqlHeader).unwrap();
        assert_eq!(header.down_revs, Some(vec![]));
        let attribute = parse_text("rev = \"a\", down_rev = []", Dialect::Attribute);
        assert!(attribute
            .unwrap_err()
            .ends_with("(leave it out for a base); the list is empty"));
    }

    #[test]
    fn errors_point_at_the_offending_token() {
        let raw = text::read("rev = \"a\", allow = [\"ok-rule: fine\", \"Bad Rule: x\"]").unwrap();
        let error = parse(raw, Dialect::Attribute).unwrap_err();
        assert_eq!(error.span, Some("\"Bad Rule: x\""));
        assert_eq!(error.offending.as_deref(), Some("Bad Rule: x"));
        let raw = text::read("rev = \"a\", depends_on = [\"b\", \"a\"]").unwrap();
        let error = parse(raw, Dialect::Attribute).unwrap_err();
        assert_eq!(error.message, "a revision cannot depend on itself");
        assert_eq!(error.span, Some("\"a\""));
    }
}
