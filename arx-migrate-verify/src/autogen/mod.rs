//! `revision --autogenerate`: the migration that turns the schema the
//! migrations produce at head into the schema wanted.
//!
//! - [`source`]: both schemas, read as `check` reads them (the head's by
//!   replaying the chain on a scratch database, the wanted one from a
//!   database or from a SQL file replayed on a scratch database);
//! - [`plan()`]: the ordered [`Step`]s between them, each with its exact
//!   reverse, renames only where asked ([`Rename`]);
//! - [`Generated`]: those steps as a [`Migration`], linted so that every
//!   finding it would block on is allowed, with a reason left to fill in
//!   for the steps that destroy data; changes to PostgreSQL tables an
//!   earlier revision created take the forms that let writes go on
//!   (`NOT VALID` then validated, `CONCURRENTLY`, `set_not_null`), in a
//!   `transactional = false` revision;
//! - [`Generated::to_rust`] and [`Generated::to_sql`]: the module or the
//!   `.sql` files written for it;
//! - [`ExpandPair`]: with `--expand`, column renames and type changes
//!   written as an expand/contract pair of revisions instead.
//!
//! ```
//! use arx_migrate_core::{FnMigration, MigrationSet, Migrator};
//! use arx_migrate_verify::autogen::{head_schema, plan, schema_from_sql};
//! use arx_migrate_verify::check::ScratchSource;
//!
//! let migrator = Migrator::new(MigrationSet::new().with(FnMigration::new(
//!     "001", &[],
//!     |op| op.sql("CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT)"),
//!     |op| op.sql("DROP TABLE rooms"),
//! )))?;
//! let scratch = ScratchSource::SqliteMemory;
//! let head = head_schema(&migrator, &scratch)?;
//! let wanted = schema_from_sql(
//!     "CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, area REAL);",
//!     &scratch,
//!     &[],
//! )?;
//! let steps = plan(&head, &wanted, &[])?;
//! assert_eq!(steps.len(), 1);
//! assert_eq!(steps[0].comment, "Add column rooms.area.");
//! # Ok::<(), arx_migrate_core::Error>(())
//! ```

mod call;
mod expand_pair;
mod generated;
mod plan;
mod rename;
mod rust;
mod serial;
mod shadow;
pub mod source;
mod sql;
mod sqlite_names;
mod unwritten;

pub use call::{raw, Action, Call, NewColumn, NewForeignKey};
pub use expand_pair::{ExpandChange, ExpandPair};
pub use generated::{Generated, GENERATED_LOCK_TIMEOUT};
pub use plan::{plan, Step};
pub use rename::Rename;
pub use source::{head_schema, read_schema, schema_from_sql, Schema};
pub use sql::{BackendScript, Script, ScriptFile, SqlFiles, NOT_PLAIN_SQL};
pub use unwritten::proper_name;

use std::sync::Arc;

use crate::lint::{lint_migrations, Rule, UNFILLED_REASON};
use arx_migrate_core::error::Result;
use arx_migrate_core::graph::RevisionGraph;
use arx_migrate_core::{Backend, Migration, Ops};

/// The reason written for what lint would block on in a step that loses
/// no data (an index built inside the transaction, a foreign key that
/// checks existing rows): the step is what the developer asked for.
pub const GENERATED_REASON: &str =
    "written by revision --autogenerate to reach the desired schema; review the locks it takes";

/// The reason written for `downgrade-mismatch`: lint compares a type as
/// the migration that created it spelled it (`varchar(100)`) with the one
/// the downgrade restores, spelled as the database prints it (`character
/// varying(100)`).
pub const RESTORED_REASON: &str =
    "the downgrade restores the schema as introspected, types spelled as the database prints them";

/// The lint rules of steps that destroy data: their allow entries carry
/// [`UNFILLED_REASON`] until a person fills them in.
pub const DESTRUCTIVE_RULES: [&str; 3] = ["drop-table", "drop-column", "alter-column-type"];

