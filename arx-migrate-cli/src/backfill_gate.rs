//! `status --check --wait-for-backfills`: a deploy gate that waits while a
//! backfill is in progress, saying where it is, and fails with what to do
//! when it does not end in time.

use std::time::{Duration, Instant};

use arx_migrate_core::backend::Connection;
use arx_migrate_core::runner::{Migrator, Status};

use super::context::{Context, Database};
use super::error::CliError;
use super::session::core;

/// How often the wait is said on stderr.
const SAY_EVERY: Duration = Duration::from_secs(5);

/// The database's status once no backfill is in progress, or at `timeout`
/// the last one read (its `backfills` are not empty).
pub(crate) fn wait_for_backfills(
    ctx: &Context<'_>,
    name: &str,
    database: &Database,
    migrator: &Migrator,
    connection: &mut dyn Connection,
    timeout: Duration,
) -> Result<Status, CliError> {
    let mut said: Option<Instant> = None;
    let mut waiting = |status: &Status, waited: Duration| {
        if said.is_some_and(|at| at.elapsed() < SAY_EVERY) {
            return;
        }
        said = Some(Instant::now());
        if let Some(notice) = ctx.notice {
            for backfill in &status.backfills {
                notice(&format!(
                    "{}: {name}: waiting for {backfill} ({} s of at most {} s)",
                    ctx.program(),
                    waited.as_secs(),
                    timeout.as_secs()
                ));
            }
        }
    };
    migrator
        .wait_for_backfills(connection, timeout, &mut waiting)
        .map_err(|e| core(ctx, database, e))
}

/// The gate's error for a backfill still in progress after `timeout`.
pub(crate) fn still_in_progress(status: &Status, timeout: Duration, program: &str) -> CliError {
    let backfills: Vec<String> = status.backfills.iter().map(ToString::to_string).collect();
    CliError::new(
        "backfill_in_progress",
        format!(
            "{} still in progress after waiting {} s",
            backfills.join("; "),
            timeout.as_secs()
        ),
    )
    .hint(format!(
        "wait longer with --wait-for-backfills={}s; if its last batch is long past, the run that did it was killed: `{program} upgrade heads` resumes it after that batch",
        timeout.as_secs().saturating_mul(2).max(60)
    ))
}
