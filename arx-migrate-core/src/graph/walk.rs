//! Relative targets, walked as Alembic walks them: `+N` goes N steps up
//! from the database's one current revision along its branch, `-N` N steps
//! down, `REV+N` and `REV-N` from a revision; `LABEL@+N` and `LABEL@-N` stay
//! on that branch. A walk follows `down_revisions` only, and refuses where
//! the path forks (a branch point going up, a merge point going down), where
//! it starts from several revisions, and where it runs out of revisions.

use super::RevisionGraph;
use crate::error::{Error, Result};

/// Where a walk ended: a revision, or below every base.
pub(crate) type Place = Option<usize>;

impl RevisionGraph {
    fn invalid(&self, target: &str, reason: String) -> Error {
        Error::InvalidTarget {
            target: target.to_string(),
            reason,
        }
    }

    fn names(&self, nodes: &[usize]) -> String {
        nodes
            .iter()
            .map(|&n| self.id_of(n))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Walks `steps` up from `start` (`None`: below the bases), staying in
    /// the lineage of `branch` when one is given.
    pub(crate) fn walk_up(
        &self,
        target: &str,
        start: Place,
        steps: u64,
        branch: Option<usize>,
    ) -> Result<usize> {
        let lineage = branch.map(|carrier| self.lineage(carrier));
        let on_branch = |node: &usize| lineage.as_ref().is_none_or(|l| l[*node]);
        let mut at = start;
        for taken in 0..steps {
            let next: Vec<usize> = match at {
                None => self
                    .bases()
                    .iter()
                    .filter_map(|b| self.node_index(b))
                    .filter(on_branch)
                    .collect(),
                Some(node) => self
                    .child_nodes(node)
                    .iter()
                    .copied()
                    .filter(on_branch)
                    .collect(),
            };
            at = Some(match (next.as_slice(), at) {
                ([one], _) => *one,
                ([], None) => {
                    return Err(self.invalid(target, "there are no revisions to apply".into()))
                }
                ([], Some(node)) if taken == 0 => {
                    return Err(self.invalid(
                        target,
                        format!(
                            "{} is the head of its branch: nothing is above it",
                            self.id_of(node)
                        ),
                    ))
                }
                ([], Some(_)) => {
                    return Err(self.invalid(
                        target,
                        format!(
                            "only {taken} revision(s) are above {} on its branch",
                            self.describe(start)
                        ),
                    ))
                }
                (many, None) => {
                    return Err(self.invalid(
                        target,
                        format!(
                            "there are {} bases ({}): name the one to start from, as BASE or LABEL@+N",
                            many.len(),
                            self.names(many)
                        ),
                    ))
                }
                (many, Some(node)) => {
                    return Err(self.invalid(
                        target,
                        format!(
                            "{} is a branch point ({}): name the revision to go to, or a branch as LABEL@+N",
                            self.id_of(node),
                            self.names(many)
                        ),
                    ))
                }
            });
        }
        at.ok_or_else(|| self.invalid(target, "a relative target needs at least one step".into()))
    }

    /// Walks `steps` down from `start`; `None` is below the bases.
    pub(crate) fn walk_down(&self, target: &str, start: usize, steps: u64) -> Result<Place> {
        let mut at = Some(start);
        for taken in 0..steps {
            at = match at.map(|node| self.parent_nodes(node)) {
                None => {
                    return Err(self.invalid(
                        target,
                        format!(
                            "only {} revision(s) are at or below {}",
                            taken,
                            self.id_of(start)
                        ),
                    ))
                }
                Some([]) => None,
                Some([one]) => Some(*one),
                Some(many) => {
                    return Err(self.invalid(
                        target,
                        format!(
                            "{} is a merge point of {}: name the revision to go to",
                            at.map(|n| self.id_of(n)).unwrap_or_default(),
                            self.names(many)
                        ),
                    ))
                }
            };
        }
        Ok(at)
    }

    fn describe(&self, place: Place) -> &str {
        place.map(|n| self.id_of(n)).unwrap_or("base")
    }

    /// Where `+N` starts: the database's one current revision (`None` for
    /// an empty database). With a branch, the current revision on that
    /// branch; when none is, the newest applied revision of the branch, or
    /// the bases when nothing of it is applied.
    pub(crate) fn upgrade_start(
        &self,
        target: &str,
        current: &[usize],
        branch: Option<usize>,
    ) -> Result<Place> {
        let Some(carrier) = branch else {
            return match current {
                [] => Ok(None),
                [one] => Ok(Some(*one)),
                many => Err(self.several_heads(target, many)),
            };
        };
        let lineage = self.lineage(carrier);
        let mut start: Vec<usize> = current.iter().copied().filter(|&n| lineage[n]).collect();
        if start.is_empty() {
            let applied = self.closure_down(current);
            let mut on_branch: Vec<bool> = applied
                .iter()
                .zip(&lineage)
                .map(|(&a, &l)| a && l)
                .collect();
            for node in 0..on_branch.len() {
                if applied[node] && lineage[node] {
                    for &below in self.required_nodes(node) {
                        on_branch[below] = false;
                    }
                }
            }
            start = (0..on_branch.len()).filter(|&n| on_branch[n]).collect();
        }
        match start.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            many => Err(self.several_heads(target, many)),
        }
    }

    /// Where `-N` starts: the database's one current revision; with a
    /// branch, the one current revision on that branch.
    pub(crate) fn downgrade_start(
        &self,
        target: &str,
        current: &[usize],
        branch: Option<usize>,
    ) -> Result<usize> {
        let start: Vec<usize> = match branch {
            None => current.to_vec(),
            Some(carrier) => {
                let lineage = self.lineage(carrier);
                let rows: Vec<usize> = current.iter().copied().filter(|&n| lineage[n]).collect();
                if rows.is_empty() {
                    // A branch whose revisions are all covered by another
                    // branch's row (through depends_on): its applied tips.
                    let applied = self.closure_down(current);
                    (0..applied.len())
                        .filter(|&n| {
                            applied[n]
                                && lineage[n]
                                && !self.child_nodes(n).iter().any(|&c| applied[c])
                        })
                        .collect()
                } else {
                    rows
                }
            }
        };
        match start.as_slice() {
            [] => Err(self.invalid(target, "nothing is applied to move down from".to_string())),
            [one] => Ok(*one),
            many => Err(self.several_heads(target, many)),
        }
    }

    fn several_heads(&self, target: &str, heads: &[usize]) -> Error {
        let example = self.id_of(heads[0]);
        // The relative part, after any `BRANCH@`: "+2", "-1".
        let relative = target.rsplit('@').next().unwrap_or(target);
        let (sign, steps) = match relative.split_at_checked(1) {
            Some((sign @ ("+" | "-"), steps)) => (sign, steps),
            _ => ("+", "1"),
        };
        self.invalid(
            target,
            format!(
                "the database is at {} revisions ({}), so it is not clear which to move from; name one, as {example}{sign}{steps}, or a branch, as LABEL@{sign}{steps}",
                heads.len(),
                self.names(heads)
            ),
        )
    }
}
