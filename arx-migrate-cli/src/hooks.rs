//! The services file's `[hooks]`: shell commands run before and after a
//! run and each step, and on error, with the run's report as JSON on
//! stdin and as `ARX_MIGRATE_*` variables.
//!
//! A `before_run` or `before_step` command that fails (exits non-zero or
//! outlives its timeout) stops the run there, as a failing Flyway
//! `beforeMigrate` callback does; the others are reported and never change
//! the migration's outcome or the exit code.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use arx_migrate_core::observe::{HookError, Hooks, RunInfo};
use arx_migrate_core::runner::{Report, StepReport, StepStart};
use arx_migrate_core::Error;

use super::env::Env;
use super::hook_command::{self, Ending, Invocation, Ran};
use super::output;
use super::services::HooksSection;

/// One hook command that ran, for the report.
#[derive(Debug, Clone)]
pub(crate) struct HookRun {
    pub(crate) event: &'static str,
    /// The fleet target, in a fleet run.
    pub(crate) target: Option<String>,
    pub(crate) revision: Option<String>,
    pub(crate) command: String,
    pub(crate) ran: Ran,
}

impl HookRun {
    /// `ok`, `failed` or `timed_out`.
    pub(crate) fn outcome(&self) -> &'static str {
        match self.ran.ending {
            _ if self.ran.succeeded() => "ok",
            Ending::TimedOut => "timed_out",
            _ => "failed",
        }
    }

    /// Why it failed, in words (`None` when it succeeded).
    pub(crate) fn problem(&self, timeout: Duration) -> Option<String> {
        let why = match &self.ran.ending {
            _ if self.ran.succeeded() => return None,
            Ending::Exited(Some(code)) => format!("exited with status {code}"),
            Ending::Exited(None) => "was killed by a signal".to_string(),
            Ending::TimedOut => format!(
                "was still running after {} and was killed (raise `timeout` in [hooks])",
                output::duration(timeout)
            ),
            Ending::NotStarted(error) => format!("could not be started: {error}"),
        };
        let last = self.ran.output.lines().last().unwrap_or_default();
        Some(format!(
            "the {} hook{}{} {why}{}",
            self.event,
            self.revision
                .as_deref()
                .map(|r| format!(" of {r}"))
                .unwrap_or_default(),
            self.target
                .as_deref()
                .map(|t| format!(" on {t}"))
                .unwrap_or_default(),
            if last.is_empty() {
                String::new()
            } else {
                format!(": {last}")
            }
        ))
    }

    pub(crate) fn to_json(&self, timeout: Duration) -> Value {
        json!({
            "event": self.event,
            "target": self.target,
            "revision": self.revision,
            "command": self.command,
            "outcome": self.outcome(),
            "exit_code": match self.ran.ending { Ending::Exited(code) => code, _ => None },
            "duration_ms": output::millis(self.ran.duration),
            "output": self.ran.output,
            "problem": self.problem(timeout),
        })
    }
}

/// The hook runs of a command, shared between its migrators' hooks and
/// the report.
#[derive(Debug, Clone, Default)]
pub(crate) struct HookLog(Arc<Mutex<Vec<HookRun>>>);

impl HookLog {
    pub(crate) fn runs(&self) -> Vec<HookRun> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn push(&self, run: HookRun) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(run);
    }
}

thread_local! {
    /// The fleet target a worker thread is migrating: its hooks name it.
    static TARGET: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `work` with the hooks of this thread naming `target`.
pub(crate) fn for_target<T>(target: &str, work: impl FnOnce() -> T) -> T {
    TARGET.with(|t| *t.borrow_mut() = Some(target.to_string()));
    let value = work();
    TARGET.with(|t| *t.borrow_mut() = None);
    value
}

/// The `[hooks]` commands of one database (or a fleet's databases), as the
/// engine's [`Hooks`].
#[derive(Clone)]
pub(crate) struct CommandHooks {
    pub(crate) section: HooksSection,
    pub(crate) timeout: Duration,
    /// The database as shown (no password), for `ARX_MIGRATE_DATABASE`;
    /// `None` in a fleet, where the target names it.
    pub(crate) database: Option<String>,
    pub(crate) service: Option<String>,
    pub(crate) env: Env,
    pub(crate) current_dir: Option<PathBuf>,
    /// Variables the commands must not see: they hold database URLs.
    pub(crate) hidden: Vec<String>,
    pub(crate) log: HookLog,
}

/// What a hook is called with, besides the run.
struct Call<'a> {
    event: &'static str,
    step: Option<Value>,
    revision: Option<&'a str>,
    outcome: Option<&'static str>,
    report: Option<&'a Report>,
    error: Option<&'a Error>,
}

