//! Unit tests of the revision graph and of targets: one case per test.

use std::sync::Arc;

use crate::error::{Direction, Error};
use crate::graph::{RevisionGraph, Step};
use crate::migration::{FnMigration, Migration, MigrationSet, MigrationSource};
use crate::target::Target;

/// Migrations that do nothing, from `(id, parents)` pairs.
fn migrations(spec: &[(&str, &[&str])]) -> Vec<Arc<dyn Migration>> {
    let mut set = MigrationSet::new();
    for (id, parents) in spec {
        set = set.with(FnMigration::new(*id, parents, |_| Ok(()), |_| Ok(())));
    }
    set.migrations()
}

fn graph(spec: &[(&str, &[&str])]) -> RevisionGraph {
    RevisionGraph::new(migrations(spec)).expect("a valid graph")
}

fn graph_error(spec: &[(&str, &[&str])]) -> Error {
    RevisionGraph::new(migrations(spec)).expect_err("an invalid graph")
}

fn heads(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn target(text: &str) -> Target {
    text.parse().expect("a valid target")
}

fn sorted(mut ids: Vec<&str>) -> Vec<&str> {
    ids.sort();
    ids
}

fn revisions(steps: &[Step]) -> Vec<&str> {
    steps.iter().map(Step::revision).collect()
}

fn up(g: &RevisionGraph, current: &[&str], to: &str) -> Vec<Step> {
    g.plan_upgrade(&heads(current), &target(to))
        .unwrap_or_else(|e| panic!("upgrade to {to}: {e}"))
}

fn down(g: &RevisionGraph, current: &[&str], to: &str) -> Vec<Step> {
    g.plan_downgrade(&heads(current), &target(to))
        .unwrap_or_else(|e| panic!("downgrade to {to}: {e}"))
}

fn up_error(g: &RevisionGraph, current: &[&str], to: &str) -> Error {
    g.plan_upgrade(&heads(current), &target(to))
        .expect_err("the upgrade must fail")
}

fn down_error(g: &RevisionGraph, current: &[&str], to: &str) -> Error {
    g.plan_downgrade(&heads(current), &target(to))
        .expect_err("the downgrade must fail")
}

fn invalid_target_reason(error: Error) -> String {
    match error {
        Error::InvalidTarget { reason, .. } => reason,
        other => panic!("expected InvalidTarget, got {other:?}"),
    }
}

/// `a` ← `b`: a straight line of five.
const LINE: &[(&str, &[&str])] = &[
    ("a", &[]),
    ("b", &["a"]),
    ("c", &["b"]),
    ("d", &["c"]),
    ("e", &["d"]),
];

/// `r0` branches into `r1a` and `r1b`, merged by `r2`, followed by `r3`;
/// `x0` ← `x1` is an independent lineage.
const DIAMOND: &[(&str, &[&str])] = &[
    ("r0", &[]),
    ("r1a", &["r0"]),
    ("r1b", &["r0"]),
    ("r2", &["r1a", "r1b"]),
    ("r3", &["r2"]),
];

/// `a0` branches into `a1` ← `a2` and `b1` ← `b2`, never merged.
const FORK: &[(&str, &[&str])] = &[
    ("a0", &[]),
    ("a1", &["a0"]),
    ("a2", &["a1"]),
    ("b1", &["a0"]),
    ("b2", &["b1"]),
];

// ---------------------------------------------------------------- building

#[test]
fn duplicate_ids_are_rejected_naming_the_revision() {
    let error = graph_error(&[("a", &[]), ("b", &["a"]), ("b", &["a"])]);
    assert!(
        matches!(&error, Error::DuplicateRevision { revision } if revision == "b"),
        "{error:?}"
    );
    assert!(error.to_string().contains("\"b\""), "{error}");
}

#[test]
fn an_unknown_parent_is_rejected_naming_both_revisions() {
    let error = graph_error(&[("a", &[]), ("b", &["a", "zz"])]);
    assert!(
        matches!(&error, Error::UnknownParent { revision, parent } if revision == "b" && parent == "zz"),
        "{error:?}"
    );
}

#[test]
fn a_cycle_is_rejected_naming_exactly_the_revisions_on_it() {
    // `d` hangs below the cycle m ↔ n and sorts first: it must not be named.
    let spec: &[(&str, &[&str])] = &[("a", &[]), ("m", &["a", "n"]), ("n", &["m"]), ("d", &["m"])];
    let error = graph_error(spec);
    let Error::Cycle { cycle } = &error else {
        panic!("expected a cycle, got {error:?}");
    };
    assert_eq!(cycle.len(), 3, "{cycle:?}");
    assert_eq!(cycle.first(), cycle.last());
    let mut on_cycle: Vec<&str> = cycle[..2].iter().map(String::as_str).collect();
    on_cycle.sort();
    assert_eq!(on_cycle, ["m", "n"]);
    // In order: each revision revises the one before it.
    let parents = |id: &str| spec.iter().find(|(i, _)| *i == id).unwrap().1;
    for pair in cycle.windows(2) {
        assert!(parents(&pair[1]).contains(&pair[0].as_str()), "{cycle:?}");
    }
    let message = error.to_string();
    assert!(
        message.contains("m -> n -> m") || message.contains("n -> m -> n"),
        "{message}"
    );
}

#[test]
fn a_revision_revising_itself_is_a_cycle() {
    let error = graph_error(&[("a", &[]), ("b", &["b"])]);
    assert!(
        matches!(&error, Error::Cycle { cycle } if cycle == &["b", "b"]),
        "{error:?}"
    );
}

#[test]
fn an_invalid_revision_id_is_rejected() {
    let error = graph_error(&[("a b", &[])]);
    assert!(
        matches!(&error, Error::InvalidRevisionId { revision, .. } if revision == "a b"),
        "{error:?}"
    );
}

/// The graph words an id problem as the `#[migration]` attribute and the
/// `.sql` header do: the reason is [`IdProblem`]'s text.
///
/// [`IdProblem`]: arx_migrate_ids::IdProblem
#[test]
fn invalid_ids_and_labels_give_the_shared_reason() {
    use arx_migrate_ids::IdProblem;
    let long = "x".repeat(33);
    for (id, problem) in [
        ("", IdProblem::Empty),
        (long.as_str(), IdProblem::TooLong),
        ("a b", IdProblem::BadCharacter),
        ("head", IdProblem::Reserved),
    ] {
        let error = graph_error(&[(id, &[])]);
        assert!(
            matches!(&error, Error::InvalidRevisionId { reason, .. } if *reason == problem.to_string()),
            "{id:?}: {error:?}"
        );
        let labelled = FnMigration::new("a", &[], |_| Ok(()), |_| Ok(())).branch_labels(&[id]);
        let error = RevisionGraph::new(MigrationSet::new().with(labelled).migrations())
            .expect_err("an invalid label");
        assert!(
            matches!(&error, Error::InvalidBranchLabel { reason, .. } if *reason == problem.to_string()),
            "label {id:?}: {error:?}"
        );
    }
}

#[test]
fn a_parent_listed_twice_is_rejected() {
    let error = graph_error(&[("a", &[]), ("b", &["a", "a"])]);
    assert!(error.to_string().contains("twice"), "{error}");
}

// ------------------------------------------------------------------- shape

#[test]
fn heads_bases_branch_points_and_merge_points() {
    let mut spec = DIAMOND.to_vec();
    spec.extend_from_slice(&[("x0", &[]), ("x1", &["x0"])]);
    let g = graph(&spec);
    assert_eq!(g.len(), 7);
    assert_eq!(sorted(g.heads()), ["r3", "x1"]);
    assert_eq!(sorted(g.bases()), ["r0", "x0"]);
    assert_eq!(g.branch_points(), ["r0"]);
    assert_eq!(g.merge_points(), ["r2"]);
    assert_eq!(g.parents_of("r2"), ["r1a", "r1b"]);
    assert_eq!(sorted(g.children_of("r0")), ["r1a", "r1b"]);
}

#[test]
fn in_order_lists_parents_before_children() {
    let g = graph(DIAMOND);
    let order: Vec<&str> = g.in_order().map(|m| m.revision()).collect();
    let position = |id: &str| order.iter().position(|o| *o == id).unwrap();
    for (id, parents) in DIAMOND {
        for parent in *parents {
            assert!(position(parent) < position(id), "{order:?}");
        }
    }
}

#[test]
fn independent_lineages_give_several_heads_and_heads_upgrades_them_all() {
    let g = graph(&[("a0", &[]), ("a1", &["a0"]), ("b0", &[]), ("b1", &["b0"])]);
    let mut all = g.heads();
    all.sort();
    assert_eq!(all, ["a1", "b1"]);
    let steps = up(&g, &[], "heads");
    assert_eq!(steps.len(), 4);
    let mut after = steps.last().unwrap().heads_after.clone();
    after.sort();
    assert_eq!(after, ["a1", "b1"]);
}

#[test]
fn head_with_several_heads_is_multiple_heads() {
    let g = graph(FORK);
    let error = g.single_head().expect_err("two heads");
    assert!(
        matches!(&error, Error::MultipleHeads { heads } if heads.len() == 2),
        "{error:?}"
    );
    let error = up_error(&g, &[], "head");
    let Error::MultipleHeads { heads } = &error else {
        panic!("expected MultipleHeads, got {error:?}");
    };
    let mut heads = heads.clone();
    heads.sort();
    assert_eq!(heads, ["a2", "b2"]);
    let message = error.to_string();
    assert!(
        message.contains("a2") && message.contains("b2"),
        "{message}"
    );
}

// ------------------------------------------------------------ resolution

#[test]
fn a_full_id_resolves_to_itself_even_when_it_prefixes_another() {
    let g = graph(&[("abc1", &[]), ("abc12", &["abc1"])]);
    assert_eq!(g.resolve_revision("abc1").unwrap(), "abc1");
    assert_eq!(g.resolve_revision("abc12").unwrap(), "abc12");
}

#[test]
fn a_unique_prefix_resolves_to_its_revision() {
    let g = graph(&[("ae1027a6", &[]), ("27c6a30d", &["ae1027a6"])]);
    assert_eq!(g.resolve_revision("ae").unwrap(), "ae1027a6");
    assert_eq!(g.resolve_revision("27c").unwrap(), "27c6a30d");
    assert_eq!(revisions(&up(&g, &[], "ae")), ["ae1027a6"]);
}

#[test]
fn an_ambiguous_prefix_lists_the_candidates() {
    let g = graph(&[("ab1", &[]), ("ab2", &["ab1"]), ("c", &["ab2"])]);
    let error = g.resolve_revision("ab").expect_err("ambiguous");
    assert!(
        matches!(&error, Error::AmbiguousRevision { prefix, candidates } if prefix == "ab" && candidates == &["ab1", "ab2"]),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("ab1, ab2"), "{message}");
}

#[test]
fn an_unknown_revision_suggests_the_closest() {
    let g = graph(&[
        ("users", &[]),
        ("orders", &["users"]),
        ("items", &["orders"]),
    ]);
    let error = g.resolve_revision("oders").expect_err("unknown");
    assert!(
        matches!(&error, Error::UnknownRevision { target, candidates } if target == "oders" && candidates.first().map(String::as_str) == Some("orders")),
        "{error:?}"
    );
    assert!(error.to_string().contains("orders"), "{error}");
    let error = up_error(&g, &[], "zzzzzzzz");
    assert!(
        matches!(&error, Error::UnknownRevision { candidates, .. } if candidates.is_empty()),
        "{error:?}"
    );
}

#[test]
fn an_unknown_database_revision_is_reported() {
    let g = graph(LINE);
    let error = up_error(&g, &["zz"], "head");
    assert!(
        matches!(&error, Error::UnknownDatabaseRevision { unknown } if unknown == &["zz"]),
        "{error:?}"
    );
}

// ----------------------------------------------------------------- parsing

#[test]
fn targets_parse_as_alembic_spells_them() {
    assert_eq!(target("head"), Target::Head);
    assert_eq!(target("heads"), Target::Heads);
    assert_eq!(target("base"), Target::Base);
    assert_eq!(target("ae10"), Target::Revision("ae10".into()));
    assert_eq!(target("add-users"), Target::Revision("add-users".into()));
    assert_eq!(
        target("+2"),
        Target::Relative {
            from: None,
            steps: 2
        }
    );
    assert_eq!(
        target("-1"),
        Target::Relative {
            from: None,
            steps: -1
        }
    );
    assert_eq!(
        target("ae10+3"),
        Target::Relative {
            from: Some("ae10".into()),
            steps: 3
        }
    );
    assert_eq!(
        target("ae10-2"),
        Target::Relative {
            from: Some("ae10".into()),
            steps: -2
        }
    );
    assert_eq!(target("ae10@head"), Target::branch_head("ae10"));
    for text in [
        "head",
        "heads",
        "base",
        "+2",
        "-1",
        "ae10",
        "ae10+3",
        "ae10-2",
        "ae10@head",
    ] {
        assert_eq!(target(text).to_string(), text);
    }
    assert!("".parse::<Target>().is_err());
    assert!("@head".parse::<Target>().is_err());
}

// --------------------------------------------------------------- relative

#[test]
fn plus_n_applies_the_next_n_revisions() {
    let g = graph(LINE);
    assert_eq!(revisions(&up(&g, &[], "+2")), ["a", "b"]);
    assert_eq!(revisions(&up(&g, &["b"], "+2")), ["c", "d"]);
    let reason = invalid_target_reason(up_error(&g, &["c"], "+3"));
    assert!(reason.contains("only 2"), "{reason}");
    assert!(matches!(
        up_error(&g, &["c"], "-1"),
        Error::InvalidTarget { .. }
    ));
}

#[test]
fn minus_n_reverts_the_last_n_revisions() {
    let g = graph(LINE);
    let steps = down(&g, &["e"], "-2");
    assert_eq!(revisions(&steps), ["e", "d"]);
    assert!(steps.iter().all(|s| s.direction == Direction::Downgrade));
    assert_eq!(steps.last().unwrap().heads_after, ["c"]);
    let steps = down(&g, &["b"], "-2");
    assert_eq!(steps.last().unwrap().heads_after, Vec::<String>::new());
    let reason = invalid_target_reason(down_error(&g, &["b"], "-3"));
    assert!(reason.contains("only 2"), "{reason}");
}

#[test]
fn rev_plus_n_counts_up_from_the_revision() {
    let g = graph(LINE);
    assert_eq!(revisions(&up(&g, &[], "b+2")), ["a", "b", "c", "d"]);
    let reason = invalid_target_reason(up_error(&g, &[], "d+2"));
    assert!(
        reason.contains("only 1 revision(s) are above d"),
        "{reason}"
    );
}

#[test]
fn rev_minus_n_counts_down_from_the_revision() {
    let g = graph(LINE);
    assert_eq!(revisions(&down(&g, &["e"], "d-2")), ["e", "d", "c"]);
    assert_eq!(revisions(&up(&g, &[], "d-1")), ["a", "b", "c"]);
    // One step below the base is base itself, as in Alembic; further is
    // an error.
    assert_eq!(
        revisions(&down(&g, &["e"], "b-2")),
        ["e", "d", "c", "b", "a"]
    );
    let reason = invalid_target_reason(down_error(&g, &["e"], "b-3"));
    assert!(
        reason.contains("only 2 revision(s) are at or below b"),
        "{reason}"
    );
}

#[test]
fn rev_plus_n_is_ambiguous_at_a_branch_point() {
    let g = graph(DIAMOND);
    let reason = invalid_target_reason(up_error(&g, &[], "r0+1"));
    assert!(reason.contains("r0 is a branch point"), "{reason}");
    assert!(reason.contains("r1a") && reason.contains("r1b"), "{reason}");
}

#[test]
fn rev_minus_n_is_ambiguous_at_a_merge_point() {
    let g = graph(DIAMOND);
    let reason = invalid_target_reason(down_error(&g, &["r3"], "r2-1"));
    assert!(reason.contains("r2 is a merge point"), "{reason}");
    assert!(reason.contains("r1a") && reason.contains("r1b"), "{reason}");
    // Through the merge with a single path on each side it is fine.
    assert_eq!(revisions(&down(&g, &["r3"], "r3-1")), ["r3"]);
}

#[test]
fn plus_n_is_ambiguous_where_several_revisions_could_come_next() {
    let g = graph(DIAMOND);
    let reason = invalid_target_reason(up_error(&g, &["r0"], "+1"));
    assert!(reason.contains("r1a") && reason.contains("r1b"), "{reason}");
    // +N walks N steps up the branch, then applies whatever that revision
    // requires, as Alembic does: from r1a, +1 is the merge r2, which needs
    // r1b too.
    assert_eq!(revisions(&up(&g, &["r1a"], "+1")), ["r1b", "r2"]);
    assert_eq!(revisions(&up(&g, &["r1a"], "+2")), ["r1b", "r2", "r3"]);
}

#[test]
fn minus_n_is_ambiguous_with_several_database_heads() {
    let g = graph(FORK);
    let reason = invalid_target_reason(down_error(&g, &["a2", "b2"], "-1"));
    assert!(reason.contains("a2") && reason.contains("b2"), "{reason}");
    // -N walks down the branch: below the merge r2 the path forks.
    let g = graph(DIAMOND);
    assert_eq!(revisions(&down(&g, &["r3"], "-1")), ["r3"]);
    let reason = invalid_target_reason(down_error(&g, &["r3"], "-2"));
    assert!(
        reason.contains("r2 is a merge point of r1a, r1b"),
        "{reason}"
    );
}

#[test]
fn rev_at_head_is_the_head_of_that_branch() {
    let g = graph(FORK);
    assert_eq!(revisions(&up(&g, &[], "b1@head")), ["a0", "b1", "b2"]);
    assert_eq!(revisions(&up(&g, &["a2"], "b2@head")), ["b1", "b2"]);
    let error = up_error(&g, &[], "a0@head");
    assert!(
        matches!(&error, Error::MultipleHeads { heads } if heads.len() == 2),
        "{error:?}"
    );
    // Through a merge, the branch's head is the merged head.
    let g = graph(DIAMOND);
    assert_eq!(up(&g, &[], "r1a@head").last().unwrap().revision(), "r3");
}

// ------------------------------------------------------------------ plans

#[test]
fn an_upgrade_through_a_merge_applies_both_branches_first() {
    let g = graph(DIAMOND);
    let steps = up(&g, &[], "head");
    assert_eq!(revisions(&steps), ["r0", "r1a", "r1b", "r2", "r3"]);
    assert!(steps.iter().all(|s| s.direction == Direction::Upgrade));
    let after: Vec<Vec<String>> = steps.iter().map(|s| s.heads_after.clone()).collect();
    assert_eq!(
        after,
        [
            heads(&["r0"]),
            heads(&["r1a"]),
            heads(&["r1a", "r1b"]),
            heads(&["r2"]),
            heads(&["r3"]),
        ]
    );
    // From one branch, only the other branch and what follows.
    assert_eq!(revisions(&up(&g, &["r1b"], "head")), ["r1a", "r2", "r3"]);
    // Nothing to do at head.
    assert!(up(&g, &["r3"], "head").is_empty());
}

#[test]
fn a_downgrade_through_a_merge_reverts_both_branches_after_it() {
    let g = graph(DIAMOND);
    let steps = down(&g, &["r3"], "r0");
    assert_eq!(revisions(&steps[..2]), ["r3", "r2"]);
    let mut branches = revisions(&steps[2..]);
    branches.sort();
    assert_eq!(branches, ["r1a", "r1b"]);
    assert!(steps.iter().all(|s| s.direction == Direction::Downgrade));
    assert_eq!(steps[0].heads_after, ["r2"]);
    assert_eq!(steps[1].heads_after, ["r1a", "r1b"]);
    assert_eq!(steps[3].heads_after, ["r0"]);
    // Down to one branch: the merge goes, both branches stay.
    let steps = down(&g, &["r3"], "r1a");
    assert_eq!(revisions(&steps), ["r3", "r2"]);
    assert_eq!(steps[1].heads_after, ["r1a", "r1b"]);
}

#[test]
fn downgrading_one_branch_leaves_the_other_applied() {
    let g = graph(FORK);
    let steps = down(&g, &["a2", "b2"], "b1");
    assert_eq!(revisions(&steps), ["b2"]);
    assert_eq!(
        sorted(steps[0].heads_after.iter().map(String::as_str).collect()),
        ["a2", "b1"]
    );
    let steps = down(&g, &["a2", "b2"], "a1-1");
    let mut reverted = revisions(&steps);
    reverted.sort();
    assert_eq!(reverted, ["a1", "a2", "b1", "b2"]);
    assert_eq!(steps.last().unwrap().heads_after, ["a0"]);
}

#[test]
fn downgrading_to_a_revision_that_is_not_applied_is_an_error() {
    let g = graph(FORK);
    let reason = invalid_target_reason(down_error(&g, &["a2"], "b1"));
    assert!(reason.contains("b1 is not applied"), "{reason}");
    let reason = invalid_target_reason(down_error(&g, &["a1"], "a2"));
    assert!(reason.contains("a2 is not applied"), "{reason}");
}

#[test]
fn downgrading_to_base_reverts_everything_newest_first() {
    let g = graph(FORK);
    let steps = down(&g, &["a2", "b2"], "base");
    assert_eq!(steps.len(), 5);
    assert_eq!(steps.last().unwrap().revision(), "a0");
    assert!(steps.last().unwrap().heads_after.is_empty());
    assert!(down(&g, &[], "base").is_empty());
}

#[test]
fn upgrading_to_base_does_nothing() {
    let g = graph(LINE);
    assert!(up(&g, &["c"], "base").is_empty());
}

#[test]
fn a_revision_id_with_a_dash_and_digits_is_a_revision_not_a_relative_target() {
    let g = graph(&[
        ("v", &[]),
        ("v-1", &["v"]),
        ("2024-01", &["v-1"]),
        ("2024-02", &["2024-01"]),
    ]);
    assert_eq!(revisions(&up(&g, &[], "v-1")), ["v", "v-1"]);
    assert_eq!(revisions(&up(&g, &[], "2024-01")), ["v", "v-1", "2024-01"]);
    assert_eq!(revisions(&down(&g, &["2024-02"], "2024-01")), ["2024-02"]);
    // Still relative where no such id exists.
    assert_eq!(
        revisions(&down(&g, &["2024-02"], "2024-02-2")),
        ["2024-02", "2024-01"]
    );
}
