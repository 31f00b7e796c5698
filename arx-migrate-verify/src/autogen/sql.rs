//! The generated migration as `.sql` files (`--format sql`): each step's
//! calls rendered as the SQL script `upgrade --sql` writes, so that the
//! files run as they are.
//!
//! A module's raw SQL runs on one backend only (`op.postgres(…)`), its
//! other calls on both. The files mean the same: each direction is
//! rendered for both backends, and where the two differ each backend gets
//! a file of its own (`up.postgres.sql`, `up.sqlite.sql`), so that
//! backend-only SQL lands only in its backend's file.
//!
//! An SQLite change that needs the table rebuilt (a column's type, a key)
//! has no such SQL. On the backend the schemas were compared on that is an
//! error that says to write a Rust module instead; on the other backend
//! the step is written as a statement that fails with that advice
//! (see `unwritten.rs`), so that the revision never silently does less
//! there than the module would.

use super::call::Call;
use super::generated::{Generated, GENERATED_LOCK_TIMEOUT};
use super::plan::Step;
use super::unwritten::{proper_name, unwritten_note, unwritten_statement};
use arx_migrate_core::error::{Error, Result};
use arx_migrate_core::{render_script, Backend, Direction};

/// Why a step has no plain SQL ([`Error::Unsupported`]'s reason).
pub const NOT_PLAIN_SQL: &str = "as plain SQL it needs the live database (SQLite changes the table by rebuilding it from its definition, read when the migration runs); a Rust module (--format rust) makes that change through its Ops calls";

/// The SQL of a `.sql` migration: what follows each file's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFiles {
    /// The header option allowing lint rules, `allow = ["rule: reason"]`
    /// (empty when nothing is allowed), for the up file's `-- arx-migrate:`
    /// header.
    pub allow: String,
    /// Whether the migration runs in one transaction; `false` goes in the
    /// header as `transactional = false` ([`Generated::transactional`]).
    pub transactional: bool,
    /// The upgrade: `up.sql`, or `up.postgres.sql` and `up.sqlite.sql`.
    pub up: Script,
    /// The downgrade: `down.sql`, or `down.postgres.sql` and
    /// `down.sqlite.sql`.
    pub down: Script,
}

/// The SQL of one direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Script {
    /// The same on every backend (`up.sql`).
    Shared(String),
    /// Each backend's own (`up.postgres.sql`, `up.sqlite.sql`): the
    /// backends' SQL differs. The backend the schemas were compared on
    /// comes first.
    PerBackend([BackendScript; 2]),
}

/// One backend's SQL for one direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendScript {
    /// The backend it runs on.
    pub backend: Backend,
    /// The file's body.
    pub sql: String,
    /// The comments of the steps this backend has no plain SQL for: each
    /// is written as a statement that fails, saying so.
    pub unwritten: Vec<String>,
}

/// One file of a direction: its name and what goes after its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptFile<'a> {
    /// `up.sql`, `up.postgres.sql`, …
    pub name: String,
    /// The backend it is for; `None` for every backend.
    pub backend: Option<Backend>,
    /// Its body.
    pub sql: &'a str,
    /// The steps it has no plain SQL for ([`BackendScript::unwritten`]).
    pub unwritten: &'a [String],
}

impl Script {
    /// The files of the direction named `stem` (`up`, `down`):
    /// `{stem}.sql`, or `{stem}.postgres.sql` and `{stem}.sqlite.sql` in
    /// [`Script::PerBackend`]'s order.
    pub fn files(&self, stem: &str) -> Vec<ScriptFile<'_>> {
        match self {
            Script::Shared(sql) => vec![ScriptFile {
                name: format!("{stem}.sql"),
                backend: None,
                sql,
                unwritten: &[],
            }],
            Script::PerBackend(scripts) => scripts
                .iter()
                .map(|s| ScriptFile {
                    name: format!("{stem}.{}.sql", s.backend.name()),
                    backend: Some(s.backend),
                    sql: &s.sql,
                    unwritten: &s.unwritten,
                })
                .collect(),
        }
    }

    /// The SQL that runs on `backend`.
    pub fn on(&self, backend: Backend) -> &str {
        match self {
            Script::Shared(sql) => sql,
            Script::PerBackend(scripts) => scripts
                .iter()
                .find(|s| s.backend == backend)
                .map_or("", |s| s.sql.as_str()),
        }
    }

    /// Whether each backend has a file of its own.
    pub fn is_per_backend(&self) -> bool {
        matches!(self, Script::PerBackend(_))
    }

    /// The backend scripts that hold steps with no plain SQL.
    pub fn unwritten(&self) -> impl Iterator<Item = &BackendScript> {
        let scripts: &[BackendScript] = match self {
            Script::Shared(_) => &[],
            Script::PerBackend(scripts) => scripts,
        };
        scripts.iter().filter(|s| !s.unwritten.is_empty())
    }
}

