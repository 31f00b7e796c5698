//! Expand/contract: changing a column that running code still uses in two
//! revisions, deployed around the code that switches to the new column.
//!
//! The parts: [`Expand`] (the change, shared by both revisions), `book`
//! (the bookkeeping table of changes and their phases), `columns` (the old
//! columns' definitions, kept for the contract's downgrade), `sync` (the
//! trigger keeping old and new in step). The `Ops` calls are in
//! `crate::ops::expand`.

mod book;
mod columns;
mod model;
mod sync;

pub use book::EXPAND_TABLE;
pub(crate) use book::{ExpandBook, StoredExpansion};
pub(crate) use columns::{read_columns, ColumnDefinition};
pub use model::{Expand, ExpandKind, ExpansionPhase, ExpansionState};
pub(crate) use sync::{sync_name, SyncSpec};
