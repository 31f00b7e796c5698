//! `lint`: reads the SQL each migration renders, with a SQL parser, and
//! reports destructive and wrong steps before they reach a database.
//!
//! Each migration is rendered offline for one backend, upgrade and
//! downgrade, and parsed with `sqlparser` (so sea-query output and raw SQL
//! are read the same way). The rules track the schema as the chain builds
//! it — tables, columns, keys, CHECKs, indexes, views and triggers — so "a
//! table created by an earlier revision", "this column was added by this
//! same migration" and "this column exists" are known without a database.
//! Rules read the syntax tree, never the text: a comment cannot switch one
//! on or off, except an `-- arx-migrate: allow` directive. See [`Rule`] for
//! the rules and [`LintConfig`] for switching them.
//!
//! `.sql` files lint as a chain of their own ([`lint_files`]), starting from
//! a live database's schema, the chain's schema at a revision, or nothing
//! (then a table the files do not create is taken to exist, and reported
//! once as [`Rule::UnknownSchema`]).
//!
//! Allowing a rule, always with a reason:
//! - a migration: `#[migration(rev = "007", down_rev = "006", allow =
//!   ["drop-column: unused since 2.3"])]`;
//! - in SQL: `-- arx-migrate: allow drop-column: unused since 2.3` right
//!   before a statement (that statement), or before the first statement of
//!   a file or `op.sql` string (all of it).
//!
//! An allow naming no rule, or without a reason, is an error.
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

mod allow;
mod analyze;
mod ci;
mod config;
mod model;
mod parse;
mod report;
mod rules;
mod sql_file;
mod start;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

pub use allow::UNFILLED_REASON;
pub use ci::{github_annotations, sarif_log};
pub use config::LintConfig;
pub use report::{Finding, LintReport};
pub use rules::{rules, Rule, RuleInfo, Scope, Severity};

use crate::check::SchemaSnapshot;
use allow::check_allows;
use analyze::{MigrationLint, Settings};
use arx_migrate_core::backend::Backend;
use arx_migrate_core::error::{Direction, Error, Result};
use arx_migrate_core::graph::RevisionGraph;
use arx_migrate_core::migration::Migration;
use model::Model;
pub(crate) use parse::parse_one;
use parse::{parse_text, SqlText};
use sql_file::{read_file, FileSql};

/// Lints every migration of the graph, in order, for `backend`, with the
/// default rules.
///
/// Never fails: a migration that cannot be rendered is a
/// [`Rule::RenderFailed`] finding, a statement the parser cannot read a
/// [`Rule::UnparsedStatement`] one.
pub fn lint_migrations(graph: &RevisionGraph, backend: Backend) -> LintReport {
    lint_migrations_with(graph, backend, &LintConfig::default())
}

/// [`lint_migrations`] with the rules of `config`.
pub fn lint_migrations_with(
    graph: &RevisionGraph,
    backend: Backend,
    config: &LintConfig,
) -> LintReport {
    let (findings, _) = walk_chain(graph, backend, config, None);
    LintReport {
        backend: backend.name().to_string(),
        revisions: graph.len(),
        findings,
    }
}

/// Lints the chain's migrations in order; with `stop_at`, only that
/// revision and its ancestors, returning the schema after it.
fn walk_chain(
    graph: &RevisionGraph,
    backend: Backend,
    config: &LintConfig,
    stop_at: Option<&[&str]>,
) -> (Vec<Finding>, Option<Model>) {
    let wanted: Option<HashSet<&str>> = stop_at.map(|revs| revs.iter().copied().collect());
    let mut models: HashMap<String, Model> = HashMap::new();
    let mut children_left: HashMap<String, usize> = HashMap::new();
    let mut findings = Vec::new();
    let mut last = None;
    for migration in graph.in_order() {
        let revision = migration.revision();
        if wanted.as_ref().is_some_and(|w| !w.contains(revision)) {
            continue;
        }
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
        let (found, after) = lint_migration(migration.as_ref(), &before, backend, config);
        findings.extend(found);
        last = Some(after.clone());
        models.insert(revision.to_string(), after);
    }
    (findings, last)
}

/// A `.sql` file to lint: its name (shown in findings) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFile {
    /// The name or path findings point to.
    pub name: String,
    /// The SQL.
    pub sql: String,
}

impl SqlFile {
    /// Reads a file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let sql = std::fs::read_to_string(path).map_err(|e| {
            Error::Config(format!(
                "cannot read {}: {e}; give the path of a .sql file",
                path.display()
            ))
        })?;
        Ok(SqlFile {
            name: path.display().to_string(),
            sql,
        })
    }
}

