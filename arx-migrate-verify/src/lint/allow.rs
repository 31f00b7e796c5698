//! Allowing a rule: `-- arx-migrate: allow rule-id: reason` in SQL (before
//! a statement for that statement, before the first statement for the whole
//! text), and `#[migration(allow = ["rule-id: reason"])]` for a migration.
//!
//! An allowed finding is still reported, with its reason, and never blocks.
//! An allow that names no rule, or gives no reason, is an
//! [`Rule::InvalidAllow`] error: a typo must not silently allow nothing.

use std::collections::BTreeMap;

use super::rules::Rule;

/// The prefix of every directive, in a comment.
pub(crate) const PREFIX: &str = "arx-migrate:";

/// One `arx-migrate:` directive read from a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Directive {
    /// The line of the comment.
    pub line: usize,
    /// What it says.
    pub kind: DirectiveKind,
}

/// What a directive says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DirectiveKind {
    /// `allow rule-id: reason`, as written (checked when applied).
    Allow {
        /// The rule id.
        rule: String,
        /// The reason.
        reason: String,
    },
    /// `transactional = false` (or `true`): how a `.sql` file is run.
    Transactional(bool),
    /// `sqlite-rebuild`: on SQLite, `Ops` makes the ALTER that follows by
    /// rebuilding the table when SQLite's ALTER TABLE cannot (it records
    /// the statement it stands for, marked so).
    SqliteRebuild,
    /// `contract`: `Ops` drops (or, reverting, adds back) a column replaced
    /// by an expand/contract change. The contract runs only once its
    /// expand's backfill is done and the code uses the new column, so the
    /// drop loses nothing; the column added back takes the definition it
    /// had.
    Contract,
}

/// The line `Ops` writes before an SQLite alteration it makes by
/// rebuilding the table (the same as `-- arx-migrate: sqlite-rebuild`).
const OPS_REBUILD_MARK: &str = "SQLite: done by rebuilding table";

/// The directives in one comment (a multi-line comment may hold several,
/// one a line). Other `arx-migrate:` words are left to the tools that own
/// them (a `.sql` migration's header).
pub(crate) fn directives_in_comment(comment: &str, line: usize) -> Vec<Directive> {
    comment
        .lines()
        .enumerate()
        .filter_map(|(i, text)| {
            let text = text.trim().trim_start_matches('*').trim();
            if text.starts_with(OPS_REBUILD_MARK) {
                return Some(Directive {
                    line: line + i,
                    kind: DirectiveKind::SqliteRebuild,
                });
            }
            let rest = text.strip_prefix(PREFIX)?.trim();
            let kind = if let Some(allow) = rest.strip_prefix("allow") {
                // `allow = [...]` is a `.sql` migration's header option,
                // read with the header (`super::sql_file`).
                if !allow.starts_with(char::is_whitespace) || allow.trim_start().starts_with('=') {
                    return None;
                }
                let (rule, reason) = allow.split_once(':').unwrap_or((allow, ""));
                DirectiveKind::Allow {
                    rule: rule.trim().to_string(),
                    reason: reason.trim().to_string(),
                }
            } else if rest == "sqlite-rebuild" {
                DirectiveKind::SqliteRebuild
            } else if rest == "contract" {
                DirectiveKind::Contract
            } else if let Some(value) = rest.strip_prefix("transactional") {
                match value.trim().trim_start_matches('=').trim() {
                    "false" => DirectiveKind::Transactional(false),
                    "true" => DirectiveKind::Transactional(true),
                    _ => return None,
                }
            } else {
                return None;
            };
            Some(Directive {
                line: line + i,
                kind,
            })
        })
        .collect()
}

/// The reason `revision --autogenerate` writes into the allow entry of a
/// step that destroys data. It is no reason: lint refuses it (as an
/// [`Rule::InvalidAllow`] error, the step's own rule not allowed) until a
/// person replaces it with one.
pub const UNFILLED_REASON: &str = "FILL IN: why losing this data is safe";

/// Rules allowed at one place, with their reasons.
pub(crate) type Allowed = BTreeMap<Rule, String>;

