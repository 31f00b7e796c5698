//! Half-applied revisions (MariaDB, MySQL) in the CLI: how `status`,
//! `current` and `check` report them, and `repair --mark-applied`,
//! `--roll-back` and `--forget`.

use serde_json::{json, Value};

use arx_migrate_core::journal::{HalfApplied, HalfAppliedRepair};
use arx_migrate_core::runner::Status;

use super::context::Context;
use super::error::CliError;
use super::output::Done;
use super::session::core;

/// One half-applied step, for JSON.
pub(crate) fn step_json(step: &HalfApplied) -> Value {
    let stopped = step.stopped_at();
    json!({
        "revision": step.revision,
        "direction": step.direction.as_str(),
        "applied": step.applied().count(),
        "resumes_at": step.resumes_at(),
        "stopped_at": stopped.map(|entry| json!({
            "statement": entry.number,
            "first_line": entry.first_line(),
            "state": entry.state.as_str(),
            "error": entry.error,
        })),
        "statements": step.statements.iter().map(|entry| json!({
            "statement": entry.number,
            "state": entry.state.as_str(),
            "checksum": entry.checksum,
            "sql": entry.statement,
            "reverse": entry.reverse,
            "error": entry.error,
            "updated_at": entry.updated_at,
        })).collect::<Vec<_>>(),
    })
}

/// The half-applied steps of `status`, for JSON.
pub(crate) fn status_json(status: &Status) -> Value {
    json!(status
        .half_applied
        .iter()
        .map(step_json)
        .collect::<Vec<_>>())
}

/// One warning per half-applied step: where it stopped and what to do.
pub(crate) fn warning_lines(status: &Status, program: &str) -> Vec<String> {
    status
        .half_applied
        .iter()
        .map(|step| {
            format!(
                "warning: {}. Fix the statement and run `{program} {}` again to resume at statement {}, or settle it with `{program} repair --mark-applied {rev}` or `--roll-back {rev}`",
                step.summary(),
                step.direction,
                step.resumes_at(),
                rev = step.revision,
            )
        })
        .collect()
}

/// The problem a half-applied step is for a deploy gate, and its hint.
pub(crate) fn not_ready(status: &Status, program: &str) -> Option<(String, String)> {
    if status.half_applied.is_empty() {
        return None;
    }
    let steps: Vec<String> = status
        .half_applied
        .iter()
        .map(HalfApplied::summary)
        .collect();
    Some((
        steps.join("; "),
        format!(
            "resume it by running the same {} again once the failing statement is fixed, or settle it with `{program} repair --mark-applied REV` / `--roll-back REV`",
            status.half_applied[0].direction
        ),
    ))
}

/// `check` on a database with a half-applied revision: the schema is
/// between two revisions, so it is not compared; the report names where
/// the revision stopped, and the command fails.
pub(crate) fn check_refusal(status: &Status, url: &str, program: &str) -> Option<Done> {
    let (problem, hint) = not_ready(status, program)?;
    let mut done = Done::new(json!({
        "command": "check",
        "url": url,
        "clean": false,
        "half_applied": status_json(status),
    }));
    for line in warning_lines(status, program) {
        done.line(line);
    }
    done.failure = Some(
        CliError::new(
            "half_applied",
            format!("the schema is not compared while a revision is half-applied: {problem}"),
        )
        .hint(hint),
    );
    Some(done)
}

/// `repair --mark-applied REV`, `--roll-back REV`, `--forget REV`.
pub(crate) fn repair(
    ctx: &Context<'_>,
    revision: &str,
    repair: HalfAppliedRepair,
) -> Result<Done, CliError> {
    let database = ctx.database()?;
    let migrator = ctx.migrator(&database)?;
    let mut connection = database.connect(false)?;
    let report = migrator
        .repair_half_applied(&mut *connection, revision, repair)
        .map_err(|e| core(ctx, &database, e))?;
    let action = match repair {
        HalfAppliedRepair::MarkApplied => "mark_applied",
        HalfAppliedRepair::RollBack => "roll_back",
        HalfAppliedRepair::Forget => "forget",
    };
    let mut done = Done::new(json!({
        "command": "repair",
        "url": database.shown(),
        "half_applied": {
            "revision": report.revision,
            "direction": report.direction.as_str(),
            "action": action,
            "reversed": report.reversed,
            "heads_after": report.heads_after,
        },
    }));
    for statement in &report.reversed {
        done.line(format!("undone: {statement}"));
    }
    done.line(match repair {
        HalfAppliedRepair::MarkApplied => format!(
            "{}: the half-applied {} is recorded as done; the version table is at {}",
            report.revision,
            report.direction,
            super::output::heads(&report.heads_after)
        ),
        HalfAppliedRepair::RollBack => format!(
            "{}: the half-applied {} is rolled back ({} statement(s) undone); the version table stays at {}",
            report.revision,
            report.direction,
            report.reversed.len(),
            super::output::heads(&report.heads_after)
        ),
        HalfAppliedRepair::Forget => format!(
            "{}: the journal of the half-applied {} is cleared; the database itself was not changed",
            report.revision, report.direction
        ),
    });
    Ok(done)
}
