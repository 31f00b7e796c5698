//! The order `history` lists revisions in: newest first, one branch at a
//! time, as Alembic lists them. The walk starts at the first head and goes
//! down its branch; at a revision that another pending branch still leads
//! to, it switches to that branch, and comes back once that branch has
//! reached it. So each branch's revisions stay together, above the
//! revision where it began.

use super::RevisionGraph;
use crate::error::{Error, Result};

impl RevisionGraph {
    /// The revisions from `lower` (inclusive; empty for base) up to `upper`
    /// (inclusive; `None` for every head), newest first and grouped by
    /// branch. `range` is the range as the user wrote it, for errors: each
    /// lower end must be below an upper end, as in Alembic.
    pub fn history_range(
        &self,
        lower: &[&str],
        upper: Option<&[&str]>,
        range: &str,
    ) -> Result<Vec<&str>> {
        let nodes = |ids: &[&str]| -> Result<Vec<usize>> {
            ids.iter()
                .map(|id| {
                    self.node_index(id).ok_or_else(|| Error::UnknownRevision {
                        target: id.to_string(),
                        candidates: self.closest(id),
                    })
                })
                .collect()
        };
        let lower = nodes(lower)?;
        let tops = match upper {
            Some(ids) => nodes(ids)?,
            None => self
                .rows_at_heads()
                .iter()
                .filter_map(|h| self.node_index(h))
                .collect(),
        };
        let mut wanted = self.closure_down(&tops);
        if let Some(&outside) = lower.iter().find(|&&l| !wanted[l]) {
            return Err(Error::InvalidTarget {
                target: range.to_string(),
                reason: format!(
                    "{} is not below {}: a range goes from a revision up to one that requires it; swap the ends, or choose ends on one line",
                    self.id_of(outside),
                    if tops.is_empty() {
                        "any head".to_string()
                    } else {
                        tops.iter()
                            .map(|&t| self.id_of(t))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            });
        }
        if !lower.is_empty() {
            // Above the lower end along its branch, as in Alembic; when the
            // upper end is on another branch that depends on it, along the
            // dependency.
            let mut above = self.branch_up(&lower);
            if !tops.iter().any(|&t| above[t]) {
                above = self.closure_up(&lower);
            }
            for (node, w) in wanted.iter_mut().enumerate() {
                *w &= above[node];
            }
        }
        Ok(self
            .newest_first(&wanted)
            .into_iter()
            .map(|n| self.id_of(n))
            .collect())
    }

    /// Alembic's `_topological_sort`: the revisions of `set`, children
    /// before parents, branch by branch.
    pub(crate) fn newest_first(&self, set: &[bool]) -> Vec<usize> {
        let mut todo = set.to_vec();
        // How many revisions of the set that are not listed yet require each.
        let mut waiting = vec![0u32; self.len()];
        for node in (0..self.len()).filter(|&n| todo[n]) {
            for &below in self.required_nodes(node) {
                if todo[below] {
                    waiting[below] += 1;
                }
            }
        }
        // Start from the newest revisions of the set (in id order, as
        // Alembic sorts the upper end by file name): every other revision of
        // the set is below one of them.
        let mut heads: Vec<usize> = (0..self.len())
            .filter(|&n| todo[n] && !self.requiring_nodes(n).iter().any(|&up| todo[up]))
            .collect();
        let mut listed = Vec::with_capacity(set.iter().filter(|&&s| s).count());
        let mut at = 0;
        while !heads.is_empty() {
            let candidate = heads[at];
            if waiting[candidate] > 0 {
                // Another pending branch leads here: list it first.
                let above = self.pending_above(candidate, &todo);
                if let Some(other) = (0..heads.len()).find(|&j| j != at && above[heads[j]]) {
                    at = other;
                    continue;
                }
            }
            if todo[candidate] {
                todo[candidate] = false;
                listed.push(candidate);
                for &below in self.required_nodes(candidate) {
                    if todo[below] {
                        waiting[below] -= 1;
                    }
                }
            }
            let next: Vec<usize> = self
                .required_nodes(candidate)
                .iter()
                .copied()
                .filter(|&below| todo[below] && !heads.contains(&below))
                .collect();
            match next.split_first() {
                None => {
                    heads.remove(at);
                    at = at.saturating_sub(1);
                }
                Some((first, rest)) => {
                    heads[at] = *first;
                    heads.extend_from_slice(rest);
                }
            }
        }
        listed
    }

    /// The revisions of `todo` that require `node`, directly or not.
    fn pending_above(&self, node: usize, todo: &[bool]) -> Vec<bool> {
        let mut above = vec![false; self.len()];
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            for &up in self.requiring_nodes(n) {
                if todo[up] && !above[up] {
                    above[up] = true;
                    stack.push(up);
                }
            }
        }
        above
    }
}