impl Generated {
    /// The migration for `steps` revising `chain`'s heads: `None` when
    /// there are no steps. It is non-transactional when a step takes a
    /// safe form on an existing table ([`Step::outside_transaction`]), and
    /// bounds its lock waits ([`Generated::lock_timeout`]) when lint would
    /// otherwise report `missing-lock-timeout`. Lint runs on it in the
    /// chain; each rule it would block on is allowed, with
    /// [`UNFILLED_REASON`] for the [`DESTRUCTIVE_RULES`],
    /// [`RESTORED_REASON`] for `downgrade-mismatch` and
    /// [`GENERATED_REASON`] for the others.
    pub fn new(
        chain: &RevisionGraph,
        revision: &str,
        message: &str,
        backend: Backend,
        steps: Vec<Step>,
    ) -> Result<Option<Generated>> {
        if steps.is_empty() {
            return Ok(None);
        }
        let transactional = !steps.iter().any(|s| s.outside_transaction);
        let mut generated = Generated {
            revision: revision.to_string(),
            down_revisions: chain.heads().iter().map(|h| h.to_string()).collect(),
            message: message.to_string(),
            backend,
            steps,
            allow: Vec::new(),
            transactional,
            lock_timeout: false,
        };
        let mut report = generated.lint_in(chain)?;
        // A change to a table in use waits a bounded time for its lock.
        if backend == Backend::Postgres
            && report
                .findings
                .iter()
                .any(|f| f.revision == revision && f.rule == Rule::MissingLockTimeout)
        {
            generated.lock_timeout = true;
            report = generated.lint_in(chain)?;
        }
        let mut allow: Vec<(&'static str, &'static str)> = Vec::new();
        for finding in report.findings.iter().filter(|f| f.revision == revision) {
            if !finding.is_blocking() || finding.rule == Rule::InvalidAllow {
                continue;
            }
            let rule = finding.rule.id();
            let reason = if DESTRUCTIVE_RULES.contains(&rule) {
                UNFILLED_REASON
            } else if finding.rule == Rule::DowngradeMismatch {
                RESTORED_REASON
            } else {
                GENERATED_REASON
            };
            if !allow.iter().any(|(r, _)| *r == rule) {
                allow.push((rule, reason));
            }
        }
        for rule in generated.steps.iter().filter_map(|s| s.destructive) {
            let rule = rule.id();
            if !allow.iter().any(|(r, _)| *r == rule) {
                allow.push((rule, UNFILLED_REASON));
            }
        }
        allow.sort();
        generated.allow = allow;
        Ok(Some(generated))
    }

    /// Lint's report on `chain` with this migration on top.
    fn lint_in(&self, chain: &RevisionGraph) -> Result<crate::lint::LintReport> {
        let mut migrations: Vec<Arc<dyn Migration>> = chain.in_order().cloned().collect();
        migrations.push(Arc::new(self.clone()));
        let graph = RevisionGraph::new(migrations)?;
        Ok(lint_migrations(&graph, self.backend))
    }

    /// Whether an allow entry still waits for a person's reason.
    pub fn needs_review(&self) -> bool {
        self.allow
            .iter()
            .any(|(_, reason)| *reason == UNFILLED_REASON)
    }
}

impl Migration for Generated {
    fn revision(&self) -> &str {
        &self.revision
    }

    fn down_revisions(&self) -> Vec<&str> {
        self.down_revisions.iter().map(String::as_str).collect()
    }

    fn message(&self) -> &str {
        &self.message
    }

    fn allowed_lints(&self) -> &[(&str, &str)] {
        &self.allow
    }

    fn transactional(&self) -> bool {
        self.transactional
    }

    fn upgrade(&self, op: &mut Ops<'_>) -> Result<()> {
        if let Some(setting) = self.lock_timeout_setting() {
            setting.apply(op)?;
        }
        for call in self.steps.iter().flat_map(|s| &s.up) {
            call.apply(op)?;
        }
        Ok(())
    }

    fn downgrade(&self, op: &mut Ops<'_>) -> Result<()> {
        if let Some(setting) = self.lock_timeout_setting() {
            setting.apply(op)?;
        }
        for call in self.steps.iter().rev().flat_map(|s| &s.down) {
            call.apply(op)?;
        }
        Ok(())
    }
}
