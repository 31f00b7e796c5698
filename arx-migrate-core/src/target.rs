//! Targets as Alembic spells them (`head`, `heads`, `base`, a full id, a
//! unique prefix, `+N`, `-N`, `REV+N`, `REV-N`, `REV@head`) and the plans
//! that reach them.

use std::fmt;
use std::str::FromStr;

use crate::error::{Direction, Error, Result};
use crate::graph::{RevisionGraph, Step};

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
    /// `N` steps from the current heads (`+N`, `-N`), or from a revision
    /// (`REV+N`, `REV-N`).
    Relative {
        /// The revision to count from; `None` counts from the database.
        from: Option<String>,
        /// Steps up (positive) or down (negative).
        steps: i64,
    },
    /// `REV@head`: the head of the branch that contains `REV`.
    BranchHead(String),
}

impl FromStr for Target {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let text = text.trim();
        let invalid = |reason: &str| Error::InvalidTarget {
            target: text.to_string(),
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
        if let Some(branch) = text.strip_suffix("@head") {
            if branch.is_empty() {
                return Err(invalid("name a revision before @head"));
            }
            return Ok(Target::BranchHead(branch.to_string()));
        }
        if let Some(pos) = text.rfind(['+', '-']) {
            let (from, count) = text.split_at(pos);
            let digits = &count[1..];
            // Revision ids may contain '-' and digits ("2024-01"): a count
            // with a leading zero after a revision is part of the id, so
            // that Display gives back the text (see `target_nodes`).
            let part_of_id = !from.is_empty() && digits.starts_with('0');
            if !part_of_id && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
                let magnitude: i64 = digits
                    .parse()
                    .map_err(|_| invalid("the step count is too large"))?;
                let steps = if count.starts_with('-') {
                    -magnitude
                } else {
                    magnitude
                };
                let from = (!from.is_empty()).then(|| from.to_string());
                return Ok(Target::Relative { from, steps });
            }
        }
        Ok(Target::Revision(text.to_string()))
    }
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
            Target::BranchHead(id) => write!(f, "{id}@head"),
        }
    }
}

impl RevisionGraph {
    /// The full id that `text` names: an exact id, or a unique prefix.
    pub fn resolve_revision(&self, text: &str) -> Result<&str> {
        if let Some(index) = self.node_index(text) {
            return Ok(self.id_of(index));
        }
        let matches = self.with_prefix(text);
        match matches.as_slice() {
            [one] => Ok(one),
            [] => Err(Error::UnknownRevision {
                target: text.to_string(),
                candidates: self.closest(text),
            }),
            many => Err(Error::AmbiguousRevision {
                prefix: text.to_string(),
                candidates: many.iter().map(|s| s.to_string()).collect(),
            }),
        }
    }

    /// The steps that upgrade a database whose version table holds
    /// `current` to `target`.
    pub fn plan_upgrade(&self, current: &[String], target: &Target) -> Result<Vec<Step>> {
        let current = self.resolve_heads(current)?;
        let wanted: Vec<usize> = match target {
            Target::Base => return Ok(Vec::new()),
            Target::Relative { from: None, steps } => {
                if *steps < 0 {
                    return Err(Error::InvalidTarget {
                        target: target.to_string(),
                        reason: "an upgrade moves up; use downgrade for -N".into(),
                    });
                }
                return self.upgrade_n(&current, *steps as usize, target);
            }
            other => self.target_nodes(other)?,
        };
        Ok(self.upgrade_steps(&current, &wanted))
    }

    /// The steps that downgrade a database whose version table holds
    /// `current` to `target`.
    pub fn plan_downgrade(&self, current: &[String], target: &Target) -> Result<Vec<Step>> {
        let current = self.resolve_heads(current)?;
        let applied = self.closure_down(&current);
        let remove: Vec<bool> = match target {
            Target::Base => applied.clone(),
            Target::Relative { from: None, steps } => {
                if *steps > 0 {
                    return Err(Error::InvalidTarget {
                        target: target.to_string(),
                        reason: "a downgrade moves down; use upgrade for +N".into(),
                    });
                }
                return self.downgrade_n(&current, steps.unsigned_abs() as usize, target);
            }
            other => {
                let wanted = self.target_nodes(other)?;
                if let Some(&missing) = wanted.iter().find(|&&w| !applied[w]) {
                    return Err(Error::InvalidTarget {
                        target: target.to_string(),
                        reason: format!(
                            "revision {} is not applied; a downgrade target must be at or below the current revision(s): upgrade to it instead",
                            self.id_of(missing)
                        ),
                    });
                }
                let mut above = self.closure_up(&wanted);
                for &w in &wanted {
                    above[w] = false;
                }
                above
            }
        };
        Ok(self.downgrade_steps(&current, &remove))
    }

