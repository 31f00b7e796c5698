//! The run lock as data: its identity (one lock per database schema and
//! version table, so two migration sets in one database do not block each
//! other while two replicas of one service do), who holds it, and a wait
//! in progress. Waiting for it is the runner's (`runner::lock_wait`).

use std::fmt;
use std::time::Duration;

use crate::not_api::text::{abbreviate, one_line};

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
/// waits (through `tracing` and [`Progress::Waiting`](crate::Progress::Waiting)).
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
}
