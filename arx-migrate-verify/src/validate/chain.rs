//! What the main database's steps and the stairway both use: the chain
//! under validation, and the differences a step found, said briefly.

use crate::check::{self, Difference, SchemaSnapshot};
use arx_migrate_core::backend::Connection;
use arx_migrate_core::error::Result;
use arx_migrate_core::runner::Migrator;

/// The chain under validation: what the main database's steps and the
/// stairway (on a thread of its own) both need.
#[derive(Clone, Copy)]
pub(super) struct Chain<'a> {
    pub(super) migrator: &'a Migrator,
}

impl Chain<'_> {
    pub(super) fn snapshot(&self, connection: &mut dyn Connection) -> Result<SchemaSnapshot> {
        check::snapshot(self.migrator, connection)
    }

    pub(super) fn order(&self) -> Vec<String> {
        self.migrator
            .graph()
            .in_order()
            .map(|m| m.revision().to_string())
            .collect()
    }

    /// Reverts exactly `revision`, which must be the only one above its
    /// parents; returns a note when it cannot be reverted alone.
    pub(super) fn down_one(
        &self,
        connection: &mut dyn Connection,
        revision: &str,
    ) -> Result<Option<String>> {
        let graph = self.migrator.graph();
        let parents = graph.parents_of(revision);
        let target = parents
            .first()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "base".to_string());
        let plan = self.migrator.plan_downgrade(connection, &target)?;
        if plan.len() != 1 || plan[0].revision() != revision {
            return Ok(Some(format!(
                "note: {revision} cannot be reverted alone (downgrading to {target} would revert {} revision(s)); not checked",
                plan.len()
            )));
        }
        self.migrator.downgrade(connection, &target)?;
        Ok(None)
    }
}

/// The first few differences, for a step's details.
pub(super) fn describe(differences: &[Difference]) -> String {
    const SHOWN: usize = 8;
    let mut parts: Vec<String> = differences
        .iter()
        .take(SHOWN)
        .map(|d| d.to_string())
        .collect();
    if differences.len() > SHOWN {
        parts.push(format!("and {} more", differences.len() - SHOWN));
    }
    parts.join("; ")
}
