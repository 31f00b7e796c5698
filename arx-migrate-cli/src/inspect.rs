//! Verbs that read: `current`, `heads`, `branches`, `show`, `status`
//! (`history` has a module of its own).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{json, Value};

use arx_migrate_core::graph::RevisionGraph;
use arx_migrate_core::runner::Status;
use arx_migrate_core::store::{HistoryOperation, HistoryOutcome};
use arx_migrate_core::Direction;

use super::backfill_gate;
use super::context::{Context, Database};
use super::describe::{head_line, log_entry, revision_json, short_line};
use super::error::CliError;
use super::history::{by_revision, entry_json, entry_line};
use super::output::{self, Done};
use super::session::{core, read_current};

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
    // As Alembic's `current`: each branch's newest applied revision, so a
    // branch whose row another branch's row covers (depends_on) is shown.
    let applied = graph.applied(&heads).map_err(|e| core(ctx, &database, e))?;
    let tips: Vec<&str> = applied
        .iter()
        .copied()
        .filter(|id| !graph.children_of(id).iter().any(|c| applied.contains(c)))
        .collect();
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
        "half_applied": super::half_applied::status_json(&status),
        "revisions": tips.iter().map(|id| {
            let mut value = revision_json(graph, id, &heads);
            if verbose {
                value["history"] = history.get(*id).map(|e| e.iter().map(entry_json).collect()).unwrap_or_else(|| json!([]));
            }
            value
        }).collect::<Vec<_>>(),
    }));
    if heads.is_empty() {
        done.line("<base> (no revision applied)");
    }
    for id in &tips {
        done.line(short_line(graph, id, &[]));
        if verbose {
            done.line(format!(
                "    parents: {}",
                output::heads(
                    &graph
                        .parents_of(id)
                        .iter()
                        .map(|p| p.to_string())
                        .collect::<Vec<_>>()
                )
            ));
            let applied = history.get(*id).and_then(|entries| {
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

/// The backfills of `status` (running, or killed and awaiting an
/// upgrade), for JSON.
pub(crate) fn backfills_json(status: &Status) -> Value {
    json!(status
        .backfills
        .iter()
        .map(|b| json!({
            "revision": b.revision,
            "name": b.name,
            "table": b.table,
            "rows_done": b.rows_done,
            "rows_total_estimate": b.rows_total_estimate,
            "last_key": b.last_key,
            "started_at": b.started_at,
            "updated_at": b.updated_at,
            "rows_per_second": b.rows_per_second(),
            "eta_seconds": b.eta().map(|eta| eta.as_secs()),
        }))
        .collect::<Vec<_>>())
}

/// The expand/contract changes of `status` not yet contracted, for JSON.
pub(crate) fn expansions_json(status: &Status) -> Value {
    json!(status
        .expansions
        .iter()
        .map(|e| json!({
            "table": e.table,
            "change": e.change,
            "kind": e.kind,
            "phase": e.phase.as_str(),
            "expand_revision": e.expand_revision,
            "contract_revision": e.contract_revision,
            "backfill": e.backfill.as_ref().map(|b| json!({
                "revision": b.revision,
                "name": b.name,
                "rows_done": b.rows_done,
                "rows_total_estimate": b.rows_total_estimate,
                "updated_at": b.updated_at,
            })),
            "updated_at": e.updated_at,
        }))
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
    edited
        .chain(interrupted)
        .chain(super::half_applied::warning_lines(status, program))
        .collect()
}

/// What keeps a database from being ready for the code (not at head, an
/// edited migration, an interrupted or half-applied step), as the failure of a deploy
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
            graph.rows_at_heads().join(", "),
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
    if let Some((problem, hint)) = super::half_applied::not_ready(status, program) {
        problems.push(problem);
        hints.push(hint);
    }
    let kind = if !status.half_applied.is_empty() {
        "half_applied"
    } else if !status.at_head {
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
                "half_applied": super::half_applied::status_json(status),
            })),
    )
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
        done.line(head_line(graph, head));
    }
    let rows = graph.rows_at_heads();
    if rows.len() > 1 {
        done.line(format!(
            "{} heads: upgrade with `heads`, or join them with `{} merge -m \"merge heads\" heads`",
            rows.len(),
            ctx.program()
        ));
    }
    Ok(done)
}

