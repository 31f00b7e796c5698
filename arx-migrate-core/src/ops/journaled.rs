//! Running a statement under the journal of half-applied revisions
//! (MariaDB and MySQL, where DDL commits by itself): skipped when an
//! earlier run applied it unchanged, otherwise run and recorded.
//!
//! A data change (`INSERT`, `UPDATE`, `DELETE`, `REPLACE`) shares one
//! transaction with its journal row: both commit or neither. Any other
//! statement commits by itself, so its row is written `running` before it
//! is sent and `applied` after. A run killed between the two leaves the
//! statement in doubt: the rerun runs it again, and an error that says it
//! is already done ([`ALREADY_DONE`]: the table exists, the column exists,
//! …) counts as done.

use super::context::{Ops, Sink};
use crate::error::{Error, Result};
use crate::journal::book::Written;
use crate::journal::{reverse::reverse_of, statement_checksum, JournalState};

/// MySQL error numbers that, for a statement left in doubt by a killed
/// run, say it took effect: 1050 table exists, 1060 duplicate column,
/// 1061 duplicate key name, 1091 cannot drop (does not exist), 1051
/// unknown table (dropped), 1359 trigger exists, 1360 no such trigger,
/// 1826 duplicate foreign key name.
pub(crate) const ALREADY_DONE: [&str; 8] = [
    "1050", "1060", "1061", "1091", "1051", "1359", "1360", "1826",
];

/// Whether a statement changes rows only (and so can share a
/// transaction with its journal row).
fn is_data_change(sql: &str) -> bool {
    let first = sql
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    ["INSERT", "UPDATE", "DELETE", "REPLACE"]
        .iter()
        .any(|word| first.eq_ignore_ascii_case(word))
}

impl Ops<'_> {
    /// Runs `sql` under the journal; `reverse`: its reverse as the
    /// migration named it (else read from its text).
    pub(super) fn execute_journaled(&mut self, sql: String, reverse: Option<String>) -> Result<()> {
        let Some(journal) = self.journal.as_mut() else {
            return self.execute_with_retries(sql);
        };
        let number = journal.next_number();
        let checksum = statement_checksum(&sql);
        let earlier = journal.recorded(number).cloned();
        let journal = journal.clone();
        let mut in_doubt = false;
        if let Some(entry) = &earlier {
            match entry.state {
                JournalState::Applied if entry.checksum == checksum => {
                    tracing::debug!(revision = %self.revision, statement = number, "applied by an earlier run; skipped");
                    return Ok(());
                }
                JournalState::Applied => {
                    return Err(Error::JournalMismatch {
                        revision: self.revision.clone(),
                        direction: self.direction,
                        number,
                        recorded: entry.statement.clone(),
                        current: sql,
                    })
                }
                JournalState::Running => in_doubt = true,
                JournalState::Failed => {}
            }
        }
        let reverse = reverse.or_else(|| reverse_of(&sql));
        let row = Written {
            revision: &journal.revision,
            direction: journal.direction,
            number,
            checksum: &checksum,
            statement: &sql,
            reverse: reverse.as_deref(),
            state: JournalState::Running,
            error: None,
        };
        let applied = Written {
            state: JournalState::Applied,
            ..row
        };
        let Sink::Live(connection) = &mut self.sink else {
            return Ok(());
        };
        if is_data_change(&sql) {
            // The statement and its row commit together.
            connection
                .execute("START TRANSACTION")
                .map_err(|e| self.statement_error("START TRANSACTION".into(), e))?;
            let Sink::Live(connection) = &mut self.sink else {
                return Ok(());
            };
            if let Err(source) = connection.execute(&sql) {
                let _ = connection.execute("ROLLBACK");
                let error = self.statement_error(sql.clone(), source);
                self.journal_failure(&row, &error);
                return Err(error);
            }
            journal.book.write(&mut **connection, &applied)?;
            return connection
                .execute("COMMIT")
                .map_err(|e| self.statement_error("COMMIT".into(), e));
        }
        if !in_doubt {
            journal.book.write(&mut **connection, &row)?;
        }
        match self.execute_with_retries(sql.clone()) {
            Ok(()) => {}
            Err(Error::Statement(failure))
                if in_doubt
                    && failure
                        .source
                        .code
                        .as_deref()
                        .is_some_and(|code| ALREADY_DONE.contains(&code)) =>
            {
                tracing::warn!(
                    revision = %self.revision,
                    statement = number,
                    error = %failure.source,
                    "a statement a killed run left in doubt had taken effect; counted as applied"
                );
            }
            Err(error) => {
                self.journal_failure(&row, &error);
                return Err(error);
            }
        }
        let Sink::Live(connection) = &mut self.sink else {
            return Ok(());
        };
        journal.book.write(&mut **connection, &applied)
    }

    /// Records a statement's failure; best effort: the statement's own
    /// error is what the run reports.
    fn journal_failure(&mut self, row: &Written<'_>, error: &Error) {
        let text = error_text(error);
        let failed = Written {
            state: JournalState::Failed,
            error: Some(&text),
            ..*row
        };
        let (Some(journal), Sink::Live(connection)) = (&self.journal, &mut self.sink) else {
            return;
        };
        if let Err(error) = journal.book.write(&mut **connection, &failed) {
            tracing::warn!(%error, "could not record the failed statement in the journal");
        }
    }
}

/// The server's message of a failed statement, for the journal.
fn error_text(error: &Error) -> String {
    match error {
        Error::Statement(failure) => match &failure.source.code {
            Some(code) => format!("{} ({code})", failure.source.message),
            None => failure.source.message.clone(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::is_data_change;

    #[test]
    fn data_changes_are_told_from_ddl() {
        assert!(is_data_change("  insert into a values (1)"));
        assert!(is_data_change("UPDATE a SET b = 1"));
        assert!(!is_data_change("CREATE TABLE a (id INT)"));
        assert!(!is_data_change("ALTER TABLE a ADD COLUMN b INT"));
    }
}
