//! `history [--verbose] [-r A:B]`: the revisions newest first, one branch
//! at a time, as Alembic lists them; and the history table's rows that
//! `--verbose` (and `current --verbose`) adds to each; `--stats`, the
//! figures over those rows.

use std::collections::HashMap;

use serde_json::{json, Value};

use arx_migrate_core::graph::RevisionGraph;
use arx_migrate_core::history_stats::{history_stats, HistoryStats};
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
        "database_size_before": entry.sizes.database_before,
        "database_size_after": entry.sizes.database_after,
        "table": entry.sizes.table,
        "table_size_before": entry.sizes.table_before,
        "table_size_after": entry.sizes.table_after,
    })
}

/// How many of the slowest steps `history --stats` lists.
pub(crate) const SLOWEST: usize = 5;

/// `history --stats`: figures over this database's history table.
pub(crate) fn stats(ctx: &Context<'_>) -> Result<Done, CliError> {
    let database = ctx.database()?;
    let migrator = ctx.migrator(&database)?;
    let (mut connection, _) = read_current(ctx, &database, &migrator)?;
    let entries = migrator
        .history(&mut *connection)
        .map_err(|e| core(ctx, &database, e))?;
    let stats = history_stats([(None, entries.as_slice())], SLOWEST);
    Ok(stats_output(&stats))
}

/// The text and JSON of `history --stats` and `fleet history --stats`.
pub(crate) fn stats_output(stats: &HistoryStats) -> Done {
    let mut done = Done::new(json!({
        "command": "history",
        "targets": stats.targets,
        "revisions": stats.revisions.iter().map(|r| json!({
            "revision": r.revision,
            "runs": r.runs,
            "failures": r.failures,
            "p50_ms": r.p50_ms,
            "max_ms": r.max_ms,
            "size_delta_bytes": r.size_delta,
            "table": r.table,
            "table_delta_bytes": r.table_delta,
        })).collect::<Vec<_>>(),
        "slowest": stats.slowest.iter().map(|s| json!({
            "target": s.target,
            "revision": s.revision,
            "operation": s.operation.as_str(),
            "outcome": s.outcome.as_str(),
            "started_at": s.started_at,
            "duration_ms": s.duration_ms,
            "executed_by": s.executed_by,
        })).collect::<Vec<_>>(),
    }));
    if stats.revisions.is_empty() {
        done.line("no step has run here yet (the history table is empty)");
        return done;
    }
    let ms = |v: Option<i64>| v.map_or("-".to_string(), |v| format!("{v} ms"));
    let rows: Vec<[String; 7]> = stats
        .revisions
        .iter()
        .map(|r| {
            [
                r.revision.clone(),
                r.runs.to_string(),
                r.failures.to_string(),
                ms(r.p50_ms),
                ms(r.max_ms),
                r.size_delta.map_or("-".to_string(), bytes),
                match (&r.table, r.table_delta) {
                    (Some(table), Some(delta)) => format!("{table} {}", bytes(delta)),
                    _ => "-".to_string(),
                },
            ]
        })
        .collect();
    let header = [
        "revision", "runs", "failed", "p50", "max", "size Δ", "table Δ",
    ]
    .map(String::from);
    let widths: Vec<usize> = (0..7)
        .map(|i| {
            std::iter::once(&header)
                .chain(&rows)
                .map(|row| row[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        done.line(cells.join("  ").trim_end().to_string());
    }
    done.line("");
    done.line(format!("slowest {} steps:", stats.slowest.len()));
    for step in &stats.slowest {
        let target = step
            .target
            .as_deref()
            .map(|t| format!("{t}: "))
            .unwrap_or_default();
        done.line(format!(
            "  {target}{} {} {} {} ms at {} by {}",
            step.operation,
            step.revision,
            step.outcome,
            step.duration_ms,
            step.started_at,
            step.executed_by.as_deref().unwrap_or("?"),
        ));
    }
    done
}

/// `+1.5 MiB`, `-12 KiB`, `+0 B`.
fn bytes(delta: i64) -> String {
    let sign = if delta < 0 { "-" } else { "+" };
    let size = delta.unsigned_abs() as f64;
    if size >= 1024.0 * 1024.0 {
        format!("{sign}{:.1} MiB", size / 1024.0 / 1024.0)
    } else if size >= 1024.0 {
        format!("{sign}{:.0} KiB", size / 1024.0)
    } else {
        format!("{sign}{size} B")
    }
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
