//! The run lock: its identity (one lock per database schema and version
//! table, so two migration sets in one database do not block each other
//! while two replicas of one service do), who holds it, and waiting for it.

use std::fmt;
use std::time::{Duration, Instant};

use crate::backend::Connection;
use crate::error::{DbError, Error, Result};
use crate::runner::Progress;
use crate::text::{abbreviate, one_line};

/// The advisory-lock key for a version table in a schema: the first eight
/// bytes of a SHA-256 of both names, stable across versions and platforms.
pub fn lock_key(schema: &str, version_table: &str) -> i64 {
    let digest =
        hmac_sha256::Hash::hash(format!("arx-migrate\0{schema}\0{version_table}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Who holds a lock that a run waits for, as far as the database tells:
/// on PostgreSQL the session from `pg_stat_activity` and `pg_locks`, on
/// SQLite (Linux) the process from `/proc/locks`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockHolder {
    /// The process id: the server process on PostgreSQL (what
    /// `pg_terminate_backend` takes), the client process on SQLite.
    pub pid: i64,
    /// Whether the holder is this very process (another connection of it).
    pub this_process: bool,
    /// The PostgreSQL session's `application_name`, or the SQLite holder's
    /// executable name.
    pub program: Option<String>,
    /// The database user.
    pub user: Option<String>,
    /// The client's address.
    pub client: Option<String>,
    /// When the session connected (UTC).
    pub connected_at: Option<String>,
    /// `active`, `idle`, `idle in transaction`, ….
    pub state: Option<String>,
    /// How long the session has been in that state.
    pub state_for: Option<Duration>,
    /// What it is waiting for, if anything (`Lock/relation`).
    pub waiting_on: Option<String>,
    /// Its current or last statement, shortened; `None` when the database
    /// does not show it to us or it mentions a password.
    pub statement: Option<String>,
    /// What to do when the holder is stuck (`end it with SELECT
    /// pg_terminate_backend(4242)`).
    pub if_stuck: Option<String>,
}

impl LockHolder {
    /// Keeps a statement for display: one line, at most 200 characters,
    /// and nothing of a statement that mentions a password.
    pub fn statement_text(statement: &str) -> Option<String> {
        let line = one_line(statement);
        if line.is_empty() || line.starts_with('<') {
            // Empty, or `<insufficient privilege>`.
            return None;
        }
        if line.to_ascii_lowercase().contains("password") {
            return Some("(a statement that mentions a password)".to_string());
        }
        Some(abbreviate(&line, 200))
    }
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.this_process {
            write!(f, "another connection of this process (pid {})", self.pid)?;
        } else {
            write!(f, "pid {}", self.pid)?;
        }
        if let Some(program) = self.program.as_deref().filter(|p| !p.is_empty()) {
            write!(f, ", {program:?}")?;
        }
        if let Some(user) = &self.user {
            write!(f, ", user {user}")?;
        }
        if let Some(client) = &self.client {
            write!(f, ", from {client}")?;
        }
        if let Some(connected_at) = &self.connected_at {
            write!(f, ", connected at {connected_at}")?;
        }
        if let Some(state) = &self.state {
            write!(f, ", {state}")?;
            if let Some(state_for) = self.state_for {
                write!(f, " for {}", seconds(state_for))?;
            }
        }
        if let Some(waiting_on) = &self.waiting_on {
            write!(f, ", waiting on {waiting_on}")?;
        }
        if let Some(statement) = &self.statement {
            write!(f, ": {statement}")?;
        }
        Ok(())
    }
}

/// A run waiting for a lock, reported at most every few seconds while it
/// waits (through `tracing` and [`Progress::Waiting`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockWait {
    /// The lock (`the migration lock on public.arx_migrate_version`).
    pub lock: String,
    /// How long the run has waited so far.
    pub waited: Duration,
    /// How long it waits in all (`lock_wait`).
    pub limit: Duration,
    /// Who holds the lock, where the database tells.
    pub holder: Option<LockHolder>,
}

impl fmt::Display for LockWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "waiting for {} ({} of at most {})",
            self.lock,
            seconds(self.waited),
            seconds(self.limit)
        )?;
        match &self.holder {
            Some(holder) => write!(f, "; held by {holder}"),
            None => f.write_str("; another process holds it"),
        }
    }
}

/// `0.4 s`, `12 s`, `600 s`.
fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 10.0 {
        format!("{secs:.1} s")
    } else {
        format!("{secs:.0} s")
    }
}

/// When the first report of a wait goes out: short waits stay quiet.
const FIRST_REPORT: Duration = Duration::from_secs(1);
/// How often a wait is reported after that.
const REPORT_EVERY: Duration = Duration::from_secs(5);
/// The longest pause between two attempts.
const LONGEST_PAUSE: Duration = Duration::from_millis(250);

/// How to take one lock: one attempt that does not block for long, and
/// who holds it when the attempt fails.
pub(crate) trait Attempt {
    /// Tries once; `Ok(false)` when someone else holds the lock.
    fn try_once(&mut self, connection: &mut dyn Connection) -> Result<bool, DbError>;
    /// Who holds the lock, where the database tells.
    fn holder(&mut self, connection: &mut dyn Connection) -> Result<Option<LockHolder>, DbError>;
}

/// Tries `attempt` until it succeeds or `limit` has passed, backing off
/// between attempts. While it waits it reports the lock's holder, first
/// after a second and then every few seconds; past `limit` it fails with
/// [`Error::LockTimeout`] naming the holder.
pub(crate) fn wait_for(
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

    #[test]
    fn keys_differ_by_schema_and_table_and_are_stable() {
        let key = lock_key("public", "alembic_version");
        assert_eq!(key, lock_key("public", "alembic_version"));
        assert_ne!(key, lock_key("other", "alembic_version"));
        assert_ne!(key, lock_key("public", "arx_migrate_version"));
        // Not ambiguous where names could run together.
        assert_ne!(lock_key("ab", "c"), lock_key("a", "bc"));
    }

    #[test]
    fn a_holder_reads_as_one_line_without_passwords() {
        let holder = LockHolder {
            pid: 4242,
            program: Some("cli_demo upgrade".into()),
            user: Some("app".into()),
            state: Some("active".into()),
            state_for: Some(Duration::from_secs(12)),
            waiting_on: Some("Lock/relation".into()),
            statement: LockHolder::statement_text("ALTER TABLE items\n  ADD COLUMN x int"),
            ..LockHolder::default()
        };
        assert_eq!(
            holder.to_string(),
            "pid 4242, \"cli_demo upgrade\", user app, active for 12 s, waiting on Lock/relation: ALTER TABLE items ADD COLUMN x int"
        );
        assert_eq!(
            LockHolder::statement_text("ALTER ROLE app PASSWORD 'hunter2'").unwrap(),
            "(a statement that mentions a password)"
        );
        assert_eq!(LockHolder::statement_text("<insufficient privilege>"), None);
        assert!(
            LockHolder::statement_text(&"x".repeat(10_000))
                .unwrap()
                .len()
                < 300
        );
    }

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
