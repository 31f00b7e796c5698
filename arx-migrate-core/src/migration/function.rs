//! [`FnMigration`]: a migration made of closures.

use super::definition::Migration;
use crate::error::Result;
use crate::ops::Ops;

/// The closure type of [`FnMigration`]'s upgrade and downgrade.
type MigrationFn = Box<dyn Fn(&mut Ops<'_>) -> Result<()> + Send + Sync>;

/// A migration made of closures, for tests and generated chains.
pub struct FnMigration {
    revision: String,
    parents: Vec<String>,
    labels: Vec<String>,
    depends_on: Vec<String>,
    message: String,
    transactional: bool,
    allowed: Vec<(&'static str, &'static str)>,
    upgrade: MigrationFn,
    downgrade: MigrationFn,
}

impl FnMigration {
    /// A migration `revision` revising `parents`, applying `upgrade` and
    /// reverting with `downgrade`.
    pub fn new(
        revision: impl Into<String>,
        parents: &[&str],
        upgrade: impl Fn(&mut Ops<'_>) -> Result<()> + Send + Sync + 'static,
        downgrade: impl Fn(&mut Ops<'_>) -> Result<()> + Send + Sync + 'static,
    ) -> Self {
        FnMigration {
            revision: revision.into(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            labels: Vec::new(),
            depends_on: Vec::new(),
            message: String::new(),
            transactional: true,
            allowed: Vec::new(),
            upgrade: Box::new(upgrade),
            downgrade: Box::new(downgrade),
        }
    }

    /// Sets the message.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Gives the revision's branch these labels (what
    /// `#[migration(branch_labels = ["billing"])]` does).
    pub fn branch_labels(mut self, labels: &[&str]) -> Self {
        self.labels = labels.iter().map(|l| l.to_string()).collect();
        self
    }

    /// Makes the revision depend on these revisions or branch labels of
    /// other branches (what `#[migration(depends_on = ["b001"])]` does).
    pub fn depends_on(mut self, revisions: &[&str]) -> Self {
        self.depends_on = revisions.iter().map(|r| r.to_string()).collect();
        self
    }

    /// Allows a lint rule for this migration, with the reason (what
    /// `#[migration(allow = ["rule-id: reason"])]` does).
    pub fn allow(mut self, rule: &'static str, reason: &'static str) -> Self {
        self.allowed.push((rule, reason));
        self
    }

    /// Marks the migration as non-transactional.
    pub fn non_transactional(mut self) -> Self {
        self.transactional = false;
        self
    }
}

impl Migration for FnMigration {
    fn revision(&self) -> &str {
        &self.revision
    }
    fn down_revisions(&self) -> Vec<&str> {
        self.parents.iter().map(String::as_str).collect()
    }
    fn branch_labels(&self) -> Vec<&str> {
        self.labels.iter().map(String::as_str).collect()
    }
    fn depends_on(&self) -> Vec<&str> {
        self.depends_on.iter().map(String::as_str).collect()
    }
    fn message(&self) -> &str {
        &self.message
    }
    fn transactional(&self) -> bool {
        self.transactional
    }
    fn allowed_lints(&self) -> &[(&str, &str)] {
        &self.allowed
    }
    fn upgrade(&self, op: &mut Ops<'_>) -> Result<()> {
        (self.upgrade)(op)
    }
    fn downgrade(&self, op: &mut Ops<'_>) -> Result<()> {
        (self.downgrade)(op)
    }
}
