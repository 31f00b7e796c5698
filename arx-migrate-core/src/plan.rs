//! Planning: which steps move the database from one set of heads to a
//! [`Target`], resolving revision ids and prefixes on the way. Parsing the
//! targets is [`crate::target`]'s; the graph walks are [`crate::graph`]'s.

use crate::error::{Direction, Error, Result};
use crate::graph::stamp::StampTarget;
use crate::graph::walk::Place;
use crate::graph::{RevisionGraph, Step};
use crate::target::Target;

impl RevisionGraph {
    /// The full id that `text` names: an exact id, or a unique prefix.
    pub fn resolve_revision(&self, text: &str) -> Result<&str> {
        self.resolve_among(text, None)
    }

    /// [`RevisionGraph::resolve_revision`] among the revisions of
    /// `lineage` only, when given (`billing@ae1` looks on that branch).
    fn resolve_among(&self, text: &str, lineage: Option<&[bool]>) -> Result<&str> {
        if let Some(index) = self.node_index(text) {
            return Ok(self.id_of(index));
        }
        let matches: Vec<&str> = self
            .with_prefix(text)
            .into_iter()
            .filter(|id| lineage.is_none_or(|l| self.node_index(id).is_some_and(|n| l[n])))
            .collect();
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

    /// The revisions an absolute target names: `head`, `heads` (the heads
    /// whose rows a fully upgraded database holds), a revision, and on a
    /// branch `LABEL@head`, `LABEL@heads`, `LABEL@REV`; `base` names none.
    /// A relative target is an error: it needs the database's revisions.
    pub fn resolve_target(&self, target: &Target) -> Result<Vec<&str>> {
        let (branch, inner) = self.split_branch(target)?;
        Ok(self
            .absolute_nodes(inner, branch, &target.to_string())?
            .into_iter()
            .map(|n| self.id_of(n))
            .collect())
    }

    /// The steps that upgrade a database whose version table holds
    /// `current` to `target`: the target and everything it requires
    /// (ancestors and `depends_on`), oldest first.
    pub fn plan_upgrade(&self, current: &[String], target: &Target) -> Result<Vec<Step>> {
        let current = self.resolve_heads(current)?;
        let text = target.to_string();
        let (branch, inner) = self.split_branch(target)?;
        let wanted: Vec<usize> = match inner {
            Target::Base => Vec::new(),
            Target::Relative { from: None, steps } => {
                if *steps < 0 {
                    return Err(Error::InvalidTarget {
                        reason: format!("an upgrade moves up; to move down use downgrade {text}"),
                        target: text,
                    });
                }
                let start = self.upgrade_start(&text, &current, branch)?;
                vec![self.walk_up(&text, start, steps.unsigned_abs(), branch)?]
            }
            Target::Relative {
                from: Some(from),
                steps,
            } => self
                .resolve_relative(&text, from, *steps, branch)?
                .into_iter()
                .collect(),
            absolute => self.absolute_nodes(absolute, branch, &text)?,
        };
        Ok(self.upgrade_steps(&current, &wanted))
    }

    /// The steps that downgrade a database whose version table holds
    /// `current` to `target`: what is above the target on its branch, and
    /// what depends on that, newest first.
    pub fn plan_downgrade(&self, current: &[String], target: &Target) -> Result<Vec<Step>> {
        let current = self.resolve_heads(current)?;
        let applied = self.closure_down(&current);
        let text = target.to_string();
        let (branch, inner) = self.split_branch(target)?;
        let remove: Vec<bool> = match inner {
            Target::Base => {
                let mut roots = self.base_nodes();
                if let (Some(carrier), true) = (branch, roots.len() > 1) {
                    let below = self.branch_down(&[carrier]);
                    roots.retain(|&r| below[r]);
                }
                self.closure_up(&roots)
            }
            Target::Relative { from: None, steps } => {
                if *steps > 0 {
                    return Err(Error::InvalidTarget {
                        target: text.clone(),
                        reason: format!("a downgrade moves down; to move up use upgrade {text}"),
                    });
                }
                let start = self.downgrade_start(&text, &current, branch)?;
                let place = self.walk_down(&text, start, steps.unsigned_abs())?;
                // Only the part of the walk: at a branch point, the child
                // on the way to where the walk started.
                let path = self.branch_down(&[start]);
                self.closure_up(&self.roots_above(place, |r| path[r]))
            }
            Target::Relative {
                from: Some(from),
                steps,
            } => {
                let place = self.resolve_relative(&text, from, *steps, branch)?;
                if let Some(node) = place {
                    self.require_applied(node, &applied, &text)?;
                }
                self.remove_above(place, branch)
            }
            absolute => {
                let wanted = self.absolute_nodes(absolute, branch, &text)?;
                let mut remove = vec![false; self.len()];
                for &node in &wanted {
                    self.require_applied(node, &applied, &text)?;
                    for (r, above) in remove.iter_mut().zip(self.remove_above(Some(node), branch)) {
                        *r |= above;
                    }
                }
                for &node in &wanted {
                    remove[node] = false;
                }
                remove
            }
        };
        Ok(self.downgrade_steps(&current, &remove))
    }

    /// The version rows after stamping `targets` (several make several
    /// rows: `stamp a b`) on a database whose version table holds
    /// `current`. Only the rows on each target's line are replaced; the
    /// other branches' rows stay, as in Alembic.
    pub fn plan_stamp(&self, current: &[String], targets: &[Target]) -> Result<Vec<String>> {
        let current = self.resolve_heads(current)?;
        let text = targets
            .iter()
            .map(Target::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        let mut stamps = Vec::new();
        for target in targets {
            let one = target.to_string();
            let (branch, inner) = self.split_branch(target)?;
            match inner {
                Target::Base => stamps.push(match branch {
                    None => StampTarget::Clear,
                    Some(carrier) => StampTarget::ClearLine(carrier),
                }),
                Target::Relative { from: None, steps } => {
                    let n = steps.unsigned_abs();
                    if *steps > 0 {
                        let start = self.upgrade_start(&one, &current, branch)?;
                        stamps.push(StampTarget::Revision(self.walk_up(&one, start, n, branch)?));
                    } else {
                        let start = self.downgrade_start(&one, &current, branch)?;
                        stamps.push(match self.walk_down(&one, start, n)? {
                            Some(node) => StampTarget::Revision(node),
                            None => StampTarget::ClearLine(start),
                        });
                    }
                }
                Target::Relative {
                    from: Some(from),
                    steps,
                } => {
                    let at = self.resolve_on_branch(&one, from, branch)?;
                    stamps.push(match self.resolve_relative(&one, from, *steps, branch)? {
                        Some(node) => StampTarget::Revision(node),
                        None => StampTarget::ClearLine(at),
                    });
                }
                absolute => stamps.extend(
                    self.absolute_nodes(absolute, branch, &one)?
                        .into_iter()
                        .map(StampTarget::Revision),
                ),
            }
        }
        Ok(self
            .stamp_rows(&current, &stamps, &text)?
            .into_iter()
            .map(|n| self.id_of(n).to_string())
            .collect())
    }

    /// The branch of an `OnBranch` target (the revision its name stands
    /// for) and the target inside it.
    fn split_branch<'t>(&self, target: &'t Target) -> Result<(Option<usize>, &'t Target)> {
        match target {
            Target::OnBranch { branch, target } => {
                if matches!(**target, Target::OnBranch { .. }) {
                    return Err(Error::InvalidTarget {
                        target: target.to_string(),
                        reason: "a target has at most one @".into(),
                    });
                }
                Ok((Some(self.resolve_branch(branch)?), target))
            }
            other => Ok((None, other)),
        }
    }

    /// The revision `text` names, on `branch` when one is given.
    fn resolve_on_branch(&self, target: &str, text: &str, branch: Option<usize>) -> Result<usize> {
        let Some(carrier) = branch else {
            let id = self.resolve_revision(text)?;
            return Ok(self.node_index(id).unwrap_or_default());
        };
        let lineage = self.lineage(carrier);
        let not_on_branch = |id: &str| {
            Error::InvalidTarget {
            target: target.to_string(),
            reason: format!(
                "revision {id} is not on the branch of {} (the revisions it descends from or that descend from it)",
                self.id_of(carrier)
            ),
        }
        };
        match self.resolve_among(text, Some(&lineage)) {
            Ok(id) => match self.node_index(id) {
                Some(node) if lineage[node] => Ok(node),
                _ => Err(not_on_branch(id)),
            },
            // Known, but on another branch: say so rather than "unknown".
            Err(error) => match self.resolve_revision(text) {
                Ok(id) => Err(not_on_branch(id)),
                Err(_) => Err(error),
            },
        }
    }

    /// `REV+N` or `REV-N`: walked from REV (a revision id containing a
    /// sign and digits, such as `v-1`, is that revision).
    fn resolve_relative(
        &self,
        target: &str,
        from: &str,
        steps: i64,
        branch: Option<usize>,
    ) -> Result<Place> {
        let whole = format!("{from}{steps:+}");
        if let Some(node) = self.node_index(&whole) {
            return Ok(Some(node));
        }
        let start = self.resolve_on_branch(target, from, branch)?;
        if steps >= 0 {
            Ok(Some(self.walk_up(
                target,
                Some(start),
                steps.unsigned_abs(),
                branch,
            )?))
        } else {
            self.walk_down(target, start, steps.unsigned_abs())
        }
    }

    /// Node indexes named by an absolute target: `head`, `heads`, a
    /// revision, each limited to `branch` when given; `base` is none.
    fn absolute_nodes(
        &self,
        target: &Target,
        branch: Option<usize>,
        text: &str,
    ) -> Result<Vec<usize>> {
        let on_branch = |ids: Vec<&str>| -> Vec<usize> {
            let lineage = branch.map(|carrier| self.lineage(carrier));
            ids.into_iter()
                .filter_map(|id| self.node_index(id))
                .filter(|&n| lineage.as_ref().is_none_or(|l| l[n]))
                .collect()
        };
        match target {
            Target::Base => Ok(Vec::new()),
            Target::Head if branch.is_none() => {
                let head = self.single_head()?;
                Ok(self.node_index(head).into_iter().collect())
            }
            Target::Head => {
                let heads = on_branch(self.heads());
                match heads.as_slice() {
                    [_] => Ok(heads),
                    _ => Err(Error::MultipleHeads {
                        heads: heads.iter().map(|&h| self.id_of(h).to_string()).collect(),
                    }),
                }
            }
            Target::Heads if branch.is_none() => Ok(on_branch(self.rows_at_heads())),
            Target::Heads => Ok(on_branch(self.heads())),
            Target::Revision(id) => Ok(vec![self.resolve_on_branch(text, id, branch)?]),
            Target::Relative { .. } | Target::OnBranch { .. } => Err(Error::InvalidTarget {
                target: text.to_string(),
                reason: "a relative target needs the database's current revision".into(),
            }),
        }
    }

    fn base_nodes(&self) -> Vec<usize> {
        self.bases()
            .iter()
            .filter_map(|b| self.node_index(b))
            .collect()
    }

    /// The revisions just above `place` (its children, or the bases below
    /// everything) that `keep` accepts.
    fn roots_above(&self, place: Place, keep: impl Fn(usize) -> bool) -> Vec<usize> {
        match place {
            None => self.base_nodes().into_iter().filter(|&r| keep(r)).collect(),
            Some(node) => self
                .child_nodes(node)
                .iter()
                .copied()
                .filter(|&r| keep(r))
                .collect(),
        }
    }

    /// What a downgrade to `place` reverts: everything that requires a
    /// revision just above it. On a branch, where `place` has several
    /// children, only those of the branch.
    fn remove_above(&self, place: Place, branch: Option<usize>) -> Vec<bool> {
        let mut roots = self.roots_above(place, |_| true);
        if let (Some(carrier), true) = (branch, roots.len() > 1) {
            let lineage = self.lineage(carrier);
            roots.retain(|&r| lineage[r]);
        }
        self.closure_up(&roots)
    }

    fn require_applied(&self, node: usize, applied: &[bool], target: &str) -> Result<()> {
        if applied[node] {
            return Ok(());
        }
        Err(Error::InvalidTarget {
            target: target.to_string(),
            reason: format!(
                "revision {} is not applied; a downgrade target must be at or below the current revision(s): upgrade to it instead",
                self.id_of(node)
            ),
        })
    }
}

/// Which way a plan moves; an empty plan has no direction.
pub fn plan_direction(steps: &[Step]) -> Option<Direction> {
    steps.first().map(|s| s.direction)
}
