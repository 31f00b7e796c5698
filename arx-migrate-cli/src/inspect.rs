//! Verbs that read: `current`, `history`, `heads`, `branches`, `show`,
//! `status`.

use std::collections::HashMap;

use serde_json::{json, Value};

use arx_migrate_core::graph::RevisionGraph;
use arx_migrate_core::runner::{Migrator, Status};
use arx_migrate_core::store::{HistoryEntry, HistoryOperation, HistoryOutcome};
use arx_migrate_core::Direction;

use super::context::{Context, Database};
use super::error::CliError;
use super::output::{self, Done};

/// `(head) (branchpoint)`-style labels of a revision.
pub(crate) fn labels(graph: &RevisionGraph, id: &str, current: &[String]) -> Vec<&'static str> {
    let mut labels = Vec::new();
    if graph.children_of(id).is_empty() {
        labels.push("head");
    }
    if graph.children_of(id).len() > 1 {
        labels.push("branchpoint");
    }
    if graph.parents_of(id).len() > 1 {
        labels.push("mergepoint");
    }
    if current.iter().any(|c| c == id) {
        labels.push("current");
    }
    labels
}

fn label_text(labels: &[&str]) -> String {
    labels.iter().map(|l| format!(" ({l})")).collect()
}

/// `a, b -> c (head), message`, as Alembic prints it.
fn summary_line(graph: &RevisionGraph, id: &str, current: &[String]) -> String {
    let parents = graph.parents_of(id);
    let from = if parents.is_empty() {
        "<base>".to_string()
    } else {
        parents.join(", ")
    };
    let message = graph.get(id).map(|m| m.message()).unwrap_or_default();
    format!(
        "{from} -> {id}{}, {message}",
        label_text(&labels(graph, id, current))
    )
}

fn revision_json(graph: &RevisionGraph, id: &str, current: &[String]) -> Value {
    let migration = graph.get(id);
    json!({
        "revision": id,
        "message": migration.map(|m| m.message()).unwrap_or_default(),
        "down_revisions": graph.parents_of(id),
        "children": graph.children_of(id),
        "labels": labels(graph, id, current),
        "transactional": migration.map(|m| m.transactional()).unwrap_or(true),
    })
}

