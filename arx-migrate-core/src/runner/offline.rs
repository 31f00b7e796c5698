//! Offline SQL scripts (Alembic's `--sql`).

use crate::backend::Backend;
use crate::error::{Direction, Result};
use crate::ops::Ops;
use crate::store::Store;
use crate::target::Target;

use super::{attach_revision, Migrator};

impl Migrator {
    /// The SQL script that moves a database at `from` to `target`, without
    /// connecting (Alembic's `--sql`): bookkeeping tables, then each step in
    /// its own transaction with its version-table change.
    pub fn offline_script(
        &self,
        backend: Backend,
        from: &[String],
        target: &str,
        direction: Direction,
    ) -> Result<String> {
        let target: Target = target.parse()?;
        let steps = match direction {
            Direction::Upgrade => self.graph.plan_upgrade(from, &target)?,
            Direction::Downgrade => self.graph.plan_downgrade(from, &target)?,
        };
        let store = Store::new(&self.store, backend);
        let mut script = String::new();
        script.push_str(&format!(
            "-- arx-migrate {direction} to {target} ({backend}), {} step(s)\n",
            steps.len()
        ));
        if from.is_empty() {
            script.push_str(&store.ensure_tables_sql());
            script.push('\n');
        }
        let mut heads = from.to_vec();
        for step in &steps {
            let migration = &step.migration;
            let mut ops = Ops::recording(backend, migration.revision(), step.direction);
            match step.direction {
                Direction::Upgrade => migration.upgrade(&mut ops),
                Direction::Downgrade => migration.downgrade(&mut ops),
            }
            .map_err(|e| attach_revision(e, migration.revision(), step.direction))?;
            script.push_str(&format!(
                "\n-- {} {}: {}\n",
                step.direction,
                migration.revision(),
                migration.message()
            ));
            let transactional = migration.transactional();
            if transactional {
                script.push_str("BEGIN;\n");
            }
            for statement in ops.into_recorded() {
                script.push_str(statement.trim_end().trim_end_matches(';'));
                script.push_str(";\n");
            }
            for statement in store.set_heads_sql(&heads, &step.heads_after) {
                script.push_str(&statement);
                script.push_str(";\n");
            }
            if transactional {
                script.push_str("COMMIT;\n");
            }
            heads = step.heads_after.clone();
        }
        Ok(script)
    }
}
