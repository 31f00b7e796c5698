//! The generated migration as data: what the writers (`rust`, `sql`)
//! write and what lint and the chain read.

use super::plan::Step;
use arx_migrate_core::Backend;

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
}
