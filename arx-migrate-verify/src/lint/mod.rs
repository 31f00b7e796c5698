//! `lint`: reads the SQL each migration renders, with a SQL parser, and
//! reports destructive and wrong steps before they reach a database.
//!
//! Each migration is rendered offline for one backend, upgrade and
//! downgrade, and parsed with `sqlparser` (so sea-query output and raw SQL
//! are read the same way). The rules track the schema as the chain builds
//! it — tables, columns, indexes by name, foreign keys — so "a table created
//! by an earlier revision" and "this column exists" are known without a
//! database. See [`Rule`] for the rules.
//!
//! A migration allows a rule for itself, with a reason:
//! `#[migration(rev = "007", down_rev = "006", allow = ["drop-column: unused since 2.3"])]`.
//! Nothing is allowed globally.
//!
//! ```
//! use arx_migrate_core::{Backend, FnMigration, MigrationSet, Migrator};
//! use arx_migrate_verify::lint;
//!
//! let migrator = Migrator::new(MigrationSet::new().with(FnMigration::new(
//!     "001",
//!     &[],
//!     |op| op.sql("CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE INDEX idx_a ON a (nope)"),
//!     |op| op.sql("DROP TABLE a"),
//! )))?;
//! let report = lint::lint_migrations(migrator.graph(), Backend::Sqlite);
//! assert!(report.has_errors());
//! assert_eq!(report.findings[0].rule, lint::Rule::IndexUnknownColumn);
//! # Ok::<(), arx_migrate_core::Error>(())
//! ```

mod analyze;
mod model;
mod parse;
mod report;
mod rules;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub use report::{Finding, LintReport};
pub use rules::{rules, Rule, RuleInfo, Severity};

use analyze::MigrationLint;
use arx_migrate_core::backend::Backend;
use arx_migrate_core::error::{Direction, Error, Result};
use arx_migrate_core::graph::RevisionGraph;
use arx_migrate_core::migration::Migration;
use model::Model;
pub(crate) use parse::parse_one;
use parse::{parse_sql, Parsed};

/// Lints every migration of the graph, in order, for `backend`.
///
/// Never fails: a migration that cannot be rendered is a
/// [`Rule::RenderFailed`] finding, a statement the parser cannot read a
/// [`Rule::UnparsedStatement`] one.
pub fn lint_migrations(graph: &RevisionGraph, backend: Backend) -> LintReport {
    let mut models: HashMap<String, Model> = HashMap::new();
    let mut children_left: HashMap<String, usize> = HashMap::new();
    let mut findings = Vec::new();
    for migration in graph.in_order() {
        let revision = migration.revision();
        let mut before = Model::default();
        for (i, parent) in graph.parents_of(revision).into_iter().enumerate() {
            if let Some(model) = models.get(parent) {
                if i == 0 {
                    before = model.clone();
                } else {
                    before.merge(model);
                }
            }
            let left = children_left
                .entry(parent.to_string())
                .or_insert_with(|| graph.children_of(parent).len());
            *left = left.saturating_sub(1);
            if *left == 0 {
                models.remove(parent);
            }
        }
        let (found, after) = lint_migration(migration.as_ref(), &before, backend);
        findings.extend(found);
        models.insert(revision.to_string(), after);
    }
    LintReport {
        backend: backend.name().to_string(),
        revisions: graph.len(),
        findings,
    }
}

/// Lints SQL text as one migration named `name` (upgrade only: there is no
/// downgrade to compare, and every table is new to it).
pub fn lint_sql(name: &str, sql: &str, backend: Backend) -> LintReport {
    let mut model = Model::default();
    let statements = parse_sql(sql, backend);
    let mut lint = MigrationLint::new(backend, name, Direction::Upgrade, &model);
    lint.run(&mut model, &statements);
    LintReport {
        backend: backend.name().to_string(),
        revisions: 1,
        findings: lint.findings,
    }
}

