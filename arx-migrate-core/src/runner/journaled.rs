//! Steps on a backend whose DDL commits by itself (MariaDB, MySQL): each
//! statement journalled as it completes, a half-applied step resumed at
//! its first statement not applied, and the repairs of a half-applied
//! step (`repair --mark-applied`, `--roll-back`, `--forget`).

use std::time::{Duration, Instant, SystemTime};

use super::apply::RunEnv;
use super::half_applied::half_applied;
use super::migrator::Migrator;
use super::report::StepReport;
use crate::backend::Connection;
use crate::direction::Direction;
use crate::error::{Error, Result};
use crate::graph::Step;
use crate::journal::cursor::JournalCursor;
use crate::journal::{HalfApplied, HalfAppliedRepair, HalfAppliedReport};
use crate::ops::{LiveSettings, Ops};
use crate::store::{Finished, HistoryOperation, HistoryOutcome, StepRecord, Store};
use crate::target::Target;

impl Migrator {
    /// Runs a step statement by statement under its journal: marked as
    /// started (or carrying on an interrupted run's marker), each
    /// statement skipped when an earlier run applied it unchanged or run
    /// and recorded, and recorded as done with the version rows and the
    /// journal cleared in one transaction.
    pub(super) fn apply_journaled(
        &self,
        connection: &mut dyn Connection,
        env: &mut RunEnv<'_>,
        store: &Store<'_>,
        step: &Step,
        heads_before: &[String],
        interrupted: bool,
    ) -> Result<StepReport> {
        let started_at = SystemTime::now();
        let started = Instant::now();
        let book = store.journal_book();
        book.ensure_table(connection)?;
        let recorded = book.entries(connection, step.revision(), step.direction)?;
        let resuming = !recorded.is_empty();
        if resuming {
            tracing::info!(
                revision = step.revision(),
                direction = %step.direction,
                applied = recorded.iter().filter(|e| e.state == crate::journal::JournalState::Applied).count(),
                "resuming a half-applied step"
            );
        }
        let marker = store.start_step(
            connection,
            step.revision(),
            step.direction.into(),
            started_at,
            interrupted,
            resuming.then(|| "resumed a half-applied step".to_string()),
        )?;
        let database_before = super::apply::database_size(connection);
        let cursor = JournalCursor::new(book.clone(), step.revision(), step.direction, recorded);
        // Lock retries are PostgreSQL's; nothing here reports progress.
        let live = LiveSettings {
            lock_retry: None,
            progress: None,
        };
        let outcome = {
            let revision = step.revision().to_string();
            let mut ops = Ops::live(connection, &revision, step.direction, false, false)
                .with_live_settings(live)
                .with_journal(cursor);
            crate::render::invoke(step.migration.as_ref(), &mut ops)
                .and_then(|()| ops.flush())
                .and_then(|()| ops.finish_journal())
                .map(|()| {
                    (
                        ops.finish_checksum(),
                        ops.statements_run(),
                        ops.touched_table(),
                    )
                })
        };
        match outcome {
            Ok((checksum, statements, touched)) => {
                let duration = started.elapsed();
                let sizes = super::apply::step_sizes(connection, database_before, touched.as_ref());
                env.in_transaction(connection, |connection| {
                    store.set_heads(connection, heads_before, &step.heads_after)?;
                    book.forget(connection, step.revision(), step.direction)?;
                    store.finish_record(
                        connection,
                        marker,
                        &Finished {
                            outcome: HistoryOutcome::Ok,
                            duration,
                            checksum: Some(&checksum),
                            message: None,
                            sizes: Some(&sizes),
                        },
                    )
                })?;
                Ok(StepReport {
                    revision: step.revision().to_string(),
                    direction: step.direction,
                    message: step.migration.message().to_string(),
                    duration,
                    statements,
                })
            }
            Err(error) => {
                let error = half_applied_hint(error);
                let message = error.to_string();
                let _ = store.finish_record(
                    connection,
                    marker,
                    &Finished {
                        outcome: HistoryOutcome::Failed,
                        duration: started.elapsed(),
                        checksum: None,
                        message: Some(&message),
                        sizes: None,
                    },
                );
                Err(error)
            }
        }
    }

