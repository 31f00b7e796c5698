//! Verbs that write: `upgrade`, `downgrade`, `stamp`, `repair`.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use arx_migrate_core::error::Direction;
use arx_migrate_core::runner::{Progress, Report, StepReport};

use super::context::Context;
use super::error::CliError;
use super::hooks::{self, HookLog};
use super::offline;
use super::output::{self, Done};
use super::session::core;

fn step_json(step: &StepReport) -> Value {
    json!({
        "revision": step.revision,
        "direction": step.direction.as_str(),
        "message": step.message,
        "duration_ms": output::millis(step.duration),
        "statements": step.statements,
    })
}

/// One applied or reverted step, as printed.
fn step_line(step: &StepReport) -> String {
    format!(
        "{:<9} {}  {}  ({})",
        step.direction.as_str(),
        step.revision,
        step.message,
        output::duration(step.duration)
    )
}

/// `upgrade TARGET` and `downgrade TARGET`, online or with `--sql`.
pub(crate) fn move_to(
    ctx: &Context<'_>,
    direction: Direction,
    target: Option<&str>,
    sql: bool,
    range: Option<&str>,
) -> Result<Done, CliError> {
    if sql {
        return offline::script(ctx, direction, target, range);
    }
    let target = target.unwrap_or_default();
    if target.contains(':') {
        return Err(CliError::usage(format!(
            "{target:?}: FROM:TO ranges are for --sql; online, the database says where it is"
        )));
    }
    let database = ctx.database()?;
    let log = HookLog::default();
    let mut migrator = ctx.migrator(&database)?;
    let mut hook_timeout = None;
    if let Some(hooks) = ctx.command_hooks(Some(&database), &log)? {
        hook_timeout = Some(hooks.timeout);
        migrator = migrator.hooks(hooks);
    }
    let mut connection = database.connect(direction == Direction::Upgrade)?;
    let started = Instant::now();
    // Each step is printed as it commits, so that a long run shows where
    // it is; the summary follows at the end. A wait for another run's lock
    // is said on stderr every few seconds, with who holds it.
    // A backfill's progress line goes to stderr at most every second, and
    // when it pauses or finishes.
    let mut backfill_said: Option<Instant> = None;
    let mut progress = |event: Progress<'_>| match event {
        Progress::Backfill(backfill) => {
            let due = backfill_said.is_none_or(|at| at.elapsed() >= Duration::from_secs(1));
            if due || backfill.finished || backfill.paused.is_some() {
                backfill_said = Some(Instant::now());
                if let Some(notice) = ctx.notice {
                    notice(&format!("{}: {backfill}", ctx.program()));
                }
            }
        }
        Progress::Step(step) => {
            if let Some(print) = ctx.live {
                print(&step_line(step));
            }
        }
        Progress::Waiting(wait) => {
            if let Some(notice) = ctx.notice {
                notice(&format!("{}: {wait}", ctx.program()));
            }
        }
        Progress::LockRetry(retry) => {
            if let Some(notice) = ctx.notice {
                notice(&format!(
                    "{}: a statement of {} timed out waiting for a table lock (attempt {} of {}); trying again in {} ms",
                    ctx.program(),
                    retry.revision,
                    retry.attempt,
                    retry.attempts,
                    retry.pause.as_millis()
                ));
            }
        }
        _ => {}
    };
    let ran = if direction == Direction::Downgrade {
        migrator.downgrade_with_progress(&mut *connection, target, &mut progress)
    } else {
        migrator.upgrade_with_progress(&mut *connection, target, &mut progress)
    };
    // Failed hooks are said at once, and listed in the JSON; they never
    // change the run's own outcome.
    let hooks_json = hook_timeout.map(|timeout| {
        let (json, problems) = hooks::report(&log.runs(), timeout);
        for problem in problems {
            (ctx.warn)(&format!("{}: {problem}", ctx.program()));
        }
        json
    });
    let report: Report = ran.map_err(|e| with_hooks(core(ctx, &database, e), &hooks_json))?;
    let elapsed = started.elapsed();
    let mut done = Done::new(json!({
        "command": direction.as_str(),
        "url": database.shown(),
        "target": target,
        "heads_before": report.heads_before,
        "heads_after": report.heads_after,
        "steps": report.steps.iter().map(step_json).collect::<Vec<_>>(),
        "warnings": report.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "duration_ms": output::millis(elapsed),
    }));
    if let Some(hooks) = hooks_json {
        done.json["hooks"] = hooks;
    }
    for warning in &report.warnings {
        done.line(format!("warning: {warning}"));
    }

    if report.steps.is_empty() {
        // At head when every revision is applied: with depends_on, a head
        // another branch depends on has no row of its own.
        let mut heads = migrator.graph().rows_at_heads();
        heads.sort_unstable();
        let mut now: Vec<&str> = report.heads_after.iter().map(String::as_str).collect();
        now.sort_unstable();
        let at_head = now == heads && !now.is_empty();
        done.line(format!(
            "nothing to do: {} is {}at {}{}",
            database.shown(),
            if at_head { "already " } else { "" },
            output::heads(&report.heads_after),
            if at_head { " (head)" } else { "" }
        ));
    } else {
        done.line(format!(
            "{} {} revision(s) in {}: {} -> {}",
            if direction == Direction::Upgrade {
                "applied"
            } else {
                "reverted"
            },
            report.steps.len(),
            output::duration(elapsed),
            output::heads(&report.heads_before),
            output::heads(&report.heads_after)
        ));
    }
    Ok(done)
}