fn entry_json(entry: &HistoryEntry) -> Value {
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

fn entry_line(entry: &HistoryEntry) -> String {
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
    if let Some(ms) = entry.duration_ms {
        line.push_str(&format!(", took {ms} ms"));
    }
    if let Some(message) = &entry.message {
        line.push_str(&format!(": {message}"));
    }
    line
}

fn by_revision(entries: Vec<HistoryEntry>) -> HashMap<String, Vec<HistoryEntry>> {
    let mut map: HashMap<String, Vec<HistoryEntry>> = HashMap::new();
    for entry in entries {
        map.entry(entry.revision.clone()).or_default().push(entry);
    }
    map
}

/// Connects and reads the heads, mapping errors.
pub(crate) fn read_current(
    ctx: &Context<'_>,
    database: &Database,
    migrator: &Migrator,
) -> Result<(Box<dyn arx_migrate_core::Connection>, Vec<String>), CliError> {
    let mut connection = database.connect(false)?;
    let heads = migrator
        .current(&mut *connection)
        .map_err(|e| core(ctx, database, e))?;
    Ok((connection, heads))
}

pub(crate) fn core(
    ctx: &Context<'_>,
    database: &Database,
    error: arx_migrate_core::Error,
) -> CliError {
    CliError::from_core(error, ctx.program()).scrub(database.secret().as_deref())
}

/// `current [--verbose] [--check-heads]`.
pub(crate) fn current(
    ctx: &Context<'_>,
    verbose: bool,
    check_heads: bool,
) -> Result<Done, CliError> {
    let database = ctx.database()?;
    let migrator = ctx.migrator(&database)?;
    let (mut connection, heads) = read_current(ctx, &database, &migrator)?;
    let status = migrator
        .status(&mut *connection)
        .map_err(|e| core(ctx, &database, e))?;
    let graph = migrator.graph();
    let history = if verbose {
        by_revision(
            migrator
                .history(&mut *connection)
                .map_err(|e| core(ctx, &database, e))?,
        )
    } else {
        HashMap::new()
    };
    let mut done = Done::new(json!({
        "command": "current",
        "url": database.shown(),
        "service": database.service,
        "version_table": database.version_table,
        "heads": heads,
        "at_head": status.at_head,
        "pending": status.pending,
        "edited": edited_json(&status),
        "interrupted": interrupted_json(&status),
        "revisions": heads.iter().map(|h| {
            let mut value = revision_json(graph, h, &heads);
            if verbose {
                value["history"] = history.get(h).map(|e| e.iter().map(entry_json).collect()).unwrap_or_else(|| json!([]));
            }
            value
        }).collect::<Vec<_>>(),
    }));
    if heads.is_empty() {
        done.line("<base> (no revision applied)");
    }
    for head in &heads {
        let message = graph.get(head).map(|m| m.message()).unwrap_or_default();
        done.line(
            format!("{head}{} {message}", label_text(&labels(graph, head, &[])))
                .trim_end()
                .to_string(),
        );
        if verbose {
            let parents = graph.parents_of(head);
            done.line(format!(
                "    parents: {}",
                if parents.is_empty() {
                    "<base>".into()
                } else {
                    parents.join(", ")
                }
            ));
            let applied = history.get(head).and_then(|entries| {
                entries.iter().rev().find(|e| {
                    e.outcome == HistoryOutcome::Ok
                        && matches!(
                            e.operation,
                            HistoryOperation::Upgrade | HistoryOperation::Stamp
                        )
                })
            });
            match applied {
                Some(entry) => done.line(entry_line(entry)),
                None => done.line("    (no record in the history table)"),
            }
        }
    }
    if verbose && !status.at_head {
        done.line(format!("pending: {}", status.pending.join(", ")));
    }
    for line in warning_lines(&status, ctx.program()) {
        done.line(line);
    }
    if check_heads {
        done.failure = not_ready(&status, graph, ctx.program());
    }
    Ok(done)
}

/// The edited migrations of `status`, for JSON.
pub(crate) fn edited_json(status: &Status) -> Value {
    json!(status
        .edited
        .iter()
        .map(|e| json!({ "revision": e.revision, "recorded": e.recorded, "current": e.current }))
        .collect::<Vec<_>>())
}

/// The interrupted steps of `status`, for JSON.
pub(crate) fn interrupted_json(status: &Status) -> Value {
    json!(status
        .interrupted
        .iter()
        .map(|i| json!({ "revision": i.revision, "direction": i.direction.as_str() }))
        .collect::<Vec<_>>())
}

/// One warning per edited migration and interrupted step: what a service's
/// upgrade at startup would refuse.
pub(crate) fn warning_lines(status: &Status, program: &str) -> Vec<String> {
    let edited = status.edited.iter().map(|e| {
        format!(
            "warning: migration {} was edited after it was applied (checksum {} recorded, {} now): an upgrade refuses to run; revert the edit, or accept it with `{program} repair`",
            e.revision, e.recorded, e.current
        )
    });
    let interrupted = status.interrupted.iter().map(|i| {
        format!(
            "warning: migration {} ({}) is not transactional and was interrupted part way: an upgrade refuses to run; clean up the database by hand, then `{program} repair`",
            i.revision, i.direction
        )
    });
    edited.chain(interrupted).collect()
}

/// What keeps a database from being ready for the code (not at head, an
/// edited migration, an interrupted step), as the failure of a deploy
/// gate; `None` when it is ready.
pub(crate) fn not_ready(status: &Status, graph: &RevisionGraph, program: &str) -> Option<CliError> {
    if status.is_ready() {
        return None;
    }
    let mut problems = Vec::new();
    let mut hints = Vec::new();
    if !status.at_head {
        problems.push(format!(
            "the database is not at head: it is at {}, the code's head is {}; pending: {}",
            output::heads(&status.heads),
            graph.heads().join(", "),
            status.pending.join(", ")
        ));
        hints.push(format!("run `{program} upgrade heads`"));
    }
    if !status.edited.is_empty() {
        let revisions: Vec<&str> = status.edited.iter().map(|e| e.revision.as_str()).collect();
        problems.push(format!(
            "migration(s) {} were edited after they were applied, so a service's upgrade at startup would refuse to run",
            revisions.join(", ")
        ));
        hints.push(format!(
            "revert the edit (and add a new revision for the change), or accept it with `{program} repair`"
        ));
    }
    if !status.interrupted.is_empty() {
        let steps: Vec<String> = status
            .interrupted
            .iter()
            .map(|i| format!("{} ({})", i.revision, i.direction))
            .collect();
        problems.push(format!(
            "migration(s) {} were interrupted part way, so a service's upgrade at startup would refuse to run",
            steps.join(", ")
        ));
        hints.push(format!(
            "inspect the database and clean up by hand, then acknowledge with `{program} repair`"
        ));
    }
    let kind = if !status.at_head {
        "not_at_head"
    } else if !status.edited.is_empty() {
        "checksum_mismatch"
    } else {
        "interrupted"
    };
    Some(
        CliError::new(kind, problems.join("; "))
            .hint(hints.join("; "))
            .details(json!({
                "pending": status.pending,
                "edited": edited_json(status),
                "interrupted": interrupted_json(status),
            })),
    )
}

/// The revisions between `range`'s ends, newest first.
fn in_range<'g>(
    ctx: &Context<'_>,
    graph: &'g RevisionGraph,
    range: Option<&str>,
    database_heads: &mut dyn FnMut() -> Result<Vec<String>, CliError>,
) -> Result<Vec<&'g str>, CliError> {
    let all: Vec<&str> = graph.in_order().rev().map(|m| m.revision()).collect();
    let Some(range) = range else {
        return Ok(all);
    };
    let Some((lower, upper)) = range.split_once(':') else {
        return Err(CliError::usage(format!(
            "-r {range:?}: write the range as A:B (either side may be empty)"
        )));
    };
    let mut ends = |text: &str| -> Result<Option<Vec<String>>, CliError> {
        match text.trim() {
            "" | "base" | "head" | "heads" => Ok(None),
            "current" => database_heads().map(Some),
            id => graph
                .resolve_revision(id)
                .map(|full| Some(vec![full.to_string()]))
                .map_err(|e| CliError::from_core(e, ctx.program())),
        }
    };
    let lower_ids = if lower.trim() == "head" || lower.trim() == "heads" {
        Some(graph.heads().iter().map(|h| h.to_string()).collect())
    } else {
        ends(lower)?
    };
    let upper_ids = ends(upper)?;
    let lower_set = lower_ids.map(|ids| graph.descendants(&ids));
    let upper_set = upper_ids.map(|ids| graph.ancestors(&ids));
    Ok(all
        .into_iter()
        .filter(|id| {
            lower_set.as_ref().is_none_or(|set| set.contains(&**id))
                && upper_set.as_ref().is_none_or(|set| set.contains(&**id))
        })
        .collect())
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
    let heads_for_range = current.clone();
    let revisions = in_range(ctx, graph, range, &mut || Ok(heads_for_range.clone()))?;
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
        done.line(format!(
            "Rev: {id}{}",
            label_text(&labels(graph, id, &current))
        ));
        let parents = graph.parents_of(id);
        done.line(format!(
            "Parent: {}",
            if parents.is_empty() {
                "<base>".into()
            } else {
                parents.join(", ")
            }
        ));
        let children = graph.children_of(id);
        if !children.is_empty() {
            done.line(format!("Children: {}", children.join(", ")));
        }
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

