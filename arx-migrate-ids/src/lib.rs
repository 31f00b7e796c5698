//! The rules a revision id follows, in one place: the `#[migration]`
//! attribute checks them at compile time and the revision graph when it is
//! built (for migrations added without the attribute), so both accept and
//! refuse the same ids, and say why in the same words ([`IdProblem`]'s
//! `Display`).
//!
//! [`RevisionId`] and [`BranchLabel`] are names checked once, when made.

#![warn(missing_docs)]
#![no_std]

extern crate alloc;

mod name;
pub mod options;

pub use name::{BranchLabel, RevisionId};

use core::fmt;

/// The longest revision id the version table holds (`varchar(32)`, as
/// Alembic's).
pub const MAX_REVISION_LEN: usize = 32;

/// Target names that cannot be revision ids.
pub const RESERVED: [&str; 3] = ["head", "heads", "base"];

/// Why an id cannot be a revision id (or a branch label, which follows the
/// same rules).
///
/// `Display` gives the reason as every part of arx-migrate words it, to
/// follow the offending name: `invalid revision id "a b": {problem}`.
///
/// ```
/// use arx_migrate_ids::IdProblem;
/// assert_eq!(IdProblem::Reserved.to_string(), "it is a reserved target name");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdProblem {
    /// It is empty.
    Empty,
    /// It is longer than [`MAX_REVISION_LEN`].
    TooLong,
    /// It has a character other than an ASCII letter, a digit, `_` or `-`
    /// (so it can be typed on a command line and stored anywhere).
    BadCharacter,
    /// It is one of the [`RESERVED`] target names.
    Reserved,
}

impl fmt::Display for IdProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdProblem::Empty => f.write_str("it is empty"),
            IdProblem::TooLong => write!(
                f,
                "it is longer than {MAX_REVISION_LEN} characters (the version table's version_num is varchar({MAX_REVISION_LEN}))"
            ),
            IdProblem::BadCharacter => {
                f.write_str("only ASCII letters, digits, '_' and '-' are allowed")
            }
            IdProblem::Reserved => f.write_str("it is a reserved target name"),
        }
    }
}

impl core::error::Error for IdProblem {}

/// Checks `id` against the rules.
///
/// ```
/// use arx_migrate_ids::{check_revision_id, IdProblem};
/// assert_eq!(check_revision_id("a1b2_c-3"), Ok(()));
/// assert_eq!(check_revision_id("head"), Err(IdProblem::Reserved));
/// assert_eq!(check_revision_id("a b"), Err(IdProblem::BadCharacter));
/// ```
pub fn check_revision_id(id: &str) -> Result<(), IdProblem> {
    if id.is_empty() {
        Err(IdProblem::Empty)
    } else if id.len() > MAX_REVISION_LEN {
        Err(IdProblem::TooLong)
    } else if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        Err(IdProblem::BadCharacter)
    } else if RESERVED.contains(&id) {
        Err(IdProblem::Reserved)
    } else {
        Ok(())
    }
}