    /// The half-applied revisions of the database (MariaDB and MySQL;
    /// none elsewhere): what `status` reports and
    /// [`Migrator::repair_half_applied`] settles.
    pub fn half_applied(&self, connection: &mut dyn Connection) -> Result<Vec<HalfApplied>> {
        super::blocking::refuse_inside_async_runtime(connection)?;
        let store = Store::new(&self.store, connection.backend());
        let state = store.read_state(connection)?;
        half_applied(connection, &store, &state.interrupted)
    }

    /// Settles a half-applied revision (MariaDB, MySQL), under the run
    /// lock: records it as applied ([`HalfAppliedRepair::MarkApplied`]),
    /// undoes its applied statements by their reverses, newest first
    /// ([`HalfAppliedRepair::RollBack`]), or forgets its journal after the
    /// statements were undone by hand ([`HalfAppliedRepair::Forget`]).
    ///
    /// A roll-back where an applied statement has no known reverse runs
    /// nothing, and its error lists the statements to undo by hand, newest
    /// first, and the `--forget` to run after.
    pub fn repair_half_applied(
        &self,
        connection: &mut dyn Connection,
        revision: &str,
        repair: HalfAppliedRepair,
    ) -> Result<HalfAppliedReport> {
        super::blocking::refuse_inside_async_runtime(connection)?;
        self.with_run_lock(connection, &mut |_| {}, |this, connection, store, env| {
            let state = store.read_state(connection)?;
            let steps = half_applied(connection, store, &state.interrupted)?;
            let step = pick(steps, revision)?;
            let book = store.journal_book();
            let heads = state.heads.to_vec();
            let mut report = HalfAppliedReport {
                revision: step.revision.clone(),
                direction: step.direction,
                repair,
                reversed: Vec::new(),
                heads_after: heads.clone(),
            };
            let operation = HistoryOperation::Repair;
            let (after, message) = match repair {
                HalfAppliedRepair::MarkApplied => {
                    let after = this.heads_after_step(&heads, &step)?;
                    (after, format!("marked the half-applied {} as done", step.direction))
                }
                HalfAppliedRepair::RollBack => {
                    let undo: Vec<_> = step.applied().rev().collect();
                    let missing: Vec<_> = undo.iter().filter(|e| e.reverse.is_none()).collect();
                    if !missing.is_empty() {
                        return Err(Error::HalfAppliedRepair {
                            revision: step.revision.clone(),
                            direction: step.direction,
                            reason: format!(
                                "{} of its applied statements have no known reverse, so nothing was run. Undo these by hand, newest first:\n{}\nthen run `arx-migrate repair --forget {}`",
                                missing.len(),
                                undo.iter()
                                    .map(|e| format!(
                                        "  statement {}: {}{}",
                                        e.number,
                                        e.statement,
                                        match &e.reverse {
                                            Some(reverse) => format!("  (undo: {reverse})"),
                                            None => "  (no known reverse)".to_string(),
                                        }
                                    ))
                                    .collect::<Vec<_>>()
                                    .join("\n"),
                                step.revision
                            ),
                        });
                    }
                    if let Some(doubt) = step.stopped_at().filter(|e| e.state == crate::journal::JournalState::Running) {
                        return Err(Error::HalfAppliedRepair {
                            revision: step.revision.clone(),
                            direction: step.direction,
                            reason: format!(
                                "its statement {} was running when the run was killed and may have taken effect: `{}`. Check whether it did and undo it by hand if so; then finish the step with an {} (which runs it again if needed), or undo the rest by hand and run `arx-migrate repair --forget {}`",
                                doubt.number, doubt.first_line(), step.direction, step.revision
                            ),
                        });
                    }
                    for entry in undo {
                        let Some(reverse) = &entry.reverse else { continue };
                        connection.execute(reverse).map_err(|source| {
                            Error::Statement(Box::new(crate::error::StatementFailure {
                                revision: step.revision.clone(),
                                direction: step.direction,
                                statement: reverse.clone(),
                                source,
                                rolled_back: false,
                                hint: Some(format!(
                                    "this undoes statement {} of the half-applied revision; the reverses run before it stay applied and its journal is kept: fix the cause and run `repair --roll-back {}` again, or undo the rest by hand and `repair --forget {}`",
                                    entry.number, step.revision, step.revision
                                )),
                            }))
                        })?;
                        // Written down as it goes, so that a second attempt
                        // does not undo it twice.
                        book.set_state(connection, &step.revision, step.direction, entry.number, crate::journal::JournalState::Failed, Some("undone by repair --roll-back"))?;
                        report.reversed.push(reverse.clone());
                    }
                    (heads.clone(), format!("rolled back the half-applied {} ({} statement(s) undone)", step.direction, report.reversed.len()))
                }
                HalfAppliedRepair::Forget => (
                    heads.clone(),
                    format!("forgot the journal of the half-applied {} (undone by hand)", step.direction),
                ),
            };
            env.in_transaction(connection, |connection| {
                store.ensure_tables(connection)?;
                store.set_heads(connection, &heads, &after)?;
                book.forget(connection, &step.revision, step.direction)?;
                if let Some(marker) = store.started_marker(connection, &step.revision, step.direction.into())? {
                    store.finish_record(
                        connection,
                        marker,
                        &Finished {
                            outcome: HistoryOutcome::Interrupted,
                            duration: Duration::ZERO,
                            checksum: None,
                            message: Some(&message),
                            sizes: None,
                        },
                    )?;
                }
                store.record(
                    connection,
                    &StepRecord {
                        revision: &step.revision,
                        operation,
                        checksum: None,
                        started_at: SystemTime::now(),
                        duration: Some(Duration::ZERO),
                        outcome: HistoryOutcome::Ok,
                        message: Some(message.clone()),
                        sizes: None,
                    },
                )
                .map(|_| ())
            })?;
            report.heads_after = after;
            Ok(report)
        })
    }