/// `heads`.
pub(crate) fn heads(ctx: &Context<'_>) -> Result<Done, CliError> {
    let migrator = ctx.code()?;
    let graph = migrator.graph();
    let heads = graph.heads();
    let mut done = Done::new(json!({
        "command": "heads",
        "heads": heads.iter().map(|h| revision_json(graph, h, &[])).collect::<Vec<_>>(),
    }));
    for head in &heads {
        let message = graph.get(head).map(|m| m.message()).unwrap_or_default();
        done.line(format!("{head} (head), {message}"));
    }
    if heads.len() > 1 {
        done.line(format!(
            "{} heads: upgrade with `heads`, or join them with `{} merge -m \"merge heads\" heads`",
            heads.len(),
            ctx.program()
        ));
    }
    Ok(done)
}

/// `branches`.
pub(crate) fn branches(ctx: &Context<'_>) -> Result<Done, CliError> {
    let migrator = ctx.code()?;
    let graph = migrator.graph();
    let points = graph.branch_points();
    let mut done = Done::new(json!({
        "command": "branches",
        "branch_points": points.iter().map(|p| revision_json(graph, p, &[])).collect::<Vec<_>>(),
    }));
    for point in &points {
        done.line(summary_line(graph, point, &[]));
        for child in graph.children_of(point) {
            let message = graph.get(child).map(|m| m.message()).unwrap_or_default();
            done.line(format!(
                "    -> {child}{}, {message}",
                label_text(&labels(graph, child, &[]))
            ));
        }
    }
    Ok(done)
}

