//! Watches one run from outside the apply loop: its progress events and
//! its result become hook calls and metrics.

use std::collections::HashMap;
use std::time::Instant;

use super::hooks::{Hooks, RunInfo};
use super::metrics;
use crate::error::{Error, Result};
use crate::graph::RevisionGraph;
use crate::runner::{Progress, Report, StepStart};
use crate::target::Target;

/// One run's observer: the steps committed so far (for the report of a
/// failed run), the step running, and each backfill's rows counted.
pub(crate) struct RunObserver<'h> {
    info: RunInfo,
    hooks: Option<&'h dyn Hooks>,
    started: Instant,
    committed: Vec<crate::runner::StepReport>,
    running: Option<StepStart>,
    /// Rows of each backfill (revision, name) already counted in this run.
    backfill_rows: HashMap<(String, String), i64>,
}

impl<'h> RunObserver<'h> {
    /// Starts observing: calls `before_run`, whose refusal is the run's
    /// error (observed like any other by [`RunObserver::finish`]).
    pub(crate) fn start(info: RunInfo, hooks: Option<&'h dyn Hooks>) -> (Self, Result<()>) {
        metrics::describe();
        let observer = RunObserver {
            info,
            hooks,
            started: Instant::now(),
            committed: Vec::new(),
            running: None,
            backfill_rows: HashMap::new(),
        };
        let allowed = match hooks {
            Some(hooks) => hooks.before_run(&observer.info).map_err(|refusal| {
                tracing::warn!(hook = "before_run", %refusal, "a hook stopped the run");
                Error::Hook {
                    hook: "before_run".into(),
                    revision: None,
                    message: refusal.to_string(),
                }
            }),
            None => Ok(()),
        };
        (observer, allowed)
    }

    /// What the run is.
    pub(crate) fn info(&self) -> &RunInfo {
        &self.info
    }

    /// Sees one progress event of the run.
    pub(crate) fn see(&mut self, event: &Progress<'_>) {
        let backend = self.info.backend;
        match event {
            Progress::Starting(step) => self.running = Some((*step).clone()),
            Progress::Step(step) => {
                metrics::step_applied(backend, step.direction, &step.revision, step.duration);
                if let Some(hooks) = self.hooks {
                    hooks.after_step(&self.info, step);
                }
                if self
                    .running
                    .as_ref()
                    .is_some_and(|running| running.revision == step.revision)
                {
                    self.running = None;
                }
                self.committed.push((*step).clone());
            }
            Progress::LockRetry(retry) => metrics::lock_retried(backend, &retry.revision),
            Progress::Backfill(backfill) => {
                let key = (backfill.revision.clone(), backfill.name.clone());
                let counted = self.backfill_rows.entry(key).or_insert(0);
                let new_rows = backfill.rows_this_run - *counted;
                if new_rows > 0 {
                    metrics::backfill_rows(
                        backend,
                        &backfill.revision,
                        &backfill.name,
                        new_rows as u64,
                    );
                    *counted = backfill.rows_this_run;
                }
            }
            _ => {}
        }
    }

    /// The run ended with `result`: `after_run` or `on_error`, and the
    /// run's metrics. Returns the result unchanged.
    pub(crate) fn finish(self, graph: &RevisionGraph, result: Result<Report>) -> Result<Report> {
        let backend = self.info.backend;
        let direction = self.info.direction;
        let took = self.started.elapsed();
        match &result {
            Ok(report) => {
                metrics::run_finished(backend, direction, true, took);
                if let Ok(pending) = graph.plan_upgrade(&report.heads_after, &Target::Heads) {
                    metrics::revisions_pending(backend, pending.len());
                }
                if let Some(hooks) = self.hooks {
                    hooks.after_run(&self.info, report);
                }
            }
            Err(error) => {
                // The step that was running, unless the error came from a
                // hook refusing it before it ran.
                let ran = !matches!(error, Error::Hook { .. });
                if let Some(step) = self.running.as_ref().filter(|_| ran) {
                    metrics::step_failed(backend, step.direction, &step.revision);
                }
                metrics::run_finished(backend, direction, false, took);
                if let Some(hooks) = self.hooks {
                    let report = Report {
                        heads_before: Vec::new(),
                        heads_after: Vec::new(),
                        steps: self.committed,
                        warnings: Vec::new(),
                    };
                    hooks.on_error(&self.info, error, self.running.as_ref(), &report);
                }
            }
        }
        result
    }
}
