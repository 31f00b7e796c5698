//! Branch labels (Alembic's `branch_labels`): names for a branch, used as
//! `billing@head`, `billing@+1`, `billing@base`.
//!
//! A label is carried by one revision, R. As in Alembic, the branch it names
//! is R's lineage: R's descendants and ancestors through `down_revisions`.
//! A revision belongs to the branch when it shares that lineage, and
//! `billing@…` targets only consider such revisions. For display, the label
//! is shown on R, its descendants, and its ancestors down to the nearest
//! branch point or merge point, where the branch began.

use super::model::{IdIndex, Node, RevisionGraph};
use crate::error::{Error, Result};

/// Checks every revision's labels and indexes them: a label is valid as a
/// revision id is, names one revision, and is not a revision id.
pub(super) fn index_labels(nodes: &[Node], index: &IdIndex) -> Result<IdIndex> {
    let mut labels = IdIndex::default();
    for (node_index, node) in nodes.iter().enumerate() {
        for label in node.migration.branch_labels() {
            let invalid = |reason: String| Error::InvalidBranchLabel {
                label: label.to_string(),
                revision: node.id.to_string(),
                reason,
            };
            if let Err(problem) = arx_migrate_ids::BranchLabel::parse(label) {
                return Err(invalid(problem.to_string()));
            }
            if let Some(&other) = index.get(label) {
                return Err(invalid(format!(
                    "it is also the id of revision {}",
                    nodes[other].id
                )));
            }
            if let Some(&other) = labels.get(label) {
                return Err(invalid(if other == node_index {
                    "it is listed twice".to_string()
                } else {
                    format!("revision {} already carries it", nodes[other].id)
                }));
            }
            labels.insert(label.into(), node_index);
        }
    }
    Ok(labels)
}

impl RevisionGraph {
    /// The labels revision `id` itself declares (`branch_labels`).
    pub fn labels_of(&self, id: &str) -> Vec<&str> {
        self.get(id)
            .map(|migration| migration.branch_labels())
            .unwrap_or_default()
    }

    /// The revision that carries `label`, if any revision does.
    pub fn label_revision(&self, label: &str) -> Option<&str> {
        self.labels.get(label).map(|&node| self.id_of(node))
    }

    /// Every branch label, sorted.
    pub fn branch_labels(&self) -> Vec<&str> {
        let mut labels: Vec<&str> = self.labels.keys().map(|l| l.as_ref()).collect();
        labels.sort_unstable();
        labels
    }

    /// The labels of the branches revision `id` is on, sorted: those of
    /// the labelled revisions it descends from, and of a labelled revision
    /// it leads to with no branch point or merge point in between.
    pub fn branch_names(&self, id: &str) -> Vec<&str> {
        let Some(node) = self.node_index(id) else {
            return Vec::new();
        };
        if self.labels.is_empty() {
            return Vec::new();
        }
        let coverage = self.label_coverage();
        let mut names: Vec<&str> = self
            .labels
            .iter()
            .filter(|(_, carrier)| {
                coverage
                    .iter()
                    .any(|(c, covered)| c == *carrier && covered[node])
            })
            .map(|(label, _)| label.as_ref())
            .collect();
        names.sort_unstable();
        names
    }

    /// For each revision that carries labels, the revisions its labels
    /// are shown on; computed once, on first use.
    fn label_coverage(&self) -> &[(usize, Vec<bool>)] {
        self.label_coverage.get_or_init(|| {
            let mut carriers: Vec<usize> = self.labels.values().copied().collect();
            carriers.sort_unstable();
            carriers.dedup();
            carriers
                .into_iter()
                .map(|carrier| {
                    let mut covered = self.branch_up(&[carrier]);
                    // Down from the carrier while the branch has not begun.
                    let mut at = carrier;
                    while let [parent] = self.parent_nodes(at) {
                        let parent = *parent;
                        if self.requiring_nodes(parent).len() > 1
                            || self.parent_nodes(parent).len() > 1
                        {
                            break;
                        }
                        covered[parent] = true;
                        at = parent;
                    }
                    (carrier, covered)
                })
                .collect()
        })
    }

    /// The revision a branch name stands for: a label's revision, else a
    /// revision id or unique prefix (`ae10@head` works as in Alembic).
    pub(crate) fn resolve_branch(&self, name: &str) -> Result<usize> {
        if let Some(&node) = self.labels.get(name) {
            return Ok(node);
        }
        match self.resolve_revision(name) {
            Ok(id) => Ok(self.node_index(id).unwrap_or_default()),
            Err(Error::UnknownRevision { .. }) => Err(Error::UnknownBranch {
                branch: name.to_string(),
                candidates: self.closest_branch(name),
            }),
            Err(other) => Err(other),
        }
    }

    /// The revisions of `carrier`'s lineage: those it descends from and
    /// those descending from it, through `down_revisions` only.
    pub(crate) fn lineage(&self, carrier: usize) -> Vec<bool> {
        let mut lineage = self.branch_up(&[carrier]);
        for (node, below) in self.branch_down(&[carrier]).into_iter().enumerate() {
            lineage[node] |= below;
        }
        lineage
    }

    /// `lineage` through dependencies too: what `target` requires and what
    /// requires it.
    pub(crate) fn lineage_with_dependencies(&self, target: usize) -> Vec<bool> {
        let mut lineage = self.closure_up(&[target]);
        for (node, below) in self.closure_down(&[target]).into_iter().enumerate() {
            lineage[node] |= below;
        }
        lineage
    }
}
