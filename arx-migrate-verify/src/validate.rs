//! `validate`: the whole CI job for a migration chain in one call, on a
//! scratch database it creates and drops.
//!
//! Steps, in order: upgrade base → head one revision at a time; check the
//! schema against a fresh replay; the stairway (at each revision: up one,
//! down one, up one, the schema compared each time); downgrade to base one
//! revision at a time, leaving nothing but the bookkeeping tables; upgrade
//! to head again, which must give the same schema; lint; a single head.
//! A step that fails names the revision at fault.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::check::{
    self, diff, Difference, SchemaSnapshot, ScratchDatabase, ScratchSource, ScratchUse,
};
use crate::lint;
use arx_migrate_core::backend::Connection;
use arx_migrate_core::error::{Error, Result};
use arx_migrate_core::not_api::text::md_cell;
use arx_migrate_core::runner::Migrator;

mod chain;
mod stairway;

use chain::{describe, Chain};

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It passed.
    Passed,
    /// It failed; the details say why and where.
    Failed,
    /// It did not run, because an earlier step left no usable database.
    Skipped,
}

impl Outcome {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One step of the validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidateStep {
    /// What the step does (`upgrade base → head`, `stairway`, …).
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// What went wrong (each line naming the revision), and notes (lines
    /// starting with `note: `) that do not fail the step.
    pub details: Vec<String>,
}

/// The result of [`validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidateReport {
    /// The backend (`sqlite`, `postgres`).
    pub backend: String,
    /// How many revisions the chain has.
    pub revisions: usize,
    /// The steps, in the order they ran.
    pub steps: Vec<ValidateStep>,
    /// The lint report of the chain.
    pub lint: lint::LintReport,
}

impl ValidateReport {
    /// Whether every step passed.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.outcome == Outcome::Passed)
    }

    /// The step with this name.
    pub fn step(&self, name: &str) -> Option<&ValidateStep> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// The failed steps.
    pub fn failures(&self) -> impl Iterator<Item = &ValidateStep> {
        self.steps.iter().filter(|s| s.outcome == Outcome::Failed)
    }

    /// A report for people at a terminal.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "validate ({}), {} revision(s)\n",
            self.backend, self.revisions
        );
        for step in &self.steps {
            out.push_str(&format!(
                "  {:<7} {:<28} {:>7} ms\n",
                step.outcome.as_str(),
                step.name,
                step.duration_ms
            ));
            for detail in &step.details {
                out.push_str(&format!("          {detail}\n"));
            }
        }
        out.push_str(if self.passed() {
            "validate: passed\n"
        } else {
            "validate: FAILED\n"
        });
        out
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The report as markdown, for a pull-request comment.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "### Migration validation ({}): {}\n\n{} revision(s)\n\n| step | outcome | time | details |\n|---|---|---|---|\n",
            self.backend,
            if self.passed() { "✅ passed" } else { "❌ failed" },
            self.revisions
        );
        for step in &self.steps {
            let mark = match step.outcome {
                Outcome::Passed => "✅ passed",
                Outcome::Failed => "❌ failed",
                Outcome::Skipped => "⏭ skipped",
            };
            let details: Vec<String> = step.details.iter().map(|d| md_cell(d)).collect();
            out.push_str(&format!(
                "| {} | {mark} | {} ms | {} |\n",
                step.name,
                step.duration_ms,
                details.join("<br>")
            ));
        }
        out
    }
}

/// Step names, as they appear in reports.
pub mod steps {
    /// Upgrading an empty database to head, one revision at a time.
    pub const UPGRADE: &str = "upgrade base → head";
    /// Comparing the schema at head with a fresh replay.
    pub const CHECK: &str = "check schema";
    /// Up one, down one, up one at each revision.
    pub const STAIRWAY: &str = "stairway";
    /// Downgrading to base, one revision at a time.
    pub const DOWNGRADE: &str = "downgrade head → base";
    /// Upgrading to head a second time.
    pub const UPGRADE_AGAIN: &str = "upgrade base → head again";
    /// Linting the chain.
    pub const LINT: &str = "lint";
    /// The chain has one head.
    pub const SINGLE_HEAD: &str = "single head";
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// What a step that touches the database returns: failure details, or an
/// error that leaves the database unusable for the following steps (with
/// what the step found before it).
type StepResult = std::result::Result<Vec<String>, StepFailure>;

/// A step stopped by an error.
struct StepFailure {
    /// What the step found before the error.
    found: Vec<String>,
    /// The error.
    error: Box<Error>,
}

impl From<Error> for StepFailure {
    fn from(error: Error) -> Self {
        StepFailure {
            found: Vec::new(),
            error: Box::new(error),
        }
    }
}

struct Validation<'a> {
    migrator: &'a Migrator,
    chain: Chain<'a>,
    /// The schema before each revision's upgrade, and after it.
    before: HashMap<String, SchemaSnapshot>,
    after: HashMap<String, SchemaSnapshot>,
    head: SchemaSnapshot,
}