impl CommandHooks {
    /// Runs the event's command, if there is one; returns whether it
    /// succeeded (or there was none).
    fn call(&self, run: &RunInfo, call: Call<'_>) -> Result<(), HookError> {
        let Some(command) = self.section.command(call.event) else {
            return Ok(());
        };
        let target = TARGET.with(|t| t.borrow().clone());
        let database = self.database.clone().or_else(|| target.clone());
        let document = json!({
            "event": call.event,
            "run": {
                "backend": run.backend.name(),
                "direction": run.direction.as_str(),
                "target": run.target,
                "version_table": run.version_table,
                "schema": run.schema,
                "database": database,
                "service": self.service,
            },
            "step": call.step,
            "outcome": call.outcome,
            "report": call.report.map(report_json),
            "error": call.error.map(|e| json!({ "kind": e.kind(), "message": e.to_string() })),
        });
        let mut vars = vec![
            ("ARX_MIGRATE_EVENT", call.event.to_string()),
            ("ARX_MIGRATE_BACKEND", run.backend.name().to_string()),
            ("ARX_MIGRATE_DIRECTION", run.direction.as_str().to_string()),
            ("ARX_MIGRATE_TARGET", run.target.clone()),
            ("ARX_MIGRATE_VERSION_TABLE", run.version_table.clone()),
        ];
        let optional = [
            ("ARX_MIGRATE_REVISION", call.revision.map(str::to_string)),
            ("ARX_MIGRATE_OUTCOME", call.outcome.map(str::to_string)),
            ("ARX_MIGRATE_DATABASE", database),
            ("ARX_MIGRATE_SERVICE", self.service.clone()),
            ("ARX_MIGRATE_SCHEMA", run.schema.clone()),
            (
                "ARX_MIGRATE_ERROR_KIND",
                call.error.map(|e| e.kind().to_string()),
            ),
            ("ARX_MIGRATE_ERROR", call.error.map(ToString::to_string)),
            (
                "ARX_MIGRATE_STEPS",
                call.report.map(|r| r.steps.len().to_string()),
            ),
            (
                "ARX_MIGRATE_HEADS",
                call.report
                    .filter(|_| call.error.is_none())
                    .map(|r| r.heads_after.join(",")),
            ),
        ];
        vars.extend(
            optional
                .into_iter()
                .filter_map(|(name, value)| value.map(|v| (name, v))),
        );
        let ran = hook_command::run(&Invocation {
            command,
            stdin: document.to_string(),
            vars: vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            hidden: self.hidden.clone(),
            env: &self.env,
            current_dir: self.current_dir.clone(),
            timeout: self.timeout,
        });
        let record = HookRun {
            event: call.event,
            target,
            revision: call.revision.map(str::to_string),
            command: command.to_string(),
            ran,
        };
        let problem = record.problem(self.timeout);
        self.log.push(record);
        match problem {
            None => Ok(()),
            Some(problem) => {
                tracing::warn!(event = call.event, %problem, "a hook failed");
                Err(HookError::new(problem))
            }
        }
    }
}

impl Hooks for CommandHooks {
    fn before_run(&self, run: &RunInfo) -> Result<(), HookError> {
        self.call(run, Call::new("before_run"))
    }

    fn before_step(&self, run: &RunInfo, step: &StepStart) -> Result<(), HookError> {
        self.call(
            run,
            Call {
                step: Some(json!({
                    "revision": step.revision,
                    "direction": step.direction.as_str(),
                    "message": step.message,
                    "transactional": step.transactional,
                })),
                revision: Some(&step.revision),
                ..Call::new("before_step")
            },
        )
    }

    fn after_step(&self, run: &RunInfo, step: &StepReport) {
        let _ = self.call(
            run,
            Call {
                step: Some(step_json(step)),
                revision: Some(&step.revision),
                outcome: Some("applied"),
                ..Call::new("after_step")
            },
        );
    }

    fn after_run(&self, run: &RunInfo, report: &Report) {
        let _ = self.call(
            run,
            Call {
                outcome: Some("success"),
                report: Some(report),
                ..Call::new("after_run")
            },
        );
    }

    fn on_error(&self, run: &RunInfo, error: &Error, step: Option<&StepStart>, report: &Report) {
        let _ = self.call(
            run,
            Call {
                step: step.map(|s| {
                    json!({
                        "revision": s.revision,
                        "direction": s.direction.as_str(),
                        "message": s.message,
                        "transactional": s.transactional,
                    })
                }),
                revision: step.map(|s| s.revision.as_str()),
                outcome: Some("failure"),
                report: Some(report),
                error: Some(error),
                ..Call::new("on_error")
            },
        );
    }
}

impl Call<'_> {
    fn new(event: &'static str) -> Self {
        Call {
            event,
            step: None,
            revision: None,
            outcome: None,
            report: None,
            error: None,
        }
    }
}

fn step_json(step: &StepReport) -> Value {
    json!({
        "revision": step.revision,
        "direction": step.direction.as_str(),
        "message": step.message,
        "duration_ms": output::millis(step.duration),
        "statements": step.statements,
    })
}

fn report_json(report: &Report) -> Value {
    json!({
        "heads_before": report.heads_before,
        "heads_after": report.heads_after,
        "steps": report.steps.iter().map(step_json).collect::<Vec<_>>(),
        "warnings": report.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

/// The hook runs as JSON, and the lines that report failed ones.
pub(crate) fn report(runs: &[HookRun], timeout: Duration) -> (Value, Vec<String>) {
    let json = runs.iter().map(|r| r.to_json(timeout)).collect();
    let problems = runs
        .iter()
        .filter_map(|r| r.problem(timeout))
        .map(|p| format!("warning: {p}"))
        .collect();
    (json, problems)
}
