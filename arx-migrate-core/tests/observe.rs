//! Hooks and metrics of a run, checked against the run's report, on every
//! backend.

mod support;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use arx_migrate_core::observe::{HookError, Hooks, RunInfo};
use arx_migrate_core::{
    Backfill, Error, FnMigration, MigrationSet, Migrator, Progress, Report, StepReport, StepStart,
};
use support::{backends, count, table_migration, Counting, TestDb};

/// What `on_error` was given: error kind, failed step, steps committed.
type Failure = (String, Option<String>, Vec<String>);

/// Writes down every call, as `event revision` lines.
#[derive(Clone, Default)]
struct Recording {
    calls: Arc<Mutex<Vec<String>>>,
    /// `before_step` refuses this revision.
    refuse_step: Option<&'static str>,
    /// `before_run` refuses.
    refuse_run: bool,
    /// What `on_error` was given: error kind, failed step, steps committed.
    failure: Arc<Mutex<Option<Failure>>>,
    /// What `after_run` was given.
    report: Arc<Mutex<Option<Report>>>,
}

impl Recording {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
    fn push(&self, line: String) {
        self.calls.lock().unwrap().push(line);
    }
}

impl Hooks for Recording {
    fn before_run(&self, run: &RunInfo) -> Result<(), HookError> {
        self.push(format!("before_run {} {}", run.direction, run.target));
        if self.refuse_run {
            return Err(HookError::new("outside the maintenance window"));
        }
        Ok(())
    }
    fn before_step(&self, _: &RunInfo, step: &StepStart) -> Result<(), HookError> {
        self.push(format!("before_step {}", step.revision));
        if self.refuse_step == Some(step.revision.as_str()) {
            return Err(format!("{} needs a sign-off", step.revision).into());
        }
        Ok(())
    }
    fn after_step(&self, _: &RunInfo, step: &StepReport) {
        self.push(format!("after_step {}", step.revision));
    }
    fn after_run(&self, run: &RunInfo, report: &Report) {
        self.push(format!(
            "after_run {} steps on {}",
            report.steps.len(),
            run.backend
        ));
        *self.report.lock().unwrap() = Some(report.clone());
    }
    fn on_error(&self, _: &RunInfo, error: &Error, step: Option<&StepStart>, report: &Report) {
        self.push(format!("on_error {}", error.kind()));
        *self.failure.lock().unwrap() = Some((
            error.kind().to_string(),
            step.map(|s| s.revision.clone()),
            report.steps.iter().map(|s| s.revision.clone()).collect(),
        ));
    }
}

fn chain() -> MigrationSet {
    MigrationSet::new()
        .with(table_migration("001", &[]))
        .with(table_migration("002", &["001"]).non_transactional())
        .with(table_migration("003", &["002"]))
}

/// 001, 002, then 003 whose statement fails.
fn failing_chain() -> MigrationSet {
    MigrationSet::new()
        .with(table_migration("001", &[]))
        .with(table_migration("002", &["001"]))
        .with(FnMigration::new(
            "003",
            &["002"],
            |op| op.sql("CREATE TABLE t001 (id INTEGER)"),
            |_| Ok(()),
        ))
}

#[test]
fn hooks_run_in_order_around_the_run_and_each_step() {
    for db in backends("hooks_run_in_order_around_the_run_and_each_step") {
        let hooks = Recording::default();
        let migrator = Migrator::new(chain()).unwrap().hooks(hooks.clone());
        let mut conn = db.connect();
        let mut events = Vec::new();
        let report = migrator
            .upgrade_with_progress(&mut *conn, "head", &mut |event| match event {
                Progress::Starting(step) => events.push(format!("starting {}", step.revision)),
                Progress::Step(step) => events.push(format!("step {}", step.revision)),
                _ => {}
            })
            .unwrap();
        assert_eq!(
            hooks.calls(),
            [
                "before_run upgrade head",
                "before_step 001",
                "after_step 001",
                "before_step 002",
                "after_step 002",
                "before_step 003",
                "after_step 003",
                &format!("after_run 3 steps on {}", db.backend()),
            ]
        );
        // The progress callback sees the same points.
        assert_eq!(
            events,
            [
                "starting 001",
                "step 001",
                "starting 002",
                "step 002",
                "starting 003",
                "step 003"
            ]
        );
        // after_run got the run's own report.
        assert_eq!(hooks.report.lock().unwrap().as_ref(), Some(&report));

        // A downgrade too, and a run with nothing to do.
        let hooks = Recording::default();
        let migrator = Migrator::new(chain()).unwrap().hooks(hooks.clone());
        migrator.downgrade(&mut *conn, "-1").unwrap();
        migrator.upgrade(&mut *conn, "003").unwrap();
        migrator.upgrade(&mut *conn, "head").unwrap();
        assert_eq!(
            hooks.calls(),
            [
                "before_run downgrade -1",
                "before_step 003",
                "after_step 003",
                &format!("after_run 1 steps on {}", db.backend()),
                "before_run upgrade 003",
                "before_step 003",
                "after_step 003",
                &format!("after_run 1 steps on {}", db.backend()),
                "before_run upgrade head",
                &format!("after_run 0 steps on {}", db.backend()),
            ]
        );
    }
}

