//! Durable batched backfills: an `UPDATE` of a whole table, made in short
//! transactions of a few thousand rows each, walking the table by its key,
//! each batch committed together with the position it reached. A run that
//! is killed and started again resumes after the last committed batch: no
//! row is updated twice and none is skipped.
//!
//! The parts: [`Backfill`] (what to update, and how fast), `book` (the
//! bookkeeping table of positions), `key` (finding the key column),
//! `batches` (the loop), `sizing` (the batch size that meets a target
//! duration), `health` (pausing on replica lag and lock waits).

mod batches;
mod book;
mod health;
mod key;
mod model;
mod sizing;

pub(crate) use batches::{run_backfill, BatchesRun};
pub(crate) use book::BackfillBook;
pub use book::BACKFILL_TABLE;
pub use model::{Backfill, BackfillProgress, BackfillState};
