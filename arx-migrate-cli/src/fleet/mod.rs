//! Fleets: one command over many databases or tenant schemas, in
//! parallel, with one report.
//!
//! The engine ([`run`]) is a pool of `jobs` threads, each with state of
//! its own (a connection), that takes targets in order, records an
//! [`Outcome`] per target, isolates failures (or stops at the first, with
//! `fail_fast`) and runs a canary phase first when asked. The `fleet`
//! verb puts it to work on the services of the services file, a list of
//! URLs, or every PostgreSQL schema matching a pattern
//! ([`matching_schemas`], [`enter_schema`]); a program can embed it the
//! same way with its own targets and work.
//!
//! Each target is migrated by [`Migrator`](arx_migrate_core::Migrator) as
//! one database would be: under its own advisory lock (keyed by schema and
//! version table), so two fleet runs, or a fleet run and a service
//! starting up, never apply a revision twice; and through the lock-free
//! fast path, so a rerun skips the targets already at the target with one
//! query each.

pub(crate) mod command;
mod engine;
mod progress;
mod summary;
mod targets;

pub use engine::{run, Event, FleetOptions, Outcome, TargetOutcome, TargetResult};
pub use targets::{
    default_jobs, enter_schema, free_connections, like_pattern, matching_schemas, MAX_DEFAULT_JOBS,
};