/// Lints a plain `.sql` file as one migration named after the file.
pub fn lint_sql_file(path: impl AsRef<Path>, backend: Backend) -> Result<LintReport> {
    let path = path.as_ref();
    let sql = std::fs::read_to_string(path)
        .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Ok(lint_sql(&name, &sql, backend))
}

/// What a migration renders in one direction: its statements, and the
/// error that stopped the render, if any.
fn render(
    migration: &dyn Migration,
    backend: Backend,
    direction: Direction,
) -> (Vec<String>, Option<Error>) {
    let rendered = arx_migrate_core::render(migration, backend, direction);
    (rendered.statements, rendered.error)
}

/// Lints one migration against the schema before it; returns the findings
/// and the schema after its upgrade.
fn lint_migration(
    migration: &dyn Migration,
    before: &Model,
    backend: Backend,
) -> (Vec<Finding>, Model) {
    let revision = migration.revision();
    let mut findings = Vec::new();
    let mut after = before.clone();
    let mut unsure = false;

    let (up_sql, up_error) = render(migration, backend, Direction::Upgrade);
    let up: Vec<Parsed> = up_sql.iter().flat_map(|s| parse_sql(s, backend)).collect();
    let mut up_lint = MigrationLint::new(backend, revision, Direction::Upgrade, before);
    up_lint.run(&mut after, &up);
    unsure |= up_lint.unparsed > 0;
    if let Some(error) = up_error {
        unsure = true;
        render_finding(&mut up_lint, error);
    }
    findings.append(&mut up_lint.findings);

    let (down_sql, down_error) = render(migration, backend, Direction::Downgrade);
    let down: Vec<Parsed> = down_sql
        .iter()
        .flat_map(|s| parse_sql(s, backend))
        .collect();
    let mut reverted = after.clone();
    let mut down_lint = MigrationLint::new(backend, revision, Direction::Downgrade, &after);
    down_lint.run(&mut reverted, &down);
    unsure |= down_lint.unparsed > 0;
    if let Some(error) = down_error {
        unsure = true;
        render_finding(&mut down_lint, error);
    }
    if !unsure {
        let differences = reverted.differences_from(before);
        if !differences.is_empty() {
            down_lint.find(
                Rule::DowngradeMismatch,
                None,
                format!(
                    "the downgrade does not undo the upgrade: {}",
                    differences.join("; ")
                ),
            );
        }
    }
    findings.append(&mut down_lint.findings);

    apply_allows(migration, &mut findings);
    (findings, after)
}

fn render_finding(lint: &mut MigrationLint<'_>, error: Error) {
    match error {
        Error::NeedsConnection { .. } => lint.find(
            Rule::UnparsedStatement,
            None,
            "data migration: the statements after it reads or writes data through the connection are not checked".to_string(),
        ),
        other => lint.find(Rule::RenderFailed, None, other.to_string()),
    }
}

/// Marks the findings the migration allows; reports allow entries that name
/// no rule or give no reason.
fn apply_allows(migration: &dyn Migration, findings: &mut Vec<Finding>) {
    let mut allowed: BTreeMap<Rule, String> = BTreeMap::new();
    let mut invalid = Vec::new();
    for (id, reason) in migration.allowed_lints() {
        match Rule::from_id(id) {
            None => invalid.push(format!("allow entry {id:?} names no lint rule")),
            Some(_) if reason.trim().is_empty() => invalid.push(format!(
                "allow entry {id:?} gives no reason; write \"{id}: why\""
            )),
            Some(rule) => {
                allowed.insert(rule, reason.trim().to_string());
            }
        }
    }
    for finding in findings.iter_mut() {
        if let Some(reason) = allowed.get(&finding.rule) {
            if finding.rule != Rule::InvalidAllow {
                finding.allowed = Some(reason.clone());
            }
        }
    }
    for message in invalid {
        findings.push(Finding {
            rule: Rule::InvalidAllow,
            severity: Rule::InvalidAllow.severity(),
            revision: migration.revision().to_string(),
            direction: Direction::Upgrade.as_str().to_string(),
            statement: None,
            message,
            fix: Rule::InvalidAllow.fix().to_string(),
            allowed: None,
        });
    }
}
