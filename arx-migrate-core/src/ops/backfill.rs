//! [`Ops::backfill`]: a durable batched backfill, run by the runner's
//! connection outside any transaction.

use super::context::{Ops, RunnerContext, Sink};
use crate::backfill::{run_backfill, Backfill, BatchesRun};
use crate::error::{Error, Result};
use crate::not_api::text::quote_ident;
use crate::runner::Progress;

impl<'a> Ops<'a> {
    /// Lends the runner's bookkeeping to backfills (the progress callback
    /// comes with the live settings).
    pub(crate) fn with_runner(mut self, runner: RunnerContext) -> Self {
        self.runner = Some(runner);
        self
    }

    /// Updates a table in batches, each in its own short transaction
    /// together with the position it reached (see [`Backfill`]). Killed
    /// and run again, the upgrade resumes after the last committed batch.
    ///
    /// It runs only in a non-transactional migration (`transactional =
    /// false`): inside a transaction the batches could not commit. Offline
    /// it renders nothing (lint, `show`); an `--sql` script cannot carry
    /// it. The backfill's definition is part of the revision's checksum.
    ///
    /// ```
    /// # extern crate arx_migrate_core as arx_migrate;
    /// use arx_migrate::{Backfill, FnMigration, Ops, Result};
    ///
    /// fn upgrade(op: &mut Ops) -> Result<()> {
    ///     op.backfill(Backfill::new("rooms").set("area_m2", "width_m * depth_m").where_("area_m2 IS NULL"))
    /// }
    /// let areas = FnMigration::new("r2", &["r1"], upgrade, |_| Ok(())).non_transactional();
    /// # let _ = areas;
    /// ```
    pub fn backfill(&mut self, backfill: Backfill) -> Result<()> {
        self.not_on_mysql_yet("backfill")?;
        self.checksum.add_statement(&describe(&backfill));
        if self.in_transaction {
            return Err(Error::Migration {
                revision: self.revision.clone(),
                direction: self.direction,
                message: format!(
                    "backfill {} commits each batch on its own, which a transactional migration cannot do; make the migration non-transactional (`#[migration(transactional = false)]`, `FnMigration::non_transactional`), in a revision of its own",
                    backfill.name()
                ),
            });
        }
        self.flush()?;
        match &mut self.sink {
            Sink::Record(_) => Ok(()),
            Sink::Script(_) => Err(Error::NeedsConnection {
                revision: self.revision.clone(),
            }),
            Sink::Live(connection) => {
                let Some(runner) = self.runner.as_mut() else {
                    return Err(Error::Internal {
                        message: format!(
                            "backfill {} in revision {}: this Ops was made without the runner's bookkeeping",
                            backfill.name(),
                            self.revision
                        ),
                    });
                };
                self.backfills_run += 1;
                let mut unobserved = |_: Progress<'_>| {};
                let progress: &mut dyn FnMut(Progress<'_>) = match self.progress.as_mut() {
                    Some(progress) => &mut **progress,
                    None => &mut unobserved,
                };
                run_backfill(
                    BatchesRun {
                        connection: &mut **connection,
                        book: &runner.book,
                        revision: &self.revision,
                        direction: self.direction,
                        progress,
                    },
                    &backfill,
                )
            }
        }
    }

    /// How many backfills the migration ran.
    pub(crate) fn backfills_run(&self) -> usize {
        self.backfills_run
    }
}

/// What the checksum records of a backfill: its UPDATE and its key.
fn describe(backfill: &Backfill) -> String {
    let sets: Vec<String> = backfill
        .sets
        .iter()
        .map(|(column, expression)| format!("{} = {expression}", quote_ident(column)))
        .collect();
    let filter = backfill
        .filter
        .as_deref()
        .map(|filter| format!(" WHERE {filter}"))
        .unwrap_or_default();
    format!(
        "/* backfill {} along {} */ UPDATE {} SET {}{filter}",
        backfill.name(),
        backfill.key.as_deref().unwrap_or("the primary key"),
        quote_ident(&backfill.table),
        sets.join(", ")
    )
}