/// `show REV`: the revision and the SQL it renders for the backend.
pub(crate) fn show(ctx: &Context<'_>, rev: &str) -> Result<Done, CliError> {
    let migrator = ctx.code()?;
    let graph = migrator.graph();
    let id = match rev {
        "head" => graph.single_head(),
        other => graph.resolve_revision(other),
    }
    .map_err(|e| CliError::from_core(e, ctx.program()))?
    .to_string();
    let backend = ctx.backend()?;
    let migration = graph
        .get(&id)
        .ok_or_else(|| CliError::new("unknown_revision", format!("unknown revision {id:?}")))?;
    let render =
        |direction| arx_migrate_core::render(migration.as_ref(), backend, direction).into_result();
    let (up, down) = (render(Direction::Upgrade), render(Direction::Downgrade));
    let sql_json = |result: &arx_migrate_core::Result<Vec<String>>| match result {
        Ok(statements) => json!(statements),
        Err(error) => json!({ "error": error.to_string() }),
    };
    let mut value = revision_json(graph, &id, &[]);
    value["command"] = json!("show");
    value["backend"] = json!(backend.name());
    value["upgrade_sql"] = sql_json(&up);
    value["downgrade_sql"] = sql_json(&down);
    value["checksum"] = json!(migrator.checksum(backend, &id));
    let mut done = Done::new(value);
    done.line(format!("Rev: {id}{}", label_text(&labels(graph, &id, &[]))));
    let parents = graph.parents_of(&id);
    done.line(format!(
        "Parent: {}",
        if parents.is_empty() {
            "<base>".into()
        } else {
            parents.join(", ")
        }
    ));
    let children = graph.children_of(&id);
    done.line(format!(
        "Children: {}",
        if children.is_empty() {
            "-".into()
        } else {
            children.join(", ")
        }
    ));
    done.line(format!(
        "Transactional: {}",
        if migration.transactional() {
            "yes"
        } else {
            "no"
        }
    ));
    done.line(format!("Message: {}", migration.message()));
    for (title, result) in [("upgrade", &up), ("downgrade", &down)] {
        done.line(format!("\n-- {title} ({backend})"));
        match result {
            Ok(statements) if statements.is_empty() => done.line("-- (no statements)"),
            Ok(statements) => statements
                .iter()
                .for_each(|s| done.line(format!("{};", s.trim_end().trim_end_matches(';')))),
            Err(error) => done.line(format!("-- {error}")),
        }
    }
    Ok(done)
}

