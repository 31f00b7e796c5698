//! The revision graph's data: revisions as nodes, edges in compressed
//! rows, and the indexes by id and by label. Data only: building it and
//! walking it are the other modules of `graph`.

use std::collections::HashMap;
use std::sync::Arc;

use crate::migration::Migration;

/// FNV-1a: revision ids are short and come from the program's own code,
/// not from an adversary, so a fast unkeyed hash is safe here; SipHash
/// made building a 100,000-revision graph a third slower.
#[derive(Clone, Copy)]
pub(super) struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(super) type IdIndex = HashMap<Arc<str>, usize, std::hash::BuildHasherDefault<Fnv1a>>;

pub(super) struct Node {
    pub(super) migration: Arc<dyn Migration>,
    pub(super) id: Arc<str>,
}

/// Edges in compressed rows: node `i`'s neighbours are
/// `targets[start[i]..start[i + 1]]`. Two allocations for the whole graph
/// instead of two per revision, which is most of the cost of building and
/// dropping a graph of 100,000 revisions.
#[derive(Default, Clone)]
pub(super) struct Adjacency {
    pub(super) start: Vec<usize>,
    pub(super) targets: Vec<usize>,
}

impl Adjacency {
    pub(super) fn of(&self, node: usize) -> &[usize] {
        &self.targets[self.start[node]..self.start[node + 1]]
    }

    /// The reverse edges: for each node, the nodes that list it.
    pub(super) fn reversed(&self, nodes: usize) -> Adjacency {
        let mut start = vec![0; nodes + 1];
        for &target in &self.targets {
            start[target + 1] += 1;
        }
        for i in 0..nodes {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut targets = vec![0; self.targets.len()];
        for source in 0..nodes {
            for &target in self.of(source) {
                targets[fill[target]] = source;
                fill[target] += 1;
            }
        }
        Adjacency { start, targets }
    }
}

/// A validated graph of revisions.
pub struct RevisionGraph {
    pub(super) nodes: Vec<Node>,
    /// `down_revisions`: the edges that make branches.
    pub(super) parents: Adjacency,
    pub(super) children: Adjacency,
    /// `depends_on`, resolved to revisions.
    pub(super) dependencies: Adjacency,
    /// Parents and dependencies: what must be applied before a revision.
    pub(super) requires: Adjacency,
    /// The reverse of `requires`: what must be reverted before a revision.
    pub(super) required_by: Adjacency,
    pub(super) index: IdIndex,
    /// Branch labels, and the revision each names.
    pub(super) labels: IdIndex,
    /// Where each label is shown, computed on first use (see `labels`).
    pub(super) label_coverage: std::sync::OnceLock<Vec<(usize, Vec<bool>)>>,
    /// Node indexes in a topological order (parents first), ties broken by
    /// registration order sorted by id so that plans are deterministic.
    pub(super) topo: Vec<usize>,
    /// Position of each node in `topo`.
    pub(super) topo_pos: Vec<usize>,
}