/// The schema `.sql` files start from.
#[derive(Debug, Clone, Copy)]
pub enum StartSchema<'a> {
    /// Not known: a table the files use but do not create is taken to
    /// exist, with unknown columns, and reported once
    /// ([`Rule::UnknownSchema`]).
    Unknown,
    /// A live database's schema (`lint --file … --schema URL`), as
    /// [`crate::check::introspect`] reads it.
    Snapshot(&'a SchemaSnapshot),
    /// The chain's schema after `revision` (`lint --file … --after REV`).
    After {
        /// The chain.
        graph: &'a RevisionGraph,
        /// A revision id, a unique prefix, or `head`.
        revision: &'a str,
    },
}

/// Lints `.sql` files as a chain of their own, in order, starting from
/// `start`: each file is one migration, read as the library runs a `.sql`
/// migration — split by the same splitter into statements sent one by one,
/// in a transaction unless its header says `transactional = false` or it is
/// made only of statements that cannot run in one (`CREATE INDEX
/// CONCURRENTLY`, …) and session `SET`s
/// ([`arx_migrate_sqlfiles::runs_outside_transaction`]). A file the
/// library cannot split is a [`Rule::RenderFailed`] error.
///
/// Fails only when `start` names a revision the chain does not have.
///
/// ```
/// use arx_migrate_verify::lint::{self, LintConfig, SqlFile, StartSchema};
/// use arx_migrate_core::Backend;
///
/// let files = [
///     SqlFile { name: "001.sql".into(), sql: "CREATE TABLE a (id bigint PRIMARY KEY)".into() },
///     SqlFile { name: "002.sql".into(), sql: "ALTER TABLE a ADD COLUMN b int NOT NULL".into() },
/// ];
/// let report = lint::lint_files(&files, Backend::Postgres, StartSchema::Unknown, &LintConfig::default())?;
/// // 002 adds a NOT NULL column without a default to a table 001 created.
/// assert!(report.of_rule(lint::Rule::NotNullWithoutDefault).any(|f| f.line == Some(1)));
/// # Ok::<(), arx_migrate_core::Error>(())
/// ```
pub fn lint_files(
    files: &[SqlFile],
    backend: Backend,
    start: StartSchema<'_>,
    config: &LintConfig,
) -> Result<LintReport> {
    let mut model = match start {
        StartSchema::Unknown => Model::default(),
        StartSchema::Snapshot(snapshot) => Model::from_snapshot(snapshot, backend),
        StartSchema::After { graph, revision } => {
            let id = if revision == "head" {
                graph.single_head()?
            } else {
                graph.resolve_revision(revision)?
            };
            let ancestors = graph.applied(&[id.to_string()])?;
            let (_, model) = walk_chain(graph, backend, config, Some(&ancestors));
            model.unwrap_or_default()
        }
    };
    let assume_unknown = matches!(start, StartSchema::Unknown);
    let mut findings = Vec::new();
    let mut assumed: BTreeSet<String> = BTreeSet::new();
    let read: Vec<FileSql> = files.iter().map(|f| read_file(&f.sql, backend)).collect();
    for (i, (file, sql)) in files.iter().zip(&read).enumerate() {
        let settings = Settings {
            backend,
            config,
            transactional: sql.transactional,
            assume_unknown,
            created_later: read[i..]
                .iter()
                .flat_map(|later| &later.statements)
                .flat_map(created_tables)
                .collect(),
            file: Some(file.name.clone()),
        };
        let mut lint = MigrationLint::new(&settings, &file.name, Direction::Upgrade, &model);
        if let Some(error) = &sql.split_error {
            lint.find_general(
                Rule::RenderFailed,
                format!("the library cannot split this file into statements, and refuses to run it: line {}: {}", error.line, error.message),
            );
        }
        lint.run_file(&mut model, &sql.header, &sql.statements);
        assumed.append(&mut lint.assumed);
        findings.append(&mut lint.findings);
    }
    if !assumed.is_empty() && config.is_enabled(Rule::UnknownSchema) {
        let first = files.first().map(|f| f.name.clone()).unwrap_or_default();
        findings.push(Finding {
            rule: Rule::UnknownSchema,
            severity: Rule::UnknownSchema.severity(),
            revision: first.clone(),
            direction: Direction::Upgrade.as_str().to_string(),
            statement: None,
            message: format!(
                "unknown: give --schema URL or --after REV. The files use {} without creating them; taken to exist, with their columns unchecked",
                assumed.into_iter().collect::<Vec<_>>().join(", ")
            ),
            fix: Rule::UnknownSchema.fix().to_string(),
            allowed: None,
            file: Some(first),
            line: None,
        });
    }
    Ok(LintReport {
        backend: backend.name().to_string(),
        revisions: files.len(),
        findings,
    })
}

/// The tables a text creates.
fn created_tables(text: &SqlText) -> Vec<String> {
    text.statements
        .iter()
        .filter_map(|s| match s.ast() {
            Some(sqlparser::ast::Statement::CreateTable(create)) => {
                Some(analyze::names::object_name(&create.name))
            }
            _ => None,
        })
        .collect()
}