    /// Node indexes named by an absolute target.
    fn target_nodes(&self, target: &Target) -> Result<Vec<usize>> {
        let node = |id: &str| -> Result<usize> {
            let full = self.resolve_revision(id)?;
            Ok(self.node_index(full).unwrap_or_default())
        };
        match target {
            Target::Head => {
                let head = self.single_head()?;
                Ok(vec![node(head)?])
            }
            Target::Heads => self.heads().into_iter().map(node).collect(),
            Target::Base => Ok(Vec::new()),
            Target::Revision(id) => Ok(vec![node(id)?]),
            Target::BranchHead(id) => {
                let start = node(id)?;
                let above = self.closure_up(&[start]);
                let heads: Vec<&str> = self
                    .heads()
                    .into_iter()
                    .filter(|h| self.node_index(h).is_some_and(|i| above[i]))
                    .collect();
                match heads.as_slice() {
                    [one] => Ok(vec![node(one)?]),
                    _ => Err(Error::MultipleHeads {
                        heads: heads.iter().map(|h| h.to_string()).collect(),
                    }),
                }
            }
            Target::Relative { from: Some(_), .. } if self.contains(&target.to_string()) => {
                // `REV-N` that is itself a revision id ("v-1"): the id wins.
                Ok(vec![node(&target.to_string())?])
            }
            Target::Relative {
                from: Some(from),
                steps,
            } => {
                let mut at = node(from)?;
                for _ in 0..steps.unsigned_abs() {
                    let next = if *steps > 0 {
                        self.child_nodes(at)
                    } else {
                        self.parent_nodes(at)
                    };
                    at = match next {
                        [one] => *one,
                        [] => {
                            return Err(Error::InvalidTarget {
                                target: target.to_string(),
                                reason: format!(
                                    "revision {} has no {}",
                                    self.id_of(at),
                                    if *steps > 0 { "child" } else { "parent" }
                                ),
                            })
                        }
                        many => {
                            return Err(Error::InvalidTarget {
                                target: target.to_string(),
                                reason: format!(
                                    "the path is ambiguous at {}, which has {} {}: {}; name the revision instead",
                                    self.id_of(at),
                                    if *steps > 0 { "children" } else { "parents" },
                                    many.len(),
                                    many.iter().map(|&n| self.id_of(n)).collect::<Vec<_>>().join(", ")
                                ),
                            })
                        }
                    };
                }
                Ok(vec![at])
            }
            Target::Relative { from: None, .. } => Err(Error::InvalidTarget {
                target: target.to_string(),
                reason: "a relative target needs the database's current revision".into(),
            }),
        }
    }

    /// `+N`: applies, N times, the one revision whose parents are all
    /// applied; where several are ready the path is ambiguous.
    fn upgrade_n(&self, current: &[usize], n: usize, target: &Target) -> Result<Vec<Step>> {
        let mut applied = self.closure_down(current);
        let mut chosen = Vec::with_capacity(n);
        for taken in 0..n {
            let ready: Vec<usize> = self.ready_to_apply(&applied);
            match ready.as_slice() {
                [one] => {
                    applied[*one] = true;
                    chosen.push(*one);
                }
                [] => {
                    return Err(Error::InvalidTarget {
                        target: target.to_string(),
                        reason: format!(
                        "only {taken} revision(s) are left to apply above the current revision(s)"
                    ),
                    })
                }
                many => {
                    return Err(Error::InvalidTarget {
                        target: target.to_string(),
                        reason: format!(
                            "{} revisions could come next ({}); name the one to upgrade to",
                            many.len(),
                            many.iter()
                                .map(|&i| self.id_of(i))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    })
                }
            }
        }
        Ok(self.upgrade_steps(current, &chosen))
    }

    /// Pending revisions whose parents are all applied.
    fn ready_to_apply(&self, applied: &[bool]) -> Vec<usize> {
        let mut ready = Vec::new();
        for (node, &is_applied) in applied.iter().enumerate() {
            if !is_applied && self.parent_nodes(node).iter().all(|&p| applied[p]) {
                ready.push(node);
            }
        }
        ready
    }

    /// `-N`: reverts, N times, the one current head.
    fn downgrade_n(&self, current: &[usize], n: usize, target: &Target) -> Result<Vec<Step>> {
        let mut applied = self.closure_down(current);
        let mut remove = vec![false; applied.len()];
        for taken in 0..n {
            let heads: Vec<usize> = (0..applied.len())
                .filter(|&i| applied[i] && !self.child_nodes(i).iter().any(|&c| applied[c]))
                .collect();
            match heads.as_slice() {
                [one] => {
                    applied[*one] = false;
                    remove[*one] = true;
                }
                [] => {
                    return Err(Error::InvalidTarget {
                        target: target.to_string(),
                        reason: format!("only {taken} revision(s) are applied"),
                    })
                }
                many => {
                    return Err(Error::InvalidTarget {
                        target: target.to_string(),
                        reason: format!(
                            "the database has {} heads ({}); name one as REV-N",
                            many.len(),
                            many.iter()
                                .map(|&i| self.id_of(i))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    })
                }
            }
        }
        Ok(self.downgrade_steps(current, &remove))
    }
}

/// Which way a plan moves; an empty plan has no direction.
pub fn plan_direction(steps: &[Step]) -> Option<Direction> {
    steps.first().map(|s| s.direction)
}
