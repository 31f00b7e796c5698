//! Watching runs in production: [`Hooks`] called around each run and
//! step, and (feature `metrics`) counters, histograms and gauges through
//! the `metrics` facade crate, named in [`metrics`]. Both are fed from the
//! points where the runner reports its progress, whatever the backend.
//!
//! The guide, with the Prometheus exporter and the command line's hooks,
//! is `docs/observability.md`.

mod hooks;
pub mod metrics;
pub(crate) mod observer;

pub use hooks::{HookError, Hooks, RunInfo};
