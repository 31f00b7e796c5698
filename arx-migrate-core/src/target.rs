//! Targets as Alembic spells them (`head`, `heads`, `base`, a full id, a
//! unique prefix, `+N`, `-N`, `REV+N`, `REV-N`, and on one branch
//! `BRANCH@head`, `BRANCH@heads`, `BRANCH@base`, `BRANCH@+N`, `BRANCH@-N`,
//! `BRANCH@REV`, where BRANCH is a branch label or a revision). The plans
//! that reach them are in [`crate::plan`].

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Where to move the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The one head (an error when there are several).
    Head,
    /// Every head.
    Heads,
    /// Nothing applied.
    Base,
    /// A full revision id or a unique prefix of one.
    Revision(String),
    /// `N` steps from the database's current revision (`+N`, `-N`), or from
    /// a revision (`REV+N`, `REV-N`), along the branch.
    Relative {
        /// The revision to count from; `None` counts from the database.
        from: Option<String>,
        /// Steps up (positive) or down (negative).
        steps: i64,
    },
    /// `BRANCH@TARGET`: `TARGET` (head, heads, base, `+N`, `-N`, a
    /// revision) on the branch named by a branch label, or by a revision on
    /// it (`ae10@head` is the head above `ae10`).
    OnBranch {
        /// The branch label or revision before the `@`.
        branch: String,
        /// What follows the `@`; never itself `OnBranch`.
        target: Box<Target>,
    },
}

impl Target {
    /// `BRANCH@head`.
    pub fn branch_head(branch: impl Into<String>) -> Self {
        Target::OnBranch {
            branch: branch.into(),
            target: Box::new(Target::Head),
        }
    }
}

impl FromStr for Target {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let text = text.trim();
        let invalid = |reason: &str| Error::InvalidTarget {
            target: text.to_string(),
            reason: reason.to_string(),
        };
        let Some((branch, rest)) = text.split_once('@') else {
            return parse_plain(text, text);
        };
        if branch.is_empty() {
            return Err(invalid(
                "name a branch label or a revision before the @, as in billing@head",
            ));
        }
        if rest.contains('@') {
            return Err(invalid("a target has at most one @"));
        }
        if rest.is_empty() {
            return Err(invalid(
                "after the @ comes head, heads, base, +N, -N or a revision, as in billing@head",
            ));
        }
        Ok(Target::OnBranch {
            branch: branch.to_string(),
            target: Box::new(parse_plain(rest, text)?),
        })
    }
}

/// A target without `@`; `whole` is the text as given, for errors.
fn parse_plain(text: &str, whole: &str) -> Result<Target> {
    let invalid = |reason: &str| Error::InvalidTarget {
        target: whole.to_string(),
        reason: reason.to_string(),
    };
    match text {
        "" => {
            return Err(invalid(
                "it is empty; use head, base, a revision id, +N or -N",
            ))
        }
        "head" => return Ok(Target::Head),
        "heads" => return Ok(Target::Heads),
        "base" => return Ok(Target::Base),
        _ => {}
    }
    let relative_form =
        "a relative target is +N or -N (or REV+N, REV-N), N a whole number of steps, as in +1 or -2";
    let count = |sign: &str, digits: &str| -> Result<Option<i64>> {
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Ok(None);
        }
        let magnitude: i64 = digits
            .parse()
            .map_err(|_| invalid("the step count is too large"))?;
        Ok(Some(if sign == "-" { -magnitude } else { magnitude }))
    };
    // A target that starts with a sign is relative to the database; written
    // wrong ("+-1", "+x") it is an error, not an unknown revision.
    if text.starts_with(['+', '-']) {
        let (sign, digits) = text.split_at(1);
        return match count(sign, digits)? {
            Some(0) => Err(invalid("+0 and -0 move nowhere; count at least one step")),
            Some(steps) => Ok(Target::Relative { from: None, steps }),
            None => Err(invalid(relative_form)),
        };
    }
    if let Some(pos) = text.rfind(['+', '-']) {
        let (from, rest) = text.split_at(pos);
        let (sign, digits) = rest.split_at(1);
        // Revision ids may contain '-' and digits ("2024-01"): a count
        // with a leading zero after a revision is part of the id, so
        // that Display gives back the text (see `resolve_relative`).
        if !digits.starts_with('0') && !from.contains('+') {
            if let Some(steps) = count(sign, digits)? {
                return Ok(Target::Relative {
                    from: Some(from.to_string()),
                    steps,
                });
            }
        }
    }
    // '+' is never part of an id ("c1+", "a+b+1").
    if text.contains('+') {
        return Err(invalid(relative_form));
    }
    Ok(Target::Revision(text.to_string()))
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Head => f.write_str("head"),
            Target::Heads => f.write_str("heads"),
            Target::Base => f.write_str("base"),
            Target::Revision(id) => f.write_str(id),
            Target::Relative { from, steps } => {
                write!(f, "{}{steps:+}", from.as_deref().unwrap_or(""))
            }
            Target::OnBranch { branch, target } => write!(f, "{branch}@{target}"),
        }
    }
}