/// Lints SQL text as one `.sql` file named `name`, from an unknown schema,
/// with the default rules.
pub fn lint_sql(name: &str, sql: &str, backend: Backend) -> LintReport {
    let file = SqlFile {
        name: name.to_string(),
        sql: sql.to_string(),
    };
    lint_files(
        &[file],
        backend,
        StartSchema::Unknown,
        &LintConfig::default(),
    )
    .unwrap_or_default()
}

/// Lints a plain `.sql` file ([`lint_sql`]).
pub fn lint_sql_file(path: impl AsRef<Path>, backend: Backend) -> Result<LintReport> {
    let file = SqlFile::read(path)?;
    Ok(lint_sql(&file.name, &file.sql, backend))
}

/// What a migration renders in one direction: its SQL strings, and the
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
    config: &LintConfig,
) -> (Vec<Finding>, Model) {
    let revision = migration.revision();
    let settings = Settings {
        backend,
        config,
        transactional: migration.transactional(),
        assume_unknown: false,
        created_later: BTreeSet::new(),
        file: None,
    };
    let mut findings = Vec::new();
    let mut after = before.clone();
    let mut unsure = false;

    let (up_sql, up_error) = render(migration, backend, Direction::Upgrade);
    let up: Vec<SqlText> = up_sql.iter().map(|s| parse_text(s, backend)).collect();
    let mut up_lint = MigrationLint::new(&settings, revision, Direction::Upgrade, before);
    up_lint.run(&mut after, &up);
    unsure |= up_lint.unparsed > 0;
    if let Some(error) = up_error {
        unsure = true;
        render_finding(&mut up_lint, error);
    }
    findings.append(&mut up_lint.findings);

    let (down_sql, down_error) = render(migration, backend, Direction::Downgrade);
    let down: Vec<SqlText> = down_sql.iter().map(|s| parse_text(s, backend)).collect();
    let mut reverted = after.clone();
    let mut down_lint = MigrationLint::new(&settings, revision, Direction::Downgrade, &after);
    down_lint.run(&mut reverted, &down);
    restore_contracted_columns(&down_lint.restored, before, &mut reverted);
    unsure |= down_lint.unparsed > 0;
    if let Some(error) = down_error {
        unsure = true;
        render_finding(&mut down_lint, error);
    }
    if !unsure {
        let differences = reverted.differences_from(before);
        if !differences.is_empty() {
            down_lint.find_general(
                Rule::DowngradeMismatch,
                format!(
                    "the downgrade does not undo the upgrade: {}",
                    differences.join("; ")
                ),
            );
        }
    }
    findings.append(&mut down_lint.findings);

    apply_allows(migration, &mut findings, config);
    (findings, after)
}

/// A contract's downgrade adds back the columns its upgrade dropped, with
/// the definitions recorded when they were expanded (which the offline
/// render cannot read): the model takes them from the schema before.
fn restore_contracted_columns(restored: &[(String, String)], before: &Model, reverted: &mut Model) {
    for (table, column) in restored {
        let Some(was) = before
            .tables
            .get(table)
            .and_then(|t| t.column(column))
            .cloned()
        else {
            continue;
        };
        if let Some(now) = reverted
            .tables
            .get_mut(table)
            .and_then(|t| t.column_mut(column))
        {
            *now = was;
        }
    }
}

fn render_finding(lint: &mut MigrationLint<'_>, error: Error) {
    match error {
        Error::NeedsConnection { .. } => lint.find_general(
            Rule::UnparsedStatement,
            "data migration: the statements after it reads or writes data through the connection are not checked".to_string(),
        ),
        other => lint.find_general(Rule::RenderFailed, other.to_string()),
    }
}

/// Marks the findings the migration's attribute allows; reports allows that
/// name no rule or give no reason.
fn apply_allows(migration: &dyn Migration, findings: &mut Vec<Finding>, config: &LintConfig) {
    let (allowed, invalid) = check_allows(migration.allowed_lints().iter().copied());
    for finding in findings.iter_mut() {
        if let Some(reason) = allowed.get(&finding.rule) {
            if finding.rule != Rule::InvalidAllow && finding.allowed.is_none() {
                finding.allowed = Some(reason.clone());
            }
        }
    }
    if !config.is_enabled(Rule::InvalidAllow) {
        return;
    }
    for message in invalid {
        findings.push(Finding {
            rule: Rule::InvalidAllow,
            severity: Rule::InvalidAllow.severity(),
            revision: migration.revision().to_string(),
            direction: Direction::Upgrade.as_str().to_string(),
            statement: None,
            message: format!("#[migration(allow = …)]: {message}"),
            fix: Rule::InvalidAllow.fix().to_string(),
            allowed: None,
            file: None,
            line: None,
        });
    }
}
