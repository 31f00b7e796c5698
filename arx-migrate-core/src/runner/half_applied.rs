//! Which steps are journalled (MariaDB and MySQL, where DDL commits by
//! itself), which are half-applied, and the rule that a run may not go
//! past one: the parts of the journal that the apply loop and `status`
//! ask about. Running and repairing journalled steps is in `journaled`.

use std::collections::VecDeque;

use crate::backend::{Backend, Connection};
use crate::direction::Direction;
use crate::error::{Error, Result};
use crate::graph::Step;
use crate::journal::HalfApplied;
use crate::store::Store;

/// Whether steps on `backend` are journalled statement by statement:
/// where DDL commits implicitly, so that a step is not atomic.
pub(super) fn journals(backend: Backend) -> bool {
    backend == Backend::Mysql
}

/// The half-applied steps of a journalling backend: those with journal
/// rows, and those a killed run marked as started before its first
/// statement was journalled (nothing of them is applied).
pub(super) fn half_applied(
    connection: &mut dyn Connection,
    store: &Store<'_>,
    interrupted: &[(String, Direction)],
) -> Result<Vec<HalfApplied>> {
    if !journals(connection.backend()) {
        return Ok(Vec::new());
    }
    let mut steps = store.journal_book().all(connection)?;
    for (revision, direction) in interrupted {
        if !steps
            .iter()
            .any(|s| &s.revision == revision && s.direction == *direction)
        {
            steps.push(HalfApplied {
                revision: revision.clone(),
                direction: *direction,
                statements: Vec::new(),
            });
        }
    }
    Ok(steps)
}

/// Refuses a run whose steps go past a half-applied step without resuming
/// it first: only a run whose first step is the same revision, the same
/// way, carries it on.
pub(super) fn refuse_past_half_applied(
    connection: &mut dyn Connection,
    store: &Store<'_>,
    interrupted: &[(String, Direction)],
    queue: &VecDeque<Step>,
) -> Result<()> {
    let Some(first) = queue.front() else {
        return Ok(());
    };
    for step in half_applied(connection, store, interrupted)? {
        if step.revision != first.revision() || step.direction != first.direction {
            return Err(Error::HalfApplied {
                summary: step.summary(),
                revision: step.revision,
                direction: step.direction,
            });
        }
    }
    Ok(())
}
