//! The revision graph: revisions, heads, bases, branch and merge points,
//! branch labels and dependencies, and plans to move from one set of heads
//! to another.
//!
//! Built once and validated when built. Every operation is linear in the
//! number of revisions (closures are breadth-first walks with a bitmap; the
//! topological order is computed once).
//!
//! Two kinds of edges, as in Alembic: a revision's `down_revisions` make
//! the branches (heads, branch points, merge points, `+N` and `-N` walk
//! them), and its `depends_on` only order the work: what a revision depends
//! on is applied before it and reverted after it, so it counts among its
//! ancestors for every plan and for the version rows.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use crate::error::{Direction, Error, Result};
use crate::migration::Migration;

pub use arx_migrate_ids::MAX_REVISION_LEN;
pub use model::RevisionGraph;
use model::{Adjacency, IdIndex, Node};

/// Checks that a revision id can be stored and typed on a command line:
/// the rules of [`arx_migrate_ids::RevisionId`], without making one (the
/// graph keeps its ids as shared `str`).
pub fn validate_revision_id(id: &str) -> Result<()> {
    match arx_migrate_ids::check_revision_id(id) {
        Ok(()) => Ok(()),
        Err(problem) => Err(Error::InvalidRevisionId {
            revision: id.to_string(),
            reason: problem.to_string(),
        }),
    }
}

impl std::fmt::Debug for RevisionGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevisionGraph")
            .field("revisions", &self.nodes.len())
            .field("heads", &self.heads())
            .finish()
    }
}

/// One step of a plan: apply or revert one revision.
#[derive(Clone)]
pub struct Step {
    /// The migration.
    pub migration: Arc<dyn Migration>,
    /// Upgrade or downgrade.
    pub direction: Direction,
    /// The version table's rows after this step.
    pub heads_after: Vec<String>,
}

impl Step {
    /// The revision id.
    pub fn revision(&self) -> &str {
        self.migration.revision()
    }
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.direction, self.revision())
    }
}

impl RevisionGraph {
    /// Builds and validates the graph: revision ids, duplicates, unknown
    /// parents and cycles are errors naming the revisions.
    pub fn new(migrations: Vec<Arc<dyn Migration>>) -> Result<Self> {
        // Registration order depends on link order; sort by id so that
        // plans are the same in every build. Ids are read once: comparing
        // through the trait object would cost a virtual call per comparison.
        let mut keyed: Vec<(Arc<str>, Arc<dyn Migration>)> = migrations
            .into_iter()
            .map(|migration| (Arc::from(migration.revision()), migration))
            .collect();
        keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut index = IdIndex::with_capacity_and_hasher(keyed.len(), Default::default());
        let mut nodes = Vec::with_capacity(keyed.len());
        for (id, migration) in keyed {
            validate_revision_id(&id)?;
            if index.insert(Arc::clone(&id), nodes.len()).is_some() {
                return Err(Error::DuplicateRevision {
                    revision: id.to_string(),
                });
            }
            nodes.push(Node { migration, id });
        }
        let mut parents = Adjacency {
            start: Vec::with_capacity(nodes.len() + 1),
            targets: Vec::with_capacity(nodes.len()),
        };
        parents.start.push(0);
        for node in &nodes {
            let first = parents.targets.len();
            for parent in node.migration.down_revisions() {
                let Some(&p) = index.get(parent) else {
                    return Err(Error::UnknownParent {
                        revision: node.id.to_string(),
                        parent: parent.to_string(),
                    });
                };
                if parents.targets[first..].contains(&p) {
                    return Err(Error::InvalidRevisionId {
                        revision: node.id.to_string(),
                        reason: format!("it lists parent {parent:?} twice"),
                    });
                }
                parents.targets.push(p);
            }
            parents.start.push(parents.targets.len());
        }
        let children = parents.reversed(nodes.len());
        let labels = labels::index_labels(&nodes, &index)?;
        let dependencies = resolve_dependencies(&nodes, &index, &labels)?;
        // Without dependencies (the common case) the two kinds of edges are
        // the same; copying is cheaper than reversing again.
        let (requires, required_by) = if dependencies.targets.is_empty() {
            (parents.clone(), children.clone())
        } else {
            let requires = union(&parents, &dependencies, nodes.len());
            let required_by = requires.reversed(nodes.len());
            (requires, required_by)
        };
        let topo = topological_order(&nodes, &requires, &required_by)?;
        let mut topo_pos = vec![0; nodes.len()];
        for (pos, &node) in topo.iter().enumerate() {
            topo_pos[node] = pos;
        }
        Ok(RevisionGraph {
            nodes,
            parents,
            children,
            dependencies,
            requires,
            required_by,
            index,
            labels,
            label_coverage: std::sync::OnceLock::new(),
            topo,
            topo_pos,
        })
    }

