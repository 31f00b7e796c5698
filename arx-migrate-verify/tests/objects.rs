//! Objects besides tables: `check` compares views, triggers, PostgreSQL
//! functions and sequences (an identity column's one as part of its
//! column), and SQLite's R*Tree virtual tables; `validate`
//! names the revision whose downgrade leaves one behind.

#[path = "../../arx-migrate-core/tests/support/mod.rs"]
mod support;

use support::m;

use arx_migrate_core::{Connection, FnMigration, MigrationSet, Migrator};
use arx_migrate_testing::{postgres_test_url, PgTestDatabase};
use arx_migrate_verify::check::{self, DriftKind, DriftReport, Identity, ScratchSource};
use arx_migrate_verify::validate::{self, steps, Outcome, ValidateReport};

fn migrator(steps: Vec<FnMigration>) -> Migrator {
    let mut set = MigrationSet::new();
    for step in steps {
        set = set.with(step);
    }
    Migrator::new(set).unwrap()
}

#[track_caller]
fn assert_has(report: &DriftReport, kind: DriftKind, table: &str, object: Option<&str>) {
    assert!(
        report
            .of_kind(kind)
            .any(|d| d.table == table && d.object.as_deref() == object),
        "expected {kind} on {table}.{object:?}:\n{}",
        report.to_text()
    );
}

/// A table with an R*Tree index kept by triggers, and a view.
fn sqlite_chain() -> Migrator {
    migrator(vec![m(
        "001",
        None,
        "CREATE TABLE rooms (id INTEGER PRIMARY KEY, minx REAL, maxx REAL); \
         CREATE VIRTUAL TABLE rooms_box USING rtree(id, minx, maxx); \
         CREATE TRIGGER rooms_box_insert AFTER INSERT ON rooms BEGIN \
           INSERT INTO rooms_box VALUES (NEW.id, NEW.minx, NEW.maxx); END; \
         CREATE VIEW wide_rooms AS SELECT id FROM rooms WHERE maxx - minx > 10",
        "DROP VIEW wide_rooms; DROP TABLE rooms_box; DROP TABLE rooms",
    )])
}

#[test]
fn sqlite_check_sees_triggers_views_and_rtree_objects() {
    let migrator = sqlite_chain();
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    let clean = check::check(&migrator, &mut conn, &ScratchSource::SqliteMemory).unwrap();
    assert!(clean.is_clean(), "{}", clean.to_text());
    let snapshot = check::snapshot(&migrator, &mut conn).unwrap();
    assert!(snapshot.virtual_tables["rooms_box"]
        .definition
        .contains("rtree"));
    assert_eq!(
        snapshot.triggers["rooms_box_insert"].table.as_deref(),
        Some("rooms")
    );

    conn.execute_batch(
        "DROP TRIGGER rooms_box_insert;
         CREATE VIEW sneaky AS SELECT 1;
         CREATE TRIGGER sneaky_t AFTER DELETE ON rooms BEGIN SELECT 1; END;
         DROP VIEW wide_rooms;
         CREATE VIEW wide_rooms AS SELECT id FROM rooms WHERE maxx - minx > 20;",
    )
    .unwrap();
    let report = check::check(&migrator, &mut conn, &ScratchSource::SqliteMemory).unwrap();
    assert_has(
        &report,
        DriftKind::MissingTrigger,
        "rooms",
        Some("rooms_box_insert"),
    );
    assert_has(&report, DriftKind::ExtraTrigger, "rooms", Some("sneaky_t"));
    assert_has(&report, DriftKind::ExtraView, "sneaky", None);
    assert_has(&report, DriftKind::ViewDefinition, "wide_rooms", None);
    assert!(report
        .to_text()
        .contains("missing-trigger: rooms.rooms_box_insert"));

    conn.execute_batch("DROP TABLE rooms_box").unwrap();
    let report = check::check(&migrator, &mut conn, &ScratchSource::SqliteMemory).unwrap();
    assert_has(&report, DriftKind::MissingVirtualTable, "rooms_box", None);
}

/// 002 creates a view and a trigger with IF NOT EXISTS; its downgrade
/// forgets both.
fn leaky_objects() -> Vec<FnMigration> {
    vec![
        m(
            "001",
            None,
            "CREATE TABLE p (id INTEGER PRIMARY KEY, n INTEGER)",
            "DROP TABLE p",
        ),
        m(
            "002",
            Some("001"),
            "CREATE VIEW IF NOT EXISTS big_p AS SELECT id FROM p WHERE n > 10; \
             CREATE TRIGGER IF NOT EXISTS p_touch AFTER UPDATE ON p BEGIN SELECT 1; END",
            "SELECT 1",
        ),
        m(
            "003",
            Some("002"),
            "CREATE TABLE d (id INTEGER PRIMARY KEY)",
            "DROP TABLE d",
        ),
    ]
}

#[track_caller]
fn assert_blames(report: &ValidateReport, step: &str, revision: &str, object: &str) {
    let found = report.step(step).unwrap();
    assert_eq!(found.outcome, Outcome::Failed, "{}", report.to_text());
    assert!(
        found.details[0].contains(&format!("of {revision}")) && found.details[0].contains(object),
        "{step}: the first detail should name {revision} and {object}:\n{}",
        report.to_text()
    );
}