#[test]
fn hooks_leave_the_startup_at_one_query() {
    let db = TestDb::sqlite();
    let hooks = Recording::default();
    let migrator = Migrator::new(chain()).unwrap().hooks(hooks.clone());
    let mut conn = db.connect();
    migrator.upgrade(&mut *conn, "head").unwrap();
    let mut counting = Counting::new(&mut *conn);
    migrator.upgrade(&mut counting, "head").unwrap();
    assert_eq!(counting.queries.load(Ordering::SeqCst), 1);
    assert_eq!(hooks.calls().last().unwrap(), "after_run 0 steps on sqlite");
}

#[test]
fn on_error_gets_the_failed_step_and_the_steps_committed_before() {
    for db in backends("on_error_gets_the_failed_step_and_the_steps_committed_before") {
        let hooks = Recording::default();
        let migrator = Migrator::new(failing_chain()).unwrap().hooks(hooks.clone());
        let mut conn = db.connect();
        let error = migrator.upgrade(&mut *conn, "head").unwrap_err();
        assert_eq!(error.kind(), "migration_failed");
        assert_eq!(
            hooks.failure.lock().unwrap().clone(),
            Some((
                "migration_failed".to_string(),
                Some("003".to_string()),
                vec!["001".to_string(), "002".to_string()]
            ))
        );
        assert_eq!(hooks.calls().last().unwrap(), "on_error migration_failed");
        assert!(!hooks.calls().iter().any(|c| c.starts_with("after_run")));
        assert_eq!(migrator.current(&mut *conn).unwrap(), ["002"]);
    }
}

#[test]
fn a_refusing_before_step_hook_stops_the_run_before_that_step() {
    for db in backends("a_refusing_before_step_hook_stops_the_run_before_that_step") {
        // A transactional step and a non-transactional one.
        for refused in ["003", "002"] {
            let hooks = Recording {
                refuse_step: Some(refused),
                ..Recording::default()
            };
            let migrator = Migrator::new(chain()).unwrap().hooks(hooks.clone());
            let mut conn = db.connect();
            let plain = Migrator::new(chain()).unwrap();
            plain.upgrade(&mut *conn, "001").unwrap(); // the bookkeeping exists
            plain.downgrade(&mut *conn, "base").unwrap();
            let history_of_refused =
                format!("SELECT COUNT(*) FROM arx_migrate_history WHERE revision = '{refused}'");
            let rows_before = count(&mut *conn, &history_of_refused);
            let error = migrator.upgrade(&mut *conn, "head").unwrap_err();
            assert!(
                matches!(&error, Error::Hook { hook, revision: Some(r), .. } if hook == "before_step" && r == refused),
                "{error:?}"
            );
            assert_eq!(error.kind(), "hook_failed");
            assert!(
                error
                    .to_string()
                    .contains(&format!("{refused} needs a sign-off")),
                "{error}"
            );
            // The steps before it stay applied; the refused one never ran.
            let before: Vec<String> = ["001", "002", "003"]
                .iter()
                .take_while(|r| **r != refused)
                .map(|r| r.to_string())
                .collect();
            let last = before.last().cloned();
            assert_eq!(migrator.current(&mut *conn).unwrap(), Vec::from_iter(last));
            let (kind, step, committed) = hooks.failure.lock().unwrap().clone().unwrap();
            assert_eq!(
                (kind.as_str(), step.as_deref()),
                ("hook_failed", Some(refused))
            );
            assert_eq!(committed, before);
            // Nothing recorded the refused step as failed or started.
            let table = format!("t{refused}");
            assert!(!support::tables(&mut *conn).contains(&table));
            let rows = count(&mut *conn, &history_of_refused);
            assert_eq!(rows, rows_before, "history rows of {refused}");
            // Without the refusal the run goes on from there.
            Migrator::new(chain())
                .unwrap()
                .upgrade(&mut *conn, "head")
                .unwrap();
        }
    }
}