    /// How many revisions there are.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are no revisions.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The migration with this exact id.
    pub fn get(&self, id: &str) -> Option<&Arc<dyn Migration>> {
        self.index.get(id).map(|&i| &self.nodes[i].migration)
    }

    /// Whether a revision with this exact id exists.
    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// Every revision, parents before children.
    pub fn in_order(&self) -> impl DoubleEndedIterator<Item = &Arc<dyn Migration>> + '_ {
        self.topo.iter().map(|&i| &self.nodes[i].migration)
    }

    /// Revisions that no other revision revises.
    pub fn heads(&self) -> Vec<&str> {
        self.topo
            .iter()
            .filter(|&&i| self.children.of(i).is_empty())
            .map(|&i| self.nodes[i].id.as_ref())
            .collect()
    }

    /// Revisions with no parent.
    pub fn bases(&self) -> Vec<&str> {
        self.topo
            .iter()
            .filter(|&&i| self.parents.of(i).is_empty())
            .map(|&i| self.nodes[i].id.as_ref())
            .collect()
    }

    /// Revisions with more than one child.
    pub fn branch_points(&self) -> Vec<&str> {
        self.topo
            .iter()
            .filter(|&&i| self.children.of(i).len() > 1)
            .map(|&i| self.nodes[i].id.as_ref())
            .collect()
    }

    /// Revisions with more than one parent.
    pub fn merge_points(&self) -> Vec<&str> {
        self.topo
            .iter()
            .filter(|&&i| self.parents.of(i).len() > 1)
            .map(|&i| self.nodes[i].id.as_ref())
            .collect()
    }

    /// The one head, or [`Error::MultipleHeads`].
    pub fn single_head(&self) -> Result<&str> {
        let heads = self.heads();
        match heads.as_slice() {
            [one] => Ok(one),
            [] => Err(Error::InvalidTarget {
                target: "head".into(),
                reason: "there are no revisions".into(),
            }),
            _ => Err(Error::MultipleHeads {
                heads: heads.iter().map(|h| h.to_string()).collect(),
            }),
        }
    }

    /// The ids of the parents of `id`.
    pub fn parents_of(&self, id: &str) -> Vec<&str> {
        self.index
            .get(id)
            .map(|&i| {
                self.parents
                    .of(i)
                    .iter()
                    .map(|&p| self.nodes[p].id.as_ref())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The ids of the children of `id`.
    pub fn children_of(&self, id: &str) -> Vec<&str> {
        self.index
            .get(id)
            .map(|&i| {
                self.children
                    .of(i)
                    .iter()
                    .map(|&c| self.nodes[c].id.as_ref())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `ids` and every revision that descends from one of them (unknown ids
    /// are ignored).
    pub fn descendants(&self, ids: &[String]) -> HashSet<&str> {
        self.members(self.closure_up(&self.nodes_of(ids)))
    }

    /// `ids` and every revision one of them descends from (unknown ids are
    /// ignored).
    pub fn ancestors(&self, ids: &[String]) -> HashSet<&str> {
        self.members(self.closure_down(&self.nodes_of(ids)))
    }

    fn nodes_of(&self, ids: &[String]) -> Vec<usize> {
        ids.iter().filter_map(|id| self.node_index(id)).collect()
    }

    fn members(&self, bitmap: Vec<bool>) -> HashSet<&str> {
        bitmap
            .iter()
            .enumerate()
            .filter(|(_, &member)| member)
            .map(|(node, _)| self.id_of(node))
            .collect()
    }

    pub(crate) fn node_index(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub(crate) fn id_of(&self, node: usize) -> &str {
        &self.nodes[node].id
    }

    pub(crate) fn parent_nodes(&self, node: usize) -> &[usize] {
        self.parents.of(node)
    }

    pub(crate) fn child_nodes(&self, node: usize) -> &[usize] {
        self.children.of(node)
    }

    /// Parents and dependencies of `node`.
    pub(crate) fn required_nodes(&self, node: usize) -> &[usize] {
        self.requires.of(node)
    }

    /// Children and dependents of `node`.
    pub(crate) fn requiring_nodes(&self, node: usize) -> &[usize] {
        self.required_by.of(node)
    }

    /// Position of `node` in the topological order (registration order by id).
    pub(crate) fn topo_position(&self, node: usize) -> usize {
        self.topo_pos[node]
    }

    /// The ids of the revisions `id` depends on (`depends_on`, labels
    /// resolved), in the order given.
    pub fn dependencies_of(&self, id: &str) -> Vec<&str> {
        self.index
            .get(id)
            .map(|&i| {
                self.dependencies
                    .of(i)
                    .iter()
                    .map(|&d| self.nodes[d].id.as_ref())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The ids of the revisions that depend on `id` through `depends_on`.
    pub fn dependents_of(&self, id: &str) -> Vec<&str> {
        self.index
            .get(id)
            .map(|&i| {
                self.required_by
                    .of(i)
                    .iter()
                    .filter(|&&d| self.dependencies.of(d).contains(&i))
                    .map(|&d| self.nodes[d].id.as_ref())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The version table's rows once every revision is applied: the heads
    /// that no other revision depends on (a head that another branch
    /// depends on is applied, but its row is covered by the dependent's).
    pub fn rows_at_heads(&self) -> Vec<&str> {
        self.topo
            .iter()
            .filter(|&&i| self.required_by.of(i).is_empty())
            .map(|&i| self.nodes[i].id.as_ref())
            .collect()
    }

    /// Resolves database heads to node indexes; unknown ids are an error.
    pub(crate) fn resolve_heads(&self, heads: &[String]) -> Result<Vec<usize>> {
        let unknown: Vec<String> = heads
            .iter()
            .filter(|h| !self.index.contains_key(h.as_str()))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(Error::UnknownDatabaseRevision { unknown });
        }
        Ok(heads.iter().map(|h| self.index[h.as_str()]).collect())
    }

    /// A bitmap of `start` and everything they require: their ancestors
    /// and what those depend on.
    pub(crate) fn closure_down(&self, start: &[usize]) -> Vec<bool> {
        self.closure(start, |node| self.requires.of(node))
    }

    /// A bitmap of `start` and everything that requires them: their
    /// descendants and what depends on those.
    pub(crate) fn closure_up(&self, start: &[usize]) -> Vec<bool> {
        self.closure(start, |node| self.required_by.of(node))
    }

    /// A bitmap of `start` and their ancestors through `down_revisions`
    /// only: the revisions of their branches below them.
    pub(crate) fn branch_down(&self, start: &[usize]) -> Vec<bool> {
        self.closure(start, |node| self.parents.of(node))
    }

    /// A bitmap of `start` and their descendants through `down_revisions`
    /// only.
    pub(crate) fn branch_up(&self, start: &[usize]) -> Vec<bool> {
        self.closure(start, |node| self.children.of(node))
    }

    fn closure<'g>(&'g self, start: &[usize], next: impl Fn(usize) -> &'g [usize]) -> Vec<bool> {
        let mut seen = vec![false; self.nodes.len()];
        let mut queue: VecDeque<usize> = VecDeque::new();
        for &s in start {
            if !seen[s] {
                seen[s] = true;
                queue.push_back(s);
            }
        }
        while let Some(node) = queue.pop_front() {
            for &n in next(node) {
                if !seen[n] {
                    seen[n] = true;
                    queue.push_back(n);
                }
            }
        }
        seen
    }

    /// The revisions applied when the database's version table holds `heads`.
    pub fn applied(&self, heads: &[String]) -> Result<Vec<&str>> {
        let heads = self.resolve_heads(heads)?;
        let applied = self.closure_down(&heads);
        Ok(self
            .topo
            .iter()
            .filter(|&&i| applied[i])
            .map(|&i| self.nodes[i].id.as_ref())
            .collect())
    }

    /// The steps that bring a database from `current` heads to the state
    /// where exactly `target` (and their ancestors) are applied, upgrading
    /// what is missing. Revisions already applied stay applied.
    pub(crate) fn upgrade_steps(&self, current: &[usize], target: &[usize]) -> Vec<Step> {
        let applied = self.closure_down(current);
        let wanted = self.closure_down(target);
        let mut heads: Vec<usize> = self.heads_of(&applied);
        let mut steps = Vec::new();
        for &node in &self.topo {
            if wanted[node] && !applied[node] {
                let parents = self.requires.of(node);
                heads.retain(|h| !parents.contains(h));
                self.insert_head(&mut heads, node);
                steps.push(self.step(node, Direction::Upgrade, &heads));
            }
        }
        steps
    }

    /// The steps that revert every applied revision in `remove` (a set closed
    /// under descendants within the applied set), newest first.
    pub(crate) fn downgrade_steps(&self, current: &[usize], remove: &[bool]) -> Vec<Step> {
        let mut applied = self.closure_down(current);
        let mut heads: Vec<usize> = self.heads_of(&applied);
        let mut steps = Vec::new();
        for &node in self.topo.iter().rev() {
            if remove[node] && applied[node] {
                applied[node] = false;
                heads.retain(|&h| h != node);
                for &parent in self.requires.of(node) {
                    let still_covered = self.required_by.of(parent).iter().any(|&c| applied[c]);
                    if !still_covered && !heads.contains(&parent) {
                        self.insert_head(&mut heads, parent);
                    }
                }
                steps.push(self.step(node, Direction::Downgrade, &heads));
            }
        }
        steps
    }

    /// The version rows of an applied set: applied revisions that nothing
    /// applied requires.
    pub(crate) fn heads_of(&self, applied: &[bool]) -> Vec<usize> {
        self.topo
            .iter()
            .copied()
            .filter(|&i| applied[i] && !self.required_by.of(i).iter().any(|&c| applied[c]))
            .collect()
    }

    /// Adds `node` to `heads`, which stay in topological order (heads
    /// are few, so the shift is cheap, and no step has to sort them).
    fn insert_head(&self, heads: &mut Vec<usize>, node: usize) {
        let position = heads.partition_point(|&h| self.topo_pos[h] < self.topo_pos[node]);
        heads.insert(position, node);
    }

    /// A step; `heads` are in topological order.
    fn step(&self, node: usize, direction: Direction, heads: &[usize]) -> Step {
        Step {
            migration: Arc::clone(&self.nodes[node].migration),
            direction,
            heads_after: heads
                .iter()
                .map(|&h| self.nodes[h].id.to_string())
                .collect(),
        }
    }

    /// Ids starting with `prefix`, in topological order.
    pub(crate) fn with_prefix(&self, prefix: &str) -> Vec<&str> {
        self.topo
            .iter()
            .map(|&i| self.nodes[i].id.as_ref())
            .filter(|id| id.starts_with(prefix))
            .collect()
    }

    /// Known ids closest to `text`, for "did you mean" suggestions.
    pub(crate) fn closest(&self, text: &str) -> Vec<String> {
        closest(text, self.nodes.iter().map(|n| n.id.as_ref()))
    }

    /// Labels and ids closest to `text`.
    pub(crate) fn closest_branch(&self, text: &str) -> Vec<String> {
        closest(
            text,
            self.labels
                .keys()
                .map(|l| l.as_ref())
                .chain(self.nodes.iter().map(|n| n.id.as_ref())),
        )
    }
}

/// The names closest to `text`: fewest edits, then names that differ
/// from it only in the number they end with, nearest number first (`007`
/// suggests `006`, not `001`; `c05` suggests `c004`, not `d005`); only the
/// names tied for closest, at most three.
fn closest<'a>(text: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut scored: Vec<(usize, bool, u128, &str)> = names
        .map(|name| {
            let (stem, gap) = number_gap(text, name);
            (edit_distance(text, name), !stem, gap, name)
        })
        .filter(|(d, _, _, name)| *d <= (name.len().max(text.len()) / 2).max(1))
        .collect();
    scored.sort_unstable();
    let Some(&(distance, other_stem, gap, _)) = scored.first() else {
        return Vec::new();
    };
    scored
        .into_iter()
        .take_while(|s| (s.0, s.1, s.2) == (distance, other_stem, gap))
        .take(3)
        .map(|(_, _, _, name)| name.to_string())
        .collect()
}

/// Whether `a` and `b` are the same text before the number each ends with,
/// and how far apart those numbers are (the largest value when either has
/// none).
fn number_gap(a: &str, b: &str) -> (bool, u128) {
    let split = |s: &str| -> (String, Option<u128>) {
        let stem = s.trim_end_matches(|c: char| c.is_ascii_digit());
        // At most 38 digits fit; longer runs are not worth comparing.
        let number = s[stem.len()..].get(..(s.len() - stem.len()).min(38));
        (stem.to_string(), number.and_then(|n| n.parse().ok()))
    };
    let ((stem_a, number_a), (stem_b, number_b)) = (split(a), split(b));
    let gap = match (number_a, number_b) {
        (Some(x), Some(y)) => x.abs_diff(y),
        _ => u128::MAX,
    };
    (stem_a == stem_b, gap)
}

/// Kahn's algorithm; on a cycle, names the revisions on it.
fn topological_order(
    nodes: &[Node],
    parents: &Adjacency,
    children: &Adjacency,
) -> Result<Vec<usize>> {
    let mut indegree: Vec<usize> = (0..nodes.len()).map(|i| parents.of(i).len()).collect();
    let mut ready: VecDeque<usize> = (0..nodes.len()).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(node) = ready.pop_front() {
        order.push(node);
        for &child in children.of(node) {
            indegree[child] -= 1;
            if indegree[child] == 0 {
                ready.push_back(child);
            }
        }
    }
    if order.len() == nodes.len() {
        return Ok(order);
    }
    // Every node left has a parent left; walking parents must repeat a node.
    let start = (0..nodes.len())
        .find(|&i| indegree[i] > 0)
        .unwrap_or_default();
    let mut position = HashMap::new();
    let mut path = Vec::new();
    let mut node = start;
    while let std::collections::hash_map::Entry::Vacant(slot) = position.entry(node) {
        slot.insert(path.len());
        path.push(node);
        node = parents
            .of(node)
            .iter()
            .copied()
            .find(|&p| indegree[p] > 0)
            .unwrap_or(node);
    }
    let mut cycle: Vec<String> = path[position[&node]..]
        .iter()
        .rev()
        .map(|&i| nodes[i].id.to_string())
        .collect();
    cycle.push(cycle[0].clone());
    Err(Error::Cycle { cycle })
}

/// Each revision's `depends_on`, resolved: a revision id, or a branch
/// label standing for the revision that carries it.
fn resolve_dependencies(nodes: &[Node], index: &IdIndex, labels: &IdIndex) -> Result<Adjacency> {
    let mut dependencies = Adjacency {
        start: Vec::with_capacity(nodes.len() + 1),
        targets: Vec::new(),
    };
    dependencies.start.push(0);
    for (node_index, node) in nodes.iter().enumerate() {
        let first = dependencies.targets.len();
        for name in node.migration.depends_on() {
            let Some(&dependency) = index.get(name).or_else(|| labels.get(name)) else {
                return Err(Error::UnknownDependency {
                    revision: node.id.to_string(),
                    dependency: name.to_string(),
                });
            };
            if dependency == node_index {
                return Err(Error::Cycle {
                    cycle: vec![node.id.to_string(), node.id.to_string()],
                });
            }
            if dependencies.targets[first..].contains(&dependency) {
                return Err(Error::InvalidRevisionId {
                    revision: node.id.to_string(),
                    reason: format!("it lists dependency {name:?} twice"),
                });
            }
            dependencies.targets.push(dependency);
        }
        dependencies.start.push(dependencies.targets.len());
    }
    Ok(dependencies)
}

/// Parents, then the dependencies that are not also parents.
fn union(parents: &Adjacency, dependencies: &Adjacency, nodes: usize) -> Adjacency {
    let mut all = Adjacency {
        start: Vec::with_capacity(nodes + 1),
        targets: Vec::with_capacity(parents.targets.len() + dependencies.targets.len()),
    };
    all.start.push(0);
    for node in 0..nodes {
        let own = parents.of(node);
        all.targets.extend_from_slice(own);
        for &dependency in dependencies.of(node) {
            if !own.contains(&dependency) {
                all.targets.push(dependency);
            }
        }
        all.start.push(all.targets.len());
    }
    all
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

mod labels;
mod model;
mod order;
pub(crate) mod stamp;
pub(crate) mod walk;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod parity_tests;

#[cfg(test)]
mod proptests;
