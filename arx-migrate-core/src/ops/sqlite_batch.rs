//! The SQLite alterations of a migration, queued per table and made
//! together: by SQLite's own `ALTER TABLE` when every one of them has a
//! native statement and SQLite takes them, else by one rebuild of the
//! table ([`super::sqlite_rebuild`]). A table's queue is emptied when the
//! migration function returns, or just before a statement that names the
//! table, so that every statement sees the tables as the migration has
//! altered them so far.
//!
//! Offline, nothing is queued: each alteration is recorded as the ALTER
//! statement it stands for (lint, checksums, `show`), or, in a script to
//! run elsewhere (`upgrade --sql`), written out when SQLite can run it as
//! it is, and refused when only a rebuild can make it.

use super::context::{Ops, PendingTable, Sink};
use super::sqlite_rebuild::{self, RebuildError, TableChange};
use super::sqlite_tokens::mentions;
use crate::error::{Error, Result};
use crate::not_api::text::quote_ident;

/// The comment line before an alteration that Ops may make by rebuilding
/// the table, in what it records offline.
const REBUILD_MARK: &str = "-- SQLite: done by rebuilding table";

/// How an SQLite alteration can be made.
pub(super) enum Native {
    /// By this statement, always.
    Certain(String),
    /// By this statement, unless what the table holds forbids it (then by
    /// a rebuild).
    Attempt(String),
    /// Only by a rebuild.
    Never,
}

impl Ops<'_> {
    /// Records, scripts or queues one SQLite alteration of `table`.
    /// `intent` is the ALTER statement it stands for: the checksum and the
    /// recorded SQL, live or offline alike.
    pub(super) fn alter_sqlite(
        &mut self,
        table: &str,
        operation: &str,
        intent: String,
        change: TableChange,
        native: Native,
    ) -> Result<()> {
        // `lint` reads the mark and judges the statement as what Ops does,
        // not as SQLite's own ALTER TABLE (arx-migrate-verify, lint/allow.rs).
        let recorded = match &native {
            Native::Certain(_) => intent.clone(),
            Native::Attempt(_) => format!(
                "{REBUILD_MARK} {} where its own ALTER TABLE cannot\n{intent}",
                quote_ident(table)
            ),
            Native::Never => format!("{REBUILD_MARK} {}\n{intent}", quote_ident(table)),
        };
        match &mut self.sink {
            Sink::Record(statements) => {
                self.checksum.add_statement(&recorded);
                statements.push(recorded);
                return Ok(());
            }
            Sink::Script(statements) => {
                let sql = match native {
                    Native::Certain(sql) => sql,
                    Native::Attempt(sql) => format!(
                        "-- SQLite refuses this when an index, key, CHECK, view or trigger uses the column; `upgrade` without --sql rebuilds the table then\n{sql}"
                    ),
                    Native::Never => {
                        return Err(self.unsupported(
                            operation,
                            format!("SQLite's ALTER TABLE cannot do this, so `upgrade` rebuilds table {table} from its live definition, which an offline script cannot read; run the upgrade against the database (without --sql), or write the rebuild as SQL with op.sqlite(…)"),
                        ))
                    }
                };
                self.checksum.add_statement(&recorded);
                statements.push(sql);
                return Ok(());
            }
            Sink::Live(_) => {}
        }
        self.checksum.add_statement(&recorded);
        self.statements_run += 1;
        tracing::debug!(revision = %self.revision, table, statement = %intent, "queued for the table");
        self.flush_tables_named_in(&intent, Some(table))?;
        let position = self
            .tables
            .iter()
            .position(|pending| pending.table.eq_ignore_ascii_case(table));
        let pending = match position {
            Some(i) => &mut self.tables[i],
            None => {
                self.note_touch(super::touched::Touch::Table(None, table.to_string()));
                self.tables.push(PendingTable {
                    table: table.to_string(),
                    changes: Vec::new(),
                    native: Some(Vec::new()),
                });
                self.tables.last_mut().expect("just pushed")
            }
        };
        pending.changes.push(change);
        pending.native = match (pending.native.take(), native) {
            (Some(mut statements), Native::Certain(sql) | Native::Attempt(sql)) => {
                statements.push(sql);
                Some(statements)
            }
            _ => None,
        };
        Ok(())
    }

    /// Makes the queued alterations of every table that `sql` names
    /// (other than `except`) before `sql` runs.
    pub(super) fn flush_tables_named_in(&mut self, sql: &str, except: Option<&str>) -> Result<()> {
        let mut i = 0;
        while i < self.tables.len() {
            let table = &self.tables[i].table;
            let excepted = except.is_some_and(|e| e.eq_ignore_ascii_case(table));
            if !excepted && mentions(sql, table) {
                let pending = self.tables.remove(i);
                self.alter_sqlite_table(pending)?;
            } else {
                i += 1;
            }
        }
        Ok(())
    }

    /// Makes one table's queued alterations: natively when each has a
    /// native statement and SQLite takes them, else by one rebuild.
    pub(super) fn alter_sqlite_table(&mut self, pending: PendingTable) -> Result<()> {
        self.send_pending()?;
        let Sink::Live(connection) = &mut self.sink else {
            return Ok(());
        };
        if let Some(statements) = &pending.native {
            let batch = format!(
                "SAVEPOINT arx_migrate_native;\n{};\nRELEASE SAVEPOINT arx_migrate_native",
                statements.join(";\n")
            );
            match connection.execute(&batch) {
                Ok(()) => return Ok(()),
                Err(error) => {
                    let _ = connection.execute(
                        "ROLLBACK TO SAVEPOINT arx_migrate_native; RELEASE SAVEPOINT arx_migrate_native",
                    );
                    tracing::debug!(table = %pending.table, %error, "SQLite's ALTER TABLE refused; rebuilding");
                }
            }
        }
        let started = std::time::Instant::now();
        let outcome = sqlite_rebuild::rebuild(&mut **connection, &pending.table, &pending.changes);
        tracing::debug!(table = %pending.table, changes = pending.changes.len(), elapsed_ms = started.elapsed().as_secs_f64() * 1000.0, "rebuilt");
        outcome.map_err(|error| match error {
            RebuildError::Refused(reason) => Error::Alteration {
                revision: self.revision.clone(),
                direction: self.direction,
                table: pending.table.clone(),
                reason,
            },
            RebuildError::Statement { sql, source } => {
                let mut error = self.statement_error(sql, source);
                if let Error::Statement(failure) = &mut error {
                    failure.hint = Some(format!(
                        "while rebuilding SQLite table {} for its alterations; the table was left as it was",
                        pending.table
                    ));
                }
                error
            }
        })
    }
}
