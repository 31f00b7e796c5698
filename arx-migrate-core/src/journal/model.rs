//! What the journal holds: one entry per statement of a half-applied
//! revision, and the ways to repair such a revision.

use crate::direction::Direction;

/// The name of the journal table, next to the version table; shared by
/// migration sets, told apart by the version table's name.
pub const JOURNAL_TABLE: &str = "arx_migrate_journal";

/// How far one statement of a journalled revision got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalState {
    /// Sent to the server and not (yet) known to be done: the run was
    /// killed while it ran, or between its end and its journal row. It may
    /// or may not have taken effect.
    Running,
    /// Done, and committed.
    Applied,
    /// The server refused it; it did not take effect.
    Failed,
}

impl JournalState {
    /// The word stored in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            JournalState::Running => "running",
            JournalState::Applied => "applied",
            JournalState::Failed => "failed",
        }
    }

    /// The state a stored word stands for.
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "running" => Some(JournalState::Running),
            "applied" => Some(JournalState::Applied),
            "failed" => Some(JournalState::Failed),
            _ => None,
        }
    }
}

/// One statement of a half-applied revision, as the journal holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// Its place in the revision, counting from 1.
    pub number: u32,
    /// The checksum of its canonical text ([`statement_checksum`]).
    pub checksum: String,
    /// Its text (the first 4000 characters).
    pub statement: String,
    /// The statement that undoes it, where one is known.
    pub reverse: Option<String>,
    /// How far it got.
    pub state: JournalState,
    /// The server's error, for a failed statement.
    pub error: Option<String>,
    /// When it was last written (UTC, RFC 3339).
    pub updated_at: String,
}

impl JournalEntry {
    /// The first line of the statement, for one-line reports.
    pub fn first_line(&self) -> &str {
        self.statement
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .unwrap_or("")
    }
}

/// A revision whose statements were applied only in part: a run failed
/// or was killed after some of them committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HalfApplied {
    /// The revision.
    pub revision: String,
    /// What the run was doing.
    pub direction: Direction,
    /// Its journal, in statement order.
    pub statements: Vec<JournalEntry>,
}

impl HalfApplied {
    /// The statements that are applied, in order.
    pub fn applied(&self) -> impl DoubleEndedIterator<Item = &JournalEntry> {
        self.statements
            .iter()
            .filter(|entry| entry.state == JournalState::Applied)
    }

    /// The statement the run stopped at: the one that failed, or the one
    /// that was running when the run was killed; `None` when the run was
    /// killed between two statements.
    pub fn stopped_at(&self) -> Option<&JournalEntry> {
        self.statements
            .iter()
            .find(|entry| entry.state != JournalState::Applied)
    }

    /// The number of the first statement a rerun runs.
    pub fn resumes_at(&self) -> u32 {
        self.applied().map(|entry| entry.number).max().unwrap_or(0) + 1
    }

    /// One line saying where the revision stands: how many statements are
    /// applied, where it stopped, and why.
    pub fn summary(&self) -> String {
        let applied = self.applied().count();
        let stop = match self.stopped_at() {
            Some(entry) => match (&entry.state, &entry.error) {
                (JournalState::Failed, Some(error)) => format!(
                    "; statement {} failed: {} ({})",
                    entry.number,
                    entry.first_line(),
                    error
                ),
                _ => format!(
                    "; statement {} was running when the run stopped, and may have taken effect: {}",
                    entry.number,
                    entry.first_line()
                ),
            },
            None => format!(
                "; the run stopped before statement {}",
                self.resumes_at()
            ),
        };
        format!(
            "revision {} ({}) is half-applied: {applied} statement(s) applied{stop}",
            self.revision, self.direction
        )
    }
}

/// How [`Migrator::repair_half_applied`](crate::Migrator::repair_half_applied)
/// settles a half-applied revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HalfAppliedRepair {
    /// Record the step as done (the version table moves as if it had
    /// finished) and clear its journal: for when the rest was applied by
    /// hand.
    MarkApplied,
    /// Run the reverse of each applied statement, newest first, then clear
    /// the journal; the version table stays where it was. Refused, with
    /// the statements to undo by hand, when one of them has no reverse.
    RollBack,
    /// Clear the journal only, the version table staying where it was: for
    /// when the applied statements were undone by hand.
    Forget,
}

/// What [`Migrator::repair_half_applied`](crate::Migrator::repair_half_applied) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HalfAppliedReport {
    /// The revision.
    pub revision: String,
    /// The direction of the half-applied step.
    pub direction: Direction,
    /// What was done.
    pub repair: HalfAppliedRepair,
    /// The reverse statements that ran, in the order they ran.
    pub reversed: Vec<String>,
    /// The version table's rows afterwards.
    pub heads_after: Vec<String>,
}

/// The checksum the journal keeps of a statement: SHA-256 of its
/// canonical form ([`canonical_sql`](crate::canonical_sql)), so that
/// reformatting a statement does not read as an edit.
pub fn statement_checksum(sql: &str) -> String {
    let canonical = crate::checksum::canonical_sql(sql);
    crate::checksum::hex(&hmac_sha256::Hash::hash(canonical.as_bytes()))
}
