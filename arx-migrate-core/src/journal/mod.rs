//! The statement journal of half-applied revisions.
//!
//! MariaDB and MySQL commit each DDL statement implicitly, so a revision
//! that fails (or is killed) half way leaves part of itself applied. There
//! the runner sends a revision's statements one by one and records each
//! one's completion in the journal table (`arx_migrate_journal`): its
//! number, checksum, text and, where one is known, its reverse. A rerun
//! skips the statements recorded as applied, after checking that they are
//! unchanged, and carries on at the first one that is not.
//!
//! The parts: `model` (what the journal holds, and the repairs a
//! half-applied revision can be given), `book` (the table), `reverse`
//! (the reverse of a statement, where its text says what it is) and
//! `cursor` (where a running revision stands in its journal).

pub(crate) mod book;
pub(crate) mod cursor;
mod model;
pub(crate) mod reverse;

pub use model::{
    statement_checksum, HalfApplied, HalfAppliedRepair, HalfAppliedReport, JournalEntry,
    JournalState, JOURNAL_TABLE,
};
pub use reverse::reverse_of;
