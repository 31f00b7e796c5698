//! How a revision is shown, as Alembic shows it: the one-line forms of
//! `history`, `heads`, `current` and `branches`, the block of `history
//! --verbose` and `show`, and the JSON object of every verb.

use serde_json::{json, Value};

use arx_migrate_core::graph::RevisionGraph;

/// Alembic's markers of a revision, in Alembic's order: `head` (nothing
/// revises it or depends on it), `effective head` (nothing revises it but
/// another branch depends on it), `current` (a row of the version table),
/// `branchpoint`, `mergepoint`.
pub(crate) fn markers(graph: &RevisionGraph, id: &str, current: &[String]) -> Vec<&'static str> {
    let mut markers = Vec::new();
    if graph.children_of(id).is_empty() {
        markers.push(if graph.dependents_of(id).is_empty() {
            "head"
        } else {
            "effective head"
        });
    }
    if current.iter().any(|c| c == id) {
        markers.push("current");
    }
    if graph.children_of(id).len() > 1 {
        markers.push("branchpoint");
    }
    if graph.parents_of(id).len() > 1 {
        markers.push("mergepoint");
    }
    markers
}

fn marker_text(graph: &RevisionGraph, id: &str, current: &[String]) -> String {
    markers(graph, id, current)
        .iter()
        .map(|m| format!(" ({m})"))
        .collect()
}

/// ` (billing, shop)`: the branch labels of the revision's branches.
fn names_text(graph: &RevisionGraph, id: &str) -> String {
    let names = graph.branch_names(id);
    if names.is_empty() {
        String::new()
    } else {
        format!(" ({})", names.join(", "))
    }
}

/// `a, b`, or `<base>` for a base.
fn parents_text(graph: &RevisionGraph, id: &str) -> String {
    let parents = graph.parents_of(id);
    if parents.is_empty() {
        "<base>".to_string()
    } else {
        parents.join(", ")
    }
}

/// What `depends_on` says, as written (a label stays a label).
fn declared_dependencies(graph: &RevisionGraph, id: &str) -> Vec<String> {
    graph
        .get(id)
        .map(|m| m.depends_on().iter().map(|d| d.to_string()).collect())
        .unwrap_or_default()
}

fn message(graph: &RevisionGraph, id: &str) -> String {
    graph
        .get(id)
        .map(|m| m.message().to_string())
        .unwrap_or_default()
}

/// `history`'s line: `a, b (dep) -> c (billing) (head), message`.
pub(crate) fn summary_line(graph: &RevisionGraph, id: &str, current: &[String]) -> String {
    let dependencies = declared_dependencies(graph, id);
    let depends = if dependencies.is_empty() {
        String::new()
    } else {
        format!(" ({})", dependencies.join(", "))
    };
    format!(
        "{}{depends} -> {id}{}{}, {}",
        parents_text(graph, id),
        names_text(graph, id),
        marker_text(graph, id, current),
        message(graph, id)
    )
}

/// The line of `current` and `branches`: `c (billing) (head), message`.
pub(crate) fn short_line(graph: &RevisionGraph, id: &str, current: &[String]) -> String {
    format!(
        "{id}{}{}, {}",
        names_text(graph, id),
        marker_text(graph, id, current),
        message(graph, id)
    )
}

/// The line of `heads`: `c (billing) (head), message`, without the branch
/// and merge points, as Alembic leaves them out there.
pub(crate) fn head_line(graph: &RevisionGraph, id: &str) -> String {
    let markers: String = markers(graph, id, &[])
        .iter()
        .filter(|m| m.ends_with("head"))
        .map(|m| format!(" ({m})"))
        .collect();
    format!(
        "{id}{}{markers}, {}",
        names_text(graph, id),
        message(graph, id)
    )
}

/// The block of `history --verbose` and `show`: `Rev:`, `Parent:` (or
/// `Merges:`), `Also depends on:`, `Branches into:`, `Branch names:`.
pub(crate) fn log_entry(graph: &RevisionGraph, id: &str, current: &[String]) -> Vec<String> {
    let mut lines = vec![format!("Rev: {id}{}", marker_text(graph, id, current))];
    let merge = graph.parents_of(id).len() > 1;
    lines.push(format!(
        "{}: {}",
        if merge { "Merges" } else { "Parent" },
        parents_text(graph, id)
    ));
    let dependencies = declared_dependencies(graph, id);
    if !dependencies.is_empty() {
        lines.push(format!("Also depends on: {}", dependencies.join(", ")));
    }
    let children = graph.children_of(id);
    if children.len() > 1 {
        lines.push(format!("Branches into: {}", children.join(", ")));
    }
    let names = graph.branch_names(id);
    if !names.is_empty() {
        lines.push(format!("Branch names: {}", names.join(", ")));
    }
    lines
}

/// A revision for `--format json`.
pub(crate) fn revision_json(graph: &RevisionGraph, id: &str, current: &[String]) -> Value {
    let migration = graph.get(id);
    json!({
        "revision": id,
        "message": migration.map(|m| m.message()).unwrap_or_default(),
        "down_revisions": graph.parents_of(id),
        "depends_on": graph.dependencies_of(id),
        "children": graph.children_of(id),
        "branch_labels": graph.branch_names(id),
        "labels": markers(graph, id, current),
        "transactional": migration.map(|m| m.transactional()).unwrap_or(true),
    })
}
