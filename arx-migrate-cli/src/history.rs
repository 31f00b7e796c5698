//! `history [--verbose] [-r A:B]`: the revisions newest first, one branch
//! at a time, as Alembic lists them; and the history table's rows that
//! `--verbose` (and `current --verbose`) adds to each.

use std::collections::HashMap;

use serde_json::{json, Value};

use arx_migrate_core::graph::RevisionGraph;
use arx_migrate_core::store::HistoryEntry;
use arx_migrate_core::Target;

use super::context::Context;
use super::describe::{log_entry, revision_json, summary_line};
use super::error::CliError;
use super::output::Done;
use super::session::{core, read_current};

/// A history-table row for `--format json`.
pub(crate) fn entry_json(entry: &HistoryEntry) -> Value {
    json!({
        "operation": entry.operation.as_str(),
        "started_at": entry.started_at,
        "duration_ms": entry.duration_ms,
        "executed_by": entry.executed_by,
        "program": entry.program,
        "outcome": entry.outcome.as_str(),
        "checksum": entry.checksum,
        "message": entry.message,
    })
}

/// A history-table row as text: `upgrade ok at … by …, took 3 ms`.
pub(crate) fn entry_line(entry: &HistoryEntry) -> String {
    let mut line = format!(
        "    {} {} at {} by {}",
        entry.operation,
        entry.outcome,
        entry.started_at,
        entry.executed_by.as_deref().unwrap_or("?")
    );
    if let Some(program) = &entry.program {
        line.push_str(&format!(" ({program})"));
    }
    // The table keeps whole milliseconds; a step that `upgrade` showed as
    // 0.4 ms is stored as 0.
    match entry.duration_ms {
        Some(0) => line.push_str(", took <1 ms"),
        Some(ms) => line.push_str(&format!(", took {ms} ms")),
        None => {}
    }
    if let Some(message) = &entry.message {
        line.push_str(&format!(": {message}"));
    }
    line
}

/// The history table's rows by revision, oldest first.
pub(crate) fn by_revision(entries: Vec<HistoryEntry>) -> HashMap<String, Vec<HistoryEntry>> {
    let mut map: HashMap<String, Vec<HistoryEntry>> = HashMap::new();
    for entry in entries {
        map.entry(entry.revision.clone()).or_default().push(entry);
    }
    map
}

/// The revisions an end of `-r A:B` names: `current` (the database's),
/// `base` and empty (none), or any absolute target.
fn range_end(
    ctx: &Context<'_>,
    graph: &RevisionGraph,
    text: &str,
    current: &[String],
) -> Result<Vec<String>, CliError> {
    let text = text.trim();
    if text == "current" {
        return Ok(current.to_vec());
    }
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let target: Target = text
        .parse()
        .map_err(|e| CliError::from_core(e, ctx.program()))?;
    graph
        .resolve_target(&target)
        .map(|ids| ids.iter().map(|id| id.to_string()).collect())
        .map_err(|e| CliError::from_core(e, ctx.program()))
}

/// The revisions from `range`'s lower end up to its upper end, newest
/// first and grouped by branch. An end the other is not above is an error,
/// as in Alembic.
fn in_range<'g>(
    ctx: &Context<'_>,
    graph: &'g RevisionGraph,
    range: Option<&str>,
    current: &[String],
) -> Result<Vec<&'g str>, CliError> {
    let (lower, upper) = match range {
        None => (Vec::new(), None),
        Some(range) => {
            let Some((lower, upper)) = range.split_once(':') else {
                return Err(CliError::usage(format!(
                    "-r {range:?}: write the range as A:B (either side may be empty)"
                )));
            };
            let upper = match upper.trim() {
                "" => None,
                text => Some(range_end(ctx, graph, text, current)?),
            };
            (range_end(ctx, graph, lower, current)?, upper)
        }
    };
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    let upper: Option<Vec<&str>> = upper
        .as_ref()
        .map(|ids| ids.iter().map(String::as_str).collect());
    graph
        .history_range(&lower, upper.as_deref(), range.unwrap_or(":"))
        .map_err(|e| CliError::from_core(e, ctx.program()))
}

/// `history [--verbose] [-r A:B]`.
pub(crate) fn history(
    ctx: &Context<'_>,
    verbose: bool,
    range: Option<&str>,
) -> Result<Done, CliError> {
    let needs_database = verbose || range.is_some_and(|r| r.contains("current"));
    let (migrator, database) = if needs_database {
        let database = ctx.database()?;
        (ctx.migrator(&database)?, Some(database))
    } else {
        (ctx.code()?, None)
    };
    let mut connection: Option<Box<dyn arx_migrate_core::Connection>> = None;
    let mut current: Vec<String> = Vec::new();
    if let Some(database) = &database {
        let (c, heads) = read_current(ctx, database, &migrator)?;
        connection = Some(c);
        current = heads;
    }
    let graph = migrator.graph();
    let revisions = in_range(ctx, graph, range, &current)?;
    let history = match (&database, connection.as_mut()) {
        (Some(database), Some(connection)) if verbose => by_revision(
            migrator
                .history(&mut **connection)
                .map_err(|e| core(ctx, database, e))?,
        ),
        _ => HashMap::new(),
    };
    let mut done = Done::new(json!({
        "command": "history",
        "revisions": revisions.iter().map(|id| {
            let mut value = revision_json(graph, id, &current);
            if verbose {
                value["history"] = history.get(*id).map(|e| e.iter().map(entry_json).collect()).unwrap_or_else(|| json!([]));
            }
            value
        }).collect::<Vec<_>>(),
    }));
    for id in &revisions {
        if !verbose {
            done.line(summary_line(graph, id, &current));
            continue;
        }
        log_entry(graph, id, &current)
            .into_iter()
            .for_each(|line| done.line(line));
        done.line(format!(
            "    {}",
            graph.get(id).map(|m| m.message()).unwrap_or_default()
        ));
        match history.get(*id) {
            Some(entries) => entries.iter().for_each(|e| done.line(entry_line(e))),
            None => done.line("    never applied to this database"),
        }
        done.line("");
    }
    Ok(done)
}
