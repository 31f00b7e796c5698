//! Waiting for a lock: one attempt after another, backing off, reporting
//! who holds it while the run waits, until `lock_wait` runs out. The run
//! lock and SQLite's write lock are both taken through it.

use std::time::{Duration, Instant};

use crate::backend::Connection;
use crate::error::{DbError, Error, Result};
use crate::lock::{LockHolder, LockWait};
use crate::runner::Progress;

/// When the first report of a wait goes out: short waits stay quiet.
const FIRST_REPORT: Duration = Duration::from_secs(1);
/// How often a wait is reported after that.
const REPORT_EVERY: Duration = Duration::from_secs(5);
/// The longest pause between two attempts.
const LONGEST_PAUSE: Duration = Duration::from_millis(250);

/// How to take one lock: one attempt that does not block for long, and
/// who holds it when the attempt fails.
pub(super) trait Attempt {
    /// Tries once; `Ok(false)` when someone else holds the lock.
    fn try_once(&mut self, connection: &mut dyn Connection) -> Result<bool, DbError>;
    /// Who holds the lock, where the database tells.
    fn holder(&mut self, connection: &mut dyn Connection) -> Result<Option<LockHolder>, DbError>;
}

/// Tries `attempt` until it succeeds or `limit` has passed, backing off
/// between attempts. While it waits it reports the lock's holder, first
/// after a second and then every few seconds; past `limit` it fails with
/// [`Error::LockTimeout`] naming the holder.
pub(super) fn wait_for(
    connection: &mut dyn Connection,
    lock: &str,
    limit: Duration,
    attempt: &mut dyn Attempt,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<()> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    let mut next_report = FIRST_REPORT.min(limit);
    loop {
        if attempt.try_once(connection).map_err(Error::Database)? {
            if started.elapsed() >= FIRST_REPORT {
                tracing::info!(
                    lock,
                    waited_ms = started.elapsed().as_millis() as u64,
                    "lock taken"
                );
            }
            return Ok(());
        }
        let waited = started.elapsed();
        // Checked before the limit, so that a wait that runs out has been
        // reported at least once.
        if waited >= next_report {
            let wait = LockWait {
                lock: lock.to_string(),
                waited,
                limit,
                holder: holder(connection, attempt),
            };
            tracing::info!(lock, waited_ms = waited.as_millis() as u64, "{wait}");
            progress(Progress::Waiting(&wait));
            next_report = waited + REPORT_EVERY;
        }
        if waited >= limit {
            return Err(Error::LockTimeout {
                what: lock.to_string(),
                waited_ms: waited.as_millis(),
                holder: holder(connection, attempt).map(Box::new),
            });
        }
        std::thread::sleep(pause.min(limit - waited));
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// The holder, or `None` when looking it up fails (it is only a report).
fn holder(connection: &mut dyn Connection, attempt: &mut dyn Attempt) -> Option<LockHolder> {
    attempt.holder(connection).unwrap_or_else(|error| {
        tracing::debug!(%error, "cannot tell who holds the lock");
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Never(usize);

    impl Attempt for Never {
        fn try_once(&mut self, _: &mut dyn Connection) -> Result<bool, DbError> {
            self.0 += 1;
            Ok(false)
        }
        fn holder(&mut self, _: &mut dyn Connection) -> Result<Option<LockHolder>, DbError> {
            Ok(Some(LockHolder {
                pid: 7,
                ..LockHolder::default()
            }))
        }
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn a_wait_that_runs_out_was_reported_and_names_the_holder() {
        let mut connection = rusqlite::Connection::open_in_memory().unwrap();
        let mut reports = Vec::new();
        let mut attempt = Never(0);
        let error = wait_for(
            &mut connection,
            "the test lock",
            Duration::from_millis(30),
            &mut attempt,
            &mut |event| {
                if let Progress::Waiting(wait) = event {
                    reports.push(wait.to_string());
                }
            },
        )
        .unwrap_err();
        assert!(attempt.0 > 1);
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert!(reports[0].contains("held by pid 7"), "{reports:?}");
        let message = error.to_string();
        assert!(
            message.contains("the test lock") && message.contains("pid 7"),
            "{message}"
        );
        assert!(message.contains("lock_wait"), "{message}");
    }
}