#[test]
fn a_refusing_before_run_hook_stops_the_run_before_it_reads_anything() {
    let db = TestDb::sqlite();
    let hooks = Recording {
        refuse_run: true,
        ..Recording::default()
    };
    let migrator = Migrator::new(chain()).unwrap().hooks(hooks.clone());
    let mut conn = db.connect();
    let mut counting = Counting::new(&mut *conn);
    let error = migrator.upgrade(&mut counting, "head").unwrap_err();
    assert_eq!(counting.queries.load(Ordering::SeqCst), 0);
    assert!(
        error.to_string().contains("outside the maintenance window"),
        "{error}"
    );
    assert_eq!(
        hooks.calls(),
        ["before_run upgrade head", "on_error hook_failed"]
    );
    assert!(support::tables(&mut *conn).is_empty());
}

#[test]
fn in_schema_keeps_the_hooks() {
    let hooks = Recording::default();
    let migrator = Migrator::new(chain()).unwrap().hooks(hooks.clone());
    let tenant = migrator.in_schema("main");
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    tenant.upgrade(&mut conn, "001").unwrap();
    assert_eq!(hooks.calls()[0], "before_run upgrade 001");
}

#[cfg(feature = "metrics")]
mod metrics {
    use super::*;
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};

    /// One recorded series: name, labels (sorted), value.
    #[derive(Debug)]
    struct Series {
        name: String,
        labels: Vec<(String, String)>,
        value: DebugValue,
    }

    fn record(work: impl FnOnce()) -> Vec<Series> {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        ::metrics::with_local_recorder(&recorder, work);
        snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, _, _, value)| {
                let (_, key) = key.into_parts();
                let mut labels: Vec<(String, String)> = key
                    .labels()
                    .map(|l| (l.key().to_string(), l.value().to_string()))
                    .collect();
                labels.sort();
                Series {
                    name: key.name().to_string(),
                    labels,
                    value,
                }
            })
            .collect()
    }

    fn label<'a>(series: &'a Series, name: &str) -> Option<&'a str> {
        series
            .labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn counter(all: &[Series], name: &str, labels: &[(&str, &str)]) -> u64 {
        all.iter()
            .filter(|s| s.name == name && labels.iter().all(|(k, v)| label(s, k) == Some(*v)))
            .map(|s| match s.value {
                DebugValue::Counter(n) => n,
                ref other => panic!("{name} is not a counter: {other:?}"),
            })
            .sum()
    }

    fn histogram(all: &[Series], name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        all.iter()
            .filter(|s| s.name == name && labels.iter().all(|(k, v)| label(s, k) == Some(*v)))
            .flat_map(|s| match &s.value {
                DebugValue::Histogram(values) => {
                    values.iter().map(|v| v.into_inner()).collect::<Vec<_>>()
                }
                other => panic!("{name} is not a histogram: {other:?}"),
            })
            .collect()
    }

    fn gauge(all: &[Series], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        all.iter()
            .find(|s| s.name == name && labels.iter().all(|(k, v)| label(s, k) == Some(*v)))
            .map(|s| match s.value {
                DebugValue::Gauge(v) => v.into_inner(),
                ref other => panic!("{name} is not a gauge: {other:?}"),
            })
    }

    #[test]
    fn metrics_match_the_report_of_each_run() {
        for db in backends("metrics_match_the_report_of_each_run") {
            let backend = db.backend().name();
            let mut conn = db.connect();
            let mut reports = Vec::new();
            let recorded = record(|| {
                let migrator = Migrator::new(chain()).unwrap();
                reports.push(migrator.upgrade(&mut *conn, "001").unwrap());
                reports.push(migrator.upgrade(&mut *conn, "head").unwrap());
                reports.push(migrator.downgrade(&mut *conn, "-1").unwrap());
            });
            let applied: usize = reports.iter().map(|r| r.steps.len()).sum();
            assert_eq!(applied, 4);
            let runs = [("backend", backend), ("outcome", "success")];
            assert_eq!(counter(&recorded, "arx_migrate_runs_total", &runs), 3);
            assert_eq!(
                counter(
                    &recorded,
                    "arx_migrate_runs_total",
                    &[("direction", "downgrade")]
                ),
                1
            );
            assert_eq!(
                counter(
                    &recorded,
                    "arx_migrate_steps_total",
                    &[("outcome", "applied")]
                ),
                applied as u64
            );
            for report in &reports {
                for step in &report.steps {
                    let labels = [
                        ("backend", backend),
                        ("revision", step.revision.as_str()),
                        ("direction", step.direction.as_str()),
                    ];
                    assert_eq!(counter(&recorded, "arx_migrate_steps_total", &labels), 1);
                    let durations =
                        histogram(&recorded, "arx_migrate_step_duration_seconds", &labels);
                    assert_eq!(durations, [step.duration.as_secs_f64()], "{labels:?}");
                    assert!(durations[0] > 0.0);
                }
            }
            // Lock waits: one run lock per run that had work.
            assert_eq!(
                histogram(
                    &recorded,
                    "arx_migrate_lock_wait_seconds",
                    &[("lock", "run")]
                )
                .len(),
                3
            );
            // After the downgrade, one revision is pending.
            assert_eq!(
                gauge(
                    &recorded,
                    "arx_migrate_revisions_pending",
                    &[("backend", backend)]
                ),
                Some(1.0)
            );
            // Labels: backend, revision, direction, outcome, lock: never
            // the URL or a part of it.
            for series in &recorded {
                for (key, value) in &series.labels {
                    assert!(
                        ["backend", "revision", "direction", "outcome", "lock"]
                            .contains(&key.as_str()),
                        "{series:?}"
                    );
                    assert!(!value.contains(['@', '/', ':']), "{series:?}");
                }
            }
        }
    }

    #[test]
    fn a_failed_step_is_counted_with_its_revision() {
        for db in backends("a_failed_step_is_counted_with_its_revision") {
            let mut conn = db.connect();
            let recorded = record(|| {
                let migrator = Migrator::new(failing_chain()).unwrap();
                migrator.upgrade(&mut *conn, "head").unwrap_err();
            });
            let failed = [
                ("outcome", "failed"),
                ("revision", "003"),
                ("direction", "upgrade"),
            ];
            assert_eq!(counter(&recorded, "arx_migrate_steps_total", &failed), 1);
            assert_eq!(
                counter(
                    &recorded,
                    "arx_migrate_steps_total",
                    &[("outcome", "failed")]
                ),
                1
            );
            assert_eq!(
                counter(
                    &recorded,
                    "arx_migrate_steps_total",
                    &[("outcome", "applied")]
                ),
                2
            );
            assert_eq!(
                counter(
                    &recorded,
                    "arx_migrate_runs_total",
                    &[("outcome", "failure")]
                ),
                1
            );
            assert_eq!(
                counter(
                    &recorded,
                    "arx_migrate_runs_total",
                    &[("outcome", "success")]
                ),
                0
            );
            assert_eq!(
                histogram(
                    &recorded,
                    "arx_migrate_run_duration_seconds",
                    &[("outcome", "failure")]
                )
                .len(),
                1
            );
        }
    }

    #[test]
    fn backfill_rows_are_counted() {
        for db in backends("backfill_rows_are_counted") {
            let rows = 2500;
            let migrations = MigrationSet::new()
                .with(FnMigration::new(
                    "001",
                    &[],
                    move |op| {
                        op.sql("CREATE TABLE big (id BIGINT PRIMARY KEY, hits INTEGER NOT NULL DEFAULT 0)")?;
                        op.postgres(format!("INSERT INTO big (id) SELECT generate_series(1, {rows})"))?;
                        op.sqlite(format!(
                            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) INSERT INTO big (id) SELECT i FROM n"
                        ))
                    },
                    |op| op.sql("DROP TABLE big"),
                ))
                .with(
                    FnMigration::new(
                        "002",
                        &["001"],
                        |op| op.backfill(Backfill::new("big").set("hits", "hits + 1")),
                        |_| Ok(()),
                    )
                    .non_transactional(),
                );
            let mut conn = db.connect();
            let recorded = record(|| {
                Migrator::new(migrations)
                    .unwrap()
                    .upgrade(&mut *conn, "head")
                    .unwrap();
            });
            assert_eq!(
                counter(
                    &recorded,
                    "arx_migrate_backfill_rows_total",
                    &[("revision", "002"), ("backfill", "big")]
                ),
                rows
            );
            assert_eq!(
                count(&mut *conn, "SELECT COUNT(*) FROM big WHERE hits = 1"),
                rows as i64
            );
        }
    }
}
