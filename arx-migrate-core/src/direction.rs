//! Which way a step moves the database.

use std::fmt;

/// Which way a step moves the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Direction {
    /// Applying a revision.
    Upgrade,
    /// Reverting a revision.
    Downgrade,
}

impl Direction {
    /// The word stored in the history table and printed in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Upgrade => "upgrade",
            Direction::Downgrade => "downgrade",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
