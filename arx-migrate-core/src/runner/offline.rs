//! Offline SQL scripts (Alembic's `--sql`).

use crate::backend::Backend;
use crate::error::{Direction, Result};
use crate::store::Store;
use crate::target::Target;

use super::Migrator;
use crate::render::render_script;

/// A piece of an offline script.
enum Piece {
    Comment(String),
    Statement(String),
}

impl Migrator {
    /// The SQL script that moves a database at `from` to `target`, without
    /// connecting (Alembic's `--sql`): bookkeeping tables, then each step in
    /// its own transaction with its version-table change.
    ///
    /// On MariaDB/MySQL, where DDL commits implicitly, there is no `BEGIN`
    /// or `COMMIT` (as in Alembic's MySQL scripts), and a statement with a
    /// body of several statements (a trigger's `BEGIN … END`) is written
    /// between `DELIMITER //` lines, so that the `mariadb`/`mysql` client
    /// runs the script as it is.
    pub fn offline_script(
        &self,
        backend: Backend,
        from: &[String],
        target: &str,
        direction: Direction,
    ) -> Result<String> {
        let mut script = String::new();
        for piece in self.offline_pieces(backend, from, target, direction)? {
            match piece {
                Piece::Comment(text) => {
                    script.push_str("-- ");
                    script.push_str(&text);
                    script.push('\n');
                }
                Piece::Statement(sql) => {
                    let sql = sql.trim_end().trim_end_matches(';');
                    if backend == Backend::Mysql && sql.contains(';') {
                        script.push_str("DELIMITER //\n");
                        script.push_str(sql);
                        script.push_str("\n//\nDELIMITER ;\n");
                    } else {
                        script.push_str(sql);
                        script.push_str(";\n");
                    }
                }
            }
        }
        Ok(script)
    }

    /// The statements of [`Migrator::offline_script`], one by one
    /// (`BEGIN` and `COMMIT` included).
    pub fn offline_statements(
        &self,
        backend: Backend,
        from: &[String],
        target: &str,
        direction: Direction,
    ) -> Result<Vec<String>> {
        Ok(self
            .offline_pieces(backend, from, target, direction)?
            .into_iter()
            .filter_map(|piece| match piece {
                Piece::Statement(sql) => Some(sql),
                Piece::Comment(_) => None,
            })
            .collect())
    }

    fn offline_pieces(
        &self,
        backend: Backend,
        from: &[String],
        target: &str,
        direction: Direction,
    ) -> Result<Vec<Piece>> {
        let target: Target = target.parse()?;
        let steps = match direction {
            Direction::Upgrade => self.graph.plan_upgrade(from, &target)?,
            Direction::Downgrade => self.graph.plan_downgrade(from, &target)?,
        };
        let store = Store::new(&self.store, backend);
        let mut pieces = vec![Piece::Comment(format!(
            "arx-migrate {direction} to {target} ({backend}), {} step(s)",
            steps.len()
        ))];
        if from.is_empty() {
            pieces.extend(
                store
                    .ensure_tables_statements()
                    .into_iter()
                    .map(Piece::Statement),
            );
        }
        let mut heads = from.to_vec();
        for step in &steps {
            let migration = &step.migration;
            let statements =
                render_script(migration.as_ref(), backend, step.direction).into_result()?;
            pieces.push(Piece::Comment(format!(
                "{} {}: {}",
                step.direction,
                migration.revision(),
                migration.message()
            )));
            // MariaDB and MySQL commit each DDL statement as it runs: a
            // transaction around them would promise what it cannot keep.
            let transactional = migration.transactional() && backend != Backend::Mysql;
            if transactional {
                pieces.push(Piece::Statement("BEGIN".into()));
            }
            pieces.extend(statements.into_iter().map(Piece::Statement));
            pieces.extend(
                store
                    .set_heads_sql(&heads, &step.heads_after)
                    .into_iter()
                    .map(Piece::Statement),
            );
            if transactional {
                pieces.push(Piece::Statement("COMMIT".into()));
            }
            heads = step.heads_after.clone();
        }
        Ok(pieces)
    }
}
