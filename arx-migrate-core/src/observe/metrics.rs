//! The numbers of each run, through the `metrics` facade crate (feature
//! `metrics`): whatever recorder the program installed (a Prometheus
//! exporter, StatsD, …) gets them; without one they cost a few atomic
//! loads. Without the feature, these functions do nothing.
//!
//! Labels are the backend, the revision, the direction and the outcome:
//! never a URL, a host, a user or a schema (a fleet of a thousand tenant
//! schemas would make a thousand series).

use std::time::Duration;

use crate::backend::Backend;
use crate::error::Direction;

/// Runs (upgrade or downgrade calls), by `backend`, `direction` and
/// `outcome` (`success`, `failure`).
pub const RUNS_TOTAL: &str = "arx_migrate_runs_total";
/// How long runs took, by `backend`, `direction` and `outcome`.
pub const RUN_DURATION_SECONDS: &str = "arx_migrate_run_duration_seconds";
/// Steps, by `backend`, `revision`, `direction` and `outcome`
/// (`applied`, `failed`).
pub const STEPS_TOTAL: &str = "arx_migrate_steps_total";
/// How long each applied step took, bookkeeping included, by `backend`,
/// `revision` and `direction`.
pub const STEP_DURATION_SECONDS: &str = "arx_migrate_step_duration_seconds";
/// How long a run waited for a lock, by `backend` and `lock` (`run`: the
/// migration lock; `write`: a writing transaction, SQLite's database lock).
pub const LOCK_WAIT_SECONDS: &str = "arx_migrate_lock_wait_seconds";
/// Statements tried again after a lock timeout, by `backend` and `revision`.
pub const LOCK_RETRIES_TOTAL: &str = "arx_migrate_lock_retries_total";
/// Rows walked by backfills, by `backend`, `revision` and `backfill`.
pub const BACKFILL_ROWS_TOTAL: &str = "arx_migrate_backfill_rows_total";
/// Revisions of the code the database lacks after the last run (or
/// status read), by `backend`.
pub const REVISIONS_PENDING: &str = "arx_migrate_revisions_pending";
/// Targets of a fleet run, by `state`: `total`, `done` (finished, failed
/// ones included), `failed`.
pub const FLEET_TARGETS: &str = "arx_migrate_fleet_targets";

#[cfg(feature = "metrics")]
mod emit {
    use super::*;
    use metrics::{
        counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram, Label,
        Unit,
    };

    pub(crate) fn describe() {
        describe_counter!(
            RUNS_TOTAL,
            Unit::Count,
            "Migration runs (upgrade or downgrade calls)."
        );
        describe_histogram!(
            RUN_DURATION_SECONDS,
            Unit::Seconds,
            "How long migration runs took."
        );
        describe_counter!(
            STEPS_TOTAL,
            Unit::Count,
            "Migration steps applied or failed."
        );
        describe_histogram!(
            STEP_DURATION_SECONDS,
            Unit::Seconds,
            "How long each applied migration step took."
        );
        describe_histogram!(
            LOCK_WAIT_SECONDS,
            Unit::Seconds,
            "How long a run waited for a lock."
        );
        describe_counter!(
            LOCK_RETRIES_TOTAL,
            Unit::Count,
            "Statements tried again after a lock timeout."
        );
        describe_counter!(
            BACKFILL_ROWS_TOTAL,
            Unit::Count,
            "Rows walked by backfills."
        );
        describe_gauge!(
            REVISIONS_PENDING,
            Unit::Count,
            "Revisions the database lacks after the last run."
        );
        describe_gauge!(
            FLEET_TARGETS,
            Unit::Count,
            "Targets of the fleet run, by state."
        );
    }

    pub(crate) fn run_finished(
        backend: Backend,
        direction: Direction,
        success: bool,
        took: Duration,
    ) {
        let outcome = if success { "success" } else { "failure" };
        let labels = [
            ("backend", backend.name()),
            ("direction", direction.as_str()),
            ("outcome", outcome),
        ];
        counter!(RUNS_TOTAL, &labels).increment(1);
        histogram!(RUN_DURATION_SECONDS, &labels).record(took.as_secs_f64());
    }

    pub(crate) fn step_applied(
        backend: Backend,
        direction: Direction,
        revision: &str,
        took: Duration,
    ) {
        let mut labels = vec![
            Label::new("backend", backend.name()),
            Label::new("revision", revision.to_string()),
            Label::new("direction", direction.as_str()),
        ];
        histogram!(STEP_DURATION_SECONDS, labels.clone()).record(took.as_secs_f64());
        labels.push(Label::new("outcome", "applied"));
        counter!(STEPS_TOTAL, labels).increment(1);
    }

    pub(crate) fn step_failed(backend: Backend, direction: Direction, revision: &str) {
        counter!(
            STEPS_TOTAL,
            "backend" => backend.name(),
            "revision" => revision.to_string(),
            "direction" => direction.as_str(),
            "outcome" => "failed"
        )
        .increment(1);
    }

    pub(crate) fn lock_waited(backend: Backend, lock: &'static str, waited: Duration) {
        histogram!(LOCK_WAIT_SECONDS, "backend" => backend.name(), "lock" => lock)
            .record(waited.as_secs_f64());
    }

    pub(crate) fn lock_retried(backend: Backend, revision: &str) {
        counter!(LOCK_RETRIES_TOTAL, "backend" => backend.name(), "revision" => revision.to_string())
            .increment(1);
    }

    pub(crate) fn backfill_rows(backend: Backend, revision: &str, backfill: &str, rows: u64) {
        counter!(
            BACKFILL_ROWS_TOTAL,
            "backend" => backend.name(),
            "revision" => revision.to_string(),
            "backfill" => backfill.to_string()
        )
        .increment(rows);
    }

    pub(crate) fn revisions_pending(backend: Backend, pending: usize) {
        gauge!(REVISIONS_PENDING, "backend" => backend.name()).set(pending as f64);
    }

    #[cfg_attr(not(feature = "fleet"), allow(dead_code))]
    pub(crate) fn fleet_targets(state: &'static str, count: usize) {
        gauge!(FLEET_TARGETS, "state" => state).set(count as f64);
    }
}

#[cfg(not(feature = "metrics"))]
#[allow(clippy::missing_const_for_fn)]
mod emit {
    use super::*;

    pub(crate) fn describe() {}
    pub(crate) fn run_finished(_: Backend, _: Direction, _: bool, _: Duration) {}
    pub(crate) fn step_applied(_: Backend, _: Direction, _: &str, _: Duration) {}
    pub(crate) fn step_failed(_: Backend, _: Direction, _: &str) {}
    pub(crate) fn lock_waited(_: Backend, _: &'static str, _: Duration) {}
    pub(crate) fn lock_retried(_: Backend, _: &str) {}
    pub(crate) fn backfill_rows(_: Backend, _: &str, _: &str, _: u64) {}
    pub(crate) fn revisions_pending(_: Backend, _: usize) {}
    #[cfg_attr(not(feature = "fleet"), allow(dead_code))]
    pub(crate) fn fleet_targets(_: &'static str, _: usize) {}
}

pub(crate) use emit::*;
