//! Where a running revision stands in its journal: the entries an earlier
//! run left, and the number of the next statement.

use crate::direction::Direction;
use crate::error::{Error, Result};

use super::book::JournalBook;
use super::model::{JournalEntry, JournalState};

/// A revision's journal while its migration function runs.
#[derive(Debug, Clone)]
pub(crate) struct JournalCursor {
    pub(crate) book: JournalBook,
    pub(crate) revision: String,
    pub(crate) direction: Direction,
    /// What an earlier run of this step left, in statement order.
    recorded: Vec<JournalEntry>,
    /// The number of the last statement met.
    last: u32,
}

impl JournalCursor {
    pub(crate) fn new(
        book: JournalBook,
        revision: &str,
        direction: Direction,
        recorded: Vec<JournalEntry>,
    ) -> Self {
        JournalCursor {
            book,
            revision: revision.to_string(),
            direction,
            recorded,
            last: 0,
        }
    }

    /// The number of the statement now met (counting from 1).
    pub(crate) fn next_number(&mut self) -> u32 {
        self.last += 1;
        self.last
    }

    /// What an earlier run recorded of statement `number`.
    pub(crate) fn recorded(&self, number: u32) -> Option<&JournalEntry> {
        self.recorded.iter().find(|entry| entry.number == number)
    }

    /// Whether statements recorded as applied by an earlier run lie ahead
    /// (the function has not yet reached them).
    pub(crate) fn applied_ahead(&self) -> bool {
        self.recorded
            .iter()
            .any(|entry| entry.number > self.last && entry.state == JournalState::Applied)
    }

    /// After the migration function returned: an earlier run applied more
    /// statements than the function now has, so it was edited.
    pub(crate) fn check_complete(&self) -> Result<()> {
        match self
            .recorded
            .iter()
            .find(|entry| entry.number > self.last && entry.state == JournalState::Applied)
        {
            Some(entry) => Err(Error::JournalMismatch {
                revision: self.revision.clone(),
                direction: self.direction,
                number: entry.number,
                recorded: entry.statement.clone(),
                current: format!(
                    "(nothing: the migration now has {} statement(s))",
                    self.last
                ),
            }),
            None => Ok(()),
        }
    }
}
