//! Unit tests of what the graph does as Alembic does: branch labels,
//! `depends_on`, `stamp`'s partial replacement, `+N`/`-N` walks, history's
//! order and "did you mean". tests/alembic.rs checks the same behaviour
//! against Alembic itself; these run without it.

use std::sync::Arc;

use crate::error::Error;
use crate::graph::{RevisionGraph, Step};
use crate::migration::{FnMigration, Migration, MigrationSet, MigrationSource};
use crate::target::Target;

/// `(id, parents, labels, depends_on)`.
type Spec<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a [&'a str]);

fn migrations(spec: &[Spec]) -> Vec<Arc<dyn Migration>> {
    let mut set = MigrationSet::new();
    for (id, parents, labels, depends) in spec {
        set = set.with(
            FnMigration::new(*id, parents, |_| Ok(()), |_| Ok(()))
                .branch_labels(labels)
                .depends_on(depends),
        );
    }
    set.migrations()
}

fn graph(spec: &[Spec]) -> RevisionGraph {
    RevisionGraph::new(migrations(spec)).expect("a valid graph")
}

fn rows(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn target(text: &str) -> Target {
    text.parse().expect("a valid target")
}

/// The version rows after a plan, sorted.
fn after(current: &[&str], steps: &[Step]) -> Vec<String> {
    let mut heads = steps
        .last()
        .map(|s| s.heads_after.clone())
        .unwrap_or_else(|| rows(current));
    heads.sort();
    heads
}

fn up(g: &RevisionGraph, current: &[&str], to: &str) -> Vec<String> {
    let steps = g
        .plan_upgrade(&rows(current), &target(to))
        .unwrap_or_else(|e| panic!("upgrade {to}: {e}"));
    after(current, &steps)
}

fn down(g: &RevisionGraph, current: &[&str], to: &str) -> Vec<String> {
    let steps = g
        .plan_downgrade(&rows(current), &target(to))
        .unwrap_or_else(|e| panic!("downgrade {to}: {e}"));
    after(current, &steps)
}

fn stamp(g: &RevisionGraph, current: &[&str], targets: &[&str]) -> Result<Vec<String>, Error> {
    let targets: Vec<Target> = targets.iter().map(|t| target(t)).collect();
    let mut rows = g.plan_stamp(&rows(current), &targets)?;
    rows.sort();
    Ok(rows)
}

fn reason(error: Error) -> String {
    match error {
        Error::InvalidTarget { reason, .. } => reason,
        other => panic!("expected InvalidTarget, got {other:?}"),
    }
}

/// Two bases; b1 branches into c, d and e; c and d merge in m1; e1 is an
/// unmerged head; x is a second line.
const FOREST: &[Spec] = &[
    ("a1", &[], &[], &[]),
    ("b1", &["a1"], &[], &[]),
    ("c1", &["b1"], &[], &[]),
    ("c2", &["c1"], &[], &[]),
    ("d1", &["b1"], &[], &[]),
    ("m1", &["c2", "d1"], &[], &[]),
    ("e1", &["b1"], &[], &[]),
    ("e2", &["e1"], &[], &[]),
    ("x1", &[], &[], &[]),
    ("x2", &["x1"], &[], &[]),
];

/// Shop and billing lines; billing's p2 depends on shop (by label).
const SERVICES: &[Spec] = &[
    ("s1", &[], &[], &[]),
    ("s2", &["s1"], &["shop"], &[]),
    ("s3", &["s2"], &[], &[]),
    ("n1", &["s1"], &["notify"], &[]),
    ("p1", &[], &["billing"], &[]),
    ("p2", &["p1"], &[], &["shop"]),
    ("p3", &["p2"], &[], &[]),
];

// ------------------------------------------------------------------ stamp

#[test]
fn stamp_replaces_only_the_rows_of_its_line() {
    let g = graph(FOREST);
    assert_eq!(stamp(&g, &["c2", "e2"], &["c1"]).unwrap(), ["c1", "e2"]);
    assert_eq!(stamp(&g, &["c2", "e2"], &["m1"]).unwrap(), ["e2", "m1"]);
    assert_eq!(stamp(&g, &["c2", "e2"], &["b1"]).unwrap(), ["b1"]);
    // On no line of the rows: a new row.
    assert_eq!(stamp(&g, &["c2"], &["x1"]).unwrap(), ["c2", "x1"]);
    assert_eq!(
        stamp(&g, &["c2", "e2"], &["base"]).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn stamp_takes_several_targets_one_per_line() {
    let g = graph(FOREST);
    assert_eq!(
        stamp(&g, &[], &["c2", "e2", "x1"]).unwrap(),
        ["c2", "e2", "x1"]
    );
    assert_eq!(
        stamp(&g, &["e1", "m1", "x2"], &["a1", "x1"]).unwrap(),
        ["a1", "x1"]
    );
    // Every head stays a row.
    assert_eq!(
        stamp(&g, &["c2", "e2"], &["heads"]).unwrap(),
        ["e2", "m1", "x2"]
    );
    // Two targets on one line are a mistake, named.
    let why = reason(stamp(&g, &["c2"], &["c1", "c2"]).unwrap_err());
    assert!(why.contains("c1 and c2 are on one line"), "{why}");
}

#[test]
fn stamp_a_label_s_base_removes_that_branch_s_rows() {
    let g = graph(SERVICES);
    assert_eq!(
        stamp(&g, &["n1", "p3", "s3"], &["shop@base"]).unwrap(),
        ["n1"]
    );
    // p3 depends on shop's s2: it is on s2's line, so stamping s2 replaces it.
    assert_eq!(
        stamp(&g, &["n1", "p3", "s3"], &["s2"]).unwrap(),
        ["n1", "s2"]
    );
}

// ------------------------------------------------------------- depends_on

#[test]
fn upgrading_applies_what_a_revision_depends_on_and_one_row_covers_it() {
    let g = graph(SERVICES);
    let steps = g.plan_upgrade(&[], &target("billing@head")).unwrap();
    let mut applied: Vec<&str> = steps.iter().map(Step::revision).collect();
    applied.sort();
    assert_eq!(applied, ["p1", "p2", "p3", "s1", "s2"]);
    assert_eq!(after(&[], &steps), ["p3"]);
    assert_eq!(g.dependencies_of("p2"), ["s2"]);
    assert_eq!(g.dependents_of("s2"), ["p2"]);
}

#[test]
fn downgrading_a_dependency_first_downgrades_its_dependents() {
    let g = graph(SERVICES);
    let steps = g
        .plan_downgrade(&rows(&["n1", "p3", "s3"]), &target("s1"))
        .unwrap();
    let reverted: Vec<&str> = steps.iter().map(Step::revision).collect();
    let position = |id: &str| reverted.iter().position(|r| *r == id).unwrap();
    assert!(position("p2") < position("s2"), "{reverted:?}");
    assert_eq!(after(&["n1", "p3", "s3"], &steps), ["p1", "s1"]);
}

#[test]
fn an_unknown_dependency_and_a_dependency_cycle_are_errors() {
    let error = RevisionGraph::new(migrations(&[("a", &[], &[], &["nope"])])).unwrap_err();
    assert!(
        matches!(&error, Error::UnknownDependency { revision, dependency } if revision == "a" && dependency == "nope"),
        "{error:?}"
    );
    let error = RevisionGraph::new(migrations(&[
        ("a", &[], &[], &["b"]),
        ("b", &["a"], &[], &[]),
    ]))
    .unwrap_err();
    assert!(matches!(error, Error::Cycle { .. }), "{error:?}");
}

#[test]
fn rows_at_heads_leaves_out_a_head_another_branch_depends_on() {
    let g = graph(&[("a", &[], &[], &[]), ("b", &[], &[], &["a"])]);
    assert_eq!(g.heads(), ["a", "b"]);
    assert_eq!(g.rows_at_heads(), ["b"]);
    assert_eq!(up(&g, &[], "heads"), ["b"]);
}

// ----------------------------------------------------------------- labels

#[test]
fn labels_name_a_branch_for_head_base_and_relative_targets() {
    let g = graph(SERVICES);
    assert_eq!(g.label_revision("shop"), Some("s2"));
    assert_eq!(up(&g, &[], "shop@head"), ["s3"]);
    assert_eq!(up(&g, &["p1", "s1"], "billing@+1"), ["p2"]);
    assert_eq!(up(&g, &["s3"], "notify@+1"), ["n1", "s3"]);
    assert_eq!(down(&g, &["p2"], "billing@base"), ["s2"]);
    assert_eq!(down(&g, &["n1", "s3"], "shop@-1"), ["n1", "s2"]);
    assert_eq!(up(&g, &[], "billing@p2"), ["p2"]);
    let why = reason(g.plan_upgrade(&[], &target("shop@p3")).unwrap_err());
    assert!(why.contains("p3 is not on the branch of s2"), "{why}");
}

#[test]
fn a_label_shows_on_its_branch_down_to_where_the_branch_began() {
    let g = graph(SERVICES);
    assert_eq!(g.branch_names("s3"), ["shop"]);
    assert_eq!(g.branch_names("s2"), ["shop"]);
    // s1 is the branch point shop and notify start from.
    assert!(g.branch_names("s1").is_empty());
    assert_eq!(g.branch_names("p3"), ["billing"]);
}

#[test]
fn invalid_labels_and_unknown_branches_are_errors() {
    let duplicate = RevisionGraph::new(migrations(&[
        ("a", &[], &["x"], &[]),
        ("b", &["a"], &["x"], &[]),
    ]))
    .unwrap_err();
    assert!(
        duplicate
            .to_string()
            .contains("revision a already carries it"),
        "{duplicate}"
    );
    let on_an_id = RevisionGraph::new(migrations(&[
        ("a", &[], &[], &[]),
        ("b", &["a"], &["a"], &[]),
    ]))
    .unwrap_err();
    assert!(
        on_an_id.to_string().contains("also the id of revision a"),
        "{on_an_id}"
    );
    let g = graph(SERVICES);
    let error = g.plan_upgrade(&[], &target("shp@head")).unwrap_err();
    assert!(
        matches!(&error, Error::UnknownBranch { branch, candidates } if branch == "shp" && candidates == &["shop"]),
        "{error:?}"
    );
}

// --------------------------------------------------------------- +N, -N

#[test]
fn plus_n_walks_up_the_one_current_revision_s_branch() {
    let g = graph(FOREST);
    assert_eq!(up(&g, &["x1"], "+1"), ["x2"]);
    // Two bases, a branch point, several rows, a head: refused, as Alembic does.
    assert!(reason(g.plan_upgrade(&[], &target("+1")).unwrap_err()).contains("2 bases"));
    assert!(
        reason(g.plan_upgrade(&rows(&["b1"]), &target("+1")).unwrap_err())
            .contains("b1 is a branch point (c1, d1, e1)")
    );
    assert!(reason(
        g.plan_upgrade(&rows(&["c1", "x1"]), &target("+1"))
            .unwrap_err()
    )
    .contains("2 revisions (c1, x1)"));
    assert!(
        reason(g.plan_upgrade(&rows(&["e2"]), &target("+1")).unwrap_err())
            .contains("e2 is the head of its branch")
    );
}

#[test]
fn minus_n_needs_one_current_revision_and_a_single_path() {
    let g = graph(FOREST);
    assert_eq!(down(&g, &["c2", "e2"], "c2-1"), ["c1", "e2"]);
    assert_eq!(down(&g, &["c2", "e2"], "e2@-1"), ["c2", "e1"]);
    let why = reason(
        g.plan_downgrade(&rows(&["c2", "e2"]), &target("-1"))
            .unwrap_err(),
    );
    assert!(why.contains("c2-1") && why.contains("LABEL@-1"), "{why}");
    let why = reason(g.plan_downgrade(&rows(&["m1"]), &target("-1")).unwrap_err());
    assert!(why.contains("m1 is a merge point of c2, d1"), "{why}");
}

#[test]
fn relative_targets_written_wrong_say_how_to_write_them() {
    for text in ["+-1", "+", "+x", "c1+", "-"] {
        let error = text.parse::<Target>().unwrap_err();
        assert!(
            error.to_string().contains("a relative target is +N or -N"),
            "{text}: {error}"
        );
    }
    assert!("+0"
        .parse::<Target>()
        .unwrap_err()
        .to_string()
        .contains("move nowhere"));
    assert_eq!(
        target("billing@-2"),
        Target::OnBranch {
            branch: "billing".into(),
            target: Box::new(Target::Relative {
                from: None,
                steps: -2
            })
        }
    );
    assert_eq!(target("billing@p1+1").to_string(), "billing@p1+1");
}

// ---------------------------------------------------------------- history

#[test]
fn history_lists_each_branch_together_as_alembic_does() {
    let g = graph(FOREST);
    assert_eq!(
        g.history_range(&[], None, ":").unwrap(),
        ["e2", "e1", "m1", "c2", "c1", "d1", "x2", "x1", "b1", "a1"]
    );
    assert_eq!(
        g.history_range(&["c1"], None, "c1:").unwrap(),
        ["m1", "c2", "c1"]
    );
    let g = graph(SERVICES);
    assert_eq!(
        g.history_range(&[], Some(&["p2"]), ":p2").unwrap(),
        ["p2", "p1", "s2", "s1"]
    );
}

#[test]
fn a_history_range_with_unrelated_or_reversed_ends_is_refused() {
    let g = graph(FOREST);
    for (lower, upper) in [("x1", "c2"), ("e2", "a1")] {
        let why = reason(
            g.history_range(&[lower], Some(&[upper]), "range")
                .unwrap_err(),
        );
        assert!(
            why.contains(&format!("{lower} is not below {upper}")),
            "{why}"
        );
    }
}

// -------------------------------------------------------- did you mean

#[test]
fn did_you_mean_prefers_the_nearest_number() {
    let g = graph(&[
        ("001", &[], &[], &[]),
        ("002", &["001"], &[], &[]),
        ("003", &["002"], &[], &[]),
        ("006", &["003"], &[], &[]),
    ]);
    let error = g.resolve_revision("007").unwrap_err();
    assert!(
        matches!(&error, Error::UnknownRevision { candidates, .. } if candidates == &["006"]),
        "{error:?}"
    );
}