/// The other backend.
fn other(backend: Backend) -> Backend {
    match backend {
        Backend::Postgres => Backend::Sqlite,
        Backend::Sqlite | Backend::Mysql => Backend::Postgres,
    }
}

impl Generated {
    fn step_sql(&self, step: &Step, backend: Backend, direction: Direction) -> Result<Vec<String>> {
        let single = Generated {
            steps: vec![step.clone()],
            allow: Vec::new(),
            lock_timeout: false,
            ..self.clone()
        };
        // Offline rendering fails only where the calls need the live
        // database: SQLite's table rebuild reads the table's definition.
        render_script(&single, backend, direction)
            .into_result()
            .map_err(|_| Error::Unsupported {
                operation: format!("step \"{}\"", step.comment),
                backend: backend.name(),
                reason: NOT_PLAIN_SQL.to_string(),
            })
    }

    /// One backend's file body for `direction`: each step with its
    /// comment. A step with no plain SQL is an error on the compared
    /// backend, and a failing statement on the other.
    fn backend_script(&self, backend: Backend, direction: Direction) -> Result<BackendScript> {
        let upgrade = direction == Direction::Upgrade;
        let steps: Vec<&Step> = if upgrade {
            self.steps.iter().collect()
        } else {
            self.steps.iter().rev().collect()
        };
        let stem = if upgrade { "up" } else { "down" };
        let mut sql = String::new();
        let mut unwritten = Vec::new();
        if let Some(Call::Sql {
            backend: Backend::Postgres,
            sql: setting,
        }) = self.lock_timeout_setting()
        {
            if backend == Backend::Postgres {
                sql.push_str(&format!(
                    "-- Each statement waits at most {GENERATED_LOCK_TIMEOUT} for its lock.\n{setting};\n\n"
                ));
            }
        }
        for step in steps {
            let comment = match step.destructive {
                _ if !upgrade => format!("Undo: {}", step.comment),
                Some(rule) => format!("DESTRUCTIVE ({rule}). {}", step.comment),
                None => step.comment.clone(),
            };
            sql.push_str(&format!("-- {comment}\n"));
            let statements = match self.step_sql(step, backend, direction) {
                Ok(statements) => statements,
                Err(error) if backend == self.backend => return Err(error),
                Err(_) => {
                    let file = format!("{stem}.{}.sql", backend.name());
                    sql.push_str(&unwritten_note(backend));
                    unwritten.push(step.comment.clone());
                    vec![unwritten_statement(backend, &step.comment, &file)]
                }
            };
            if statements.is_empty() && backend != self.backend {
                sql.push_str(&format!(
                    "-- Nothing on {}: the step is {} SQL only (op.{}(…) in a Rust module).\n",
                    proper_name(backend),
                    proper_name(self.backend),
                    self.backend.name()
                ));
            }
            for statement in &statements {
                sql.push_str(&format!("{};\n", statement.trim_end_matches(';')));
            }
            sql.push('\n');
        }
        Ok(BackendScript {
            backend,
            sql: sql.trim_end().to_string() + "\n",
            unwritten,
        })
    }

    /// One direction: shared when both backends render it alike, else
    /// each backend's own, the compared backend first.
    fn script(&self, direction: Direction) -> Result<Script> {
        let compared = self.backend_script(self.backend, direction)?;
        let other = self.backend_script(other(self.backend), direction)?;
        Ok(if compared.sql == other.sql {
            Script::Shared(compared.sql)
        } else {
            Script::PerBackend([compared, other])
        })
    }

    /// The `.sql` files: each step with its comment, for both backends,
    /// and the header's `allow` option.
    pub fn to_sql(&self) -> Result<SqlFiles> {
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
        Ok(SqlFiles {
            allow,
            transactional: self.transactional,
            up: self.script(Direction::Upgrade)?,
            down: self.script(Direction::Downgrade)?,
        })
    }
}
