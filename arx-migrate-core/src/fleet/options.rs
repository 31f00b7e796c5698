//! How a fleet run proceeds: how many targets at once, the canary, and
//! whether the first failure stops it.

/// How a fleet run proceeds. Built from [`Options::new`] (one target at a
/// time, no canary, every target tried):
///
/// ```
/// use arx_migrate_core::fleet::Options;
/// let options = Options::new().jobs(8).canary(5).fail_fast(true);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub(super) jobs: usize,
    pub(super) canary: usize,
    pub(super) fail_fast: bool,
}

impl Options {
    /// One target at a time, no canary, and a failure stops nothing.
    pub fn new() -> Self {
        Options {
            jobs: 1,
            canary: 0,
            fail_fast: false,
        }
    }

    /// How many targets are worked on at once: one thread each, with its
    /// own state (its connection). 0 counts as 1.
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self
    }

    /// The first `canary` targets run first (up to `jobs` at once); if any
    /// of them fails, no other target is started.
    pub fn canary(mut self, canary: usize) -> Self {
        self.canary = canary;
        self
    }

    /// Start no further target once one has failed (those running
    /// finish); the rest are [`Outcome::Skipped`](super::Outcome::Skipped).
    pub fn fail_fast(mut self, fail_fast: bool) -> Self {
        self.fail_fast = fail_fast;
        self
    }
}

impl Default for Options {
    fn default() -> Self {
        Options::new()
    }
}
