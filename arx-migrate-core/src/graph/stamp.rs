//! `stamp`: the version rows after stamping some revisions, as Alembic
//! computes them. Stamping a revision replaces only the rows of its line
//! (the rows it requires or that require it, dependencies included) and
//! keeps the other branches' rows: with rows `[c2, e2]` on two branches,
//! `stamp c1` gives `[c1, e2]`. A revision on no line of the rows is added
//! as a new branch. `base` removes every row, `LABEL@base` the rows of that
//! branch.

use super::RevisionGraph;
use crate::error::{Error, Result};

/// What one stamp target does to the rows.
pub(crate) enum StampTarget {
    /// Make this revision a row, replacing the rows of its line.
    Revision(usize),
    /// Remove every row.
    Clear,
    /// Remove the rows of the line of this revision (`LABEL@base`).
    ClearLine(usize),
}

impl RevisionGraph {
    /// The rows after stamping `targets` on a database whose rows are
    /// `current`. `targets` must not contain two revisions of one line.
    pub(crate) fn stamp_rows(
        &self,
        current: &[usize],
        targets: &[StampTarget],
        text: &str,
    ) -> Result<Vec<usize>> {
        let revisions: Vec<usize> = targets
            .iter()
            .filter_map(|t| match t {
                StampTarget::Revision(node) => Some(*node),
                _ => None,
            })
            .collect();
        for (i, &a) in revisions.iter().enumerate() {
            let below = self.closure_down(&[a]);
            if let Some(&b) = revisions
                .iter()
                .enumerate()
                .find(|&(j, &b)| j != i && (b == a || below[b]))
                .map(|(_, b)| b)
            {
                return Err(Error::InvalidTarget {
                    target: text.to_string(),
                    reason: if a == b {
                        format!("{} is named twice", self.id_of(a))
                    } else {
                        format!(
                            "{} and {} are on one line ({} requires {}), and a line has one row; stamp {} alone",
                            self.id_of(b),
                            self.id_of(a),
                            self.id_of(a),
                            self.id_of(b),
                            self.id_of(a)
                        )
                    },
                });
            }
        }
        let mut replaced = vec![false; self.len()];
        for target in targets {
            match target {
                StampTarget::Clear => replaced.iter_mut().for_each(|r| *r = true),
                StampTarget::Revision(node) | StampTarget::ClearLine(node) => {
                    for (r, on_line) in replaced
                        .iter_mut()
                        .zip(self.lineage_with_dependencies(*node))
                    {
                        *r |= on_line;
                    }
                }
            }
        }
        let mut rows: Vec<usize> = current
            .iter()
            .copied()
            .filter(|&row| !replaced[row])
            .chain(revisions)
            .collect();
        rows.sort_unstable_by_key(|&n| self.topo_position(n));
        rows.dedup();
        Ok(rows)
    }
}
