//! The generated migration as data: what the writers (`rust`, `sql`)
//! write and what lint and the chain read.

use super::call::Call;
use super::plan::Step;
use arx_migrate_core::Backend;

/// How long each statement of a generated PostgreSQL revision that changes
/// existing tables waits for its lock: a statement that waits longer fails
/// rather than queue every query on the table behind it.
pub const GENERATED_LOCK_TIMEOUT: &str = "5s";

/// A generated migration: the steps, in order, and the lint rules it
/// allows.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Its revision id.
    pub revision: String,
    /// The revisions it revises (the head).
    pub down_revisions: Vec<String>,
    /// Its message.
    pub message: String,
    /// The backend whose schemas were compared.
    pub backend: Backend,
    /// The steps.
    pub steps: Vec<Step>,
    /// `(rule, reason)`, sorted by rule.
    pub allow: Vec<(&'static str, &'static str)>,
    /// Whether it runs in one transaction: `false` when a step takes a
    /// safe form on an existing PostgreSQL table (an index built
    /// `CONCURRENTLY`, a constraint validated after its `NOT VALID` add
    /// has committed, `NOT NULL` through a validated check), which needs
    /// each statement to commit on its own.
    pub transactional: bool,
    /// Whether both directions start by setting PostgreSQL's
    /// `lock_timeout` ([`GENERATED_LOCK_TIMEOUT`]): set when it changes a
    /// table an earlier revision created.
    pub lock_timeout: bool,
}

impl Generated {
    /// The call that starts each direction, when [`Generated::lock_timeout`]
    /// is set: `SET LOCAL` inside the transaction, `SET` (for the
    /// session) outside one.
    pub fn lock_timeout_setting(&self) -> Option<Call> {
        self.lock_timeout.then(|| Call::Sql {
            backend: Backend::Postgres,
            sql: format!(
                "SET {}lock_timeout = '{GENERATED_LOCK_TIMEOUT}'",
                if self.transactional { "LOCAL " } else { "" }
            ),
        })
    }
}