impl Validation<'_> {
    fn snapshot(&self, connection: &mut dyn Connection) -> Result<SchemaSnapshot> {
        self.chain.snapshot(connection)
    }

    fn order(&self) -> Vec<String> {
        self.chain.order()
    }

    fn down_one(&self, connection: &mut dyn Connection, revision: &str) -> Result<Option<String>> {
        self.chain.down_one(connection, revision)
    }

    fn upgrade(&mut self, connection: &mut dyn Connection) -> StepResult {
        // Each revision's "before" is the one before's "after": read once.
        let mut current = self.snapshot(connection)?;
        for revision in self.order() {
            self.before.insert(revision.clone(), current);
            self.migrator.upgrade(connection, &revision)?;
            current = self.snapshot(connection)?;
            self.after.insert(revision.clone(), current.clone());
        }
        self.head = current;
        Ok(Vec::new())
    }

    /// The schema at head against the one a replay gives: on a new
    /// scratch database, or the chain's entry in the schema cache (a
    /// replay by an earlier run of the same chain), which the note says.
    fn check(&self, scratch: &ScratchSource, connection: &mut dyn Connection) -> StepResult {
        let heads = self.migrator.status(connection)?.heads;
        let actual = self.snapshot(connection)?;
        let (expected, used) = check::read_at_heads(self.migrator, &heads, scratch, &mut |c| {
            check::snapshot(self.migrator, c)
        })?;
        let mut details: Vec<String> = diff(&expected, &actual)
            .iter()
            .map(|d| format!("the schema at head differs from a fresh replay: {d}"))
            .collect();
        if used != ScratchUse::Fresh {
            details.push(format!("note: the replay was {}", used.describe()));
        }
        Ok(details)
    }

    fn downgrade(&self, connection: &mut dyn Connection) -> StepResult {
        let mut problems = Vec::new();
        if let Err(error) = self.downgrade_each(connection, &mut problems) {
            // An error here often comes from what an earlier downgrade left
            // behind (on PostgreSQL a view still using the table dropped
            // now): what was found so far comes first.
            let error = match problems.is_empty() {
                true => error,
                false => Error::custom(format!(
                    "{error} (an earlier downgrade left objects behind, see above)"
                )),
            };
            return Err(StepFailure {
                found: problems,
                error: Box::new(error),
            });
        }
        let left = self.snapshot(connection)?;
        if !left.is_empty() {
            for object in left.object_names() {
                problems.push(format!(
                    "after downgrading to base, {object} is left besides the bookkeeping tables{}",
                    self.blame(&object)
                ));
            }
        }
        if !self.migrator.current(connection)?.is_empty() {
            problems.push("after downgrading to base the version table is not empty".to_string());
        }
        Ok(problems)
    }

    /// ": the upgrade of X creates it and its downgrade does not remove
    /// it", for an object (`view v`) left at base.
    fn blame(&self, object: &str) -> String {
        self.order()
            .into_iter()
            .find(|revision| {
                let names = |map: &HashMap<String, SchemaSnapshot>| {
                    map.get(revision)
                        .map(|s| s.object_names().contains(&object.to_string()))
                        .unwrap_or(false)
                };
                !names(&self.before) && names(&self.after)
            })
            .map(|revision| {
                format!(
                    ": the upgrade of {revision} creates it and its downgrade does not remove it"
                )
            })
            .unwrap_or_default()
    }

    /// Downgrades one revision at a time, noting what each leaves wrong.
    fn downgrade_each(
        &self,
        connection: &mut dyn Connection,
        problems: &mut Vec<String>,
    ) -> Result<()> {
        for revision in self.order().into_iter().rev() {
            if !self
                .migrator
                .graph()
                .applied(&self.migrator.current(connection)?)?
                .contains(&revision.as_str())
            {
                continue;
            }
            let start = self.snapshot(connection)?;
            match self.down_one(connection, &revision)? {
                Some(note) => {
                    // Revert the rest at once; it is not checked revision by revision.
                    problems.push(note);
                    self.migrator.downgrade(connection, "base")?;
                    break;
                }
                None => {
                    if let (Some(expected), Some(after)) =
                        (self.before.get(&revision), self.after.get(&revision))
                    {
                        let now = self.snapshot(connection)?;
                        // Only what this downgrade got wrong: differences
                        // already there before it are someone else's.
                        let already: Vec<String> =
                            diff(after, &start).iter().map(|d| d.to_string()).collect();
                        let differences: Vec<Difference> = diff(expected, &now)
                            .into_iter()
                            .filter(|d| !already.contains(&d.to_string()))
                            .collect();
                        if !differences.is_empty() {
                            problems.push(format!(
                                "downgrade of {revision} leaves the schema different from before its upgrade: {}",
                                describe(&differences)
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn upgrade_again(&self, connection: &mut dyn Connection) -> StepResult {
        self.migrator.upgrade(connection, "heads")?;
        let now = self.snapshot(connection)?;
        let differences = diff(&self.head, &now);
        Ok(if differences.is_empty() {
            Vec::new()
        } else {
            vec![format!(
                "upgrading again gives a different schema at head: {}",
                describe(&differences)
            )]
        })
    }
}

/// The steps run so far, as the report shows them.
#[derive(Default)]
struct Recorder {
    steps: Vec<ValidateStep>,
}

impl Recorder {
    /// Runs `step` unless an earlier one left no usable database, and
    /// records how it ended and how long it took.
    fn run(&mut self, name: &str, usable: &mut bool, step: impl FnOnce() -> StepResult) {
        self.run_timed(name, usable, || {
            let started = Instant::now();
            (step(), started.elapsed())
        });
    }

    /// [`Recorder::run`] for a step that says how long it took (one that
    /// ran on another thread).
    fn run_timed(
        &mut self,
        name: &str,
        usable: &mut bool,
        step: impl FnOnce() -> (StepResult, Duration),
    ) {
        if !*usable {
            self.steps.push(ValidateStep {
                name: name.to_string(),
                outcome: Outcome::Skipped,
                duration_ms: 0,
                details: vec![
                    "an earlier step failed and left the scratch database in an unknown state"
                        .to_string(),
                ],
            });
            return;
        }
        let (result, elapsed) = step();
        let (outcome, details) = match result {
            Ok(details) if details.iter().all(|d| d.starts_with("note: ")) => {
                (Outcome::Passed, details)
            }
            Ok(details) => (Outcome::Failed, details),
            Err(StepFailure { mut found, error }) => {
                *usable = false;
                found.push(error.to_string());
                (Outcome::Failed, found)
            }
        };
        self.steps.push(ValidateStep {
            name: name.to_string(),
            outcome,
            duration_ms: millis(elapsed),
            details,
        });
    }
}

/// Runs the whole validation of `migrator`'s chain on a scratch database
/// from `scratch`, created here and dropped at the end.
///
/// Fails only when the scratch database cannot be created; everything the
/// chain gets wrong is a failed step in the report.
///
/// ```
/// use arx_migrate_verify::check::ScratchSource;
/// use arx_migrate_core::{FnMigration, MigrationSet, Migrator};
/// use arx_migrate_verify::validate;
///
/// let migrator = Migrator::new(MigrationSet::new().with(FnMigration::new(
///     "001", &[],
///     |op| op.sql("CREATE TABLE a (id INTEGER PRIMARY KEY)"),
///     |op| op.sql("DROP TABLE a"),
/// )))?;
/// let report = validate::validate(&migrator, &ScratchSource::SqliteMemory)?;
/// assert!(report.passed(), "{}", report.to_text());
/// # Ok::<(), arx_migrate_core::Error>(())
/// ```
pub fn validate(migrator: &Migrator, scratch: &ScratchSource) -> Result<ValidateReport> {
    validate_with(migrator, scratch, &lint::LintConfig::default())
}

/// [`validate`], its lint step with the rules of `lint_config` (the
/// `[lint]` section of `arx-migrate.toml`).
pub fn validate_with(
    migrator: &Migrator,
    scratch: &ScratchSource,
    lint_config: &lint::LintConfig,
) -> Result<ValidateReport> {
    validate_as(migrator, scratch, lint_config, None)
}

/// Who runs `validate`'s round trip on PostgreSQL, when it is not the
/// connecting user: see [`validate_as`].
#[derive(Debug, Clone)]
pub struct AsRole {
    /// The role to `SET ROLE` to.
    pub role: String,
    /// Statements the connecting user runs first in the scratch database,
    /// to give it what the DBA gave the real one (the role's schema
    /// privileges, extensions created beforehand).
    pub prepare: Vec<String>,
}

/// [`validate_with`], with the upgrade, downgrade and upgrade again run as
/// `as_role` (PostgreSQL): the scratch database is created and prepared
/// by the connecting user, then the session does `SET ROLE`. A statement
/// the role cannot run fails the upgrade step, naming the revision, the
/// statement and the server's "permission denied" message.
pub fn validate_as(
    migrator: &Migrator,
    scratch: &ScratchSource,
    lint_config: &lint::LintConfig,
    as_role: Option<&AsRole>,
) -> Result<ValidateReport> {
    let backend = scratch.backend();
    let mut database = ScratchDatabase::create(scratch)?;
    let connection = database.connection()?;
    if let Some(as_role) = as_role {
        if backend != arx_migrate_core::Backend::Postgres {
            return Err(Error::Config(
                "validate --as-role runs on PostgreSQL only (SQLite has no roles)".into(),
            ));
        }
        for statement in as_role.prepare.iter().cloned().chain([format!(
            "SET ROLE {}",
            arx_migrate_core::ops::quote_ident(&as_role.role)
        )]) {
            connection.execute(&statement).map_err(|source| {
                Error::Config(format!(
                    "validate --as-role {}: preparing the scratch database failed at `{statement}`: {source}",
                    as_role.role
                ))
            })?;
        }
    }
    let chain = Chain { migrator };
    let mut validation = Validation {
        migrator,
        chain,
        before: HashMap::new(),
        after: HashMap::new(),
        head: SchemaSnapshot::default(),
    };
    let mut steps = Recorder::default();
    let mut usable = true;
    let mut stairway_database = None;

    // The stairway needs a database of its own and, from the main one,
    // only the schema after each first upgrade: it walks meanwhile, on a
    // thread of its own, and is compared once both are done. Its report
    // keeps its place after the check.
    std::thread::scope(|scope| {
        let walking = scope.spawn(|| {
            let started = Instant::now();
            let walked = stairway::walk(chain, scratch);
            (walked, started.elapsed())
        });
        steps.run(steps::UPGRADE, &mut usable, || {
            validation.upgrade(connection)
        });
        steps.run(steps::CHECK, &mut usable, || {
            validation.check(scratch, connection)
        });
        // What the main database's steps leave does not touch the
        // stairway's database, and the other way round.
        let stairway_at = steps.steps.len();
        let mut stairway_usable = usable;
        steps.run(steps::DOWNGRADE, &mut usable, || {
            validation.downgrade(connection)
        });
        steps.run(steps::UPGRADE_AGAIN, &mut usable, || {
            validation.upgrade_again(connection)
        });
        let mut stairway = Recorder::default();
        stairway.run_timed(steps::STAIRWAY, &mut stairway_usable, || {
            let (walked, elapsed) = walking
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            let result = walked
                .map(|(walk, database)| {
                    stairway_database = Some(database);
                    walk.problems(&validation.after)
                })
                .map_err(StepFailure::from);
            (result, elapsed)
        });
        steps.steps.splice(stairway_at..stairway_at, stairway.steps);
    });
    // Both scratch databases dropped at once: on PostgreSQL each DROP
    // DATABASE waits for a checkpoint, and requests made together share
    // one.
    std::thread::scope(|scope| {
        scope.spawn(move || drop(stairway_database));
        drop(database);
    });

    let mut lint_report = lint::LintReport::default();
    let mut always = true;
    steps.run(steps::LINT, &mut always, || {
        lint_report = lint::lint_migrations_with(migrator.graph(), backend, lint_config);
        Ok(lint_report
            .findings
            .iter()
            .filter(|f| f.is_blocking())
            .map(|f| format!("{} [{}]: {}", f.revision, f.rule, f.message))
            .collect())
    });
    steps.run(steps::SINGLE_HEAD, &mut always, || {
        Ok(match migrator.graph().single_head() {
            Ok(_) => Vec::new(),
            Err(Error::MultipleHeads { heads }) => vec![format!(
                "the chain has {} heads ({}); merge them",
                heads.len(),
                heads.join(", ")
            )],
            Err(other) => vec![other.to_string()],
        })
    });

    Ok(ValidateReport {
        backend: backend.name().to_string(),
        revisions: migrator.graph().len(),
        steps: steps.steps,
        lint: lint_report,
    })
}
