//! Retrying a statement that timed out waiting for a table lock: a short
//! `lock_timeout` keeps a migration from queueing behind a long
//! transaction while every reader queues behind the migration; a bounded
//! number of attempts, with growing, jittered pauses between them, lets it
//! through once the long transaction ends.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use crate::error::Error;

/// How [`Migrator::lock_retries`](crate::Migrator::lock_retries) retries a
/// statement that waited too long for a lock (PostgreSQL).
///
/// Each attempt waits at most [`LockRetry::timeout`] for its lock (the
/// session's `lock_timeout`); after a timeout the run pauses — 100 ms,
/// then doubling, capped at [`LockRetry::max_wait`], each pause between
/// half and all of that at random so that several runners do not retry in
/// step — and tries again, at most [`LockRetry::attempts`] times in all.
/// A transactional step is rolled back and run again whole; in a
/// non-transactional one only the statement that timed out runs again.
///
/// ```
/// use std::time::Duration;
/// use arx_migrate_core::LockRetry;
///
/// let retry = LockRetry::new()
///     .attempts(10)
///     .timeout(Duration::from_millis(500))
///     .max_wait(Duration::from_secs(5));
/// assert_eq!(retry.get_attempts(), 10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockRetry {
    attempts: u32,
    timeout: Duration,
    max_wait: Duration,
}

impl Default for LockRetry {
    fn default() -> Self {
        LockRetry::new()
    }
}

/// The first pause; each later one doubles, up to the cap.
const FIRST_PAUSE: Duration = Duration::from_millis(100);

impl LockRetry {
    /// Five attempts of two seconds each, pauses up to ten seconds.
    pub fn new() -> Self {
        LockRetry {
            attempts: 5,
            timeout: Duration::from_secs(2),
            max_wait: Duration::from_secs(10),
        }
    }

    /// How many times in all a statement (or a transactional step) is
    /// tried; at least one.
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// How long each attempt waits for its lock (PostgreSQL
    /// `lock_timeout`); at least a millisecond.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The longest pause between two attempts.
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// How many times in all a statement is tried.
    pub fn get_attempts(&self) -> u32 {
        self.attempts
    }

    /// How long each attempt waits for its lock.
    pub fn get_timeout(&self) -> Duration {
        self.timeout
    }

    /// The longest pause between two attempts.
    pub fn get_max_wait(&self) -> Duration {
        self.max_wait
    }

    /// The pause after failed attempt `attempt` (1-based): the doubling
    /// backoff, capped, with a random half taken off at most.
    pub(crate) fn pause(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(20);
        let backoff = FIRST_PAUSE
            .saturating_mul(1 << doublings)
            .min(self.max_wait);
        let half = backoff / 2;
        let fraction = (random() % 1_000) as u32;
        half + half * fraction / 1_000
    }
}

/// A random number; jitter needs no more than this.
fn random() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default(),
    );
    hasher.finish()
}

/// One retry, as the run reports it ([`crate::Progress::LockRetry`] and a
/// `tracing` warning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockRetryReport {
    /// The revision whose statement timed out.
    pub revision: String,
    /// The statement that timed out waiting for its lock.
    pub statement: String,
    /// The attempt that failed (1-based).
    pub attempt: u32,
    /// How many attempts are allowed in all.
    pub attempts: u32,
    /// The pause before the next attempt.
    pub pause: Duration,
}

impl LockRetryReport {
    /// Logs the retry.
    pub(crate) fn log(&self) {
        tracing::warn!(
            revision = %self.revision,
            attempt = self.attempt,
            attempts = self.attempts,
            pause_ms = self.pause.as_millis() as u64,
            statement = %self.statement,
            "a statement of revision {} timed out waiting for a lock (attempt {} of {}); retrying in {} ms",
            self.revision,
            self.attempt,
            self.attempts,
            self.pause.as_millis()
        );
    }
}

/// Whether an error is a statement that gave up waiting for a lock
/// (PostgreSQL `lock_not_available`, 55P03).
pub(crate) fn is_lock_timeout(error: &Error) -> bool {
    match error {
        Error::Statement(failure) => failure.source.code.as_deref() == Some("55P03"),
        _ => false,
    }
}

/// The error after the last attempt: says how often and how long it
/// waited, and what to do.
pub(crate) fn gave_up(error: Error, retry: &LockRetry) -> Error {
    let Error::Statement(mut failure) = error else {
        return error;
    };
    failure.hint = Some(format!(
        "gave up after {} attempts, each waiting {} ms for its lock: another transaction holds a conflicting lock on the table. Find it with `SELECT pid, state, xact_start, query FROM pg_stat_activity WHERE pid = ANY(pg_blocking_pids(<pid of the migration>))`, end or wait for it, or allow more attempts (LockRetry::attempts) and run again",
        retry.attempts,
        retry.timeout.as_millis()
    ));
    Error::Statement(failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_cap_and_keep_at_least_half() {
        let retry = LockRetry::new().max_wait(Duration::from_millis(300));
        for (attempt, full) in [(1, 100), (2, 200), (3, 300), (9, 300)] {
            let pause = retry.pause(attempt);
            let full = Duration::from_millis(full);
            assert!(pause >= full / 2 && pause <= full, "{attempt}: {pause:?}");
        }
    }

    #[test]
    fn at_least_one_attempt_and_a_millisecond() {
        let retry = LockRetry::new().attempts(0).timeout(Duration::ZERO);
        assert_eq!(retry.get_attempts(), 1);
        assert_eq!(retry.get_timeout(), Duration::from_millis(1));
    }
}