/// `branches`: each branch point with the branches it starts.
pub(crate) fn branches(ctx: &Context<'_>) -> Result<Done, CliError> {
    let migrator = ctx.code()?;
    let graph = migrator.graph();
    let points = graph.branch_points();
    let mut done = Done::new(json!({
        "command": "branches",
        "branch_points": points.iter().map(|p| revision_json(graph, p, &[])).collect::<Vec<_>>(),
    }));
    if points.is_empty() {
        let bases = graph.bases();
        done.line(match bases.len() {
            0 => "no branch points: there are no revisions".to_string(),
            1 => "no branch points: no revision has more than one child".to_string(),
            n => format!(
                "no branch points: no revision has more than one child ({n} bases start separate lines: {})",
                bases.join(", ")
            ),
        });
    }
    for point in &points {
        done.line(short_line(graph, point, &[]));
        let indent = " ".repeat(point.len());
        for child in graph.children_of(point) {
            done.line(format!("{indent} -> {}", short_line(graph, child, &[])));
        }
        done.line("");
    }
    Ok(done)
}

/// `show REV`: the revision and the SQL it renders for the backend.
pub(crate) fn show(ctx: &Context<'_>, rev: &str) -> Result<Done, CliError> {
    let migrator = ctx.code()?;
    let graph = migrator.graph();
    // Any absolute target that names one revision: an id, `head`,
    // `billing@head`, …
    let ids = rev
        .parse::<arx_migrate_core::Target>()
        .and_then(|target| graph.resolve_target(&target))
        .map_err(|e| CliError::from_core(e, ctx.program()))?;
    let id = match ids.as_slice() {
        [one] => one.to_string(),
        [] => {
            return Err(CliError::usage(format!(
                "show {rev}: it names no revision; name one (an id, head, LABEL@head)"
            )))
        }
        many => {
            return Err(CliError::from_core(
                arx_migrate_core::Error::MultipleHeads {
                    heads: many.iter().map(|h| h.to_string()).collect(),
                },
                ctx.program(),
            ))
        }
    };
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
    log_entry(graph, &id, &[])
        .into_iter()
        .for_each(|line| done.line(line));
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

/// `status [--all] [--check [--wait-for-backfills[=TIMEOUT]]]`.
pub(crate) fn status(
    ctx: &Context<'_>,
    all: bool,
    check: bool,
    wait_for_backfills: Option<Duration>,
) -> Result<Done, CliError> {
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
            let status = match wait_for_backfills {
                Some(timeout) => {
                    let name = database.service.clone().unwrap_or_else(|| database.shown());
                    let connection = &mut *connection;
                    backfill_gate::wait_for_backfills(
                        ctx, &name, &database, &migrator, connection, timeout,
                    )?
                }
                None => migrator
                    .status(&mut *connection)
                    .map_err(|e| core(ctx, &database, e))?,
            };
            Ok((database, status))
        });
        match row {
            Ok((database, status)) => {
                // A service by its name, with its URL; else the URL alone.
                let (name, url) = match &database.service {
                    Some(service) => (service.clone(), format!(" ({})", database.shown())),
                    None => (database.shown(), String::new()),
                };
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
                for step in &status.half_applied {
                    problems.push_str(&format!(
                        "; HALF-APPLIED: {} ({}), stopped at statement {}",
                        step.revision,
                        step.direction,
                        step.resumes_at()
                    ));
                }
                for backfill in &status.backfills {
                    problems.push_str(&format!(
                        "; BACKFILL in progress (or killed: an upgrade resumes it): {backfill}"
                    ));
                }
                for expansion in &status.expansions {
                    problems.push_str(&format!("; EXPAND/CONTRACT {expansion}"));
                }
                done.line(format!(
                    "{name}: {} {}{url}{}{problems}",
                    output::heads(&status.heads),
                    if status.at_head {
                        "at head"
                    } else {
                        "NOT at head"
                    },
                    if status.at_head {
                        String::new()
                    } else {
                        format!("; pending: {}", status.pending.join(", "))
                    }
                ));
                for line in super::half_applied::warning_lines(&status, ctx.program()) {
                    done.line(format!("  {line}"));
                }
                rows.push(json!({
                    "service": database.service,
                    "url": database.shown(),
                    "version_table": database.version_table,
                    "heads": status.heads,
                    "at_head": status.at_head,
                    "pending": status.pending,
                    "edited": edited_json(&status),
                    "interrupted": interrupted_json(&status),
                    "backfills": backfills_json(&status),
                    "expansions": expansions_json(&status),
                    "half_applied": super::half_applied::status_json(&status),
                    "ready": status.is_ready(),
                }));
                let still_filling = wait_for_backfills
                    .filter(|_| !status.backfills.is_empty())
                    .map(|timeout| {
                        backfill_gate::still_in_progress(&status, timeout, ctx.program())
                    });
                if let Some(why) =
                    still_filling.or_else(|| not_ready(&status, code.graph(), ctx.program()))
                {
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