    /// The version rows after `step` is taken from `heads`.
    fn heads_after_step(&self, heads: &[String], step: &HalfApplied) -> Result<Vec<String>> {
        let plan = match step.direction {
            Direction::Upgrade => self
                .graph
                .plan_upgrade(heads, &Target::Revision(step.revision.clone()))?,
            _ => self.graph.plan_downgrade(
                heads,
                &Target::Relative {
                    from: Some(step.revision.clone()),
                    steps: -1,
                },
            )?,
        };
        match plan.first() {
            Some(first) if first.revision() == step.revision && first.direction == step.direction => {
                Ok(first.heads_after.clone())
            }
            _ => Err(Error::HalfAppliedRepair {
                revision: step.revision.clone(),
                direction: step.direction,
                reason: format!(
                    "the database is at [{}], from where the {} of {} is not the next step; settle the revisions before it first",
                    heads.join(", "),
                    step.direction,
                    step.revision
                ),
            }),
        }
    }
}

/// The half-applied step `revision` names (an id or a unique prefix).
fn pick(steps: Vec<HalfApplied>, revision: &str) -> Result<HalfApplied> {
    let listed = || {
        if steps.is_empty() {
            "no revision is half-applied".to_string()
        } else {
            format!(
                "the half-applied revisions are {}",
                steps
                    .iter()
                    .map(|s| format!("{} ({})", s.revision, s.direction))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    let matching: Vec<&HalfApplied> = steps
        .iter()
        .filter(|s| s.revision == revision || s.revision.starts_with(revision))
        .collect();
    let exact = matching.iter().find(|s| s.revision == revision);
    match (exact, matching.as_slice()) {
        (Some(step), _) | (None, [step]) => Ok((*step).clone()),
        _ => Err(Error::InvalidTarget {
            target: revision.to_string(),
            reason: format!("it names no half-applied revision (or several): {}; `arx-migrate status` shows them", listed()),
        }),
    }
}

/// A failed journalled step's error, saying that the applied statements
/// are recorded and how to go on.
fn half_applied_hint(error: Error) -> Error {
    match error {
        Error::Statement(mut failure) => {
            failure.rolled_back = false;
            failure.hint = Some(format!(
                "MariaDB and MySQL commit DDL as it runs: the statements of revision {} before this one stay applied, and each is recorded in the journal. Fix this statement and run again: the run resumes at it. Or settle the revision with `arx-migrate repair --mark-applied {}` or `--roll-back {}` (`arx-migrate status` shows where it stands)",
                failure.revision, failure.revision, failure.revision
            ));
            Error::Statement(failure)
        }
        other => other,
    }
}
