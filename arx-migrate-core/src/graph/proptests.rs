//! Property tests over random revision DAGs, with random `depends_on`
//! edges: plans respect parents and dependencies, never re-apply or
//! re-revert, keep the version rows right at every step, and round trips
//! return to where they started.

use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;

use crate::error::Direction;
use crate::graph::{RevisionGraph, Step};
use crate::migration::{FnMigration, MigrationSet, MigrationSource};
use crate::target::Target;

/// A random DAG: revision `i` has up to three distinct parents and up to
/// two dependencies (`depends_on`, not parents) among the revisions before
/// it. Ids do not sort in topological order, so nothing relies on their
/// order.
#[derive(Debug, Clone)]
struct Dag {
    ids: Vec<String>,
    parents: Vec<Vec<usize>>,
    deps: Vec<Vec<usize>>,
}

impl Dag {
    fn graph(&self) -> RevisionGraph {
        let mut set = MigrationSet::new();
        for ((id, parents), deps) in self.ids.iter().zip(&self.parents).zip(&self.deps) {
            let parents: Vec<&str> = parents.iter().map(|&p| self.ids[p].as_str()).collect();
            let deps: Vec<&str> = deps.iter().map(|&d| self.ids[d].as_str()).collect();
            set = set.with(
                FnMigration::new(id.clone(), &parents, |_| Ok(()), |_| Ok(())).depends_on(&deps),
            );
        }
        RevisionGraph::new(set.migrations()).expect("a random DAG is a valid graph")
    }

    fn index(&self) -> HashMap<&str, usize> {
        self.ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect()
    }

    /// What `node` needs applied first: its parents and dependencies.
    fn requires(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        self.parents[node].iter().chain(&self.deps[node]).copied()
    }

    /// `seeds` and all they require.
    fn closure(&self, seeds: &[usize]) -> BTreeSet<usize> {
        let mut applied = BTreeSet::new();
        let mut stack: Vec<usize> = seeds.to_vec();
        while let Some(node) = stack.pop() {
            if applied.insert(node) {
                stack.extend(self.requires(node));
            }
        }
        applied
    }

    /// The version rows of an applied set: applied revisions that no
    /// applied revision requires.
    fn heads_of(&self, applied: &BTreeSet<usize>) -> BTreeSet<String> {
        applied
            .iter()
            .filter(|&&n| {
                !applied
                    .iter()
                    .any(|&other| self.requires(other).any(|r| r == n))
            })
            .map(|&n| self.ids[n].clone())
            .collect()
    }

    fn head_list(&self, applied: &BTreeSet<usize>) -> Vec<String> {
        self.heads_of(applied).into_iter().collect()
    }

    /// Applies `steps` to `applied`, checking each one: an upgrade applies a
    /// pending revision whose parents and dependencies are all applied, a
    /// downgrade reverts an applied revision that no applied revision
    /// requires, and the version rows after each step are exactly the heads
    /// of the applied set.
    fn run(&self, applied: &mut BTreeSet<usize>, steps: &[Step]) -> Result<(), TestCaseError> {
        let index = self.index();
        for step in steps {
            let node = index[step.revision()];
            match step.direction {
                Direction::Upgrade => {
                    prop_assert!(!applied.contains(&node), "{} re-applied", step.revision());
                    for parent in self.requires(node) {
                        prop_assert!(
                            applied.contains(&parent),
                            "{} applied before {}, which it requires",
                            step.revision(),
                            self.ids[parent]
                        );
                    }
                    applied.insert(node);
                }
                Direction::Downgrade => {
                    prop_assert!(
                        applied.contains(&node),
                        "{} reverted twice",
                        step.revision()
                    );
                    for &child in applied.iter() {
                        prop_assert!(
                            !self.requires(child).any(|r| r == node),
                            "{} reverted before {}, which requires it",
                            step.revision(),
                            self.ids[child]
                        );
                    }
                    applied.remove(&node);
                }
            }
            let rows: BTreeSet<String> = step.heads_after.iter().cloned().collect();
            prop_assert_eq!(
                rows.len(),
                step.heads_after.len(),
                "duplicate version rows after {:?}",
                step
            );
            prop_assert_eq!(
                &rows,
                &self.heads_of(applied),
                "version rows after {:?}",
                step
            );
        }
        Ok(())
    }
}

fn dag() -> impl Strategy<Value = Dag> {
    let picks = || proptest::collection::vec(any::<usize>(), 0..=3);
    (1usize..24)
        .prop_flat_map(move |n| {
            proptest::collection::vec(
                (picks(), proptest::collection::vec(any::<usize>(), 0..=2)),
                n,
            )
        })
        .prop_map(|raw| {
            let earlier = |i: usize, picks: Vec<usize>| -> Vec<usize> {
                let mut nodes: Vec<usize> = if i == 0 {
                    Vec::new()
                } else {
                    picks.into_iter().map(|p| p % i).collect()
                };
                nodes.sort_unstable();
                nodes.dedup();
                nodes
            };
            let (parents, deps): (Vec<Vec<usize>>, Vec<Vec<usize>>) = raw
                .into_iter()
                .enumerate()
                .map(|(i, (parent_picks, dep_picks))| {
                    let parents = earlier(i, parent_picks);
                    let deps = earlier(i, dep_picks)
                        .into_iter()
                        .filter(|d| !parents.contains(d))
                        .collect();
                    (parents, deps)
                })
                .unzip();
            let ids = (0..parents.len())
                .map(|i| format!("{}{i}", ["q", "b", "m", "c", "x"][i % 5]))
                .collect();
            Dag { ids, parents, deps }
        })
}

