//! The `fleet` verb: one command over many databases or tenant schemas,
//! in parallel, with one report.
//!
//! The engine is `arx_migrate_core::fleet` (workers, fail-fast, canary,
//! a record per target, events); here are what the command line adds to
//! it: the targets from the options (services, a file of URLs, the
//! schemas matching a pattern), the work of each action on one target,
//! the progress display, and the summary as a table or JSON.

pub(crate) mod command;
mod progress;
mod summary;
mod targets;

use arx_migrate_core::fleet::{Panicked, TargetOutcome};

use crate::error::CliError;

/// The record of one target, with the command line's errors.
type Record = TargetOutcome<CliError>;

/// A panic in the work on one target: a bug, reported as such.
impl From<Panicked> for CliError {
    fn from(panicked: Panicked) -> Self {
        CliError::new(
            "internal",
            format!("the work panicked: {}", panicked.message),
        )
        .hint("this is a bug in arx-migrate or in a migration; please report it")
    }
}
