//! The lint corpus (`tests/lint-corpus/` at the workspace root): one `.sql`
//! per case, each with the rule ids it must produce in `manifest.toml` —
//! PostgreSQL and SQLite, `.sql` files and migration chains, and clean
//! cases that must produce nothing.
//!
//! Every case is checked exactly: the set of rules of its findings that are
//! not allowed equals its `expect` list. The test also prints the recall
//! (bad cases whose first expected rule fires) and the false positives
//! (clean cases with any finding).
//!
//! Case files:
//! - `mode = "file"`: the file is linted as `lint --file` does. `start`
//!   gives the schema it starts from: `prelude:PATH` (PATH linted first as
//!   an earlier file, its own findings ignored), `schema:PATH` (PATH run on
//!   a scratch database, whose schema is read back as `--schema URL`
//!   does), `after:PATH:REV` (a chain file, as `--after REV`), or nothing.
//! - `mode = "chain"`: the file is a chain of migrations:
//!   `-- revision: ID [non-transactional]`, then `-- up` and `-- down`
//!   sections; `-- op.sql` inside a section starts a new `op.sql` string;
//!   `-- allow: rule-id: reason` is the migration's `allow`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use arx_migrate_core::{Backend, Connection, FnMigration, MigrationSet, Migrator};
use arx_migrate_testing::{postgres_test_url, PgTestDatabase};
use arx_migrate_verify::check::{introspect, SchemaSnapshot};
use arx_migrate_verify::lint::{self, LintConfig, LintReport, SqlFile, StartSchema};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// The case file, relative to the corpus.
    file: String,
    backend: String,
    mode: String,
    #[serde(default)]
    start: Option<String>,
    /// Rules switched on (`[lint] enable`).
    #[serde(default)]
    enable: Vec<String>,
    /// The rule ids of the findings, exactly; empty for a clean case.
    expect: Vec<String>,
    /// What the case shows.
    why: String,
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/lint-corpus")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(corpus().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A migration chain written in a case file.
fn chain(text: &str) -> Migrator {
    struct Revision {
        id: String,
        transactional: bool,
        up: Vec<String>,
        down: Vec<String>,
        allow: Vec<(String, String)>,
    }
    let mut revisions: Vec<Revision> = Vec::new();
    let mut section = "";
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("-- revision:") {
            let mut words = rest.split_whitespace();
            revisions.push(Revision {
                id: words.next().expect("a revision id").to_string(),
                transactional: !words.any(|w| w == "non-transactional"),
                up: vec![String::new()],
                down: vec![String::new()],
                allow: Vec::new(),
            });
            section = "";
            continue;
        }
        let Some(revision) = revisions.last_mut() else {
            continue;
        };
        if let Some(rest) = trimmed.strip_prefix("-- allow:") {
            let (rule, reason) = rest.split_once(':').expect("-- allow: rule: reason");
            revision
                .allow
                .push((rule.trim().to_string(), reason.trim().to_string()));
            continue;
        }
        match trimmed {
            "-- up" => section = "up",
            "-- down" => section = "down",
            "-- op.sql" => match section {
                "up" => revision.up.push(String::new()),
                _ => revision.down.push(String::new()),
            },
            _ => {
                let strings = match section {
                    "up" => &mut revision.up,
                    "down" => &mut revision.down,
                    _ => continue,
                };
                let current = strings.last_mut().expect("a string");
                current.push_str(line);
                current.push('\n');
            }
        }
    }
    let mut set = MigrationSet::new();
    let mut parent: Option<String> = None;
    for revision in revisions {
        let keep = |strings: Vec<String>| -> Vec<String> {
            strings
                .into_iter()
                .filter(|s| !s.trim().is_empty())
                .collect()
        };
        let (up, down) = (keep(revision.up), keep(revision.down));
        let parents: Vec<&str> = parent.iter().map(String::as_str).collect();
        let mut migration = FnMigration::new(
            revision.id.clone(),
            &parents,
            move |op| up.iter().try_for_each(|s| op.sql(s.clone())),
            move |op| down.iter().try_for_each(|s| op.sql(s.clone())),
        );
        if !revision.transactional {
            migration = migration.non_transactional();
        }
        for (rule, reason) in revision.allow {
            migration = migration.allow(leak(rule), leak(reason));
        }
        set = set.with(migration);
        parent = Some(revision.id);
    }
    Migrator::new(set).expect("a valid chain")
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// The schema after running `setup` on a scratch database of `backend`;
/// `None` when PostgreSQL is not available.
fn live_schema(backend: Backend, setup: &str, name: &str) -> Option<SchemaSnapshot> {
    match backend {
        Backend::Sqlite => {
            let mut conn = rusqlite::Connection::open_in_memory().unwrap();
            conn.execute_batch(setup).unwrap();
            Some(introspect(&mut conn, &[]).unwrap())
        }
        Backend::Postgres => {
            let url = postgres_test_url(name)?;
            let db = PgTestDatabase::create(&url).unwrap();
            let mut client = db.connect().unwrap();
            Connection::execute(&mut client, setup).unwrap();
            Some(introspect(&mut client, &[]).unwrap())
        }
        Backend::Mysql => panic!("the lint corpus has no MySQL cases yet"),
    }
}

