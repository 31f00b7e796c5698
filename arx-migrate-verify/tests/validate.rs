//! `validate`: passes on a good chain, fails naming the revision on a chain
//! whose downgrade leaves a table behind, on both backends.

#[path = "../../arx-migrate-core/tests/support/mod.rs"]
mod support;

use support::m;

use arx_migrate_core::{Error, FnMigration, MigrationSet, Migrator};
use arx_migrate_testing::postgres_test_url;
use arx_migrate_verify::check::ScratchSource;
use arx_migrate_verify::validate::{self, steps, Outcome, ValidateReport};

fn good() -> Vec<FnMigration> {
    vec![
        m("001", None, "CREATE TABLE p (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL)", "DROP TABLE p"),
        m(
            "002",
            Some("001"),
            "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id), status VARCHAR(20)); \
             CREATE INDEX idx_c_p_id ON c (p_id); CREATE INDEX idx_c_active ON c (p_id) WHERE status = 'active'",
            "DROP TABLE c",
        ),
        m("003", Some("002"), "CREATE TABLE d (id INTEGER PRIMARY KEY)", "DROP TABLE d"),
    ]
}

/// 002's downgrade forgets one of the two tables its upgrade creates.
fn leaky() -> Vec<FnMigration> {
    vec![
        m("001", None, "CREATE TABLE p (id INTEGER PRIMARY KEY)", "DROP TABLE p"),
        m(
            "002",
            Some("001"),
            "CREATE TABLE u (id INTEGER PRIMARY KEY); CREATE TABLE leftover (id INTEGER PRIMARY KEY)",
            "DROP TABLE u",
        ),
        m("003", Some("002"), "CREATE TABLE d (id INTEGER PRIMARY KEY)", "DROP TABLE d"),
    ]
}

fn migrator(steps: Vec<FnMigration>) -> Migrator {
    let mut set = MigrationSet::new();
    for step in steps {
        set = set.with(step);
    }
    Migrator::new(set).unwrap()
}

#[track_caller]
fn assert_passes(report: &ValidateReport) {
    assert!(report.passed(), "{}", report.to_text());
    let names: Vec<&str> = report.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            steps::UPGRADE,
            steps::CHECK,
            steps::STAIRWAY,
            steps::DOWNGRADE,
            steps::UPGRADE_AGAIN,
            steps::LINT,
            steps::SINGLE_HEAD
        ]
    );
}

#[track_caller]
fn assert_names_leaky_revision(report: &ValidateReport) {
    assert!(!report.passed(), "{}", report.to_text());
    for name in [steps::STAIRWAY, steps::DOWNGRADE] {
        let step = report.step(name).unwrap();
        assert_eq!(step.outcome, Outcome::Failed, "{}", report.to_text());
        assert!(
            step.details
                .iter()
                .any(|d| d.contains("downgrade of 002") && d.contains("leftover")),
            "{name} should name 002 and the table:\n{}",
            report.to_text()
        );
        assert!(
            !step
                .details
                .iter()
                .any(|d| d.contains("of 003") || d.contains("of 001")),
            "{}",
            report.to_text()
        );
    }
    // Lint sees it too, without a database.
    assert_eq!(report.step(steps::LINT).unwrap().outcome, Outcome::Failed);
    assert!(report.to_text().contains("validate: FAILED"));
    assert!(report.to_markdown().contains("❌ failed"));
}

#[test]
fn sqlite_good_chain_passes() {
    let report = validate::validate(&migrator(good()), &ScratchSource::SqliteMemory).unwrap();
    assert_passes(&report);
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["steps"][2]["name"], "stairway");
    assert_eq!(json["steps"][2]["outcome"], "passed");
    assert!(json["steps"][0]["duration_ms"].is_u64());
    let markdown = report.to_markdown();
    assert!(markdown.contains("| stairway | ✅ passed |"), "{markdown}");
}

#[test]
fn sqlite_leaky_downgrade_fails_naming_the_revision() {
    let report = validate::validate(&migrator(leaky()), &ScratchSource::SqliteMemory).unwrap();
    assert_names_leaky_revision(&report);
}

#[test]
fn a_failing_upgrade_names_its_revision_and_skips_what_needs_the_database() {
    let mut chain = good();
    chain.push(m(
        "004",
        Some("003"),
        "CREATE TABLE d (id INTEGER)",
        "SELECT 1",
    ));
    let report = validate::validate(&migrator(chain), &ScratchSource::SqliteMemory).unwrap();
    let upgrade = report.step(steps::UPGRADE).unwrap();
    assert_eq!(upgrade.outcome, Outcome::Failed);
    assert!(upgrade.details[0].contains("004"), "{}", report.to_text());
    assert_eq!(
        report.step(steps::STAIRWAY).unwrap().outcome,
        Outcome::Skipped
    );
    assert_eq!(
        report.step(steps::LINT).unwrap().outcome,
        Outcome::Failed,
        "duplicate table d"
    );
}

#[test]
fn two_heads_fail_the_single_head_step() {
    let mut chain = good();
    chain.push(m(
        "004",
        Some("002"),
        "CREATE TABLE e (id INTEGER PRIMARY KEY)",
        "DROP TABLE e",
    ));
    let report = validate::validate(&migrator(chain), &ScratchSource::SqliteMemory).unwrap();
    let step = report.step(steps::SINGLE_HEAD).unwrap();
    assert_eq!(step.outcome, Outcome::Failed, "{}", report.to_text());
    assert!(step.details[0].contains("003") && step.details[0].contains("004"));
}

#[test]
fn a_downgrade_that_errors_fails_the_stairway() {
    let mut chain = good();
    chain[2] = FnMigration::new(
        "003",
        &["002"],
        |op| op.sql("CREATE TABLE d (id INTEGER PRIMARY KEY)"),
        |_| Err(Error::custom("cannot go back")),
    );
    let report = validate::validate(&migrator(chain), &ScratchSource::SqliteMemory).unwrap();
    let stairway = report.step(steps::STAIRWAY).unwrap();
    assert_eq!(stairway.outcome, Outcome::Failed);
    assert!(
        stairway.details[0].contains("003") && stairway.details[0].contains("cannot go back"),
        "{}",
        report.to_text()
    );
}

#[test]
fn postgres_good_chain_passes_and_leaky_one_fails() {
    let Some(url) = postgres_test_url("postgres_good_chain_passes_and_leaky_one_fails") else {
        return;
    };
    let scratch = ScratchSource::Postgres { url: url.clone() };
    let report = validate::validate(&migrator(good()), &scratch).unwrap();
    // On PostgreSQL lint warns about lock timeouts etc. only for existing
    // tables; this chain creates each table fresh.
    assert_passes(&report);
    let report = validate::validate(&migrator(leaky()), &scratch).unwrap();
    assert_names_leaky_revision(&report);
}