/// `error` with the hook runs in its JSON details.
pub(crate) fn with_hooks(mut error: CliError, hooks: &Option<Value>) -> CliError {
    if let Some(hooks) = hooks {
        if error.details.is_null() {
            error.details = json!({});
        }
        if let Some(details) = error.details.as_object_mut() {
            details.insert("hooks".into(), hooks.clone());
        }
    }
    error
}

/// `stamp TARGET... [--purge]`.
pub(crate) fn stamp(ctx: &Context<'_>, targets: &[String], purge: bool) -> Result<Done, CliError> {
    let database = ctx.database()?;
    let migrator = ctx.migrator(&database)?;
    let mut connection = database.connect(true)?;
    let before = migrator
        .current(&mut *connection)
        .map_err(|e| core(ctx, &database, e))?;
    let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
    let after = migrator
        .stamp_targets(&mut *connection, &targets, purge)
        .map_err(|e| core(ctx, &database, e))?;
    let mut done = Done::new(json!({
        "command": "stamp",
        "url": database.shown(),
        "targets": targets,
        "purge": purge,
        "heads_before": before,
        "heads_after": after,
    }));
    done.line(format!(
        "stamped {}: {} -> {} (no migration ran)",
        database.shown(),
        output::heads(&before),
        output::heads(&after)
    ));
    Ok(done)
}

/// `repair`.
pub(crate) fn repair(ctx: &Context<'_>) -> Result<Done, CliError> {
    let database = ctx.database()?;
    let migrator = ctx.migrator(&database)?;
    let mut connection = database.connect(false)?;
    let repaired = migrator
        .repair(&mut *connection)
        .map_err(|e| core(ctx, &database, e))?;
    let mut done = Done::new(json!({
        "command": "repair",
        "url": database.shown(),
        "repaired": repaired.checksums.iter().map(|r| json!({
            "revision": r.revision,
            "recorded": r.recorded,
            "current": r.current,
        })).collect::<Vec<_>>(),
        "interrupted": repaired.interrupted.iter().map(|step| json!({
            "revision": step.revision,
            "direction": step.direction.as_str(),
        })).collect::<Vec<_>>(),
    }));
    for change in &repaired.checksums {
        done.line(format!(
            "{}: checksum {} -> {}",
            change.revision, change.recorded, change.current
        ));
    }
    for step in &repaired.interrupted {
        done.line(format!(
            "{}: the interrupted {} is marked as acknowledged; the database itself was not changed",
            step.revision, step.direction
        ));
    }
    done.line(if repaired.is_empty() {
        "nothing to repair: every applied migration matches its recorded checksum, and no step was interrupted".to_string()
    } else {
        format!(
            "repaired: accepted {} changed migration(s), acknowledged {} interrupted step(s)",
            repaired.checksums.len(),
            repaired.interrupted.len()
        )
    });
    Ok(done)
}

/// `adopt`.
pub(crate) fn adopt(ctx: &Context<'_>) -> Result<Done, CliError> {
    let database = ctx.database()?;
    let migrator = ctx.migrator(&database)?;
    let mut connection = database.connect(false)?;
    let adopted = migrator
        .adopt(&mut *connection)
        .map_err(|e| core(ctx, &database, e))?;
    let mut done = Done::new(json!({
        "command": "adopt",
        "url": database.shown(),
        "table": adopted.table,
        "tool": adopted.tool.name(),
        "applied": adopted.applied,
        "heads_after": adopted.heads,
    }));
    done.line(format!(
        "took over {} from {} ({}, {} version(s) applied): stamped {} (no migration ran)",
        database.shown(),
        adopted.tool.name(),
        adopted.table,
        adopted.applied.len(),
        output::heads(&adopted.heads)
    ));
    Ok(done)
}