/// Checks allow entries (rule id and reason); returns the rules they allow
/// and, for each bad entry, what is wrong with it.
pub(crate) fn check_allows<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> (Allowed, Vec<String>) {
    let mut allowed = Allowed::new();
    let mut invalid = Vec::new();
    for (id, reason) in entries {
        match Rule::from_id(id) {
            None => invalid.push(format!(
                "allow {id:?} names no lint rule{}",
                match Rule::closest(id) {
                    Some(rule) => format!(" (did you mean {rule}?)"),
                    None => String::new(),
                }
            )),
            Some(_) if reason.trim().is_empty() => invalid.push(format!(
                "allow {id:?} gives no reason; write \"{id}: why it is safe here\""
            )),
            Some(_) if reason.trim().starts_with(UNFILLED_REASON) => invalid.push(format!(
                "allow {id:?} still has the reason `revision --autogenerate` left to fill in; read the step, then write \"{id}: why it is safe here\""
            )),
            Some(rule) => {
                allowed.insert(rule, reason.trim().to_string());
            }
        }
    }
    (allowed, invalid)
}

/// An allow read from SQL: the rule and reason, or what is wrong with it.
pub(crate) type CheckedAllow = Result<(Rule, String), String>;

/// The allow directives among `directives`, checked, with their lines.
pub(crate) fn allows_in(directives: &[Directive]) -> Vec<(usize, CheckedAllow)> {
    directives
        .iter()
        .filter_map(|d| match &d.kind {
            DirectiveKind::Allow { rule, reason } => {
                let (allowed, invalid) = check_allows([(rule.as_str(), reason.as_str())]);
                Some((
                    d.line,
                    match (allowed.into_iter().next(), invalid.into_iter().next()) {
                        (Some(entry), _) => Ok(entry),
                        (None, Some(problem)) => Err(problem),
                        (None, None) => Err(format!("allow {rule:?} is not understood")),
                    },
                ))
            }
            DirectiveKind::Transactional(_)
            | DirectiveKind::SqliteRebuild
            | DirectiveKind::Contract => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_are_read_from_comments_only_with_the_prefix() {
        assert_eq!(
            directives_in_comment(" arx-migrate: allow drop-table: archived in #42", 3),
            vec![Directive {
                line: 3,
                kind: DirectiveKind::Allow {
                    rule: "drop-table".into(),
                    reason: "archived in #42".into()
                }
            }]
        );
        assert!(directives_in_comment(" TODO set lock_timeout", 1).is_empty());
        assert!(directives_in_comment(" arx-migrate: down_rev = 005", 1).is_empty());
        assert!(directives_in_comment(" arx-migrate: allowance", 1).is_empty());
        assert!(
            directives_in_comment(" arx-migrate: allow = [\"drop-table: x\"]", 1).is_empty(),
            "a header option, not a directive"
        );
        let block = directives_in_comment(
            "\n * arx-migrate: transactional = false\n * arx-migrate: allow rename: v2 reads both\n",
            10,
        );
        assert_eq!(block.len(), 2);
        assert_eq!(block[0].kind, DirectiveKind::Transactional(false));
        assert_eq!(block[1].line, 12);
        for mark in [
            " arx-migrate: sqlite-rebuild",
            " SQLite: done by rebuilding table \"rooms\"",
        ] {
            assert_eq!(
                directives_in_comment(mark, 1)[0].kind,
                DirectiveKind::SqliteRebuild
            );
        }
    }

    #[test]
    fn allows_name_a_rule_and_give_a_reason() {
        let (allowed, invalid) = check_allows([
            ("drop-table", "archived"),
            ("drop-tabel", "typo"),
            ("drop-column", " "),
            ("ban-drop-column", "squawk's name"),
        ]);
        assert_eq!(allowed.len(), 2);
        assert!(allowed.contains_key(&Rule::DropColumn));
        assert_eq!(invalid.len(), 2);
        assert!(
            invalid[0].contains("did you mean drop-table"),
            "{invalid:?}"
        );
        assert!(invalid[1].contains("no reason"));
        let (allowed, invalid) = check_allows([("drop-table", UNFILLED_REASON)]);
        assert!(allowed.is_empty());
        assert!(invalid[0].contains("left to fill in"), "{invalid:?}");
    }
}
