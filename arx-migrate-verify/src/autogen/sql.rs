//! The generated migration as `.sql` files (`--format sql`): each step's
//! calls rendered as the SQL script `upgrade --sql` writes, so that the
//! files run as they are. An SQLite change that needs the table rebuilt
//! (a column's type, a key) has no such SQL: that is an error that says
//! to write a Rust module instead.

use super::{Generated, Step};
use arx_migrate_core::error::{Error, Result};
use arx_migrate_core::{render_script, Direction};

/// Why a step has no plain SQL ([`Error::Unsupported`]'s reason).
pub const NOT_PLAIN_SQL: &str = "as plain SQL it needs the live database (SQLite changes the table by rebuilding it from its definition, read when the migration runs); a Rust module (--format rust) makes that change through its Ops calls";

/// The SQL of a `.sql` migration: what follows each file's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFiles {
    /// The header option allowing lint rules, `allow = ["rule: reason"]`
    /// (empty when nothing is allowed), for `up.sql`'s `-- arx-migrate:`
    /// header.
    pub allow: String,
    /// The body of `up.sql`.
    pub up: String,
    /// The body of `down.sql`.
    pub down: String,
}

impl Generated {
    fn step_sql(&self, step: &Step, direction: Direction) -> Result<Vec<String>> {
        let single = Generated {
            steps: vec![step.clone()],
            allow: Vec::new(),
            ..self.clone()
        };
        // Offline rendering fails only where the calls need the live
        // database: SQLite's table rebuild reads the table's definition.
        render_script(&single, self.backend, direction)
            .into_result()
            .map_err(|_| Error::Unsupported {
                operation: format!("step \"{}\"", step.comment),
                backend: self.backend.name(),
                reason: NOT_PLAIN_SQL.to_string(),
            })
    }

    /// The `.sql` files: each step with its comment, and the header's
    /// `allow` option.
    pub fn to_sql(&self) -> Result<SqlFiles> {
        let mut up = String::new();
        let mut down = String::new();
        let allow = if self.allow.is_empty() {
            String::new()
        } else {
            let entries: Vec<String> = self
                .allow
                .iter()
                .map(|(rule, reason)| format!("{:?}", format!("{rule}: {reason}")))
                .collect();
            format!("allow = [{}]", entries.join(", "))
        };
        for step in &self.steps {
            let mut comment = step.comment.clone();
            if let Some(rule) = step.destructive {
                comment = format!("DESTRUCTIVE ({rule}). {comment}");
            }
            up.push_str(&format!("-- {comment}\n"));
            for statement in self.step_sql(step, Direction::Upgrade)? {
                up.push_str(&format!("{};\n", statement.trim_end_matches(';')));
            }
            up.push('\n');
        }
        for step in self.steps.iter().rev() {
            down.push_str(&format!("-- Undo: {}\n", step.comment));
            for statement in self.step_sql(step, Direction::Downgrade)? {
                down.push_str(&format!("{};\n", statement.trim_end_matches(';')));
            }
            down.push('\n');
        }
        Ok(SqlFiles {
            allow,
            up: up.trim_end().to_string() + "\n",
            down: down.trim_end().to_string() + "\n",
        })
    }
}
