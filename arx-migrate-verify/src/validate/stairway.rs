//! The stairway: at each revision from base, up one, down one, up one, the
//! schema compared each time. It runs on a database of its own, so that
//! what a bad downgrade leaves behind does not hide the next revisions,
//! and on a thread of its own while the main database is upgraded and
//! checked: of the main run it needs only the schema after each
//! revision's first upgrade, compared when both are done.

use std::collections::HashMap;

use super::chain::{describe, Chain};
use crate::check::{diff, SchemaSnapshot, ScratchDatabase, ScratchSource};
use arx_migrate_core::backend::Connection;
use arx_migrate_core::error::Result;

/// What the stairway found, in the order it found it.
pub(super) struct Walk {
    events: Vec<Event>,
}

enum Event {
    /// The schema after `revision`'s upgrade, to compare with the one after
    /// the main run's first upgrade of it.
    Up {
        revision: String,
        schema: SchemaSnapshot,
    },
    /// A problem (or a note) found on the way.
    Found(String),
}

/// Walks the stairway on a new scratch database from `scratch`, and hands
/// the database back for the caller to drop; fails only when that
/// database cannot be created (an error on the way ends the walk and is
/// one of the problems).
pub(super) fn walk(chain: Chain<'_>, scratch: &ScratchSource) -> Result<(Walk, ScratchDatabase)> {
    let mut database = ScratchDatabase::create(scratch)?;
    let connection = database.connection()?;
    let mut events = Vec::new();
    if let Err(error) = walk_on(chain, connection, &mut events) {
        events.push(Event::Found(error.to_string()));
    }
    Ok((Walk { events }, database))
}

fn walk_on(
    chain: Chain<'_>,
    connection: &mut dyn Connection,
    events: &mut Vec<Event>,
) -> Result<()> {
    // The schema before each revision's upgrade: read once at base, then
    // carried over from the step before, which ended in the same state.
    let mut start = chain.snapshot(connection)?;
    for revision in chain.order() {
        chain.migrator.upgrade(connection, &revision)?;
        let up = chain.snapshot(connection)?;
        events.push(Event::Up {
            revision: revision.clone(),
            schema: up.clone(),
        });
        if let Some(note) = chain.down_one(connection, &revision)? {
            events.push(Event::Found(note));
            start = up;
            continue;
        }
        let down = chain.snapshot(connection)?;
        let differences = diff(&start, &down);
        if !differences.is_empty() {
            events.push(Event::Found(format!(
                "downgrade of {revision} does not restore the schema before its upgrade: {}",
                describe(&differences)
            )));
        }
        chain.migrator.upgrade(connection, &revision)?;
        let again = chain.snapshot(connection)?;
        let differences = diff(&up, &again);
        if !differences.is_empty() {
            events.push(Event::Found(format!(
                "upgrade of {revision} after its downgrade gives a different schema: {}",
                describe(&differences)
            )));
        }
        start = again;
    }
    Ok(())
}

impl Walk {
    /// The problems and notes, each upgrade compared with the schema
    /// after the main run's first upgrade of the revision (`after`).
    pub(super) fn problems(self, after: &HashMap<String, SchemaSnapshot>) -> Vec<String> {
        self.events
            .into_iter()
            .filter_map(|event| match event {
                Event::Found(line) => Some(line),
                Event::Up { revision, schema } => {
                    let expected = after.get(&revision)?;
                    let differences = diff(expected, &schema);
                    (!differences.is_empty()).then(|| {
                        format!(
                            "upgrade of {revision} gives a different schema than in the first upgrade: {}",
                            describe(&differences)
                        )
                    })
                }
            })
            .collect()
    }
}