/// `status [--all] [--check]`.
pub(crate) fn status(ctx: &Context<'_>, all: bool, check: bool) -> Result<Done, CliError> {
    let databases: Vec<(Option<String>, Result<Database, CliError>)> = if all {
        let path = ctx.services_path();
        let file = ctx.services()?.ok_or_else(|| {
            CliError::new("config", format!("status --all: there is no services file at {}", path.display()))
                .hint("list the services as [services.NAME] sections with url or url_env, or point to the file with --config")
        })?;
        if file.services.is_empty() {
            return Err(
                CliError::new("config", format!("{} lists no service", path.display()))
                    .hint("add [services.NAME] sections with url or url_env"),
            );
        }
        file.services
            .iter()
            .map(|(name, service)| (Some(name.clone()), ctx.service_database(name, service)))
            .collect()
    } else {
        vec![(ctx.global.service.clone(), ctx.database())]
    };
    let mut rows = Vec::new();
    let mut done = Done::default();
    let mut failed = 0;
    let mut unready: Vec<(String, CliError)> = Vec::new();
    let code = ctx.code()?;
    let code_heads: Vec<String> = code.graph().heads().iter().map(|h| h.to_string()).collect();
    for (service, database) in databases {
        let row = database.and_then(|database| {
            let migrator = ctx.migrator(&database)?;
            let (mut connection, _) = read_current(ctx, &database, &migrator)?;
            let status = migrator
                .status(&mut *connection)
                .map_err(|e| core(ctx, &database, e))?;
            Ok((database, status))
        });
        match row {
            Ok((database, status)) => {
                let name = database
                    .service
                    .clone()
                    .unwrap_or_else(|| database.origin.clone());
                let mut problems = String::new();
                if !status.edited.is_empty() {
                    let edited: Vec<&str> =
                        status.edited.iter().map(|e| e.revision.as_str()).collect();
                    problems.push_str(&format!("; EDITED since applied: {}", edited.join(", ")));
                }
                if !status.interrupted.is_empty() {
                    let steps: Vec<String> = status
                        .interrupted
                        .iter()
                        .map(|i| format!("{} ({})", i.revision, i.direction))
                        .collect();
                    problems.push_str(&format!("; INTERRUPTED: {}", steps.join(", ")));
                }
                done.line(format!(
                    "{name}: {} {} ({}){}{problems}",
                    output::heads(&status.heads),
                    if status.at_head {
                        "at head"
                    } else {
                        "NOT at head"
                    },
                    database.shown(),
                    if status.at_head {
                        String::new()
                    } else {
                        format!("; pending: {}", status.pending.join(", "))
                    }
                ));
                rows.push(json!({
                    "service": database.service,
                    "url": database.shown(),
                    "version_table": database.version_table,
                    "heads": status.heads,
                    "at_head": status.at_head,
                    "pending": status.pending,
                    "edited": edited_json(&status),
                    "interrupted": interrupted_json(&status),
                    "ready": status.is_ready(),
                }));
                if let Some(why) = not_ready(&status, code.graph(), ctx.program()) {
                    unready.push((name, why));
                }
            }
            Err(error) if !all => return Err(error),
            Err(error) => {
                failed += 1;
                let name = service.as_deref().unwrap_or("database");
                done.line(format!(
                    "{name}: {}",
                    error.to_string().replacen("error: ", "ERROR ", 1)
                ));
                rows.push(json!({ "service": service, "error": error.to_json()["error"] }));
            }
        }
    }
    done.json = json!({ "command": "status", "code_heads": code_heads, "databases": rows });
    if failed > 0 {
        done.failure = Some(CliError::new(
            "status_failed",
            format!("{failed} database(s) could not be read"),
        ));
    } else if check && !unready.is_empty() {
        done.failure = Some(if let [(name, why)] = unready.as_slice() {
            CliError {
                message: format!("{name}: {}", why.message),
                ..why.clone()
            }
        } else {
            let names: Vec<&str> = unready.iter().map(|(name, _)| name.as_str()).collect();
            CliError::new(
                "not_ready",
                format!(
                    "{} database(s) are not ready for the code: {}",
                    names.len(),
                    names.join(", ")
                ),
            )
            .hint("the lines above say what each lacks")
        });
    }
    Ok(done)
}