#[test]
fn sqlite_validate_names_the_downgrade_that_leaves_a_view_or_trigger() {
    let report =
        validate::validate(&migrator(leaky_objects()), &ScratchSource::SqliteMemory).unwrap();
    assert_blames(&report, steps::STAIRWAY, "002", "extra-view: big_p");
    assert_blames(&report, steps::DOWNGRADE, "002", "extra-trigger: p.p_touch");
    // The trigger goes with its table at base; the view stays, blamed.
    let downgrade = report.step(steps::DOWNGRADE).unwrap();
    assert!(
        downgrade.details.iter().any(|d| d.contains(
            "after downgrading to base, view big_p is left besides the bookkeeping tables: the upgrade of 002 creates it"
        )),
        "{}",
        report.to_text()
    );
}

#[test]
fn postgres_check_sees_views_triggers_functions_and_sequences() {
    let Some(url) = postgres_test_url("postgres_check_sees_views_triggers_functions_and_sequences")
    else {
        return;
    };
    let chain = migrator(vec![m(
        "001",
        None,
        "CREATE EXTENSION IF NOT EXISTS postgis; \
         CREATE TABLE p (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n integer, touched timestamptz); \
         CREATE SEQUENCE p_numbers START 100; \
         CREATE FUNCTION p_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.touched := now(); RETURN NEW; END $$; \
         CREATE TRIGGER p_touch BEFORE UPDATE ON p FOR EACH ROW EXECUTE FUNCTION p_touch(); \
         CREATE VIEW big_p AS SELECT id FROM p WHERE n > 10",
        "DROP VIEW big_p; DROP TABLE p; DROP FUNCTION p_touch(); DROP SEQUENCE p_numbers",
    )]);
    let db = PgTestDatabase::create(&url).unwrap();
    let mut conn = db.connect().unwrap();
    chain.upgrade(&mut conn, "head").unwrap();
    let scratch = ScratchSource::Postgres { url: url.clone() };
    let clean = check::check(&chain, &mut conn, &scratch).unwrap();
    assert!(clean.is_clean(), "{}", clean.to_text());
    let snapshot = check::snapshot(&chain, &mut conn).unwrap();
    assert_eq!(
        snapshot.functions.keys().collect::<Vec<_>>(),
        ["p_touch()"],
        "PostGIS's functions belong to the extension and are left out"
    );
    assert!(snapshot.views.contains_key("big_p"));
    assert!(snapshot.triggers.contains_key("p.p_touch"));
    assert_eq!(
        snapshot.tables["p"].columns["id"].identity,
        Some(Identity::ByDefault)
    );
    assert!(
        !snapshot.sequences.contains_key("p_id_seq"),
        "an identity column's sequence belongs to the column: {:?}",
        snapshot.sequences.keys()
    );
    assert!(
        !snapshot
            .sequences
            .keys()
            .any(|s| s.starts_with("arx_migrate")),
        "the bookkeeping tables' sequences are left out: {:?}",
        snapshot.sequences.keys()
    );

    Connection::execute(
        &mut conn,
        "DROP TRIGGER p_touch ON p;
         CREATE OR REPLACE FUNCTION p_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
         CREATE FUNCTION sneaky() RETURNS integer LANGUAGE sql AS 'SELECT 1';
         CREATE VIEW sneaky_view AS SELECT 1 AS one;
         ALTER SEQUENCE p_numbers INCREMENT 5;
         CREATE SEQUENCE sneaky_seq;
         ALTER TABLE p ALTER COLUMN id SET GENERATED ALWAYS;
         ALTER TABLE p ALTER COLUMN n SET NOT NULL, ALTER COLUMN n ADD GENERATED BY DEFAULT AS IDENTITY;",
    )
    .unwrap();
    let report = check::check(&chain, &mut conn, &scratch).unwrap();
    assert!(
        report.to_text().contains(
            "identity: p.id (expected GENERATED BY DEFAULT AS IDENTITY, found GENERATED ALWAYS AS IDENTITY)"
        ),
        "{}",
        report.to_text()
    );
    assert!(
        report
            .to_text()
            .contains("identity: p.n (expected none, found GENERATED BY DEFAULT AS IDENTITY)"),
        "{}",
        report.to_text()
    );
    assert_eq!(
        report
            .of_kind(DriftKind::ExtraSequence)
            .map(|d| d.table.as_str())
            .collect::<Vec<_>>(),
        ["sneaky_seq"],
        "the new identity's sequence belongs to its column"
    );
    assert_has(&report, DriftKind::MissingTrigger, "p", Some("p_touch"));
    assert_has(&report, DriftKind::FunctionDefinition, "p_touch()", None);
    assert_has(&report, DriftKind::ExtraFunction, "sneaky()", None);
    assert_has(&report, DriftKind::ExtraView, "sneaky_view", None);
    assert_has(&report, DriftKind::SequenceDefinition, "p_numbers", None);
    assert_has(&report, DriftKind::ExtraSequence, "sneaky_seq", None);
}

#[test]
fn postgres_validate_blames_the_downgrade_that_leaves_a_view() {
    let Some(url) = postgres_test_url("postgres_validate_blames_the_downgrade_that_leaves_a_view")
    else {
        return;
    };
    // 002's downgrade forgets its view; 001's DROP TABLE then fails on
    // PostgreSQL because the view still uses the table.
    let chain = migrator(vec![
        m(
            "001",
            None,
            "CREATE TABLE p (id INTEGER PRIMARY KEY, n INTEGER)",
            "DROP TABLE p",
        ),
        m(
            "002",
            Some("001"),
            "CREATE OR REPLACE VIEW big_p AS SELECT id FROM p WHERE n > 10",
            "SELECT 1",
        ),
    ]);
    let scratch = ScratchSource::Postgres { url: url.clone() };
    let report = validate::validate(&chain, &scratch).unwrap();
    assert_blames(&report, steps::STAIRWAY, "002", "extra-view: big_p");
    assert_blames(&report, steps::DOWNGRADE, "002", "extra-view: big_p");
}