/// A DAG and a random applied state: the closure of random seeds.
fn dag_and_state() -> impl Strategy<Value = (Dag, Vec<usize>)> {
    dag().prop_flat_map(|dag| {
        let n = dag.ids.len();
        (Just(dag), proptest::collection::vec(0..n, 0..4))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (a) From any applied state, the upgrade to `heads` applies each
    /// revision after all its parents, never re-applies one, and ends with
    /// everything applied.
    #[test]
    fn upgrade_plans_respect_dependencies((dag, seeds) in dag_and_state()) {
        let graph = dag.graph();
        let start = dag.closure(&seeds);
        let mut applied = start.clone();
        let steps = graph
            .plan_upgrade(&dag.head_list(&start), &Target::Heads)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        dag.run(&mut applied, &steps)?;
        prop_assert_eq!(applied.len(), dag.ids.len());
        prop_assert_eq!(steps.len(), dag.ids.len() - start.len());
    }

    /// (a') The same to a single random revision: it and its ancestors end
    /// applied, nothing else is added.
    #[test]
    fn upgrade_plans_to_a_revision_respect_dependencies(
        (dag, seeds) in dag_and_state(),
        pick in any::<usize>(),
    ) {
        let graph = dag.graph();
        let start = dag.closure(&seeds);
        let goal = pick % dag.ids.len();
        let mut applied = start.clone();
        let steps = graph
            .plan_upgrade(&dag.head_list(&start), &Target::Revision(dag.ids[goal].clone()))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        dag.run(&mut applied, &steps)?;
        let expected: BTreeSet<usize> = start.union(&dag.closure(&[goal])).copied().collect();
        prop_assert_eq!(applied, expected);
    }

    /// (b) Upgrading to heads and then reverting what that added returns
    /// exactly the starting heads, and the downgrade mirrors the upgrade.
    #[test]
    fn upgrade_then_downgrade_returns_to_the_start((dag, seeds) in dag_and_state()) {
        let graph = dag.graph();
        let start = dag.closure(&seeds);
        let start_heads = dag.head_list(&start);
        let up = graph
            .plan_upgrade(&start_heads, &Target::Heads)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut applied = start.clone();
        dag.run(&mut applied, &up)?;
        let top = dag.head_list(&applied);

        // Back to the starting set of heads (any number of them).
        let current = graph.resolve_heads(&top).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let remove: Vec<bool> = (0..graph.len()).map(|node| {
            let id = graph.id_of(node);
            !start.iter().any(|&s| dag.ids[s] == id)
        }).collect();
        let down = graph.downgrade_steps(&current, &remove);
        dag.run(&mut applied, &down)?;
        prop_assert_eq!(&applied, &start);
        prop_assert_eq!(dag.heads_of(&applied), start_heads.iter().cloned().collect::<BTreeSet<_>>());
        let up_ids: Vec<&str> = up.iter().map(Step::revision).collect();
        let mut down_ids: Vec<&str> = down.iter().map(Step::revision).collect();
        down_ids.reverse();
        prop_assert_eq!(up_ids, down_ids);
        if let Some(last) = down.last() {
            let rows: BTreeSet<&String> = last.heads_after.iter().collect();
            prop_assert_eq!(rows, start_heads.iter().collect::<BTreeSet<_>>());
        }
    }

    /// (b') Through the public targets: from a single starting head (or
    /// none), up to heads and down to that revision (or base) reverts
    /// exactly what requires a child of the start (the start's own
    /// dependents stay: it stays applied).
    #[test]
    fn upgrade_then_downgrade_to_the_start_revision(dag in dag(), pick in any::<usize>()) {
        let graph = dag.graph();
        let n = dag.ids.len();
        let start = Some(pick % (n + 1)).filter(|&s| s < n);
        let (start_heads, back) = match start {
            None => (Vec::new(), Target::Base),
            Some(s) => (vec![dag.ids[s].clone()], Target::Revision(dag.ids[s].clone())),
        };
        let mut applied = dag.closure(start.as_slice());
        let up = graph
            .plan_upgrade(&start_heads, &Target::Heads)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        dag.run(&mut applied, &up)?;
        let down = graph
            .plan_downgrade(&dag.head_list(&applied), &back)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        dag.run(&mut applied, &down)?;
        let expected: BTreeSet<usize> = match start {
            None => BTreeSet::new(),
            Some(s) => (0..n).filter(|&node| !requires_a_child_of(&dag, node, s)).collect(),
        };
        prop_assert_eq!(applied, expected);
    }

    /// (c) Down to base from everything, then up to heads: each revision is
    /// reverted exactly once and applied exactly once.
    #[test]
    fn base_to_heads_covers_every_revision_once(dag in dag()) {
        let graph = dag.graph();
        let all: Vec<usize> = (0..dag.ids.len()).collect();
        let mut applied = dag.closure(&all);
        let down = graph
            .plan_downgrade(&dag.head_list(&applied), &Target::Base)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        dag.run(&mut applied, &down)?;
        prop_assert!(applied.is_empty());
        let up = graph
            .plan_upgrade(&[], &Target::Heads)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        dag.run(&mut applied, &up)?;
        prop_assert_eq!(applied.len(), dag.ids.len());
        for steps in [&down, &up] {
            let ids: BTreeSet<&str> = steps.iter().map(Step::revision).collect();
            prop_assert_eq!(ids.len(), dag.ids.len());
            prop_assert_eq!(steps.len(), dag.ids.len());
        }
    }
}

/// Whether `node` requires, directly or not, a revision whose parent is
/// `start`.
fn requires_a_child_of(dag: &Dag, node: usize, start: usize) -> bool {
    dag.closure(&[node])
        .iter()
        .any(|&r| dag.parents[r].contains(&start))
}