/// Lints a case; `None` when it needs PostgreSQL and there is none.
fn run(case: &Case) -> Option<LintReport> {
    let backend: Backend = case.backend.parse().unwrap();
    let config = LintConfig::from_names(&case.enable, &[] as &[String]).unwrap();
    let text = read(&case.file);
    if case.mode == "chain" {
        return Some(lint::lint_migrations_with(
            chain(&text).graph(),
            backend,
            &config,
        ));
    }
    assert_eq!(case.mode, "file", "{}: mode is file or chain", case.file);
    let file = SqlFile {
        name: case.file.clone(),
        sql: text,
    };
    let start = case.start.as_deref().unwrap_or("");
    let report = if let Some(prelude) = start.strip_prefix("prelude:") {
        let files = [
            SqlFile {
                name: prelude.to_string(),
                sql: read(prelude),
            },
            file,
        ];
        let mut report = lint::lint_files(&files, backend, StartSchema::Unknown, &config).unwrap();
        report
            .findings
            .retain(|f| f.file.as_deref() == Some(case.file.as_str()));
        report
    } else if let Some(setup) = start.strip_prefix("schema:") {
        let snapshot = live_schema(backend, &read(setup), &case.file.replace(['/', '.'], "_"))?;
        lint::lint_files(&[file], backend, StartSchema::Snapshot(&snapshot), &config).unwrap()
    } else if let Some(after) = start.strip_prefix("after:") {
        let (path, revision) = after.rsplit_once(':').expect("after:PATH:REV");
        let migrator = chain(&read(path));
        let start = StartSchema::After {
            graph: migrator.graph(),
            revision,
        };
        lint::lint_files(&[file], backend, start, &config).unwrap()
    } else {
        assert!(start.is_empty(), "{}: unknown start {start}", case.file);
        lint::lint_files(&[file], backend, StartSchema::Unknown, &config).unwrap()
    };
    Some(report)
}

#[test]
fn every_corpus_case_gives_exactly_its_rules() {
    let manifest: Manifest = toml::from_str(&read("manifest.toml")).unwrap();
    let mut failures = Vec::new();
    let (mut bad, mut caught, mut clean, mut false_positives, mut skipped) = (0, 0, 0, 0, 0);
    let mut seen = BTreeSet::new();
    for case in &manifest.case {
        assert!(seen.insert(&case.file), "{} is listed twice", case.file);
        assert!(!case.why.trim().is_empty(), "{}: say why", case.file);
        let Some(report) = run(case) else {
            skipped += 1;
            continue;
        };
        let found: BTreeSet<String> = report.unallowed().map(|f| f.rule.to_string()).collect();
        let expected: BTreeSet<String> = case.expect.iter().cloned().collect();
        if expected.is_empty() {
            clean += 1;
            false_positives += usize::from(!found.is_empty());
        } else {
            bad += 1;
            caught += usize::from(found.contains(&case.expect[0]));
        }
        if found != expected {
            failures.push(format!(
                "{} ({}, {}): expected {:?}, found {:?}\n{}",
                case.file,
                case.backend,
                case.mode,
                expected,
                found,
                report.to_text()
            ));
        }
    }
    let recall = caught as f64 / bad.max(1) as f64;
    println!(
        "lint corpus: {} cases ({bad} with problems, {clean} clean, {skipped} skipped without PostgreSQL): \
         recall {caught}/{bad} = {:.1}%, false positives {false_positives}/{clean}",
        manifest.case.len(),
        recall * 100.0
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(recall >= 0.9 && false_positives == 0);
    assert!(manifest.case.len() >= 55, "the corpus keeps about 60 cases");
}
